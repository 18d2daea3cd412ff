#!/usr/bin/env bash
# Install what the app needs, build dist/ and serve it on http://127.0.0.1:${PORT:-8000}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
.venv/bin/python scripts/build.py "$@"
exec .venv/bin/python scripts/serve.py --dir dist
