#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it needs
# (Debian toolchains and QEMU, the package with its dev extra), then runs the
# Python tests, the micro runtime checks (TFLM parity, sanitizers, fuzzing)
# and the simulated STM32L4 firmware suites. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# TensorFlow's strictest CPU path: oneDNN off, as on CPUs where TensorFlow leaves it off by
# default (its Eigen kernels refuse layer settings oneDNN accepts). tests/models/test_cpu_paths.py
# also trains every zoo configuration with oneDNN on, in a process of its own.
export TF_ENABLE_ONEDNN_OPTS=0
# One folder for everything the device side builds (runtime, firmware, QEMU plugin).
export TPW_MICRO_BUILD="$PWD/build/micro"

bash scripts/install_system.sh
# A project virtual environment: Debian's own Python refuses system-wide pip installs (PEP 668).
[ -x .venv/bin/python ] || python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q --disable-pip-version-check -e ".[dev,ray]"

echo "== Python: layers, models, data, training, evaluation, export"
python -m pytest -q --ignore=tests/micro --ignore=tests/firmware

echo "== micro runtime"
bash scripts/test_micro_runtime.sh

echo "== STM32L4 firmware on QEMU"
bash scripts/test_firmware.sh
