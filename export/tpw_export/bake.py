"""Bake: evaluate the generator once and return a plain separable CNN.

The generator-side parameters (generator MLP, heads, codes, per-channel
scales: every ``StoredPart`` a layer declares with ``bits=None``) are first
*packed* as they would be stored on the device: each tensor quantized
symmetrically to ``bits`` with one float32 scale. The kernels are
then synthesized from the packed values and written into ordinary 1x1 Conv2D
layers, so the exported file computes exactly what the packed generator model
computes, and its accuracy is the packed model's accuracy. Generated kernels are
synthesized by :mod:`tpw_export.synthesis`, the float32 routine the device runs.
"""
from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_export.errors import ExportError
from tpw_export.packing import PACKING_BITS, fake_quantize
from tpw_export.synthesis import int8_kernel, synthesis_parts, synthesize
from tpw_tf.layers import ExpandsToKernel, GeneratedPointwise, LayerCode, StoresParts


def stored_layers(model: keras.Model) -> list[StoresParts]:
    """Layers that state what the device stores for them (``tpw_tf.layers.StoresParts``)."""
    return [layer for layer in model.layers if isinstance(layer, StoresParts)]


def expanded_layers(model: keras.Model) -> list[ExpandsToKernel]:
    """Layers export replaces by a plain 1x1 Conv2D (generated, ternary)."""
    return [layer for layer in model.layers if isinstance(layer, ExpandsToKernel)]


def _kernel_inputs(layer: ExpandsToKernel) -> list:
    """The tensors an expanding layer is called on besides its features (it is called once)."""
    return tf.nest.flatten(layer.inbound_nodes[0].input_tensors)[1:]


def generator_side_layers(model: keras.Model) -> list[StoresParts]:
    """Layers that exist only to make kernels: every layer on the paths from the
    ``LayerCode`` s (sources: their input is only an anchor) to the kernel inputs
    of the expanding layers.

    Raises:
        ExportError: such a layer does not state what it stores.
    """
    found: dict[str, keras.layers.Layer] = {}
    stack = [(tensor, layer) for layer in expanded_layers(model) for tensor in _kernel_inputs(layer)]
    while stack:
        tensor, consumer = stack.pop()
        producer, node_index, _ = tensor._keras_history
        if not isinstance(producer, StoresParts):
            raise ExportError(f"layer '{producer.name}' ({type(producer).__name__}) makes the kernel of "
                              f"'{consumer.name}' but does not state what it stores (tpw_tf.layers.StoresParts)")
        found[producer.name] = producer
        if not isinstance(producer, LayerCode):
            stack.extend((source, consumer)
                         for source in tf.nest.flatten(producer.inbound_nodes[node_index].input_tensors))
    return list(found.values())


def pack(model: keras.Model, *, bits: int = 8) -> keras.Model:
    """A copy of ``model`` whose parts stored at the export's bits (``StoredPart.bits is
    None``) are packed to ``bits``, as the device stores them."""
    if bits not in PACKING_BITS:
        raise ExportError(f"bits must be one of {PACKING_BITS}, got {bits}")
    packed = keras.models.clone_model(model)
    packed.set_weights(model.get_weights())
    for layer in stored_layers(packed):
        for part in layer.stored_parts():
            if part.bits is None:
                part.weight.assign(fake_quantize(part.weight.numpy(), bits))
    return packed


def baked_kernels(model: keras.Model, packed: keras.Model, *, bits: int,
                  device_grid: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """``{layer name: ((1, 1, Cin, Cout) kernel, bias or None)}`` for every expanding layer.

    A ``GeneratedPointwise`` kernel is :func:`tpw_export.synthesis.synthesize` of
    ``model``'s generator side packed at ``bits`` (the device's arithmetic); with
    ``device_grid`` it is written as ``q * step`` (:func:`tpw_export.synthesis.int8_kernel`),
    so the converter's INT8 kernel is exactly the one the device synthesizes. Kernel
    inputs of other expanding layers are evaluated once, from ``packed`` (= ``pack(model)``).
    """
    kernels = {}
    for layer in expanded_layers(model):
        if isinstance(layer, GeneratedPointwise):
            kernel = synthesize(synthesis_parts(layer, bits=bits))
            if device_grid:
                q, step = int8_kernel(kernel)
                kernel = q.astype(np.float32) * step
            # The bias is no stored part: bake keeps it unpacked.
            kernels[layer.name] = (kernel[None, None], layer.bias.numpy() if layer.use_bias else None)
    layers = [layer for layer in expanded_layers(packed) if layer.name not in kernels]
    inputs = [_kernel_inputs(layer) for layer in layers]
    flat = [tensor for tensors in inputs for tensor in tensors]
    values = []
    if flat:
        # Kernel inputs are functions of the codes only; the input's values are never read.
        values = keras.Model(packed.inputs, flat)(np.zeros((1, *packed.input_shape[1:]), np.float32))
        values = values if isinstance(values, (list, tuple)) else [values]
    values = iter(values)
    kernels.update((layer.name, layer.baked_kernel(*itertools.islice(values, len(tensors))))
                   for layer, tensors in zip(layers, inputs))
    return kernels


def _plain_config(model: keras.Model, kernels: dict) -> dict:
    """The model's functional config with expanded layers as 1x1 Conv2D and
    the generator-side layers removed."""
    config = model.get_config()
    has_bias = {name: bias is not None for name, (_, bias) in kernels.items()}
    removed = {layer.name for layer in generator_side_layers(model)}
    layers = []
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if name in removed:
            continue
        if name in kernels:
            layer = model.get_layer(name)
            conv = keras.layers.Conv2D(layer.filters, 1, use_bias=has_bias[name], name=name,
                                       dtype=layer.dtype)
            entry = {**keras.layers.serialize(conv), "name": name,
                     "inbound_nodes": [[node[0]] for node in entry["inbound_nodes"]]}
        layers.append(entry)
    for entry in layers:
        for node in entry["inbound_nodes"]:
            for source in node:
                if source[0] in removed:
                    raise ExportError(f"layer '{entry['config']['name']}' reads generator-side "
                                      f"layer '{source[0]}': it cannot be baked")
    return {**config, "layers": layers}


def bake(model: keras.Model, *, bits: int = 8, device_grid: bool = False) -> keras.Model:
    """Return a plain separable CNN equal to ``model`` packed at ``bits``.

    Args:
        model: a functional ``tf_keras`` model, with or without layers that expand to a
            kernel (``tpw_tf.layers.ExpandsToKernel``).
        bits: storage precision of generator, heads, codes and scales (4, 6 or 8).
        device_grid: write generated kernels on the INT8 grid the device synthesizes
            (the ``boot`` / ``lazy`` files' baked twin, see ``baked_kernels``); their float
            outputs then differ from the packed model's by that INT8 rounding, which
            the converted file has either way.

    Returns:
        A new model of builtin Keras layers only; without ``device_grid`` its float
        outputs equal ``pack(model, bits=bits)``'s to within float rounding.

    Raises:
        ExportError: ``bits`` is not one of ``PACKING_BITS``; a layer that makes a kernel
            does not state what it stores; a kept layer reads a generator-side one.
    """
    generator_side_layers(model)  # a layer that does not state what it stores is refused before synthesis
    packed = pack(model, bits=bits)
    kernels = baked_kernels(model, packed, bits=bits, device_grid=device_grid)
    plain = keras.Model.from_config(_plain_config(packed, kernels))
    for layer in plain.layers:
        if layer.name in kernels:
            kernel, bias = kernels[layer.name]
            layer.set_weights([kernel] + ([] if bias is None else [bias]))
        else:
            layer.set_weights(packed.get_layer(layer.name).get_weights())
    return plain
