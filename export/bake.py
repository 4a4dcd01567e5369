"""Bake: evaluate the generator once and return a plain separable CNN.

The generator-side parameters (generator MLP, heads, codes, per-channel
scales) are first *packed* as they would be stored on the device: each tensor
quantized symmetrically to ``bits`` with one float32 scale. The kernels are
then synthesized from the packed values and written into ordinary 1x1 Conv2D
layers, so the exported file computes exactly what the packed generator model
computes, and its accuracy is the packed model's accuracy.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from tpw_export.packing import PACKING_BITS, fake_quantize
from tpw_tf.errors import ExportError
from tpw_tf.layers import GeneratedPointwise, LayerCode

def generated_layers(model: keras.Model) -> list[GeneratedPointwise]:
    return [layer for layer in model.layers if isinstance(layer, GeneratedPointwise)]


def _latent_tensor(layer: GeneratedPointwise):
    """The latent ``u`` a generated layer is called on (each is called once)."""
    return layer.inbound_nodes[0].input_tensors[1]


def generator_side_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Layers that exist only to make kernels: every layer on the paths from
    the ``LayerCode``s to the latent inputs of the ``GeneratedPointwise``s."""
    found: dict[str, keras.layers.Layer] = {}
    stack = [_latent_tensor(layer) for layer in generated_layers(model)]
    while stack:
        producer, node_index, _ = stack.pop()._keras_history
        found[producer.name] = producer
        if not isinstance(producer, LayerCode):
            stack.extend(tf.nest.flatten(producer.inbound_nodes[node_index].input_tensors))
    return list(found.values())


def packed_weights(layer: keras.layers.Layer) -> list:
    """The weights of a generator-side or generated layer that the device
    stores packed; a generated layer's bias becomes the baked conv's bias."""
    if isinstance(layer, GeneratedPointwise):
        return [w for w in layer.weights if w is not getattr(layer, "bias", None)]
    return list(layer.weights)


def pack(model: keras.Model, *, bits: int = 8) -> keras.Model:
    """A copy of ``model`` whose generator-side parameters are packed to ``bits``."""
    if bits not in PACKING_BITS:
        raise ExportError(f"bits must be one of {PACKING_BITS}, got {bits}")
    packed = keras.models.clone_model(model)
    packed.set_weights(model.get_weights())
    for layer in generator_side_layers(packed) + generated_layers(packed):
        for weight in packed_weights(layer):
            weight.assign(fake_quantize(weight.numpy(), bits))
    return packed


def expanded_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Layers whose kernel is not stored as it is used: generated ones, and any
    layer that offers ``baked_kernel()`` (a ternary pointwise, for example)."""
    return [layer for layer in model.layers
            if isinstance(layer, GeneratedPointwise) or hasattr(layer, "baked_kernel")]


def baked_kernels(model: keras.Model) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """``{layer name: ((1, 1, Cin, Cout) kernel, bias or None)}`` for every expanded layer.

    Generated kernels are evaluated once, from the generator as it stands.
    """
    kernels = {layer.name: layer.baked_kernel() for layer in expanded_layers(model)
               if not isinstance(layer, GeneratedPointwise)}
    layers = generated_layers(model)
    if layers:
        latents = keras.Model(model.inputs, [_latent_tensor(layer) for layer in layers])
        # The latents are functions of the codes only; the input's values are never read.
        outputs = latents(np.zeros((1, *model.input_shape[1:]), np.float32))
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for layer, u in zip(layers, outputs):
            bias = layer.bias.numpy() if layer.use_bias else None
            kernels[layer.name] = (layer.synthesize(u).numpy()[None, None], bias)
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


def bake(model: keras.Model, *, bits: int = 8) -> keras.Model:
    """Return a plain separable CNN equal to ``model`` packed at ``bits``.

    Args:
        model: a functional ``tf_keras`` model, with or without ``GeneratedPointwise`` layers.
        bits: storage precision of generator, heads, codes and scales (4, 6 or 8).

    Returns:
        A new model of builtin Keras layers only; its float outputs equal
        ``pack(model, bits=bits)``'s to within float rounding.
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
