#!/usr/bin/env bash
# Wall time of `kubectl agw status -A` for many exposed Services next to `kubectl get svc -A -o json` on the
# same local API server (both through kubectl), and the requests one status makes.
# Usage: bench/status.sh [services]   (BENCH_CONFIG=debug to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
config="${BENCH_CONFIG:-release}"
swift build -c "$config" --product kubectl-agw >/dev/null
swift build -c "$config" --product agw-bench >/dev/null
bin="$(swift build -c "$config" --show-bin-path)"
"$bin/agw-bench" status "$bin" "${1:-100}"
