# Sourced by the bench scripts: builds kubectl-agw and agw-bench ($BENCH_CONFIG, default release) and sets $bin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
config="${BENCH_CONFIG:-release}"
swift build -c "$config" --product kubectl-agw >/dev/null
swift build -c "$config" --product agw-bench >/dev/null
bin="$(swift build -c "$config" --show-bin-path)"
