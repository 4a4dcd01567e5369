import numpy as np
import pytest
import tf_keras as keras

import tpw_tf  # noqa: F401
from tpw_tf.models import build_model

INPUT_SHAPE = (1, 128, 1)
SMALL = dict(width=8, depth=4, stem_filters=4, d_z=3, d_h=5, hidden_units=6, rank=2, kernel_size=5,
             downsample_blocks=2)


def perturbed(model: keras.Model, seed: int = 0) -> keras.Model:
    """Give BatchNorm statistics and biases non-default values, as training would,
    so every output depends on every weight."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.8, 1.2, n), rng.normal(0, 0.1, n),
                               rng.normal(0, 0.1, n), rng.uniform(0.5, 1.5, n)])
    return model


@pytest.fixture(scope="session")
def small_config():
    return dict(SMALL)


@pytest.fixture(scope="session")
def windows():
    return np.random.default_rng(0).standard_normal((48, *INPUT_SHAPE)).astype(np.float32)


@pytest.fixture(scope="session")
def small_models():
    """One small hypertinypw per head mode."""
    models = {}
    for head in ("full", "factorized", "shared_basis"):
        keras.utils.set_random_seed(3)
        models[head] = perturbed(build_model("hypertinypw", INPUT_SHAPE, 3, head=head, **SMALL))
    return models
