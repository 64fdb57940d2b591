#!/usr/bin/env bash
# Gateway writes and wall time of `kubectl agw expose` next to the manual flow (annotate, wait, six az-style
# read-modify-write updates), both against the local sandbox.
# Usage: bench/expose.sh [seconds-per-gateway-update]   (BENCH_CONFIG=debug to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
config="${BENCH_CONFIG:-release}"
swift build -c "$config" --product kubectl-agw >/dev/null
swift build -c "$config" --product agw-bench >/dev/null
bin="$(swift build -c "$config" --show-bin-path)"
"$bin/agw-bench" expose "$bin" "${1:-4}"
