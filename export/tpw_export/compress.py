"""tensorflow-model-optimization comparators: magnitude pruning, weight clustering, QAT.

Each of :func:`prune` and :func:`cluster` fine-tunes a copy of a plain ``tf_keras``
model (builtin layers only: bake generated / ternary models first) with tfmot,
strips the wrappers, and returns a :class:`Compressed`: the plain model plus
per-kernel statistics so the ledger can count packed bytes honestly
(:meth:`Compressed.components`). It runs after bake, on the baked model. :func:`quantize_aware` adds QAT fine-tuning,
optionally preserving the sparsity or the clusters; its model converts to INT8
like any other.

What TFLM runs as is: the exported ``.tflite`` stores every kernel DENSE INT8 -
pruned zeros and repeated cluster values are ordinary int8 weights - so the
flatbuffer does not shrink. The packed bytes below are what a device would store
if it decoded the kernels at boot into SRAM (the ``boot`` schedule); TFLM has no
sparse or palettized CONV_2D kernel to run them in place.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow_model_optimization as tfmot
import tf_keras as keras

from tpw_export.packing import packed_bytes
from tpw_tf.errors import TpwError

TFLM_NOTE = ("TFLM runs it as is with every kernel stored dense INT8 (pruned zeros and "
             "cluster values are plain int8 weights); the packed sizes need a boot-time "
             "decoder, TFLM has no sparse or palettized kernels")
# Layer types tfmot 0.8.1 prunes / clusters / quantizes here; anything else custom is refused.
_KERNEL_LAYERS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
_PRESERVE = (None, "sparsity", "clusters")


@dataclass(frozen=True)
class KernelStats:
    """One weight kernel after compression.

    Attributes:
        layer: layer name.
        shape: kernel shape, e.g. ``(1, 1, Cin, Cout)``.
        count: number of elements.
        nonzero: elements that are not exactly 0.
        distinct: distinct values (the codebook size of a clustered kernel).
    """

    layer: str
    shape: tuple[int, ...]
    count: int
    nonzero: int
    distinct: int

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nonzero / self.count


def kernel_stats(model: keras.Model) -> list[KernelStats]:
    """Statistics of every Conv2D / DepthwiseConv2D / Dense kernel, in layer order."""
    stats = []
    for layer in model.layers:
        if isinstance(layer, _KERNEL_LAYERS):
            kernel = (layer.depthwise_kernel if isinstance(layer, keras.layers.DepthwiseConv2D)
                      else layer.kernel).numpy()
            stats.append(KernelStats(layer.name, tuple(kernel.shape), int(kernel.size),
                                     int(np.count_nonzero(kernel)), int(np.unique(kernel).size)))
    return stats


def encodings(stats: KernelStats, *, bits: int = 8, codebook_bits: int = 32) -> dict[str, list]:
    """Every way to store one kernel: ``{encoding: [(part, count, bits), ...]}``.

    * ``dense``: ``count`` values of ``bits``.
    * ``sparse``: a 1-bit presence mask over all elements plus the ``nonzero`` values
      (cheaper than coordinate lists down to 1/log2(count) density).
    * ``clustered``: a ``ceil(log2(distinct))``-bit index per element plus the
      ``distinct`` centroids at ``codebook_bits`` (float32 centroids; the per-channel
      int8 scales are counted with the other quantization parameters).
    """
    index_bits = math.ceil(math.log2(max(stats.distinct, 2)))  # a 1-value kernel still needs 1 bit
    return {
        "dense": [("values", stats.count, bits)],
        "sparse": [("mask", stats.count, 1), ("values", stats.nonzero, bits)],
        "clustered": [("indices", stats.count, index_bits), ("codebook", stats.distinct,
                                                             codebook_bits)],
    }


def encoded_bytes(parts: list) -> int:
    """Eq. 4 summed over parts: ``sum(ceil(count * bits / 8))``."""
    return sum(packed_bytes(count, bits) for _, count, bits in parts)


@dataclass(frozen=True)
class Compressed:
    """A compressed plain model and what the ledger needs to count it.

    Attributes:
        model: plain ``tf_keras`` model (no tfmot wrappers), converts like any other.
        method: ``pruned`` or ``clustered``, the encoding its kernels are packed with.
        kernels: :func:`kernel_stats` of ``model``.
        tflm: what TFLM can run as is (:data:`TFLM_NOTE`).
    """

    model: keras.Model
    method: str
    kernels: list[KernelStats]
    tflm: str = TFLM_NOTE

    def components(self, *, bits: int = 8, codebook_bits: int = 32) -> list[dict]:
        """Rows ``{name, kind, count, bits}`` of every kernel, packed; the ledger turns
        them into bytes.

        Each kernel uses the method's encoding unless dense is smaller (a layer the
        tool left untouched, such as a depthwise kernel tfmot does not cluster); the
        ``kind`` names the encoding chosen, so nothing is counted smaller than stored.
        """
        method = "sparse" if self.method == "pruned" else "clustered"
        rows = []
        for stats in self.kernels:
            options = encodings(stats, bits=bits, codebook_bits=codebook_bits)
            chosen = min(("dense", method), key=lambda name: encoded_bytes(options[name]))
            rows += [dict(name=f"{stats.layer}/{part}", kind=f"{chosen}_{part}", count=count,
                          bits=part_bits) for part, count, part_bits in options[chosen]]
        return rows


def _check_plain(model: keras.Model, action: str) -> None:
    for layer in model.layers:
        module = type(layer).__module__
        if not module.startswith("tf_keras."):
            raise TpwError(f"{action}: layer '{layer.name}' is a custom {type(layer).__name__}; "
                           "bake the model to builtin layers first")


def _check_data(x: np.ndarray, y: np.ndarray, action: str) -> None:
    if len(x) == 0 or len(x) != len(y):
        raise TpwError(f"{action}: need equally many windows and labels, got {len(x)} and {len(y)}")


def _copy(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _fine_tune(model: keras.Model, x, y, *, epochs: int, batch_size: int, learning_rate: float,
               callbacks=()) -> None:
    """Fine-tune in place with cross-entropy on the model's softmax output."""
    if epochs < 1:
        raise TpwError(f"fine-tuning: epochs must be >= 1, got {epochs}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy())
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0,
              callbacks=list(callbacks))


def _plain_like(model: keras.Model, stripped: keras.Model) -> keras.Model:
    """A fresh copy of ``model``'s architecture holding ``stripped``'s weights by layer name
    (tfmot's stripped models reuse its wrapped layer objects; this one owns its weights)."""
    plain = keras.models.clone_model(model)
    for layer in plain.layers:
        layer.set_weights(stripped.get_layer(layer.name).get_weights())
    return plain


def prune(model: keras.Model, x: np.ndarray, y: np.ndarray, *, sparsity: float = 0.5,
          epochs: int = 2, batch_size: int = 32, learning_rate: float = 1e-3) -> Compressed:
    """Magnitude-prune every prunable kernel to ``sparsity`` while fine-tuning.

    Args:
        model: plain model; it is not modified.
        x, y: fine-tuning windows ``(N, 1, T, C)`` and class indices ``(N,)``.
        sparsity: fraction of each pruned kernel set to zero, in (0, 1).

    Returns:
        :class:`Compressed` with ``method="pruned"``. tfmot prunes Conv2D and Dense
        kernels; depthwise kernels stay dense (their stats show sparsity 0).
    """
    _check_plain(model, "prune")
    _check_data(x, y, "prune")
    if not 0.0 < sparsity < 1.0:
        raise TpwError(f"prune: sparsity must be in (0, 1), got {sparsity}")
    schedule = tfmot.sparsity.keras.ConstantSparsity(sparsity, begin_step=0, frequency=1)
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(_copy(model), pruning_schedule=schedule)
    _fine_tune(wrapped, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
               callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    plain = _plain_like(model, tfmot.sparsity.keras.strip_pruning(wrapped))
    return Compressed(plain, "pruned", kernel_stats(plain))


def cluster(model: keras.Model, x: np.ndarray, y: np.ndarray, *, clusters: int = 16,
            epochs: int = 1, batch_size: int = 32, learning_rate: float = 1e-4) -> Compressed:
    """Cluster every clusterable kernel to ``clusters`` shared values while fine-tuning.

    Args:
        model: plain model; it is not modified.
        x, y: fine-tuning windows ``(N, 1, T, C)`` and class indices ``(N,)``.
        clusters: centroids per kernel (>= 2); k-means++ initialisation.

    Returns:
        :class:`Compressed` with ``method="clustered"``. tfmot clusters Conv2D and
        Dense kernels; depthwise kernels keep their values (stats show it).
    """
    _check_plain(model, "cluster")
    _check_data(x, y, "cluster")
    if int(clusters) != clusters or clusters < 2:
        raise TpwError(f"cluster: clusters must be an int >= 2, got {clusters}")
    clustering = tfmot.clustering.keras
    wrapped = clustering.cluster_weights(
        _copy(model), number_of_clusters=int(clusters),
        cluster_centroids_init=clustering.CentroidInitialization.KMEANS_PLUS_PLUS)
    _fine_tune(wrapped, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
    plain = _plain_like(model, clustering.strip_clustering(wrapped))
    return Compressed(plain, "clustered", kernel_stats(plain))


def quantize_aware(model: keras.Model, x: np.ndarray, y: np.ndarray, *,
                   preserve: str | None = None, epochs: int = 1, batch_size: int = 32,
                   learning_rate: float = 1e-4) -> keras.Model:
    """QAT fine-tuning; the result goes straight to ``tpw_export.convert``.

    Args:
        model: plain model (e.g. ``Compressed.model``); it is not modified.
        x, y: fine-tuning windows and labels.
        preserve: ``None``, ``"sparsity"`` (keeps pruned zeros) or ``"clusters"`` (keeps
            the cluster structure), via tfmot's collaborative-optimization schemes.

    Returns:
        The QAT model (tfmot quantize wrappers, which the TFLite converter consumes).
    """
    _check_plain(model, "quantize_aware")
    _check_data(x, y, "quantize_aware")
    if preserve not in _PRESERVE:
        raise TpwError(f"quantize_aware: preserve must be one of {_PRESERVE}, got {preserve!r}")
    quantization = tfmot.quantization.keras
    annotated = quantization.quantize_annotate_model(_copy(model))
    combine = tfmot.experimental.combine
    scheme = {None: quantization.default_8bit.Default8BitQuantizeScheme,
              "sparsity": combine.Default8BitPrunePreserveQuantizeScheme,
              "clusters": combine.Default8BitClusterPreserveQuantizeScheme}[preserve]()
    qat = quantization.quantize_apply(annotated, scheme)
    _fine_tune(qat, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
    return qat
