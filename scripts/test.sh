#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it needs
# (Debian toolchains and QEMU, the package with its dev extra), then runs the
# Python tests, the micro runtime checks (TFLM parity, sanitizers, fuzzing)
# and the simulated STM32L4 firmware suites. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_system.sh
python3 -m pip install -q --disable-pip-version-check -e ".[dev]"

echo "== Python: layers, models, data, training, evaluation, export"
python3 -m pytest -q --ignore=tests/micro --ignore=tests/firmware

echo "== micro runtime"
bash scripts/test_micro_runtime.sh

echo "== STM32L4 firmware on QEMU"
bash scripts/test_firmware.sh
