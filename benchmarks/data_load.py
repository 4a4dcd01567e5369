"""Time each real-data loader on the shared data: a cold build and a cached reload.

    python benchmarks/data_load.py [--data DIR]   # DIR default: $TPW_DATA_DIR or ../shared/data

Prints one row per dataset: examples, input shape, seconds to build from the
source files (no cache), to build and store a cache entry, and to reload it,
plus the entry's size. Uses a temporary cache folder.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

from tpw_tf.data import load

# dataset -> (folder under the shared data, loader options)
CASES = {
    "mitdb": ("mitdb", {"split": "ds1-patients"}),
    "mitdb (hrv)": ("mitdb", {"split": "ds1-patients", "features": "hrv"}),
    "ptbxl": ("ptbxl", {"folds": "1-7/8/9"}),
    "ptbxl (hrv)": ("ptbxl", {"folds": "1-7/8/9", "features": "hrv"}),
    "apnea": ("apnea-ecg-first-minute", {}),
    "speech": ("speech_commands", {}),
}


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    repo = Path(__file__).resolve().parents[1]
    parser.add_argument("--data", type=Path,
                        default=Path(os.environ.get("TPW_DATA_DIR") or repo.parent / "shared/data"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # absent folds / clipped minutes are expected here
    print(f"{'dataset':<13}{'examples':>9}  {'input':<14}{'cold s':>8}{'store s':>9}"
          f"{'cached s':>10}{'entry MB':>10}")
    with tempfile.TemporaryDirectory() as cache:
        for case, (folder, options) in CASES.items():
            name = case.split()[0]
            source = args.data / folder
            ds, cold = _timed(lambda: load(name, data_dir=source, cache=False, **options))
            _, store = _timed(lambda: load(name, data_dir=source, cache_dir=cache, **options))
            _, cached = _timed(lambda: load(name, data_dir=source, cache_dir=cache, **options))
            size = sum(p.stat().st_size for p in Path(cache).glob(f"{name}-*.npz"))
            for p in Path(cache).glob(f"{name}-*.npz"):
                p.unlink()
            examples = sum(len(s) for s in ds.splits.values())
            print(f"{case:<13}{examples:>9}  {str(ds.input_shape):<14}{cold:>8.2f}{store:>9.2f}"
                  f"{cached:>10.2f}{size / 1e6:>10.1f}")


if __name__ == "__main__":
    main()
