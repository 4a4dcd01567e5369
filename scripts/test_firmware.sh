#!/usr/bin/env bash
# Firmware CI step: install the cross toolchain and QEMU when missing, build the
# QEMU instruction-count plugin, run the Robot suites on the simulated STM32L4
# and the firmware pytest area, then print the firmware benchmark's tables (figures
# only: it fails on outputs that differ from TFLM's or an arena above TFLM's, never
# on a count). Run from anywhere; works from the repo root.
#
# Needs (scripts/install_system.sh installs them when absent): make, xxd, a host C
# compiler (the plugin), gcc-arm-none-eabi libnewlib-arm-none-eabi
# libstdc++-arm-none-eabi-newlib, and qemu-system-arm >= 10 from bookworm-backports.
set -euo pipefail
cd "$(dirname "$0")/.."

# Toolchains and QEMU when missing (idempotent; scripts/test.sh has run it already).
bash scripts/install_system.sh

# Cases are rebuilt every run so a model converted by older code is never reused;
# objects, the plugin and per-model firmware are reused by make.
export TPW_MICRO_BUILD="${TPW_MICRO_BUILD:-$PWD/build/micro}"
BUILD="$TPW_MICRO_BUILD"
rm -rf "$BUILD/cases"
make -s -C micro/tpw_micro plugin calibrate fault BUILD="$BUILD"

robot --outputdir "$BUILD/robot" micro/robot
python3 -m pytest -q tests/firmware

echo "== firmware benchmark: instructions per MAC, code and arena per op, shape and zoo model"
python3 benchmarks/firmware_bench.py --per-shape
