"""Without numpy (the browser when numpy cannot load) the package still works on pydicom's plugin.

Runs a script in a fresh virtual environment that has pydicom and dicompress but no numpy.
"""

import json
import subprocess
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import RLELossless

from tests.dicom_files import differing_elements, pixels, read, file_bytes
from tests.venvs import isolated_python

SCRIPT = r"""
import json, sys
from importlib.util import find_spec
assert find_spec("numpy") is None, "numpy must be absent here"
import dicompress
from dicompress.service import convert, engine_name
from pydicom.pixels.encoders import RLELosslessEncoder
dicompress.register()
dicompress.register()
source = open(sys.argv[1], "rb").read()
rle = convert(source, "rle")
open(sys.argv[2], "wb").write(rle.data)
plain = convert(rle.data, "explicit")
open(sys.argv[3], "wb").write(plain.data)
print(json.dumps({
    "engine": engine_name(),
    "available": RLELosslessEncoder.available_plugins,
    "missing": RLELosslessEncoder.missing_dependencies,
    "rle": rle.report.as_dict(),
    "plain": plain.report.as_dict(),
}))
"""


@pytest.fixture(scope="module")
def numpy_free_python(tmp_path_factory) -> tuple[list[str], dict[str, str]]:
    """Return the command of a Python with pydicom and dicompress but without numpy, and its environment."""
    python, env = isolated_python(tmp_path_factory.mktemp("no-numpy"), ["pydicom"])
    return [python, "-c", SCRIPT], env


@pytest.fixture(scope="module")
def run_without_numpy(numpy_free_python, tmp_path_factory):
    """Run the script on US1_UNCR (RGB); return its JSON report and the two result paths."""
    command, env = numpy_free_python
    out = tmp_path_factory.mktemp("results")
    source = Path(pydicom.data.get_testdata_file("US1_UNCR.dcm"))
    rle_path, plain_path = out / "rle.dcm", out / "plain.dcm"
    done = subprocess.run(
        [*command, str(source), str(rle_path), str(plain_path)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), rle_path, plain_path


def test_numpy_plugin_is_reported_unavailable(run_without_numpy):
    report, _, _ = run_without_numpy
    assert "dicompress" not in report["available"]
    assert "pydicom" in report["available"]
    assert "dicompress - requires numpy" in report["missing"]
    assert report["engine"] == "pydicom (pure Python; numpy unavailable)"


def test_service_compresses_and_verifies_with_pydicoms_plugin(run_without_numpy):
    report, rle_path, _ = run_without_numpy
    assert report["rle"]["plugin"] == "pydicom"
    assert report["rle"]["verified"] is True
    original = read(file_bytes("US1_UNCR.dcm"))
    converted = read(rle_path.read_bytes())
    assert converted.file_meta.TransferSyntaxUID == RLELossless
    assert (pixels(converted) == pixels(original)).all()
    assert differing_elements(original, converted) == []


def test_service_decompresses_without_numpy(run_without_numpy):
    report, _, plain_path = run_without_numpy
    assert report["plain"]["verified"] is True
    assert (pixels(read(plain_path.read_bytes())) == pixels(read(file_bytes("US1_UNCR.dcm")))).all()


def test_rle_stream_is_the_same_as_with_numpy(run_without_numpy):
    from dicompress.service import convert

    _, rle_path, _ = run_without_numpy
    assert rle_path.read_bytes() == convert(file_bytes("US1_UNCR.dcm")).data
