#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the app, lints and type-checks, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "test: ruff check and mypy (pyproject.toml settings; any finding fails the run)"
.venv/bin/python -m ruff check
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
