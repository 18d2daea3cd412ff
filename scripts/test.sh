#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the app, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/python -m pytest "$@"
