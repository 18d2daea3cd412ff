#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the app, lints, type-checks, checks the layers, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "test: ruff check, mypy and lint-imports (pyproject.toml settings; any finding or broken contract fails the run)"
.venv/bin/python -m ruff check
.venv/bin/python -m mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest --durations=15 "$@"
