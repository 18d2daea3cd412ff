"""Without the codecs extra: compressed inputs fail with the command that enables them.

Runs in a Python that has pydicom, numpy and tqdm but none of the decoders (as after a
plain ``pip install dicompress``). dicompress's own plugin for the page's WebAssembly
codecs is there too, and says it is unavailable outside Pyodide.
"""

import json
import subprocess

import pytest
from pydicom import dcmread
from pydicom.uid import HTJ2KLossless, JPEG2000Lossless, JPEGLSLossless, RLELossless

from tests import corpus
from tests.cli_helpers import totals_line
from tests.venvs import isolated_python

INSTALL = 'pip install "dicompress[codecs]"'

SCRIPT = r"""
import json, sys
from importlib.util import find_spec
assert find_spec("PIL") is None and find_spec("pylibjpeg") is None and find_spec("jpeg_ls") is None
from dicompress.reading import compressed_input
from dicompress.errors import ConversionError
from dicompress.service import convert

files, out = json.loads(sys.argv[1]), sys.argv[2]
report = {}

def attempt(name):
    data = open(files[name], "rb").read()
    try:
        result = convert(data)
    except ConversionError as exc:
        return {"code": exc.code, "message": str(exc), "syntax": getattr(exc, "syntax", None)}
    open(f"{out}/{name}", "wb").write(result.data)
    return {"code": "done", "lossy_source": result.report.lossy_source}

report["before"] = {name: attempt(name) for name in files}
report["enabled"] = compressed_input.enable_codecs()
print(json.dumps(report))
"""

FILES = ["US1_J2KR.dcm", "examples_ybr_color.dcm", "JPGExtended.dcm", "JPEGLSNearLossless_08.dcm",
         "JPGLosslessP14SV1_1s_1f_8b.dcm"]


@pytest.fixture(scope="module")
def codec_free_python(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """Return a Python with pydicom, numpy and tqdm (no decoders), and its environment."""
    return isolated_python(tmp_path_factory.mktemp("no-codecs"), ["pydicom", "numpy", "tqdm"])


@pytest.fixture(scope="module")
def run(codec_free_python, tmp_path_factory):
    """Run the script on FILES; return its JSON report and the folder of its results."""
    python, env = codec_free_python
    out = tmp_path_factory.mktemp("out")
    files = json.dumps({name: str(corpus.path(name)) for name in FILES})
    done = subprocess.run([python, "-c", SCRIPT, files, str(out)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), out


@pytest.mark.parametrize("name, syntax", [
    ("US1_J2KR.dcm", "JPEG 2000 Image Compression (Lossless Only)"),
    ("examples_ybr_color.dcm", "JPEG Baseline (Process 1)"),
    ("JPEGLSNearLossless_08.dcm", "JPEG-LS Lossy (Near-Lossless) Image Compression"),
    ("JPGLosslessP14SV1_1s_1f_8b.dcm",
     "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])"),
])
def test_the_message_names_the_syntax_and_the_install_command(name, syntax, run):
    report, _ = run
    assert report["before"][name] == {
        "code": "decoder-missing",
        "message": f"the pixel data is compressed as {syntax}, and the decoders it needs are not installed: {INSTALL}",
        "syntax": syntax,
    }


def test_the_command_line_prints_the_message_and_fails(codec_free_python, tmp_path):
    python, env = codec_free_python
    done = subprocess.run([python, "-m", "dicompress", str(corpus.path("US1_J2KR.dcm")), "-o", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 1
    assert INSTALL in done.stdout
    assert totals_line(done.stdout) == "1 file: 0 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"


ENCODE_SCRIPT = r"""
import json, sys
from dicompress.errors import ConversionError
from dicompress.service import convert

data = open(sys.argv[1], "rb").read()
report = {}
for target in ("jpeg-ls", "j2k", "htj2k"):
    try:
        convert(data, target)
        report[target] = {"code": "done"}
    except ConversionError as exc:
        report[target] = {"code": exc.code, "message": str(exc), "syntax": exc.syntax}
print(json.dumps(report))
"""


def test_the_smaller_lossless_targets_name_the_install_command(codec_free_python):
    python, env = codec_free_python
    done = subprocess.run([python, "-c", ENCODE_SCRIPT, str(corpus.path("MR_small.dcm"))],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    syntaxes = {"jpeg-ls": JPEGLSLossless.name, "j2k": JPEG2000Lossless.name, "htj2k": HTJ2KLossless.name}
    assert json.loads(done.stdout) == {
        target: {"code": "encoder-missing", "syntax": syntax,
                 "message": f"writing {syntax} needs encoders that are not installed: {INSTALL}"}
        for target, syntax in syntaxes.items()
    }


def test_the_command_line_names_the_install_command_for_a_smaller_target(codec_free_python, tmp_path):
    python, env = codec_free_python
    done = subprocess.run([python, "-m", "dicompress", str(corpus.path("MR_small.dcm")), "-o", str(tmp_path),
                           "--syntax", "htj2k"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 1
    assert f"needs encoders that are not installed: {INSTALL}" in done.stdout
    assert not (tmp_path / "MR_small.dcm").exists()


def test_the_page_codecs_plugin_is_unavailable_outside_pyodide(run):
    report, _ = run
    assert report["enabled"] == []
