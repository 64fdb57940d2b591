#!/usr/bin/env bash
# Installs kubectl-agw and agw-sandbox: system packages, a release build, then the binaries into PREFIX/bin.
# Safe to run again (it replaces the binaries); --uninstall removes them.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./install.sh [--prefix DIR] [--uninstall] [--skip-packages]

  --prefix DIR      install into DIR/bin (default: /usr/local as root, else ~/.local)
  --uninstall       remove what a previous install put there
  --skip-packages   do not install system packages (libcurl headers, pkg-config)
USAGE
}

prefix=""
uninstall=0
skip_packages=0
while (($#)); do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || { echo "install.sh: --prefix needs a folder" >&2; exit 1; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --uninstall) uninstall=1; shift ;;
    --skip-packages) skip_packages=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'; see ./install.sh --help" >&2; exit 1 ;;
  esac
done
if [[ -z "$prefix" ]]; then
  if [[ $(id -u) -eq 0 ]]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
fi
bin="$prefix/bin"
binaries=(kubectl-agw agw-sandbox)

if ((uninstall)); then
  for name in "${binaries[@]}"; do
    if [[ -e "$bin/$name" ]]; then rm -f "$bin/$name"; echo "removed $bin/$name"; fi
  done
  exit 0
fi

cd "$(dirname "$0")"

if ((!skip_packages)); then
  need=()
  pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev)
  command -v pkg-config >/dev/null || need+=(pkg-config)
  if ((${#need[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    echo "installing system packages: ${need[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}"
  fi
fi

command -v swift >/dev/null || { echo "install.sh: swift is not on PATH; install Swift 6.2 or newer from swift.org" >&2; exit 1; }

echo "building release binaries (the first build takes several minutes)"
swift build -c release --product kubectl-agw
swift build -c release --product agw-sandbox
built="$(swift build -c release --show-bin-path)"

mkdir -p "$bin"
for name in "${binaries[@]}"; do
  install -m 0755 "$built/$name" "$bin/$name"
  echo "installed $bin/$name"
done

case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "note: $bin is not on your PATH; add it: export PATH=\"$bin:\$PATH\"" ;;
esac
echo "next: kubectl agw version    (or try it without a cluster: agw-sandbox run -- kubectl agw version)"
