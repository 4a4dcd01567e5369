"""Bake: evaluate the generator once and return a plain separable CNN.

The generator-side parameters (generator MLP, heads, codes, per-channel
scales: every ``StoredPart`` a layer declares with ``bits=None``) are first
*packed* as they would be stored on the device: each tensor quantized
symmetrically to ``bits`` with one float32 scale. The kernels are
then synthesized from the packed values and written into ordinary 1x1 Conv2D
layers, so the exported file computes exactly what the packed generator model
computes, and its accuracy is the packed model's accuracy.
"""
from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_export.errors import ExportError
from tpw_export.packing import PACKING_BITS, fake_quantize
from tpw_tf.layers import ExpandsToKernel, LayerCode, StoresParts


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


def baked_kernels(model: keras.Model) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """``{layer name: ((1, 1, Cin, Cout) kernel, bias or None)}`` for every expanding layer.

    Kernel inputs (generated latents) are evaluated once, from the generator as it stands.
    """
    layers = expanded_layers(model)
    inputs = [_kernel_inputs(layer) for layer in layers]
    flat = [tensor for tensors in inputs for tensor in tensors]
    values = []
    if flat:
        # Kernel inputs are functions of the codes only; the input's values are never read.
        values = keras.Model(model.inputs, flat)(np.zeros((1, *model.input_shape[1:]), np.float32))
        values = values if isinstance(values, (list, tuple)) else [values]
    values = iter(values)
    return {layer.name: layer.baked_kernel(*itertools.islice(values, len(tensors)))
            for layer, tensors in zip(layers, inputs)}


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


def bake(model: keras.Model, *, bits: int = 8) -> keras.Model:
    """Return a plain separable CNN equal to ``model`` packed at ``bits``.

    Args:
        model: a functional ``tf_keras`` model, with or without layers that expand to a
            kernel (``tpw_tf.layers.ExpandsToKernel``).
        bits: storage precision of generator, heads, codes and scales (4, 6 or 8).

    Returns:
        A new model of builtin Keras layers only; its float outputs equal
        ``pack(model, bits=bits)``'s to within float rounding.

    Raises:
        ExportError: ``bits`` is not one of ``PACKING_BITS``; a layer that makes a kernel
            does not state what it stores; a kept layer reads a generator-side one.
    """
    packed = pack(model, bits=bits)
    kernels = baked_kernels(packed)
    plain = keras.Model.from_config(_plain_config(packed, kernels))
    for layer in plain.layers:
        if layer.name in kernels:
            kernel, bias = kernels[layer.name]
            layer.set_weights([kernel] + ([] if bias is None else [bias]))
        else:
            layer.set_weights(packed.get_layer(layer.name).get_weights())
    return plain
