"""The Ray engine of :func:`tpw_eval.sweep.runs.sweep`: every run a Ray task, results kept by the driver.

A task runs :func:`~tpw_eval.sweep.runs.execute` (the local engine's run) in a
scratch folder of its worker and returns the files it wrote; the driver
publishes them into ``OUT`` atomically, result file last. So ``OUT`` holds
exactly what a local sweep writes, on whatever machine the driver runs, with
no file system shared with the cluster: a sweep started on one engine can be
finished on the other, and a killed one resumes from its result files.

Runs that differ only in bits share one trained model (``OUT/models/<key>.keras``):
the first of them is submitted alone and trains it; the others follow with
that model once it is published (the next one trains instead if it failed).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

from tpw_eval.sweep.report import atomic_write
from tpw_eval.sweep.runs import execute, failure_line, load_result, trained_path
from tpw_tf.errors import TpwError, first_line

# Decides TensorFlow's CPU kernels and hence the trained weights' last bits (README, "TensorFlow CPU
# paths"): the driver's setting holds on every worker, so both engines give the same results.
FORWARDED_ENVIRONMENT = ("TF_ENABLE_ONEDNN_OPTS",)


def import_ray():
    """The ``ray`` module, or a one-line error saying how to install it."""
    try:
        import ray
    except ModuleNotFoundError as error:
        if error.name != "ray":
            raise
        raise TpwError("--engine ray: ray is not installed (pip install 'tpw[ray]')") from None
    return ray


def connect(address: str | None) -> None:
    """Start a local Ray (``address`` None) or join the cluster at ``address`` (``auto``, ``HOST:PORT``,
    ``ray://HOST:PORT``), passing on :data:`FORWARDED_ENVIRONMENT`."""
    ray = import_ray()
    env = {name: os.environ[name] for name in FORWARDED_ENVIRONMENT if name in os.environ}
    try:
        ray.init(address=address, runtime_env={"env_vars": env})
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise TpwError(f"--address {address}: cannot join a Ray cluster ({first_line(error)})") from None


def run_in_scratch(run: dict, data_root: Path | None, checkpoint: bytes | None) -> dict[str, bytes]:
    """The Ray task: :func:`execute` ``run`` in a scratch ``OUT`` (holding ``checkpoint``, the shared
    trained model, if given); the files it wrote as ``{path relative to OUT: bytes}``."""
    from tpw_export.native_io import quiet_tensorflow

    quiet_tensorflow()
    with tempfile.TemporaryDirectory(prefix="tpw-sweep-") as scratch:
        out = Path(scratch)
        given = trained_path(out, run) if checkpoint is not None else None
        if given is not None:
            given.parent.mkdir(parents=True)
            given.write_bytes(checkpoint)
        execute(run, out, data_root)
        return {str(path.relative_to(out)): path.read_bytes()
                for path in sorted(out.rglob("*")) if path.is_file() and path != given}


def publish(out: Path, files: dict[str, bytes]) -> None:
    """Write a task's files into ``out``, each atomically, result files (``runs/``) last: a result
    file is what marks a run done, so it must not appear before the models it describes."""
    for name in sorted(files, key=lambda name: name.startswith("runs/")):
        atomic_write(out / name, files[name])


def run_on_ray(todo: list[dict], out: Path, data_root: Path | None, started, *,
               cpus_per_run: int) -> Iterator[tuple[dict, dict | str]]:
    """The engine: each run of ``todo`` a task asking for ``cpus_per_run`` CPUs on the Ray this process
    joined (:func:`connect`); yields ``(run, result | error line)`` as tasks end (see the module docstring)."""
    ray = import_ray()
    task = ray.remote(run_in_scratch).options(num_cpus=cpus_per_run)
    pending = {}  # task -> its run
    followers = {}  # trained model path -> runs waiting for the run training it

    def submit(run, checkpoint):
        started(run)
        pending[task.remote(run, data_root, checkpoint)] = run

    for run in todo:
        shared = trained_path(out, run)
        if shared in followers:
            followers[shared].append(run)
        elif shared.is_file():
            submit(run, shared.read_bytes())
        else:
            followers[shared] = []
            submit(run, None)
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        run = pending.pop(ready)
        try:
            publish(out, ray.get(ready))
            outcome = load_result(out, run)
        except ray.exceptions.RayTaskError as error:  # the run raised: report its own exception
            outcome = failure_line(error.cause)
        except ray.exceptions.RayError as error:  # the worker or its node died
            outcome = failure_line(error)
        yield run, outcome  # first, so the log shows a run end before the runs it lets start
        shared = trained_path(out, run)
        waiting = followers.pop(shared, [])
        if isinstance(outcome, dict):
            checkpoint = ray.put(shared.read_bytes()) if waiting else None
            for follower in waiting:
                submit(follower, checkpoint)
        elif waiting:
            followers[shared] = waiting[1:]
            submit(waiting[0], None)
