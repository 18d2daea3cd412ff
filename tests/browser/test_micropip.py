"""Our wheel in any Pyodide: a bare page (no app code) installs it with micropip and compresses.

This is what a JupyterLite or PyScript user does to get the plugin in a notebook; here
every file comes from the app's own origin (numpy through Pyodide's lock file).
"""

import shutil
from urllib.parse import urlsplit

import pytest
from pydicom.data import get_testdata_file

from .conftest import new_app

BARE_PAGE = """<!doctype html><meta charset="utf-8"><title>bare Pyodide</title>
<script type="module">
import { loadPyodide } from "/pyodide/pyodide.mjs";
try {
  const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
  await pyodide.loadPackage("micropip");
  const manifest = await (await fetch("/manifest.json")).json();
  const urls = Object.fromEntries(manifest.wheels.map((w) => [w.name, new URL("/" + w.url, location).href]));
  pyodide.globals.set("PYDICOM_URL", urls.pydicom);
  pyodide.globals.set("DICOMPRESS_URL", urls.dicompress);
  window.result = (await pyodide.runPythonAsync(`
import io
import micropip
await micropip.install(PYDICOM_URL)
await micropip.install(DICOMPRESS_URL)  # numpy comes from Pyodide's lock file

import dicompress
from pydicom import dcmread
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.uid import RLELossless
from pyodide.http import pyfetch

dicompress.register()
data = await (await pyfetch("CT_small.dcm")).bytes()
ours, reference = dcmread(io.BytesIO(data)), dcmread(io.BytesIO(data))
ours.compress(RLELossless)  # no plugin named: register() put ours first
reference.compress(RLELossless, encoding_plugin="pydicom")
{
    "installed": sorted(micropip.list()),
    "first_plugin": next(iter(RLELosslessEncoder.available_plugins)),
    "same_as_pydicom": ours.PixelData == reference.PixelData,
    "syntax": str(ours.file_meta.TransferSyntaxUID),
}
`)).toJs({ dict_converter: Object.fromEntries });
} catch (err) {
  window.result = { error: String(err) };
}
</script>
"""


@pytest.fixture
def bare_page(browser, servers, tmp_path):
    """A page with nothing but Pyodide, served beside the build on the app's origin."""
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "index.html").write_text(BARE_PAGE)
    shutil.copyfile(get_testdata_file("CT_small.dcm"), folder / "CT_small.dcm")
    app = new_app(browser, servers.mount("/bare/", folder), tmp_path / "downloads", "numpy", folder)
    yield app
    app.context.close()


def test_a_bare_pyodide_installs_our_wheel_with_micropip_and_compresses(bare_page):
    bare_page.open()
    bare_page.page.wait_for_function("window.result !== undefined", timeout=120_000)
    result = bare_page.page.evaluate("window.result")
    assert "error" not in result, result["error"]
    assert {"dicompress", "numpy", "pydicom"} <= set(result["installed"])
    assert result["first_plugin"] == "dicompress"
    assert result["same_as_pydicom"] is True
    assert result["syntax"] == "1.2.840.10008.1.2.5"
    origin = urlsplit(bare_page.url).netloc
    assert [r.url for r in bare_page.requests if urlsplit(r.url).netloc != origin] == []
