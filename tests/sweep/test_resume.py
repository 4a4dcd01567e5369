"""A sweep killed after its first run resumes without redoing it, and ends with the same results.

Three real sweeps of the ``smoke`` preset (two one-epoch trainings on synthetic
data each): one killed with SIGKILL as soon as its first result file exists, its
restart, and an uninterrupted one to compare against.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tpw_eval.sweep import spec

SMOKE = spec.expand(spec.PRESETS["smoke"])
# What legitimately differs between two identical runs.
_TIMING = ("seconds",)


def tpw_sweep(out, **popen):
    return subprocess.Popen([sys.executable, "-m", "tpw_eval.sweep.cli", "--preset", "smoke", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finished(out):
    return sorted((out / "runs").glob("*.json")) if (out / "runs").is_dir() else []


def without_timing(results):
    return [{k: v for k, v in r.items() if k not in _TIMING} for r in results]


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """``(resumed folder, its first result file's bytes and mtime before the restart, restart log,
    uninterrupted folder)``; the uninterrupted sweep runs beside the other two to save wall time."""
    out, straight_out = tmp_path_factory.mktemp("resumed"), tmp_path_factory.mktemp("straight")
    straight = tpw_sweep(straight_out)
    first = tpw_sweep(out)
    while not finished(out) and first.poll() is None:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    kept = finished(out)
    assert [p.stem for p in kept] == [SMOKE[0]["key"]], "the sweep must be killed after its first run"
    before = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in kept}
    second = tpw_sweep(out)
    _, log = second.communicate(timeout=600)
    assert second.returncode == 0, log
    _, straight_log = straight.communicate(timeout=600)
    assert straight.returncode == 0, straight_log
    return out, before, log, straight_out


def test_resume_skips_the_finished_run(sweeps):
    out, before, log, _ = sweeps
    first, second = SMOKE
    assert f"[1/2] {first['key']} synthetic hypertinypw" in log and "done before, skipped" in log
    assert f"[2/2] {second['key']} synthetic tiny_separable_cnn" in log and log.count(": running") == 1
    for path, (data, mtime) in before.items():  # not rewritten
        assert (path.read_bytes(), os.stat(path).st_mtime_ns) == (data, mtime)
    assert [p.stem for p in finished(out)] == sorted(r["key"] for r in SMOKE)


def test_resumed_results_equal_an_uninterrupted_sweep(sweeps):
    resumed, _, _, uninterrupted = sweeps
    a = json.loads((resumed / "results.json").read_text())
    b = json.loads((uninterrupted / "results.json").read_text())
    assert [r["key"] for r in a] == [r["key"] for r in SMOKE]
    assert without_timing(a) == without_timing(b)
    assert (resumed / "results.csv").read_text().count("\n") == 1 + len(SMOKE)


def test_result_bytes_match_the_written_files(sweeps):
    uninterrupted = sweeps[3]
    for r in json.loads((uninterrupted / "results.json").read_text()):
        flatbuffer = (uninterrupted / "models" / f"{r['key']}.tflite").read_bytes()
        boot = (uninterrupted / "models" / f"{r['key']}-boot.tflite").read_bytes()
        assert r["flatbuffer_bytes"] == len(flatbuffer) == r["schedules"]["baked"]["flash_bytes"]
        assert r["boot_file"]["bytes"] == len(boot) == r["schedules"]["boot"]["flash_bytes"] \
            == r["schedules"]["lazy"]["flash_bytes"]
        assert r["converter_bytes"] > len(flatbuffer)  # slimming saved bytes
        assert r["boot_file"]["mismatched_windows"] == 0
        # hypertinypw's boot file synthesizes its kernels with DECODEs; the plain CNN's has nothing
        # TFLM's DECODE stores smaller: its boot file is its baked file.
        generated = r["run"]["model"] == "hypertinypw"
        assert r["boot_file"]["synthesized"] is generated
        assert (boot == flatbuffer) is not generated
        assert b"DECODE" in boot if generated else r["boot_file"]["decode_tensors"] == []
        assert r["parity_mismatched_windows"] == 0
        assert 0.0 <= r["metrics"]["macro_f1"]["ci_low"] <= r["metrics"]["macro_f1"]["value"] \
            <= r["metrics"]["macro_f1"]["ci_high"] <= 1.0
