"""Audio is finite and non-empty or refused: the WAV cases of ../shared/cases (issue 10) and
more of each kind, in a copy of the Speech Commands test-set package layout; a Split never
holds NaN or Inf."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile

from tpw_tf.data import load, speech
from tpw_tf.data.base import Split
from tpw_tf.data.cli import main
from tpw_tf.errors import DataError

CLIP = "deadbeef_nohash_0.wav"


@pytest.fixture
def package(tmp_path):
    """A minimal test-set package: one valid 1 s tone per class folder."""
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(speech.RATE) / speech.RATE)
    for i, name in enumerate(speech.CLASS_NAMES):
        (tmp_path / name).mkdir()
        soundfile.write(tmp_path / name / f"{i:08x}_nohash_0.wav", tone, speech.RATE,
                        subtype="PCM_16")
    return tmp_path


def test_the_valid_package_loads_finite_features(package):
    ds = load("speech", data_dir=package, cache=False)
    assert sum(len(s) for s in ds.splits.values()) == len(speech.CLASS_NAMES)
    assert all(np.isfinite(s.x).all() for s in ds.splits.values())


@pytest.mark.parametrize("name, message", [
    ("wav-non-finite", "non-finite samples"),
    ("wav-zero-frames", r"no samples \(0 frames\)"),
])
def test_case_clip_in_yes_is_one_line_error_naming_it(case, package, capsys, name, message):
    clip = package / "yes" / CLIP
    shutil.copy(case(name) / CLIP, clip)
    with pytest.raises(DataError, match=rf"^{clip}: {message}"):
        load("speech", data_dir=package, cache=False)
    assert main(["info", "speech", "--data-dir", str(package), "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {clip}: ") and err.count("\n") == 1, err


def test_case_non_finite_clip_counts_its_nan_and_inf(case):
    with pytest.raises(DataError, match=r"non-finite samples \(1 NaN, 1 Inf of 16000\)"):
        speech.read_wav(case("wav-non-finite") / CLIP)


@pytest.mark.parametrize("kind, write, message", [
    ("out of range", lambda p: soundfile.write(p, np.full(16000, 1.5), 16000, subtype="FLOAT"),
     r"samples outside \[-1, 1\] \(peak 1\.5\)"),
    ("stereo", lambda p: soundfile.write(p, np.zeros((16000, 2)), 16000), "2 channels"),
    ("8 kHz", lambda p: soundfile.write(p, np.zeros(8000), 8000),
     "sampling rate 8000 Hz, expected 16000 Hz"),
    ("not a WAV", lambda p: p.write_bytes(b"RIFF\x00\x00"), r"unreadable WAV \("),
    ("empty float WAV", lambda p: soundfile.write(p, np.zeros(0), 16000, subtype="FLOAT"),
     r"no samples \(0 frames\)"),
])
def test_every_bad_clip_kind_is_refused_naming_it(package, kind, write, message):
    clip = package / "no" / CLIP
    write(clip)
    with pytest.raises(DataError, match=rf"^{clip}: {message}"):
        load("speech", data_dir=package, cache=False)


def test_a_split_refuses_nan_naming_the_group():
    x = np.zeros((3, 1, 4, 1), np.float32)
    x[2, 0, 1, 0] = np.inf
    with pytest.raises(DataError, match=r"1 of 3 windows hold NaN or Inf, the first "
                                        r"\(window 2\) from 'speaker-c'"):
        Split(x, np.zeros(3, np.int64), np.array(["speaker-a", "speaker-b", "speaker-c"]))
