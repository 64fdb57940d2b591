#!/usr/bin/env bash
# Installs kubectl-agw, its kubectl completer kubectl_complete-agw (a link to it) and agw-sandbox: system
# packages, a build, then the binaries into PREFIX/bin. Safe to run again (it replaces what it put
# there); --uninstall removes exactly that.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./install.sh [--prefix DIR] [--uninstall] [--skip-packages]

  --prefix DIR      install into DIR/bin (default: $PREFIX, else /usr/local as root, else ~/.local)
  --uninstall       remove what a previous install put there
  --skip-packages   do not install system packages (libcurl headers, pkg-config)
USAGE
}

prefix="${PREFIX:-}"
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
completer=kubectl_complete-agw

if ((uninstall)); then
  for name in "${binaries[@]}" "$completer"; do
    if [[ -e "$bin/$name" || -L "$bin/$name" ]]; then rm -f "$bin/$name"; echo "removed $bin/$name"; fi
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

echo "building kubectl-agw (release) and agw-sandbox (the first build takes several minutes)"
swift build -c release --product kubectl-agw
# The sandbox is a local demo server: a debug build serves it well and is the build the tests share, so a
# fresh machine compiles SwiftNIO and BoringSSL once, not twice.
swift build --product agw-sandbox

mkdir -p "$bin"
install -m 0755 "$(swift build -c release --show-bin-path)/kubectl-agw" "$bin/kubectl-agw"
echo "installed $bin/kubectl-agw"
install -m 0755 "$(swift build --show-bin-path)/agw-sandbox" "$bin/agw-sandbox"
echo "installed $bin/agw-sandbox"
# kubectl (1.26+) completes 'kubectl agw <TAB>' by running kubectl_complete-agw; the binary answers under that name.
ln -sfn kubectl-agw "$bin/$completer"
echo "installed $bin/$completer -> kubectl-agw (tab completion through kubectl)"

case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "note: $bin is not on your PATH; add it: export PATH=\"$bin:\$PATH\"" ;;
esac
cat <<NEXT
next:
  agw-sandbox run -- kubectl agw expose svc/frontend --gateway mygw --yes   # the whole flow, no cluster needed
  kubectl agw version                                                       # against your own cluster
completion: 'kubectl agw <TAB>' works now (kubectl's own completion must be enabled: source <(kubectl completion bash));
  for kubectl-agw run directly: source <(kubectl-agw completion bash)   (also zsh, fish, powershell)
NEXT
