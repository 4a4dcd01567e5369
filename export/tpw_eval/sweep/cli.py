"""``tpw-sweep``: the command line of :mod:`tpw_eval.sweep`."""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from tpw_eval import sweep as package
from tpw_eval.sweep.runs import load_result, run_here, sweep
from tpw_eval.sweep.spec import PRESETS, config_label, expand, load_spec, require
from tpw_tf.console import run_command


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tpw-sweep", description=package.__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", help="a sweep spec .json file")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a named spec instead of a file")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: sweep-<spec name>)")
    parser.add_argument("--data-root", type=Path, default=os.environ.get("TPW_DATA_DIR"),
                        help="folder holding each dataset's 'folder' (default: $TPW_DATA_DIR; "
                             "unset = the loaders download)")
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run only these keys (or key prefixes)")
    parser.add_argument("--list", action="store_true", help="print the runs and their keys, run nothing")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="run the runs one by one here (default) or as Ray tasks")
    parser.add_argument("--address", help="with --engine ray: the cluster to join (auto, HOST:PORT, "
                                          "ray://HOST:PORT; default: start a Ray on this machine)")
    parser.add_argument("--cpus-per-run", type=int, default=None,
                        help="with --engine ray: the CPUs each run asks Ray for (default 1)")
    return parser.parse_args(argv)


def choose_engine(args):
    """The engine ``--engine`` names, Ray joined (or started) already so a bad address fails first."""
    if args.engine == "local":
        require(args.address is None and args.cpus_per_run is None,
                "--address and --cpus-per-run need --engine ray")
        return run_here
    from tpw_eval.sweep import ray_engine
    cpus = 1 if args.cpus_per_run is None else args.cpus_per_run
    require(cpus >= 1, f"--cpus-per-run must be >= 1, got {cpus}")
    ray_engine.connect(args.address)
    return functools.partial(ray_engine.run_on_ray, cpus_per_run=cpus)


def main(argv=None) -> int:
    args = parse_args(argv)

    def body() -> int:
        require((args.spec is None) != (args.preset is None), "give either a spec .json file or --preset NAME")
        name, spec = load_spec(args.preset or args.spec)
        runs = expand(spec)
        if args.only:
            runs = [r for r in runs if any(r["key"].startswith(k) for k in args.only)]
            require(bool(runs), f"--only {' '.join(args.only)}: no run of spec '{name}' has such a key")
        out = args.out or Path(f"sweep-{name}")
        if args.list:
            for run in runs:
                done = "done" if load_result(out, run) else "todo"
                print(f"{run['key']} {done} {run['dataset']} {run['model']} {config_label(run)}")
            return 0
        # A cluster's data root is a path on its nodes, which this machine may not have.
        if args.data_root is not None and args.address is None:
            require(args.data_root.is_dir(), f"--data-root {args.data_root}: no such folder")
        engine = choose_engine(args)
        from tpw_export.native_io import quiet_tensorflow
        quiet_tensorflow()
        results = sweep(runs, out, data_root=args.data_root, engine=engine,
                        spec_arg=f"--preset {args.preset}" if args.preset else args.spec)
        print(f"{len(results)} runs; results in {out}/results.md, plot {out}/pareto.png")
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())


