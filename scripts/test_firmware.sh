#!/usr/bin/env bash
# Firmware CI step: install the cross toolchain and QEMU when missing, build the
# QEMU instruction-count plugin, run the Robot suites on the simulated STM32L4
# and the firmware pytest area. Run from anywhere; works from the repo root.
#
# Needs on a fresh Debian 12 (bookworm) machine, installed below when absent:
#   apt: make xxd gcc gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
#   apt (bookworm-backports): qemu-system-arm (>= 10, for -M b-l475e-iot01a)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for tool in make xxd cc arm-none-eabi-gcc arm-none-eabi-g++; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "firmware: installing the cross toolchain (missing: ${missing[*]})"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q make xxd gcc gcc-arm-none-eabi libnewlib-arm-none-eabi \
    libstdc++-arm-none-eabi-newlib
fi

# QEMU 10 is the first with the STM32L475 board; Debian 12 ships it in bookworm-backports.
if ! qemu-system-arm -machine help 2>/dev/null | grep -q '^b-l475e-iot01a '; then
  echo "firmware: installing qemu-system-arm from bookworm-backports"
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
      $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -t bookworm-backports qemu-system-arm
fi

# Cases are rebuilt every run so a model converted by older code is never reused;
# objects, the plugin and per-model firmware are reused by make.
BUILD="${TPW_MICRO_BUILD:-micro/build}"
rm -rf "$BUILD/cases"
make -s -C micro plugin calibrate fault BUILD="$(realpath -m "$BUILD")"

robot --outputdir "$BUILD/robot" micro/robot
python -m pytest -q tests/firmware
