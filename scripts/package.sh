#!/usr/bin/env bash
# Builds the krew release archive (linux/amd64: kubectl-agw and LICENSE) and the manifest for it.
# Usage: scripts/package.sh VERSION DOWNLOAD-BASE-URL [BIN-DIR]
#   VERSION            e.g. v0.1.0
#   DOWNLOAD-BASE-URL  where the archive will be published, e.g. https://github.com/OWNER/kubectl-agw/releases/download/v0.1.0
#   BIN-DIR            a folder holding a built kubectl-agw (default: a release build with the Swift runtime linked in)
# Writes dist/kubectl-agw-linux-amd64.tar.gz and dist/agw.yaml (plugins/agw.yaml with the address and sha256).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: scripts/package.sh VERSION DOWNLOAD-BASE-URL [BIN-DIR]" >&2; exit 1; }
version="$1"
base="${2%/}"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "package.sh: version '$version' is not vMAJOR.MINOR.PATCH" >&2; exit 1; }
[[ "$base" == https://* ]] || { echo "package.sh: the download address must be https" >&2; exit 1; }
if [[ $# -ge 3 ]]; then
  bin="$3"
else
  # The Swift runtime linked in, so the archive runs where no Swift is installed (libcurl stays the system's).
  swift build -c release --product kubectl-agw --static-swift-stdlib --scratch-path .build-static >/dev/null
  bin="$(swift build -c release --scratch-path .build-static --show-bin-path)"
fi
[[ -x "$bin/kubectl-agw" ]] || { echo "package.sh: no kubectl-agw in $bin" >&2; exit 1; }

archive=kubectl-agw-linux-amd64.tar.gz
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$bin/kubectl-agw" LICENSE "$stage/"
mkdir -p dist
tar -C "$stage" -czf "dist/$archive" kubectl-agw LICENSE
sum="$(sha256sum "dist/$archive" | cut -d' ' -f1)"
homepage="${base%/releases/*}"
sed -e "s|@VERSION@|$version|" -e "s|@HOMEPAGE@|$homepage|" -e "s|@URI@|$base/$archive|" -e "s|@SHA256@|$sum|" \
  plugins/agw.yaml | grep -v '^# krew manifest template\|^# (dist/agw.yaml' > dist/agw.yaml
echo "dist/$archive  sha256 $sum"
echo "dist/agw.yaml  (test: kubectl krew install --manifest=dist/agw.yaml --archive=dist/$archive)"
