"""The KD teacher's cache: trained once, keyed by what decides its weights, kept under the cache root, written whole."""
import numpy as np
import pytest
import tf_keras as keras

from tpw_tf.data.array_cache import cache_root
from tpw_tf.train import cached_teacher, predict, teacher_key, teacher_path, train
from tpw_tf.train.teacher import load_or_build

from conftest import tiny_cnn, tiny_hypertinypw, weights_of


def test_teacher_is_trained_once_and_cached(small, tmp_path, monkeypatch):
    monkeypatch.setenv("TPW_CACHE_DIR", str(tmp_path))
    config = dict(filters=(8, 16), convs_per_stage=1)
    first = cached_teacher(small, seed=0, epochs=1, progress=False, **config)
    [path] = (tmp_path / "teachers").iterdir()
    stamp = path.stat().st_mtime_ns
    second = cached_teacher(small, seed=0, epochs=1, progress=False, **config)
    assert path.stat().st_mtime_ns == stamp and len(list((tmp_path / "teachers").iterdir())) == 1
    x = small.splits["val"].x
    np.testing.assert_array_equal(predict(first, x), predict(second, x))
    assert teacher_key(small, seed=1, epochs=1, config=config) not in path.name
    assert teacher_key(small, seed=0, epochs=1, config=config) in path.name


def test_distillation_without_a_teacher_uses_the_cached_one(small, tmp_path, monkeypatch):
    monkeypatch.setenv("TPW_CACHE_DIR", str(tmp_path))
    teacher = tiny_cnn(small, seed=5, filters=10)
    path = tmp_path / "teachers" / f"{small.name}-{teacher_key(small, seed=0, epochs=1, config={})}.keras"
    path.parent.mkdir()
    teacher.save(path)
    options = dict(epochs=1, seed=0, batch_size=32, progress=False, kd_alpha=0.5, feature_weight=0.1,
                   teacher_epochs=1)
    from_cache = train(tiny_hypertinypw(small), small, **options)
    assert list(path.parent.iterdir()) == [path]  # loaded, not trained again
    alone = train(tiny_hypertinypw(small), small, **{**options, "kd_alpha": 0.0, "feature_weight": 0.0})
    assert not all(np.array_equal(a, b) for a, b in zip(weights_of(from_cache), weights_of(alone)))


@pytest.mark.parametrize("variable", [True, False])
def test_teachers_live_under_the_array_cache_root(small, tmp_path, monkeypatch, variable):
    """One rule for both caches: ``$TPW_CACHE_DIR`` (or the default) holds the arrays and ``teachers/``."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if variable:
        monkeypatch.setenv("TPW_CACHE_DIR", str(tmp_path / "cache"))
    else:
        monkeypatch.delenv("TPW_CACHE_DIR", raising=False)
    path = teacher_path(small, seed=0, epochs=1, config={})
    assert path.parent == cache_root() / "teachers"
    assert path.is_relative_to(tmp_path / ("cache" if variable else "home"))


def test_an_interrupted_save_leaves_no_teacher(small, tmp_path, monkeypatch):
    def save_half_and_stop(model, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04")  # the first bytes of a .keras zip, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", save_half_and_stop)
    path = tmp_path / "teachers" / "synthetic-0123456789abcdef.keras"
    with pytest.raises(KeyboardInterrupt):
        load_or_build(path, lambda: tiny_cnn(small))
    assert list(path.parent.iterdir()) == []
