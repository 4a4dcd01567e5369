"""Seeded random single-op cases for the runtime parity tests.

Each case is a tiny float Keras graph from its own inputs to one output, so
many cases share one model (parallel branches) and one converter call. The
parameters cover shapes, strides, paddings, dilations, fused activations,
broadcasting and, through each input's calibration amplitude, the
quantization scales and zero points the converter picks. `dynamic_batch_cases`
draws cases for models converted with a None batch, where a dilated
convolution becomes SPACE_TO_BATCH_ND -> conv -> BATCH_TO_SPACE_ND whose
batched tensors store the batch-1 shape, and a Reshape computes its target's
batch with SHAPE -> STRIDED_SLICE -> PACK.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import tensorflow as tf
import tf_keras as keras
from tf_keras import layers


@dataclass
class Case:
    name: str                          # op family and parameters, for failure messages
    input_shapes: list[tuple[int, ...]]  # without the batch dim
    build: Callable                    # keras tensors -> keras tensor
    amplitudes: list[float] = field(default_factory=list)  # calibration std per input
    offsets: list[float] = field(default_factory=list)     # calibration mean per input
    space_batch: bool = False  # goes through SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND with a dynamic batch


def _spatial(rng, *, max_h=4, max_w=16, max_c=5):
    return int(rng.choice([1, 1, 2, max_h])), int(rng.integers(3, max_w + 1)), int(rng.integers(1, max_c + 1))


def _window(rng, h, w, padding, dilation=(1, 1)):
    """Kernel (kh, kw) that fits the input for VALID padding."""
    kh = int(rng.integers(1, 4))
    kw = int(rng.integers(1, 6))
    if padding == "valid":
        kh = min(kh, (h - 1) // dilation[0] + 1)
        kw = min(kw, (w - 1) // dilation[1] + 1)
    return kh, kw


def _strides_dilation(rng):
    if rng.random() < 0.4:
        return (1, 1), (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    return (int(rng.integers(1, 3)), int(rng.integers(1, 4))), (1, 1)


def _activation(rng, choices=(None, "relu", "relu6")):
    return choices[int(rng.integers(0, len(choices)))]


def _dilation(rng):
    """A dilation above 1 in at least one spatial dimension."""
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    return dilation if dilation != (1, 1) else (1, 2)


def _conv_geometry(rng, *, dilation: str = "random") -> dict:
    """Random input shape, window, strides/dilation, padding and activation of a convolution.

    ``dilation``: "random" (strides or dilation), "always" (stride 1, dilated)
    or "never" (strides only). A dilated conv with a dynamic batch leaves its
    activation unfused after BATCH_TO_SPACE_ND with its own quantization;
    TFLM's RELU6 (and ours) clamps without rescaling there while tf.lite's
    reference, the oracle of those cases, rescales, so "always" draws no relu6.
    """
    h, w, c = _spatial(rng)
    padding = str(rng.choice(["same", "valid"]))
    act_choices = (None, "relu") if dilation == "always" else (None, "relu", "relu6")
    if dilation == "always":
        strides, dilations = (1, 1), _dilation(rng)
    elif dilation == "never":
        strides, dilations = (int(rng.integers(1, 3)), int(rng.integers(1, 4))), (1, 1)
    else:
        strides, dilations = _strides_dilation(rng)
    return dict(shape=(h, w, c), padding=padding, strides=strides, dilation=dilations,
                kernel=_window(rng, h, w, padding, dilations), act=_activation(rng, act_choices),
                bias=bool(rng.random() < 0.7), std=float(rng.uniform(0.1, 1.5)))


def _describe(kind: str, g: dict, extra: str) -> str:
    return (f"{kind} {'x'.join(map(str, g['shape']))} k{g['kernel']} s{g['strides']} d{g['dilation']} "
            f"{g['padding']} {extra} {g['act']} bias={g['bias']}")


def conv(rng, *, dilation: str = "random"):
    g, filters = _conv_geometry(rng, dilation=dilation), int(rng.integers(1, 7))
    return Case(_describe("conv", g, f"f{filters}"), [g["shape"]], lambda x: layers.Conv2D(
        filters, g["kernel"], strides=g["strides"], dilation_rate=g["dilation"], padding=g["padding"],
        activation=g["act"], use_bias=g["bias"], kernel_initializer=keras.initializers.RandomNormal(0, g["std"]),
        bias_initializer=keras.initializers.RandomNormal(0, 0.5))(x[0]), space_batch=g["dilation"] != (1, 1))


def depthwise(rng, *, dilation: str = "random", multipliers: tuple[int, int] = (1, 4)):
    g, multiplier = _conv_geometry(rng, dilation=dilation), int(rng.integers(*multipliers))
    return Case(_describe("depthwise", g, f"m{multiplier}"), [g["shape"]], lambda x: layers.DepthwiseConv2D(
        g["kernel"], strides=g["strides"], dilation_rate=g["dilation"], padding=g["padding"],
        depth_multiplier=multiplier, activation=g["act"], use_bias=g["bias"],
        depthwise_initializer=keras.initializers.RandomNormal(0, g["std"]),
        bias_initializer=keras.initializers.RandomNormal(0, 0.5))(x[0]), space_batch=g["dilation"] != (1, 1))


def dilated_conv(rng):
    return conv(rng, dilation="always")


def dilated_depthwise(rng):
    """Dilated, with a depth multiplier above 1."""
    return depthwise(rng, dilation="always", multipliers=(2, 4))


def strided_conv(rng):
    return conv(rng, dilation="never")


def strided_depthwise(rng):
    return depthwise(rng, dilation="never")


def dense(rng):
    units, act = int(rng.integers(1, 11)), _activation(rng)
    if rng.random() < 0.5:
        shape = (int(rng.integers(1, 41)),)
        return Case(f"dense {shape} u{units} {act}", [shape], lambda x: layers.Dense(units, activation=act)(x[0]))
    shape = _spatial(rng, max_w=8)
    return Case(f"flatten-dense {shape} u{units} {act}", [shape],
                lambda x: layers.Dense(units, activation=act)(layers.Flatten()(x[0])))


def pool(rng):
    h, w, c = _spatial(rng)
    padding = str(rng.choice(["same", "valid"]))
    size = _window(rng, h, w, padding)
    strides = (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    kind = str(rng.choice(["avg", "max"]))
    layer = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return Case(f"{kind}pool {h}x{w}x{c} p{size} s{strides} {padding}", [(h, w, c)],
                lambda x: layer(size, strides=strides, padding=padding)(x[0]))


def mean(rng):
    h, w, c = _spatial(rng)
    axes = [[1, 2], [1], [2], [3], [2, 3]][int(rng.integers(0, 5))]
    keepdims = bool(rng.random() < 0.5)
    return Case(f"mean {h}x{w}x{c} axes{axes} keepdims={keepdims}", [(h, w, c)],
                lambda x: layers.Lambda(lambda t: tf.reduce_mean(t, axis=axes, keepdims=keepdims))(x[0]))


def _broadcast_pair(rng):
    h, w, c = _spatial(rng)
    second = [(h, w, c), (1, 1, c), (h, w, 1), (1, w, c)][int(rng.integers(0, 4))]
    return (h, w, c), second


def add(rng):
    first, second = _broadcast_pair(rng)
    relu = bool(rng.random() < 0.3)
    def build(x):
        y = layers.Lambda(lambda t: t[0] + t[1])(x)
        return layers.ReLU()(y) if relu else y
    return Case(f"add {first}+{second} relu={relu}", [first, second], build)


def mul(rng):
    first, second = _broadcast_pair(rng)
    return Case(f"mul {first}*{second}", [first, second], lambda x: layers.Lambda(lambda t: t[0] * t[1])(x))


def softmax(rng):
    shape = (int(rng.integers(1, 3)), int(rng.integers(2, 12)))
    return Case(f"softmax {shape}", [shape], lambda x: layers.Softmax()(x[0]))


def logistic(rng):
    shape = _spatial(rng)
    return Case(f"logistic {shape}", [shape], lambda x: layers.Activation("sigmoid")(x[0]))


def relu(rng):
    shape = _spatial(rng)
    six = bool(rng.random() < 0.5)
    return Case(f"relu{'6' if six else ''} {shape}", [shape],
                lambda x: layers.ReLU(max_value=6.0 if six else None)(x[0]))


def pad(rng):
    shape = _spatial(rng)
    pads = ((int(rng.integers(0, 3)), int(rng.integers(0, 3))), (int(rng.integers(0, 4)), int(rng.integers(0, 4))))
    return Case(f"pad {shape} {pads}", [shape], lambda x: layers.ZeroPadding2D(pads)(x[0]))


def concat(rng):
    h, w, c = _spatial(rng)
    axis = int(rng.choice([2, 3]))
    count = int(rng.integers(2, 4))
    shapes = [(h, int(rng.integers(1, 9)), c) if axis == 2 else (h, w, int(rng.integers(1, 5))) for _ in range(count)]
    return Case(f"concat axis{axis} {shapes}", shapes, lambda x: layers.Concatenate(axis=axis)(x))


def reshape(rng):
    h, w, c = _spatial(rng)
    target = [(h * w, c), (1, h * w * c), (w, h, c)][int(rng.integers(0, 3))]
    return Case(f"reshape {(h, w, c)}->{target}", [(h, w, c)],
                lambda x: layers.ReLU()(layers.Reshape(target)(layers.ReLU()(x[0]))))


def space_batch(rng):
    """SPACE_TO_BATCH_ND -> RELU -> BATCH_TO_SPACE_ND (the pair dilated convs become)."""
    h, w, c = _spatial(rng)
    block = [int(rng.integers(1, 3)), int(rng.integers(1, 4))]
    pads = []
    for extent, b in zip((h, w), block):
        before = int(rng.integers(0, 3))
        after = (-(extent + before)) % b + b * int(rng.integers(0, 2))
        pads.append([before, after])
    crops = [[p[0], p[1]] for p in pads]
    def build(x):
        y = layers.Lambda(lambda t: tf.space_to_batch_nd(t, block, pads))(x[0])
        y = layers.ReLU()(y)
        return layers.Lambda(lambda t: tf.batch_to_space(t, block, crops))(y)
    return Case(f"space/batch {(h, w, c)} block{block} pads{pads}", [(h, w, c)], build, space_batch=True)


def dynamic_reshape(rng):
    """Reshape or Flatten under a None batch: Reshape's target batch becomes SHAPE ->
    STRIDED_SLICE -> PACK feeding RESHAPE's shape input. (A -1 target is
    test_shape_ops.py's: TFLM refuses a model that has one.)"""
    h, w, c = _spatial(rng)
    target = [(h * w, c), (1, h * w * c), (w, h, c), None][int(rng.integers(0, 4))]
    layer = layers.Flatten if target is None else (lambda: layers.Reshape(target))
    return Case(f"reshape {(h, w, c)}->{target or 'flat'}", [(h, w, c)],
                lambda x: layers.ReLU()(layer()(layers.ReLU()(x[0]))))


def _axis_slice(rng, extent: int):
    """A Python index along an axis of `extent`: a non-empty slice, negative indices and
    steps included, or (shrinking the axis) one integer index."""
    if rng.random() < 0.15:
        return int(rng.integers(-extent, extent))
    while True:
        step = int(rng.choice([1, 1, 2, 3, -1, -2]))
        start = None if rng.random() < 0.3 else int(rng.integers(-extent, extent))
        stop = None if rng.random() < 0.3 else int(rng.integers(-extent - 1, extent + 1))
        if len(range(extent)[slice(start, stop, step)]) > 0:
            return slice(start, stop, step)


def strided_slice(rng):
    """int8 data through STRIDED_SLICE: masks, negative indices and steps, shrunk axes."""
    shape = _spatial(rng)
    index = tuple(_axis_slice(rng, extent) for extent in shape)
    if all(isinstance(i, int) for i in index):
        index = (slice(None),) + index[1:]
    text = ",".join(str(i) if isinstance(i, int) else f"{i.start}:{i.stop}:{i.step}" for i in index)
    return Case(f"strided_slice {shape}[{text}]", [shape],
                lambda x: layers.Lambda(lambda t: t[(slice(None),) + index])(x[0]))


def kernel_variant(rng):
    """A height-1 conv or depthwise conv shaped for the runtime's interior-row variants:
    1x1 and short 1xK runs widened in pairs of windows (conv_1xk_s8_wide_2x2) with odd
    channel counts and run tails, depthwise (1, K) with depth multiplier 1 over 4-channel
    groups and tiles of outputs (depthwise_1xk_s8_pairs; rows up to 140 span two tiles
    of 80 outputs at stride 1, of 40 at stride 2), and what they leave to
    conv_nxk_s8_generic (K = 9, fewer than 4 channels, a multiplier of 2). Weight scales up
    to 1.5 give layers whose multipliers FastRequant covers and layers that fall back to
    TFLM's formula. (1xK runs longer than the widened ones are in variant_shape_cases.)"""
    w = int(rng.integers(6, 21)) if rng.random() < 0.7 else int(rng.integers(60, 141))
    c = int(rng.integers(2, 14))
    kw, stride = int(rng.choice([1, 1, 3, 5, 7, 9])), int(rng.choice([1, 1, 2]))
    padding, act = str(rng.choice(["same", "valid"])), _activation(rng)
    kw = min(kw, w) if padding == "valid" else kw
    init = keras.initializers.RandomNormal(0, float(rng.uniform(0.1, 1.5)))
    bias_init = keras.initializers.RandomNormal(0, 0.5)
    if rng.random() < 0.5:
        filters = int(rng.integers(1, 12))
        return Case(f"conv variant 1x{w}x{c} k(1,{kw}) s{stride} {padding} f{filters} {act}", [(1, w, c)],
                    lambda x: layers.Conv2D(filters, (1, kw), strides=stride, padding=padding, activation=act,
                                            kernel_initializer=init, bias_initializer=bias_init)(x[0]))
    multiplier = int(rng.choice([1, 1, 2]))
    return Case(f"depthwise variant 1x{w}x{c} k(1,{kw}) s{stride} {padding} m{multiplier} {act}", [(1, w, c)],
                lambda x: layers.DepthwiseConv2D((1, kw), strides=stride, padding=padding,
                                                 depth_multiplier=multiplier, activation=act,
                                                 depthwise_initializer=init, bias_initializer=bias_init)(x[0]))


def variant_shape_cases() -> list[Case]:
    """Fixed shapes of the interior-row variants: depthwise (1, K) for K = 3, 5, 7, 9,
    stride 1 and 2, same and valid padding, rows not a multiple of 4 and longer than a
    tile (80 outputs at stride 1, 40 at stride 2), 4, 5, 11 and 70 channels; pointwise
    with input channels that leave a partial group (70, 13, 5), odd output channels and
    odd output counts, and a single output channel; 1xK convs on one input channel, with
    short (widened) and long (in place) runs."""
    rng = np.random.default_rng(15)
    cases = []
    for i, (kw, stride, padding) in enumerate(
            (k, s, p) for k in (3, 5, 7, 9) for s in (1, 2) for p in ("same", "valid")):
        w, c = (67, 130, 9, 33)[i % 4], (70, 5, 11, 4)[i // 4 % 4]
        act = (None, "relu")[i % 2]
        cases.append(Case(f"depthwise shape 1x{w}x{c} k(1,{kw}) s{stride} {padding} {act}", [(1, w, c)],
                          lambda x, kw=kw, stride=stride, padding=padding, act=act: layers.DepthwiseConv2D(
                              (1, kw), strides=stride, padding=padding, activation=act,
                              bias_initializer=keras.initializers.RandomNormal(0, 0.5))(x[0])))
    for w, cin, cout in ((67, 70, 70), (9, 13, 5), (33, 5, 3), (10, 16, 1), (1, 70, 5)):
        cases.append(Case(f"pointwise shape 1x{w}x{cin} -> {cout}", [(1, w, cin)],
                          lambda x, cout=cout: layers.Conv2D(cout, 1, activation="relu")(x[0])))
    # 1xK convs: one input channel (conv_1xk_s8_c1_pairs; K = 9 widened), runs of 112 and 448
    # values (widened), 528 and 549 (conv_1xk_s8_2x2, in place).
    for w, cin, cout, kw, stride, padding in (
            (90, 1, 16, 7, 2, "same"), (33, 1, 3, 3, 1, "valid"), (70, 1, 5, 5, 1, "same"), (21, 1, 4, 9, 2, "same"),
            (45, 16, 16, 7, 1, "same"), (30, 64, 6, 7, 1, "valid"), (20, 48, 6, 11, 1, "same"),
            (25, 61, 5, 9, 2, "same")):
        cases.append(Case(f"conv shape 1x{w}x{cin} k(1,{kw}) s{stride} {padding} -> {cout}", [(1, w, cin)],
                          lambda x, cout=cout, kw=kw, stride=stride, padding=padding: layers.Conv2D(
                              cout, (1, kw), strides=stride, padding=padding, activation="relu")(x[0])))
    for case in cases:
        case.amplitudes = [float(rng.choice([0.5, 1.0, 3.0]))]
        case.offsets = [float(rng.choice([0.0, 1.0, -0.5])) * case.amplitudes[0]]
    return cases


GENERATORS = [conv, depthwise, dense, pool, mean, add, mul, softmax, logistic, relu, pad, concat, reshape,
              space_batch, conv, depthwise, kernel_variant, kernel_variant]


DYNAMIC_BATCH_GENERATORS = [dilated_conv, dilated_depthwise, strided_conv, strided_depthwise, dense, pool, mean, add, mul,
                            softmax, logistic, relu, pad, concat, space_batch, dynamic_reshape, strided_slice,
                            dilated_conv, dilated_depthwise]


def random_cases(seed: int, count: int, generators=GENERATORS) -> list[Case]:
    """`count` cases cycling through every op family, with seeded parameters."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        case = generators[(seed * 7 + i) % len(generators)](rng)
        case.amplitudes = [float(rng.choice([0.05, 0.5, 1.0, 3.0])) for _ in case.input_shapes]
        case.offsets = [float(rng.choice([0.0, 0.0, 1.0, -0.5])) * a for a in case.amplitudes]
        cases.append(case)
    return cases


def dynamic_batch_cases(seed: int, count: int) -> list[Case]:
    """Cases for a model converted with a None batch: dilations, depth multipliers, every op family."""
    return random_cases(seed, count, DYNAMIC_BATCH_GENERATORS)
