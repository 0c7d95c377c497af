#!/usr/bin/env bash
# Installs cargo-fuzz for tests/fuzz/run.sh (docs/reliability.md#fuzzing). Idempotent:
# nothing happens when the pinned version is already on PATH. cargo-fuzz builds
# libFuzzer with the C++ compiler, so g++ is installed when missing.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2

if ! command -v c++ >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++
fi
if cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
    echo "fuzz: cargo-fuzz $CARGO_FUZZ_VERSION already installed"
else
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
