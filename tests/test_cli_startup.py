"""Start-up: the command line imports what a run needs, when it needs it."""

import json
import os
import subprocess
import sys

from tests.cli_helpers import PACKAGE_ROOT

_PROBE = """
import json, sys
from dicompress.cli.main import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"status": status, "loaded": loaded}))
"""


def _modules_after(*args: str) -> tuple[int, list[str]]:
    """Run the command line in a fresh interpreter; return its status and the top-level modules it imported."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)})
    result = json.loads(done.stdout.splitlines()[-1])
    return result["status"], result["loaded"]


def test_version_imports_neither_numpy_nor_pydicom_nor_tqdm():
    status, loaded = _modules_after("--version")
    assert status == 0
    assert not {"numpy", "pydicom", "tqdm"} & set(loaded)
