"""Building blocks shared by the zoo, all on ``(batch, 1, T, C)`` tensors."""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers


def along_time(step: int) -> tuple[int, int]:
    """A 2-D stride or pooling step of ``step`` samples along time on a ``(1, T, C)`` map.

    The row step is set equal to the time step, not 1: the map has one row, so the row
    step changes no output (a height-1 window gives one output row with either padding,
    and no row padding), while TensorFlow's Eigen kernels, which run wherever oneDNN is
    off (e.g. AVX2-only CPUs), reject a DepthwiseConv2D whose row and column strides
    differ. Every strided or pooling layer of the zoo goes through here.
    """
    return (step, step)


def global_time_pool(x, *, name: str = "pool"):
    """``(batch, 1, T, C)`` -> ``(batch, 1, 1, C)``: one AVERAGE_POOL_2D over all of time."""
    return layers.AveragePooling2D((1, x.shape[2]), strides=along_time(x.shape[2]),
                                   name=name)(x)


def conv_bn_relu(x, filters: int, kernel: int, *, stride: int = 1, name: str):
    """A ``(1, kernel)`` convolution, BatchNorm (folded at export) and ReLU."""
    x = layers.Conv2D(filters, (1, kernel), strides=along_time(stride),
                      padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def depthwise_bn_relu(x, kernel: int, *, stride: int = 1, name: str):
    """The depthwise half of a separable block: ``(1, kernel)`` DW conv, BN, ReLU."""
    # He init over the kernel's own taps: Keras' default counts every channel in
    # the fan-in of a depthwise kernel, which shrinks activations ~10x per block
    # and leaves an untrained deep model with constant logits.
    x = layers.DepthwiseConv2D((1, kernel), strides=along_time(stride), padding="same",
                               use_bias=False, depthwise_initializer=keras.initializers.RandomNormal(
                                   stddev=(2.0 / kernel) ** 0.5),
                               name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    return layers.ReLU(name=f"{name}_dw_relu")(x)


def pointwise_bn_relu(x, pointwise: keras.layers.Layer, *, name: str):
    """The pointwise half: any 1x1 mixer (stored Conv2D or generated), BN, ReLU."""
    x = pointwise(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(name=f"{name}_pw_relu")(x)


def classifier_head(x, num_classes: int, *, dropout: float = 0.0):
    """Average pooling over all of time (features in layer ``gap``, ``(batch, C)``),
    optional dropout, a linear classifier and softmax.

    Both halves are chosen so tf.lite computes the int8 result exactly as TFLM
    does (parity is checked on every export): the pooling is one
    AVERAGE_POOL_2D rather than MEAN, and the classifier a 1x1 CONV_2D rather
    than FULLY_CONNECTED. tf.lite's MEAN and FULLY_CONNECTED kernels round the
    requantization differently from TFLM's and can differ by one LSB.
    """
    x = global_time_pool(x)
    x = layers.Reshape((x.shape[-1],), name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return linear_softmax(x, num_classes)


def linear_softmax(features, num_classes: int, *, name: str = "classifier"):
    """Softmax of a linear map of ``(batch, C)`` features, as a 1x1 CONV_2D (see above)."""
    x = layers.Reshape((1, 1, features.shape[-1]), name=f"{name}_to_map")(features)
    x = layers.Conv2D(num_classes, 1, name=name)(x)
    x = layers.Reshape((num_classes,), name=f"{name}_logits")(x)
    return layers.Softmax(name=f"{name}_softmax")(x)
