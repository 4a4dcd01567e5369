"""Building blocks shared by the zoo, all on ``(batch, 1, T, C)`` tensors."""
from __future__ import annotations

import tf_keras as keras
from tf_keras import layers


def conv_bn_relu(x, filters: int, kernel: int, *, stride: int = 1, name: str):
    """A ``(1, kernel)`` convolution, BatchNorm (folded at export) and ReLU."""
    x = layers.Conv2D(filters, (1, kernel), strides=(1, stride), padding="same",
                      use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def depthwise_bn_relu(x, kernel: int, *, stride: int = 1, name: str):
    """The depthwise half of a separable block: ``(1, kernel)`` DW conv, BN, ReLU."""
    # He init over the kernel's own taps: Keras' default counts every channel in
    # the fan-in of a depthwise kernel, which shrinks activations ~10x per block
    # and leaves an untrained deep model with constant logits.
    x = layers.DepthwiseConv2D((1, kernel), strides=(1, stride), padding="same", use_bias=False,
                               depthwise_initializer=keras.initializers.RandomNormal(
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
    """Global average pooling over time, optional dropout, dense softmax."""
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(num_classes, activation="softmax", name="classifier")(x)
