#!/usr/bin/env bash
# Gateway writes and wall time of `kubectl agw expose` next to the manual flow (annotate, wait, six az-style
# read-modify-write updates), both against the local sandbox.
# Usage: bench/expose.sh [seconds-per-gateway-update]   (BENCH_CONFIG=debug to skip the release build)
source "$(dirname "$0")/common.sh"
"$bin/agw-bench" expose "$bin" "${1:-4}"
