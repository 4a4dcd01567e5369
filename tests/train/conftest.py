"""Shared fixtures: a small synthetic dataset and tiny models, so every test trains in seconds."""
import pytest

import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras as keras

from tpw_tf import data
from tpw_tf.models import build_model
from tpw_tf.train import seed_everything

TINY_HYPERTINYPW = dict(width=8, depth=3, d_z=4, d_h=4, hidden_units=8, stem_filters=8,
                        head="factorized", rank=2)


@pytest.fixture(scope="session")
def small():
    """Synthetic data with 6 windows per subject: 144 train, 36 val, 36 test windows."""
    return data.load("synthetic", per_subject=6)


def tiny_hypertinypw(dataset, seed=0, **overrides):
    seed_everything(seed)
    return build_model("hypertinypw", dataset.input_shape, dataset.num_classes,
                       **{**TINY_HYPERTINYPW, **overrides})


def tiny_cnn(dataset, seed=0, filters=6):
    """Two strided convolutions, no BatchNorm, pooled features in a layer named 'gap'."""
    seed_everything(seed)
    inputs = keras.Input(dataset.input_shape)
    x = keras.layers.Conv2D(filters, (1, 9), strides=(1, 4), activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(filters, (1, 9), strides=(1, 4), activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(dataset.num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs)


def weights_of(model):
    """Every weight of ``model`` as a numpy array, in ``model.weights`` order."""
    return [w.numpy() for w in model.weights]
