#!/usr/bin/env bash
# Wall time of `kubectl agw status -A` for many exposed Services next to `kubectl get svc -A -o json` on the
# same local API server (both through kubectl), and the requests one status makes.
# Usage: bench/status.sh [services]   (BENCH_CONFIG=debug to skip the release build)
source "$(dirname "$0")/common.sh"
"$bin/agw-bench" status "$bin" "${1:-100}"
