"""tfmot comparators: pruning and clustering give plain models, honest packed bytes, INT8 export."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import tf_keras as keras

from tpw_export import compress, tflm
from tpw_export.convert import convert
from tpw_tf.errors import TpwError
from zoo_cases import conv_kernels, flatbuffer_kernels, tiny, windows

SPARSITY = 0.5
CLUSTERS = 4


@functools.cache
def base():
    return tiny("tiny_separable_cnn")


@functools.cache
def pruned():
    x, y = windows("tiny_separable_cnn")
    return compress.prune(base(), x, y, sparsity=SPARSITY, epochs=1)


@functools.cache
def clustered():
    x, y = windows("tiny_separable_cnn")
    return compress.cluster(base(), x, y, clusters=CLUSTERS, epochs=1)


def _kernels(model):
    """``{layer: kernel}`` of every Conv2D / DepthwiseConv2D, read independently."""
    return {layer.name: layer.get_weights()[0] for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))}


def test_the_input_model_is_left_untouched():
    before = [w.copy() for w in base().get_weights()]
    pruned(), clustered()
    for b, w in zip(before, base().get_weights()):
        np.testing.assert_array_equal(b, w)


def test_results_are_plain_keras_models():
    for result in (pruned(), clustered()):
        assert all(type(layer).__module__.startswith("tf_keras.") for layer in result.model.layers)
        assert [layer.name for layer in result.model.layers] == [layer.name for layer in base().layers]


def test_pruning_zeroes_half_of_every_conv_kernel_and_leaves_depthwise_dense():
    for name, kernel in _kernels(pruned().model).items():
        sparsity = 1 - np.count_nonzero(kernel) / kernel.size
        if name.endswith("_dw"):
            assert sparsity == 0.0, name  # tfmot 0.8.1 does not prune depthwise kernels
        else:
            assert abs(sparsity - SPARSITY) <= 1 / kernel.size, (name, sparsity)


def test_clustering_leaves_at_most_k_values_per_conv_kernel():
    for name, kernel in _kernels(clustered().model).items():
        if not name.endswith("_dw"):  # tfmot 0.8.1 does not cluster depthwise kernels
            assert np.unique(kernel).size <= CLUSTERS, name


def test_pruned_kernels_pack_as_a_mask_plus_nonzero_values():
    rows = {row["name"]: (row["count"], row["bits"]) for row in pruned().components(bits=8)}
    for name, kernel in _kernels(pruned().model).items():
        nonzero = np.count_nonzero(kernel)
        if math.ceil(kernel.size / 8) + nonzero < kernel.size:
            assert (rows[f"{name}/mask"], rows[f"{name}/values"]) == ((kernel.size, 1), (nonzero, 8)), name
        else:  # an unpruned kernel is cheaper stored dense, and is counted so
            assert rows[f"{name}/values"] == (kernel.size, 8), name


def test_clustered_kernels_pack_as_indices_plus_codebook():
    rows = {row["name"]: (row["count"], row["bits"])
            for row in clustered().components(bits=8, codebook_bits=32)}
    for name, kernel in _kernels(clustered().model).items():
        distinct = np.unique(kernel).size
        if name.endswith("_dw"):
            assert rows[f"{name}/values"] == (kernel.size, 8), name  # unclustered: dense is smaller
        else:
            index_bits = math.ceil(math.log2(distinct))
            assert rows[f"{name}/indices"] == (kernel.size, index_bits), name
            assert rows[f"{name}/codebook"] == (distinct, 32), name


@functools.cache
def exported(which: str):
    result = {"pruned": pruned, "clustered": clustered}[which]()
    x, _ = windows("tiny_separable_cnn")
    return result.model, convert(result.model, x)


@pytest.mark.parametrize("which", ["pruned", "clustered"])
def test_tflm_runs_the_compressed_model_as_is_with_dense_int8_kernels(which):
    model, flatbuffer = exported(which)
    stored = flatbuffer_kernels(model, flatbuffer)
    for name, kernel in stored.items():
        float_kernel = _kernels(model)[name]
        assert kernel.dtype == np.int8 and kernel.size == float_kernel.size  # dense
        if which == "pruned":  # zeros stay exact zeros in symmetric INT8
            assert np.count_nonzero(kernel) <= np.count_nonzero(float_kernel), name
        elif not name.endswith("_dw"):  # tfmot 0.8.1 does not cluster depthwise kernels
            # Per-channel scales: each output channel holds at most k int8 values.
            for channel in kernel.reshape(kernel.shape[0], -1):
                assert np.unique(channel).size <= CLUSTERS, name
    x, _ = windows("tiny_separable_cnn")
    x_int8 = tflm.quantize_inputs(flatbuffer, x[:4])
    np.testing.assert_array_equal(tflm.run_tflm(flatbuffer, x_int8),
                                  tflm.run_tflite(flatbuffer, x_int8))


def test_qat_preserving_sparsity_keeps_the_pruned_zeros_in_the_flatbuffer():
    x, y = windows("tiny_separable_cnn")
    qat = compress.quantize_aware(pruned().model, x, y, preserve="sparsity", epochs=1)
    flatbuffer = convert(qat, x)
    # 1x1 kernels in execution order; the last is the classifier.
    pw_kernels = [k for k in conv_kernels(flatbuffer) if k.shape[1:3] == (1, 1)][:-1]
    assert len(pw_kernels) == 3
    for kernel in pw_kernels:
        assert np.count_nonzero(kernel) <= kernel.size * (1 - SPARSITY) + 1


@pytest.mark.parametrize("call, message", [
    (lambda x, y: compress.prune(tiny("ternary_cnn"), x, y),
     "layer 'block1_pw' is a custom TernaryPointwise; bake the model to builtin layers first"),
    (lambda x, y: compress.prune(base(), x, y, sparsity=1.0), "sparsity must be in (0, 1), got 1.0"),
    (lambda x, y: compress.cluster(base(), x, y, clusters=1), "clusters must be an int >= 2, got 1"),
    (lambda x, y: compress.cluster(base(), x[:0], y[:0]), "got 0 and 0"),
    (lambda x, y: compress.quantize_aware(base(), x, y, preserve="bits"),
     "preserve must be one of (None, 'sparsity', 'clusters'), got 'bits'"),
])
def test_bad_requests_are_one_line_errors(call, message):
    x, y = windows("tiny_separable_cnn")
    with pytest.raises(TpwError) as error:
        call(x, y)
    assert message in str(error.value)
