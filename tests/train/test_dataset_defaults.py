"""Each dataset's training defaults under the command line's options (tpw_tf.train.recipe)."""
import pytest

from tpw_tf.errors import TpwError
from tpw_tf.train.recipe import (DATASET_DEFAULTS, DEFAULT_MODEL, Recipe, dataset_model_config,
                                 dataset_recipe, defaults_for)


def test_every_default_is_a_valid_recipe_for_a_known_dataset():
    from tpw_tf.data import names
    from tpw_tf.models import check_config_keys

    for dataset, defaults in DATASET_DEFAULTS.items():
        assert dataset in names()
        Recipe.from_options(**defaults.train)
        check_config_keys(DEFAULT_MODEL, defaults.model)
        assert isinstance(defaults.epochs, int) and defaults.epochs >= 1


def test_options_go_over_the_dataset_defaults():
    assert dataset_recipe("speech") == {"augment": True}
    assert dataset_recipe("speech", augment=False, learning_rate=0.005) == {"augment": False, "learning_rate": 0.005}
    assert dataset_recipe("synthetic") == {} and defaults_for("synthetic").epochs == 10
    assert defaults_for("speech").epochs == 30


def test_model_defaults_apply_to_the_default_model_only():
    assert dataset_model_config("speech", DEFAULT_MODEL, {"d_h": 4}) == {"width": 64, "d_h": 4}
    assert dataset_model_config("speech", DEFAULT_MODEL, {"width": 16}) == {"width": 16}
    assert dataset_model_config("speech", "tiny_separable_cnn", None) == {}


def test_a_bad_option_is_refused_naming_it():
    with pytest.raises(TpwError, match="unknown training option 'augmented'"):
        dataset_recipe("ptbxl", augmented=True)

