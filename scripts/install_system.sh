#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing:
#   Python's venv, host C++ (g++, make), clang (libFuzzer), xxd, the Cortex-M toolchain, and
#   QEMU >= 10 (the first with the STM32L475 board; Debian 12 has it in bookworm-backports).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=()
need() { command -v "$1" >/dev/null || packages+=("$2"); }
need make make
need g++ g++
need clang++ clang
need xxd xxd
need arm-none-eabi-g++ "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib"
python3 -c "import venv, ensurepip" 2>/dev/null || packages+=("python3-venv python3-pip")
if [ "${#packages[@]}" -gt 0 ]; then
  echo "install: apt-get install ${packages[*]}"
  $SUDO apt-get update -q
  # shellcheck disable=SC2068  # entries hold several package names on purpose
  $SUDO apt-get install -y -q ${packages[@]}
fi

if ! qemu-system-arm -machine help 2>/dev/null | grep -q '^b-l475e-iot01a '; then
  echo "install: qemu-system-arm from bookworm-backports"
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
      $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -t bookworm-backports qemu-system-arm
fi
