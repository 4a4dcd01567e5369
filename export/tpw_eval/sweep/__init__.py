"""``tpw-sweep``: models x configurations x datasets -> results table and Pareto plot.

    tpw-sweep (SPEC.json | --preset NAME) [--out DIR] [--data-root DIR] [--only KEY ...] [--list]
              [--engine local|ray] [--address ADDRESS] [--cpus-per-run N]

A spec (a JSON file or a named preset of :data:`PRESETS`) lists datasets and
model entries; each model entry's ``grid`` is expanded as a Cartesian product
over its base ``config`` (the grid key ``bits`` is the packing precision, every
other key a model config key)::

    {"seed": 0, "resamples": 1000,
     "datasets": [{"name": "ptbxl", "folder": "ptbxl", "epochs": 3,
                   "options": {"folds": "1-7/8/9"}}],
     "models": [{"model": "hypertinypw", "config": {"width": 64},
                 "grid": {"d_z": [4, 8], "bits": [4, 8]}, "datasets": ["ptbxl"]}]}

Every run trains with :func:`tpw_export.pipeline.run` (train, bake, convert,
TFLM parity, ledger), then scores the INT8 flatbuffer with the evaluation
protocol (:func:`tpw_eval.evaluate.evaluate`: validation-tuned threshold,
group-bootstrap 95% CIs). A run's result is ``OUT/runs/<key>.json``, ``key`` a
hash of everything that decides it, written atomically when the run finishes:
an interrupted sweep restarted with the same spec skips finished runs. After
each run ``OUT/results.{csv,json,md}`` and ``OUT/pareto.png`` (macro-F1 against
flash bytes, one line per ledger schedule) are rebuilt from the run files. A run
that fails on its input is logged with its key and error, the others go on, and
the sweep then fails naming the failed keys.

The runs go one by one through this process (``--engine local``, the default) or
each as a Ray task, here or on a cluster (``--engine ray``, :mod:`~tpw_eval.sweep.ray_engine`);
both write the same files into ``OUT``, so either resumes what the other began.

Modules: :mod:`~tpw_eval.sweep.spec` (presets, spec checks, run keys),
:mod:`~tpw_eval.sweep.runs` (one run, the local engine, the resumable loop),
:mod:`~tpw_eval.sweep.ray_engine` (the Ray engine), :mod:`~tpw_eval.sweep.report`
(tables and the Pareto plot), :mod:`~tpw_eval.sweep.cli` (``tpw-sweep``).
"""
