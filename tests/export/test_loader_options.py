"""The loader options tpw-export and tpw-cv add for a model."""
from tpw_export.pipeline import loader_options
from tpw_tf.train.recipe import DEFAULT_MODEL


def test_an_hrv_model_gets_the_loaders_own_hrv_features():
    assert loader_options("mitdb", "hrv_featnet", {"split": "ds1-patients"}) == {
        "split": "ds1-patients", "features": "hrv"}
    assert loader_options("mitdb", "hrv_featnet", {"features": "raw"}) == {"features": "raw"}
    assert loader_options("mitdb", DEFAULT_MODEL, None) == {}
    assert loader_options("synthetic", "hrv_featnet", None) == {}  # no such option: windows are converted
