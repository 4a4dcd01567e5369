"""What carries across patients in MIT-BIH inputs: baseline removal, the record's own scale and
the RR context of each beat, on the real DS1 records of the shared data."""
from __future__ import annotations

import numpy as np
import pytest
import wfdb

from tpw_tf.data import hrv, load, mitdb, windows
from tpw_tf.data.records import read_signal
from tpw_tf.errors import DataError

BEATS = "NLRejAaJSVEF/fQ"


def reference_beats(shared, record: str):
    """(samples, symbols) of the record's beats, read by wfdb itself."""
    ann = wfdb.rdann(str(shared / "mitdb" / record), "atr")
    pairs = [(s, sym) for s, sym in zip(ann.sample, ann.symbol) if sym in BEATS]
    return np.array([p[0] for p in pairs]), [p[1] for p in pairs]


def test_rr_context_equals_the_intervals_counted_beat_by_beat(shared):
    samples, _ = reference_beats(shared, "119")
    got = hrv.rr_context(samples, 360.0)
    for i in (0, 1, 7, 8, 500, len(samples) - 1):
        pre = (samples[i] - samples[i - 1]) / 360 if i else (samples[1] - samples[0]) / 360
        post = ((samples[i + 1] - samples[i]) / 360 if i + 1 < len(samples)
                else (samples[i] - samples[i - 1]) / 360)
        last = [(samples[j] - samples[j - 1]) / 360 if j else pre for j in range(max(i - 7, 0), i + 1)]
        local = sum(last) / len(last)
        expected = np.clip([pre / local, post / local, pre / post, local], 0, 4)
        np.testing.assert_allclose(got[i], expected, rtol=1e-5)


def test_ventricular_beats_of_a_bigeminy_record_are_premature(shared):
    """Record 119 has long runs of ventricular bigeminy: each V beat comes early and is followed by a
    compensatory pause, so the beat after it comes late."""
    samples, symbols = reference_beats(shared, "119")
    context = hrv.rr_context(samples, 360.0)
    v = np.array([s == "V" for s in symbols])
    after_v = np.concatenate([[False], v[:-1]]) & ~v
    assert np.median(context[v, 2]) < 0.8 < 0.95 < np.median(context[~v, 2])  # pre / post
    assert np.median(context[v, 0]) < 0.9 < 1.1 < np.median(context[after_v, 0])  # pre / local


def test_rr_context_refuses_too_few_or_unordered_beats():
    with pytest.raises(DataError, match="two or more strictly increasing beats, got 1"):
        hrv.rr_context(np.array([10]), 360.0)
    with pytest.raises(DataError, match="strictly increasing"):
        hrv.rr_context(np.array([10, 10, 400]), 360.0)


def test_baseline_removal_takes_out_wander_and_keeps_the_beats_in_place(shared):
    signal = read_signal(shared / "mitdb/101", leads="MLII", fs=360.0)[:36_000]
    clean = windows.remove_baseline(signal, 360.0)
    seconds = np.arange(len(signal))[:, None] / 360.0
    wander = 0.5 * np.sin(2 * np.pi * 0.15 * seconds)
    cleaned = windows.remove_baseline(signal + wander.astype(np.float32), 360.0)
    # Linear filter: the wander that survives is what the filter passes of a 0.15 Hz sine.
    assert np.abs(cleaned - clean)[3600:-3600].max() < 0.1 * 0.5
    samples, _ = reference_beats(shared, "101")
    samples = samples[(samples > 20) & (samples < len(signal) - 20)]
    # zero phase: each R peak stays where it was in the raw signal
    peak = np.array([np.argmax(clean[s - 20:s + 21, 0]) for s in samples])
    raw = np.array([np.argmax(signal[s - 20:s + 21, 0]) for s in samples])
    assert np.abs(peak - raw).max() <= 2 and abs(np.mean(peak - raw)) < 0.1  # no systematic delay


def test_record_scale_makes_the_median_beat_one(shared):
    signal = windows.remove_baseline(read_signal(shared / "mitdb/119", leads="MLII", fs=360.0), 360.0)
    samples, _ = reference_beats(shared, "119")
    scaled = windows.scale_to_beats(signal, samples, 360.0)
    amplitude = [np.abs(scaled[max(s - 18, 0):s + 19, 0]).max() for s in samples]
    assert np.median(amplitude) == pytest.approx(1.0, abs=1e-6)
    # the same record at half the gain scales to the same samples
    np.testing.assert_allclose(windows.scale_to_beats(signal / 2, samples, 360.0), scaled, atol=1e-5)


def test_loader_adds_the_rr_channels_after_the_leads(shared):
    ds = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", window_s=1.0, sample_rate=180.0,
              normalize="record", baseline=True, template=0, rr=True, records=["119"], cache=False)
    assert ds.input_shape == (1, 180, 1 + len(hrv.RR_CONTEXT_NAMES))
    assert ds.info["signal_channels"] == 1
    x = ds.splits["val"].x  # 119 is in DS1_VAL
    assert np.all(x[:, 0, :, 1:] == x[:, 0, :1, 1:])  # RR features are constant along T
    samples, _ = reference_beats(shared, "119")
    context = hrv.rr_context(samples, 360.0)
    whole = windows.fits(np.round(samples / 2).astype(int) - 90, 180, 650_000 // 2)
    np.testing.assert_allclose(x[:, 0, 0, 1:], context[whole])


@pytest.mark.parametrize("value, message", [
    ("zscore", "mitdb: unknown normalize 'zscore': choose one of window, record, none"),
    (1, "mitdb: unknown normalize '1'")])
def test_normalize_option_errors_name_it(shared, value, message):
    with pytest.raises(DataError, match=message):
        load("mitdb", data_dir=shared / "mitdb", normalize=value, cache=False)


def test_old_normalize_flags_still_mean_window_and_none(shared):
    kwargs = dict(data_dir=shared / "mitdb", split="ds1-patients", window_s=0.5, sample_rate=180.0,
                  baseline=False, template=0, rr=False, records=["115"], cache=False)
    assert np.array_equal(load("mitdb", normalize=True, **kwargs).splits["test"].x,
                          load("mitdb", normalize="window", **kwargs).splits["test"].x)
    raw = load("mitdb", normalize=False, **kwargs).splits["test"].x
    assert np.array_equal(raw, load("mitdb", normalize="none", **kwargs).splits["test"].x)
    assert mitdb.NATIVE_RATE == 360.0 and np.abs(raw).max() > 0.5  # millivolts, not z-scores


def test_other_lead_is_each_records_second_signal(shared):
    """Record 114 stores V5 first and MLII second; 101 stores MLII then V1."""
    ds = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", window_s=0.5, sample_rate=180.0,
              normalize="none", baseline=False, template=0, rr=False, lead=["MLII", "other"],
              records=["101", "114"], cache=False)
    assert ds.input_shape == (1, 90, 2) and ds.info["signal_channels"] == 2
    for record, second in (("101", "V1"), ("114", "V5")):
        signal = windows.resample(read_signal(shared / "mitdb" / record, leads=["MLII", second]), 360.0, 180.0)
        samples, _ = reference_beats(shared, record)
        starts = np.round(samples * 180 / 360).astype(int) - 45
        first = starts[windows.fits(starts, 90, len(signal))][0]
        split = ds.splits["train"]
        np.testing.assert_allclose(split.x[split.groups == record][0, 0], signal[first:first + 90], atol=1e-6)


def test_other_lead_of_a_one_signal_record_is_refused(shared, tmp_path):
    for ext in ("dat", "atr"):
        (tmp_path / f"101.{ext}").write_bytes((shared / f"mitdb/101.{ext}").read_bytes())
    lines = (shared / "mitdb/101.hea").read_text().splitlines()
    (tmp_path / "101.hea").write_text("\n".join([lines[0].replace(" 2 ", " 1 ", 1), lines[1]]) + "\n")
    with pytest.raises(DataError, match=r"101\.hea: no lead besides MLII for lead 'other'"):
        load("mitdb", data_dir=tmp_path, split="ds1-patients", lead=["MLII", "other"], records=["101"],
             cache=False)


def test_template_difference_is_small_for_the_patients_usual_beats_and_large_for_ventricular_ones(shared):
    """Record 207 is mostly bundle-branch-block beats with ventricular ones among them: the template
    follows the patient's usual (wide) beats, so those differ little from it and V beats a lot."""
    ds = load("mitdb", data_dir=shared / "mitdb", split="ds1-patients", window_s=1.0, sample_rate=180.0,
              baseline=True, template=32, rr=False, records=["207"], cache=False)
    split = ds.splits["train"]
    assert ds.input_shape == (1, 180, 2) and ds.info["signal_channels"] == 2
    energy = np.sqrt(np.mean(split.x[:, 0, :, 1] ** 2, axis=1))  # in units of each window's spread
    v = split.y == 1
    assert np.median(energy[v]) > 3 * np.median(energy[~v])


def test_template_difference_is_causal_and_starts_at_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 20, 1)).astype(np.float32)
    diff = windows.template_difference(x, 8)
    np.testing.assert_array_equal(diff[0], 0.0)
    np.testing.assert_allclose(diff[20], x[20] - np.median(x[12:20], axis=0), rtol=1e-6)
    later = x.copy()
    later[30:] += 5.0  # a change from window 30 on leaves every earlier difference as it was
    np.testing.assert_array_equal(windows.template_difference(later, 8)[:30], diff[:30])


def test_a_record_of_one_beat_has_no_rr_context_and_says_so(shared, tmp_path):
    for ext in ("hea", "dat"):
        (tmp_path / f"101.{ext}").write_bytes((shared / f"mitdb/101.{ext}").read_bytes())
    ann = wfdb.rdann(str(shared / "mitdb/101"), "atr")
    wfdb.wrann("101", "atr", ann.sample[10:11], symbol=[ann.symbol[10]], write_dir=str(tmp_path))
    with pytest.raises(DataError, match=r"101\.atr: 1 beat\(s\), RR context needs two or more; use -o rr=false"):
        load("mitdb", data_dir=tmp_path, split="ds1-patients", records=["101"], cache=False)
    assert len(load("mitdb", data_dir=tmp_path, split="ds1-patients", records=["101"], rr=False,
                    cache=False).splits["train"]) == 1
