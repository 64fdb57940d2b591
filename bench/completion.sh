#!/usr/bin/env bash
# Completion latency through kubectl: `kubectl __complete agw expose svc/` next to kubectl's own
# `kubectl __complete get svc/` on the same local API server, and `--gateway` from the warm cache.
# Usage: bench/completion.sh   (BENCH_CONFIG=debug to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
config="${BENCH_CONFIG:-release}"
swift build -c "$config" --product kubectl-agw >/dev/null
swift build -c "$config" --product agw-bench >/dev/null
bin="$(swift build -c "$config" --show-bin-path)"
"$bin/agw-bench" completion "$bin"
