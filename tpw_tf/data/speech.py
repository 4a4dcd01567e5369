"""Speech Commands v0.02: 12-class keyword spotting on 1 s, 16 kHz clips as MFCCs.

Classes: ten words, ``_unknown_`` (any other word) and ``_silence_``. Each clip
(zero-padded to 1 s) becomes 40 MFCCs x 101 frames (32 ms frames of a 512-point
FFT every 10 ms, 40 mel bands), laid out as x ``(N, 1, 101, 40)``:
T = frames, C = coefficients. Two folder layouts are read:

* the full archive (``testing_list.txt`` present): the official
  ``validation_list.txt`` / ``testing_list.txt`` split; words outside the ten are
  ``_unknown_``, subsampled per split to the mean word-class count (a stable
  hash picks them); ``_silence_`` clips are cut from ``_background_noise_``
  with each noise file's first 80 % / next 10 % / last 10 % reserved for
  train / val / test, so no noise sample is in two splits;
* the test-set package (``_silence_/`` and ``_unknown_/`` folders present):
  clips are split 80 / 10 / 10 by a stable hash of the speaker id (the 8-hex
  prefix before ``_nohash_``); a silence clip is its own group.

Groups are speaker ids (silence: the noise file and split, or the clip name).

Every clip and noise file is checked before features (:func:`read_wav`): an
unreadable, empty, non-finite or out-of-range file, or one of the wrong rate or
channel count, ends the load with a DataError naming it (``error: <path>: ...``
on a command line); no clip is skipped silently.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import librosa
import numpy as np
import soundfile

from tpw_tf.data import windows
from tpw_tf.data.base import SPLITS, Dataset, Split
from tpw_tf.data.fetch import ArchiveSource, locate
from tpw_tf.data.loading import cached_or_built
from tpw_tf.data.options import check_choice, flag, integer, optional_text
from tpw_tf.errors import DataError, first_line

WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
UNKNOWN, SILENCE = "_unknown_", "_silence_"
CLASS_NAMES = WORDS + (UNKNOWN, SILENCE)
NOISE = "_background_noise_"
RATE = 16000
N_MFCC, N_MELS, N_FFT, HOP = 40, 40, 512, 160
FRAMES = 1 + RATE // HOP  # 101 with centred frames
SPLIT_PERCENT = {"train": 80, "val": 10, "test": 10}
# Published sizes and SHA-256 of the archives (tensorflow_datasets url_checksums).
ARCHIVES = {
    "full": ArchiveSource(
        "speech_commands_v0.02",
        "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"),
    "test": ArchiveSource(
        "speech_commands_test_set_v0.02",
        "http://download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz",
        "cc2a00c1147c2254e9be3fa0f779d8c17421dc349b86366567a8edfa9acd51df"),
}
_SPEAKER = re.compile(r"([0-9a-f]{8})_nohash_", re.IGNORECASE)
_MFCC_BATCH = 256  # clips per librosa call: bounds the STFT's memory


def source(archive: str = "full") -> ArchiveSource:
    check_choice("speech", "archive", archive, ARCHIVES)
    return ARCHIVES[archive]


def read_wav(path: Path, length: int | None = RATE) -> np.ndarray:
    """Mono 16 kHz samples of ``path`` as float32, zero-padded / cut to ``length`` (None: all).

    Every clip is checked before it becomes features, and a bad one is refused
    (never skipped: a silently smaller dataset hides the fault). Raises
    DataError ``<path>: ...`` when the file is unreadable (any soundfile /
    libsndfile error), its rate is not 16 kHz, it is not mono, it has no
    frames, or a sample is NaN, Inf or outside [-1, 1] (float WAVs can store
    any value; PCM reads into [-1, 1)).
    """
    try:
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises LibsndfileError / RuntimeError / OSError
        raise DataError(f"{path}: unreadable WAV ({first_line(error)})") from None
    if rate != RATE:
        raise DataError(f"{path}: sampling rate {rate} Hz, expected {RATE} Hz")
    if audio.shape[1] != 1:
        raise DataError(f"{path}: {audio.shape[1]} channels, expected mono")
    audio = audio[:, 0]
    if not len(audio):
        raise DataError(f"{path}: no samples (0 frames)")
    if not np.isfinite(audio).all():
        raise DataError(f"{path}: non-finite samples ({int(np.isnan(audio).sum())} NaN, "
                        f"{int(np.isinf(audio).sum())} Inf of {len(audio)})")
    peak = float(np.abs(audio).max())
    if peak > 1.0:
        raise DataError(f"{path}: samples outside [-1, 1] (peak {peak:g})")
    if length is None:
        return audio
    return np.pad(audio[:length], (0, max(0, length - len(audio))))


def mfcc(waves: np.ndarray) -> np.ndarray:
    """MFCCs of 1 s clips: float32 ``(N, 16000)`` -> ``(N, 101, 40)``.

    The dB floor is 80 dB below each clip's own peak (librosa clips relative
    to the whole batch), so a clip's features do not depend on its batch.
    """
    out = np.zeros((len(waves), FRAMES, N_MFCC), np.float32)
    for start in range(0, len(waves), _MFCC_BATCH):
        mel = librosa.feature.melspectrogram(
            y=waves[start:start + _MFCC_BATCH], sr=RATE, n_fft=N_FFT, hop_length=HOP,
            n_mels=N_MELS)
        db = 10.0 * np.log10(np.maximum(mel, 1e-10))
        db = np.maximum(db, db.max(axis=(1, 2), keepdims=True) - 80.0)
        out[start:start + _MFCC_BATCH] = librosa.feature.mfcc(
            S=db, n_mfcc=N_MFCC).transpose(0, 2, 1)
    return out


def _stable_fraction(text: str) -> int:
    """0-99 from a SHA-1 of ``text``: the same on every machine and run."""
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % 100


def _hash_split(group: str) -> str:
    value = _stable_fraction(group)
    return "train" if value < SPLIT_PERCENT["train"] else (
        "val" if value < SPLIT_PERCENT["train"] + SPLIT_PERCENT["val"] else "test")


def _speaker(path: Path) -> str | None:
    match = _SPEAKER.search(path.name)
    return match.group(1).lower() if match else None


def _package_clips(folder: Path) -> list[tuple[Path, int, str, str]]:
    """``(path, class, group, split)`` of the test-set package layout."""
    clips = []
    for label, name in enumerate(CLASS_NAMES):
        if not (folder / name).is_dir():
            raise DataError(f"{folder / name}: class folder missing")
        for path in sorted((folder / name).glob("*.wav")):
            group = _speaker(path) or f"{name}/{path.name}"
            clips.append((path, label, group, _hash_split(group)))
    return clips


def _read_list(path: Path) -> set[str]:
    if not path.exists():
        raise DataError(f"{path}: split list missing")
    return set(path.read_text().split())


def _archive_clips(folder: Path) -> list[tuple[Path, int, str, str]]:
    """``(path, class, group, split)`` of the full-archive layout, unknowns subsampled."""
    tests = _read_list(folder / "testing_list.txt")
    vals = _read_list(folder / "validation_list.txt")
    words, unknown = [], []
    for directory in sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] != "_"):
        for path in sorted(directory.glob("*.wav")):
            rel = f"{directory.name}/{path.name}"
            split = "test" if rel in tests else "val" if rel in vals else "train"
            group = _speaker(path) or rel
            if directory.name in WORDS:
                words.append((path, WORDS.index(directory.name), group, split))
            else:
                unknown.append((path, CLASS_NAMES.index(UNKNOWN), group, split))
    kept = []
    for split in SPLITS:
        per_word = round(sum(c[3] == split for c in words) / len(WORDS))
        candidates = [c for c in unknown if c[3] == split]
        candidates.sort(key=lambda c: hashlib.sha1(str(c[0].relative_to(folder)).encode())
                        .hexdigest())
        kept += candidates[:per_word]
    return words + kept


def cut_silence(folder: Path, counts: dict[str, int], seed: int):
    """1 s clips cut from each noise file's split segment: ``{split: (waves, groups)}``."""
    noises = sorted((folder / NOISE).glob("*.wav"))
    if not noises:
        raise DataError(f"{folder / NOISE}: no background noise WAVs to cut silence from")
    audio = [read_wav(p, None) for p in noises]
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0] + [SPLIT_PERCENT[s] for s in SPLITS]) / 100.0
    result = {}
    for i, split in enumerate(SPLITS):
        waves, groups = [], []
        for _ in range(counts[split]):
            k = rng.integers(len(noises))
            lo, hi = (int(b * len(audio[k])) for b in bounds[i:i + 2])
            if hi - lo < RATE:
                raise DataError(f"{noises[k]}: too short to cut 1 s silence for every split")
            start = rng.integers(lo, hi - RATE + 1)
            waves.append(audio[k][start:start + RATE] * rng.uniform(0.0, 1.0))
            groups.append(f"{NOISE}/{noises[k].name}:{split}")
        result[split] = (np.asarray(waves, np.float32).reshape(-1, RATE), groups)
    return result


def load(*, data_dir=None, archive: str = "full", normalize: bool = True, seed: int = 0,
         cache: bool = True, cache_dir=None, base_url: str | None = None,
         sha256: str | None = None) -> Dataset:
    """Load Speech Commands as MFCC images.

    Args:
        data_dir: a full-archive or test-set-package folder (never downloads); None
            fetches ``archive``.
        archive: what to fetch when ``data_dir`` is None: ``"full"`` (2.4 GB) or
            ``"test"`` (the 112 MB test-set package).
        normalize: z-score each clip's MFCC image.
        seed: silence cutting (offsets, volumes) in the full-archive layout.
        cache, cache_dir: as for :func:`tpw_tf.data.mitdb.load`.
        base_url, sha256: download mirror and the digest of its archive.

    Returns:
        Dataset ``speech``, x ``(N, 1, 101, 40)``, 12 classes; ``sample_rate`` is
        frames per second (100); ``info`` holds the layout, clips and hours per split.
    """
    check_choice("speech", "archive", archive, ARCHIVES)
    normalize, cache = flag("speech", "normalize", normalize), flag("speech", "cache", cache)
    seed = integer("speech", "seed", seed, minimum=0)
    cache_dir = optional_text("speech", "cache_dir", cache_dir)
    folder = locate("speech", data_dir, base_url=optional_text("speech", "base_url", base_url),
                    sha256=optional_text("speech", "sha256", sha256), archive=archive)
    if (folder / "testing_list.txt").exists():
        layout = "archive"
    elif (folder / SILENCE).is_dir():
        layout = "package"
    else:
        raise DataError(f"{folder}: neither a Speech Commands archive (testing_list.txt) "
                        f"nor the test-set package ({SILENCE}/ folder)")
    options = {"layout": layout, "normalize": normalize, "seed": seed}

    def build() -> Dataset:
        clips = _archive_clips(folder) if layout == "archive" else _package_clips(folder)
        silence = None
        if layout == "archive":  # as many silence clips per split as a word class has
            silence = cut_silence(folder, {s: sum(c[3] == s for c in clips) // len(CLASS_NAMES)
                                        for s in SPLITS}, seed)
        splits = {}
        for split in SPLITS:
            chosen = [c for c in clips if c[3] == split]
            waves = np.asarray([read_wav(c[0]) for c in chosen], np.float32).reshape(-1, RATE)
            y = [c[1] for c in chosen]
            groups = [c[2] for c in chosen]
            if silence is not None:
                waves = np.concatenate([waves, silence[split][0]])
                y += [CLASS_NAMES.index(SILENCE)] * len(silence[split][1])
                groups += silence[split][1]
            x = mfcc(waves)[:, None]
            if normalize:
                x = windows.standardize(x, axis=(1, 2, 3))
            splits[split] = Split(x, np.asarray(y, np.int64), np.asarray(groups, dtype=str))
        clips_per_split = {s: len(p) for s, p in splits.items()}
        return Dataset("speech", splits, RATE / HOP, CLASS_NAMES, info={
            "layout": layout, "clips": clips_per_split,
            "hours": {s: round(n / 3600.0, 3) for s, n in clips_per_split.items()}})

    # Every clip, split list and noise file is in the plan.
    files = [p.relative_to(folder) for p in folder.glob("*/*.wav")] + [
        "testing_list.txt", "validation_list.txt"]
    return cached_or_built("speech", options, folder, files, build, cache=cache,
                           cache_dir=cache_dir)
