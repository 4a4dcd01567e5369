"""Speech Commands: the shared test-set package, a full-archive layout built from it, MFCCs."""
from __future__ import annotations

import hashlib

import librosa
import numpy as np
import pytest
import soundfile

from tpw_tf.data import load, speech
from tpw_tf.errors import DataError


@pytest.fixture(scope="module")
def package(shared):
    return load("speech", data_dir=shared / "speech_commands", cache=False)


def test_package_gives_mfcc_images_of_twelve_classes(package):
    assert package.class_names == speech.CLASS_NAMES and package.num_classes == 12
    assert package.input_shape == (1, 101, 40)
    assert sum(len(s) for s in package.splits.values()) == 2426
    for split in package.splits.values():
        assert set(np.unique(split.y)) == set(range(12))
        assert split.x.dtype == np.float32 and np.isfinite(split.x).all()


def test_package_speakers_are_disjoint(package):
    groups = {name: set(s.groups.tolist()) for name, s in package.splits.items()}
    assert not groups["train"] & groups["val"]
    assert not (groups["train"] | groups["val"]) & groups["test"]
    assert "87070229" in groups["train"] | groups["val"] | groups["test"]  # an _unknown_ speaker


def test_batched_mfcc_equals_librosa_clip_by_clip(shared):
    clips = sorted((shared / "speech_commands/yes").glob("*.wav"))[:3]
    waves = np.stack([speech.read_wav(p) for p in clips])
    batched = speech.mfcc(waves)
    for wave, ours in zip(waves, batched):
        reference = librosa.feature.mfcc(y=wave, sr=16000, n_mfcc=40, n_fft=512,
                                         hop_length=160, n_mels=40).T
        # float32 matrix products block differently by batch size: last-bit differences
        # (measured up to 1.4e-5 on coefficients of magnitude up to ~500).
        np.testing.assert_allclose(ours, speech.mfcc(wave[None])[0], rtol=0, atol=1e-4)
        np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-3)


def _split_of(speaker: str) -> str:
    value = int(hashlib.md5(speaker.encode()).hexdigest(), 16) % 10
    return {0: "test", 1: "val"}.get(value, "train")


@pytest.fixture(scope="module")
def archive_dir(shared, tmp_path_factory):
    """The full-archive layout: word folders, other words, noise and the two split lists."""
    source = shared / "speech_commands"
    root = tmp_path_factory.mktemp("speech-archive")
    lists = {"val": [], "test": []}
    for path in sorted(source.glob("*/*.wav")):
        folder, name = path.parent.name, path.name
        if folder == speech.SILENCE:
            continue
        if folder == speech.UNKNOWN:  # "backward_87070229_nohash_2.wav.wav"
            folder, name = name.split("_", 1)[0], name.split("_", 1)[1][:-len(".wav")]
        if folder != speech.NOISE:
            split = _split_of(name[:8])
            if split in lists:
                lists[split].append(f"{folder}/{name}")
        (root / folder).mkdir(exist_ok=True)
        (root / folder / name).symlink_to(path)
    (root / "validation_list.txt").write_text("\n".join(lists["val"]) + "\n")
    (root / "testing_list.txt").write_text("\n".join(lists["test"]) + "\n")
    return root


def test_archive_follows_the_official_lists(archive_dir):
    ds = load("speech", data_dir=archive_dir, cache=False)
    assert ds.info["layout"] == "archive" and ds.input_shape == (1, 101, 40)
    silence = speech.CLASS_NAMES.index(speech.SILENCE)
    unknown = speech.CLASS_NAMES.index(speech.UNKNOWN)
    for name, split in ds.splits.items():
        speakers = set(split.groups[split.y != silence].tolist())
        assert {_split_of(s) for s in speakers} == {name}
        counts = np.bincount(split.y, minlength=12)
        per_word = counts[:10].sum() / 10
        assert counts[unknown] <= round(per_word) and counts[unknown] > 0
        assert counts[silence] == int(counts[:11].sum() // 12)
        assert set(split.groups[split.y == silence].tolist()) <= {
            f"{speech.NOISE}/{p.name}:{name}" for p in (archive_dir / speech.NOISE).iterdir()}


def test_silence_is_cut_from_disjoint_noise_segments(tmp_path):
    """A ramp as noise: each clip's first/last values reveal where in the file it was cut."""
    (tmp_path / speech.NOISE).mkdir()
    length = 400_000
    ramp = (np.arange(length, dtype=np.float64) + 1) / length
    soundfile.write(tmp_path / speech.NOISE / "ramp.wav", ramp.astype(np.float32), 16000,
                    subtype="FLOAT")
    cut = speech.cut_silence(tmp_path, {"train": 30, "val": 30, "test": 30}, seed=3)
    bounds = {"train": (0, 0.8), "val": (0.8, 0.9), "test": (0.9, 1.0)}
    for split, (waves, groups) in cut.items():
        assert waves.shape == (30, 16000) and set(groups) == {f"{speech.NOISE}/ramp.wav:{split}"}
        ratio = waves[:, -1].astype(np.float64) / waves[:, 0]
        start = 15_999 / (ratio - 1) - 1  # index of each clip's first sample
        lo, hi = bounds[split]
        assert (start > lo * length - 10).all() and (start + 16000 <= hi * length + 10).all()


def test_bad_wavs_are_named(tmp_path):
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(DataError, match=r"garbage\.wav: unreadable WAV"):
        speech.read_wav(garbage)
    slow = tmp_path / "8k.wav"
    soundfile.write(slow, np.zeros(8000, np.float32), 8000)
    with pytest.raises(DataError, match=r"8k\.wav: sampling rate 8000 Hz, expected 16000 Hz"):
        speech.read_wav(slow)


def test_unreadable_wav_in_a_folder_fails_the_load(shared, tmp_path):
    for name in speech.CLASS_NAMES:
        (tmp_path / name).mkdir()
        clip = next((shared / "speech_commands" / name).glob("*.wav"))
        (tmp_path / name / clip.name).symlink_to(clip)
    (tmp_path / "yes" / "0badbeef_nohash_0.wav").write_bytes(b"\0" * 100)
    with pytest.raises(DataError, match=r"yes/0badbeef_nohash_0\.wav: unreadable WAV"):
        load("speech", data_dir=tmp_path, cache=False)


def test_a_folder_of_neither_layout_is_named(tmp_path):
    with pytest.raises(DataError, match="neither a Speech Commands archive"):
        load("speech", data_dir=tmp_path)
