"""Start-up: the command line imports what a run needs, when it needs it."""

import json
import os
import subprocess
import sys
from importlib.util import find_spec

from pydicom.data import get_testdata_file

from dicompress.lean import OPTIONAL
from tests.cli_helpers import PACKAGE_ROOT

_PROBE = """
import json, sys
from dicompress.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
import tqdm  # the names hidden while pydicom was imported are there again
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


def test_a_run_imports_pydicom_without_the_packages_it_only_probes(tmp_path):
    installed = [name for name in OPTIONAL if find_spec(name) is not None]
    assert "tqdm" in installed
    status, loaded = _modules_after(get_testdata_file("CT_small.dcm"), "-o", str(tmp_path), "--jobs", "1")
    assert status == 0
    assert {"numpy", "pydicom"} <= set(loaded)
    assert not set(installed) & set(loaded)
