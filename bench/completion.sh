#!/usr/bin/env bash
# Completion latency through kubectl: `kubectl __complete agw expose svc/` next to kubectl's own
# `kubectl __complete get svc/` on the same local API server, and `--gateway` from the warm cache.
# Usage: bench/completion.sh   (BENCH_CONFIG=debug to skip the release build)
source "$(dirname "$0")/common.sh"
"$bin/agw-bench" completion "$bin"
