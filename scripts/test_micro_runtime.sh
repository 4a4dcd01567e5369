#!/usr/bin/env bash
# CI step for the C++ micro runtime (micro/tpw_micro/runtime):
#   1. Cortex-M4F compile check of every runtime source (arm-none-eabi-g++),
#   2. host build + the tests/micro parity suite against TFLM,
#   3. the same suite on the ASan + UBSan build,
#   4. a bounded libFuzzer run (FUZZ_SECONDS, default 60) seeded with exported zoo models.
# Needs: g++, make, arm-none-eabi-g++, clang (libFuzzer), the Python env of pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
# One build folder for everything the device side builds (tpw_micro.build.build_dir).
export TPW_MICRO_BUILD="${TPW_MICRO_BUILD:-$PWD/build/micro}"
BUILD="$TPW_MICRO_BUILD/host"
RUNTIME=micro/tpw_micro/runtime
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

echo "== micro runtime: Cortex-M4F compile check"
make -s -C "$RUNTIME" target-check BUILD_DIR="$BUILD"

echo "== micro runtime: host build and parity tests"
make -s -C "$RUNTIME" runner BUILD_DIR="$BUILD"
python -m pytest -q tests/micro

echo "== micro runtime: ASan + UBSan build, same tests"
make -s -C "$RUNTIME" runner SANITIZE=1 BUILD_DIR="$BUILD"
TPW_MICRO_SANITIZE=1 python -m pytest -q tests/micro

echo "== micro runtime: libFuzzer for ${FUZZ_SECONDS}s"
make -s -C "$RUNTIME" fuzzer BUILD_DIR="$BUILD"
python tests/micro/fuzz_seed_corpus.py "$BUILD/fuzz_seeds"
mkdir -p "$BUILD/fuzz_corpus"
# Crash artifacts land in the build folder; a crash makes the fuzzer (and this script) fail.
"$BUILD/model_fuzzer" -max_total_time="$FUZZ_SECONDS" -max_len=100000 -timeout=30 -print_final_stats=1 \
    -artifact_prefix="$BUILD/" "$BUILD/fuzz_corpus" "$BUILD/fuzz_seeds" 2>"$BUILD/fuzz.log" \
    || { tail -n 40 "$BUILD/fuzz.log"; exit 1; }
grep -E "^stat::number_of_executed_units|^Done" "$BUILD/fuzz.log"
