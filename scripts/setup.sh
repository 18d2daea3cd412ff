#!/usr/bin/env bash
# Install what the project needs, idempotently.
#   scripts/setup.sh app   Python virtual environment and npm packages (build and serve)
#   scripts/setup.sh test  the same, plus Debian's Chromium and DCMTK for the tests
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-app}

apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing $* with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Debian's python3 ships venv and ensurepip in a separate package.
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv

if [ "$mode" = test ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v dcmdrle >/dev/null || missing+=(dcmtk)
  command -v ojph_compress >/dev/null || missing+=(openjph-tools)  # HTJ2K peer
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating the Python virtual environment in .venv"
  python3 -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$extras"

# Again whenever package-lock.json changed since the last install (npm keeps its own copy).
if ! cmp -s package-lock.json node_modules/.dicompress-package-lock.json; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.dicompress-package-lock.json
fi
