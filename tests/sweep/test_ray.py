"""``tpw-sweep --engine ray`` on a real local Ray with two CPUs gives the local engine's files.

The test process starts the Ray (so it, not a killed sweep, owns and stops its
processes); every sweep is a real ``tpw-sweep`` process joining it by address.
Three ``smoke`` sweeps (two one-epoch runs on synthetic data) run side by side:
the local engine, Ray uninterrupted, and Ray asking two CPUs per run (so one run
at a time) killed with SIGKILL once its first result file exists, then resumed.
A fourth spec pairs runs sharing a trained model with a dataset whose folder is missing.
"""
import json
import signal
import subprocess
import sys
import time

import pytest

from tpw_eval.sweep import cli, spec

ray = pytest.importorskip("ray")

SMOKE = spec.expand(spec.PRESETS["smoke"])
_TIMING = "seconds"  # the one field two identical runs legitimately differ in


@pytest.fixture(scope="module")
def address():
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def tpw_sweep(*args):
    return subprocess.Popen([sys.executable, "-m", "tpw_eval.sweep.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    """``(exit status, stderr)`` of a ``tpw-sweep`` process."""
    _, log = process.communicate(timeout=900)
    return process.returncode, log


def finished(out):
    """The keys of ``out``'s result files (not the staged files a write is still filling)."""
    return sorted(p.stem for p in (out / "runs").glob("[!.]*.json"))


def results(out):
    """Every result file and report of ``out`` that the engine must not change, timings aside."""
    runs = {p.name: json.loads(p.read_text()) for p in (out / "runs").glob("*.json")}
    for result in runs.values():
        del result[_TIMING]
    table = [{k: v for k, v in r.items() if k != _TIMING} for r in json.loads((out / "results.json").read_text())]
    flatbuffers = {p.name: p.read_bytes() for p in (out / "models").glob("*.tflite")}
    models = sorted(p.name for p in (out / "models").iterdir())
    return runs, table, (out / "results.md").read_text(), flatbuffers, models


@pytest.fixture(scope="module")
def sweeps(address, tmp_path_factory):
    """``{name: (folder, exit status, log)}`` for ``local``, ``ray``, ``killed`` (the kill's survivor)
    and ``resumed`` (its restart, in the killed folder)."""
    folders = {name: tmp_path_factory.mktemp(name) for name in ("local", "ray", "killed")}
    local = tpw_sweep("--preset", "smoke", "--out", folders["local"])
    straight = tpw_sweep("--preset", "smoke", "--out", folders["ray"], "--engine", "ray", "--address", address)
    resumable = ("--preset", "smoke", "--out", folders["killed"], "--engine", "ray", "--address", address,
                 "--cpus-per-run", 2)
    killed = tpw_sweep(*resumable)
    while not finished(folders["killed"]) and killed.poll() is None:
        time.sleep(0.1)
    killed.send_signal(signal.SIGKILL)
    outcomes = {"killed": (folders["killed"], *finish(killed)), "kept": finished(folders["killed"])}
    outcomes["resumed"] = (folders["killed"], *finish(tpw_sweep(*resumable)))
    outcomes["local"] = (folders["local"], *finish(local))
    outcomes["ray"] = (folders["ray"], *finish(straight))
    return outcomes


def test_ray_gives_the_local_engines_files(sweeps):
    (local, local_status, local_log), (ray_out, ray_status, ray_log) = sweeps["local"], sweeps["ray"]
    assert (local_status, ray_status) == (0, 0), local_log + ray_log
    assert finished(ray_out) == sorted(r["key"] for r in SMOKE)
    assert results(ray_out) == results(local)
    assert ray_log.count(": running") == 2 and "macro-F1" in ray_log


def test_a_killed_ray_sweep_resumes_to_the_same_files(sweeps):
    _, status, _ = sweeps["killed"]
    assert status == -signal.SIGKILL
    assert len(sweeps["kept"]) == 1, "killed after its first run, with two CPUs a run one run at a time"
    resumed, status, log = sweeps["resumed"]
    assert status == 0, log
    assert log.count("done before, skipped") == 1 and log.count(": running") == 1
    assert results(resumed) == results(sweeps["local"][0])


def test_a_failing_task_is_named_and_the_others_finish(address, tmp_path):
    """Two synthetic runs share one trained model (bits 4 and 8); the two PTB-XL runs (sharing one too)
    read a folder that does not exist, so each fails at once while the synthetic ones go on."""
    model = {**spec.PRESETS["smoke"]["models"][0], "grid": {"bits": [4, 8]}}
    mixed = {"seed": 0, "resamples": 100, "models": [model],
             "datasets": [{"name": "synthetic", "epochs": 1}, {"name": "ptbxl", "folder": "missing", "epochs": 1}]}
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(mixed))
    synthetic, ptbxl = (sorted((r for r in spec.expand(mixed) if r["dataset"] == name), key=lambda r: r["bits"])
                        for name in ("synthetic", "ptbxl"))
    status, log = finish(tpw_sweep(path, "--out", tmp_path / "out", "--data-root", tmp_path,
                                   "--engine", "ray", "--address", address))
    assert status == 1, log
    for run in ptbxl:
        assert f"{run['key']} ptbxl hypertinypw " in log
        assert f": failed: data dir {tmp_path / 'missing'}: not a folder" in log
    # The second PTB-XL run trains once the first, which was to train their shared model, has failed.
    assert log.endswith(f"error: 2 of 4 runs failed (errors above): {ptbxl[0]['key']} {ptbxl[1]['key']}\n"), log
    assert finished(tmp_path / "out") == sorted(r["key"] for r in synthetic)
    assert [r["key"] for r in json.loads((tmp_path / "out" / "results.json").read_text())] == \
        [r["key"] for r in synthetic]
    # The run sharing the trained model starts only once the one training it has finished.
    trainer, follower = synthetic
    lines = log.splitlines()
    trained = next(i for i, line in enumerate(lines) if trainer["key"] in line and "macro-F1" in line)
    started = next(i for i, line in enumerate(lines) if follower["key"] in line and line.endswith(": running"))
    assert trained < started
    assert len(list((tmp_path / "out" / "models").glob("*.keras"))) == 1


@pytest.mark.parametrize("args, message", [
    (["--address", "auto"], "--address and --cpus-per-run need --engine ray"),
    (["--engine", "ray", "--cpus-per-run", "0"], "--cpus-per-run must be >= 1, got 0"),
])
def test_engine_options_are_checked(tmp_path, capsys, args, message):
    assert cli.main(["--preset", "smoke", "--out", str(tmp_path), *args]) == 1
    assert capsys.readouterr().err == f"error: {message}\n"


def test_ray_missing_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    assert cli.main(["--preset", "smoke", "--out", str(tmp_path), "--engine", "ray"]) == 1
    assert capsys.readouterr().err == "error: --engine ray: ray is not installed (pip install 'tpw[ray]')\n"
