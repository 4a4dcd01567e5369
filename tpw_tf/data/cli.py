"""``tpw-data``: download a dataset, or describe one split by split.

    tpw-data fetch NAME [--root DIR] [--base-url URL] [--records R ...] [--archive full|test]
    tpw-data info NAME [--data-dir DIR] [-o KEY=VALUE ...] [--no-cache]

``info`` prints, per split, the number of examples and groups, the count and
prior of each class and the hours of recording. ``-o`` passes a loader option
(``-o split=ds1-patients``, ``-o folds=1-7/8/9``, ``-o records=101,106``).
Errors print ``error: <message>`` on stderr and exit with status 1.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from tpw_tf.console import run_command
from tpw_tf.data import load, names, option_names
from tpw_tf.data.base import SPLITS, Dataset
from tpw_tf.data.fetch import fetch
from tpw_tf.data.options import parse_options
from tpw_tf.errors import TpwError


def describe(dataset: Dataset) -> str:
    """A table of examples, groups, per-class counts and priors, and hours per split."""
    classes = dataset.class_names
    width = max(9, *(len(c) + 2 for c in classes))
    lines = [f"dataset {dataset.name}: input {dataset.input_shape}, {dataset.sample_rate:g} "
             f"samples/s, {len(classes)} classes"]
    header = f"{'split':<6}{'examples':>10}{'groups':>8}{'hours':>9}" + "".join(
        f"{c:>{width}}" for c in classes)
    lines += [header, "-" * len(header)]
    hours = dataset.info.get("hours", {})
    for split in SPLITS:
        part = dataset.splits[split]
        counts = [int((part.y == k).sum()) for k in range(len(classes))]
        lines.append(f"{split:<6}{len(part):>10}{len(set(part.groups.tolist())):>8}"
                     f"{hours.get(split, 0.0):>9.2f}" + "".join(f"{n:>{width}}" for n in counts))
        lines.append(f"{'':<33}" + "".join(
            f"{p:>{width}.3f}" for p in dataset.priors(split)))
    for key in ("absent_records", "absent_folds", "unanswered_records"):
        if dataset.info.get(key):
            lines.append(f"{key.replace('_', ' ')}: {' '.join(map(str, dataset.info[key]))}")
    edge = sum(n for part in dataset.info.get("edge_beats", {}).values() for n in part.values())
    if edge:
        lines.append(f"beats within half a window of a record's end, without a window: {edge}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tpw-data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("fetch", help="download a dataset into the cache")
    get.add_argument("name")
    get.add_argument("--root", help="cache root (default $TPW_DATA_DIR or ~/.cache/tpw)")
    get.add_argument("--base-url", help="mirror URL (default $TPW_DATA_URL or the official site)")
    get.add_argument("--records", nargs="+", help="PhysioNet records to fetch (default all)")
    get.add_argument("--archive", choices=("full", "test"), help="speech: which archive")
    get.add_argument("--sha256", help="speech: digest of a mirror's archive")
    info = commands.add_parser("info", help="counts per split and class, priors, hours")
    info.add_argument("name")
    info.add_argument("--data-dir", help="read this copy instead of the download cache")
    info.add_argument("-o", "--option", action="append", default=[], metavar="KEY=VALUE",
                      help="loader option, repeatable")
    info.add_argument("--no-cache", action="store_true", help="do not use the array cache")
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    warnings.showwarning = _show_warning

    def body() -> None:
        if args.name not in names():
            raise TpwError(f"unknown dataset '{args.name}': choose one of {', '.join(names())}")
        if args.command == "fetch":
            extra = {"archive": args.archive} if args.archive else {}
            folder = fetch(args.name, root=args.root, base_url=args.base_url,
                           records=args.records, sha256=args.sha256, **extra)
            print(folder)
        else:
            options = parse_options(args.option)
            if args.no_cache and "cache" in option_names(args.name):  # synthetic has no cache
                options["cache"] = False
            print(describe(load(args.name, data_dir=args.data_dir, **options)))

    return run_command(body)

if __name__ == "__main__":
    sys.exit(main())
