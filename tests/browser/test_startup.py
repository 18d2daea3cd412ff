"""The worker's start-up (web/startup.js): Pyodide's own packages start from the build's bytecode.

Pyodide's official numpy and micropip wheels ship Python sources only; the build adds
their bytecode (``bytecode/*.zip``, checked against manifest.json), which the worker
unpacks next to the sources, so Python does not compile them again at every start. A
tampered archive is left out: Python then compiles the sources, and the page works as before.
The standard library's archive is not read again by every ``importlib.invalidate_caches()``
(CPython 3.12's zipimport does that for each of its importers); other archives still are.
"""

import json
import shutil

from playwright.sync_api import expect
from pydicom.data import get_testdata_file

from .conftest import new_app

CHECK_PAGE = """<!doctype html><meta charset="utf-8"><title>start-up check</title>
<script type="module">
const worker = new Worker("./check-worker.js", { type: "module" });
worker.onmessage = (event) => { window.result = event.data; };
worker.onerror = (event) => { window.result = { error: String(event.message) }; };
</script>
"""

# The app's own start-up in a module worker, then a look at what Python imported.
CHECK_WORKER = """import { start } from "/startup.js";
try {
  const { pyodide } = await start(() => {}, null);
  postMessage(pyodide.runPython(`
import os, site, sys
root = site.getsitepackages()[0] + "/"
modules = {}
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None) or ""
    package = path[len(root):].split("/")[0] if path.startswith(root) else None
    if package in ("numpy", "micropip") and path.endswith(".py"):
        cached = module.__cached__
        # 0b01 in the flags: an unchecked hash-based .pyc (PEP 552), as the build writes them.
        modules[module.__name__] = os.path.exists(cached) and open(cached, "rb").read(8)[4:8] == bytes([1, 0, 0, 0])

# importlib.invalidate_caches() (after every install) keeps the standard library's directory...
import importlib, zipfile, zipimport
importers = [i for i in sys.path_importer_cache.values() if isinstance(i, zipimport.zipimporter)]
read = [id(i._files) for i in importers]
importlib.invalidate_caches()
stdlib_kept = len(importers) > 10 and [id(i._files) for i in importers] == read
# ...and still sees what changes in any other archive.
with zipfile.ZipFile("/tmp/extra.zip", "w") as archive:
    archive.writestr("extra_one.py", "VALUE = 1")
sys.path.append("/tmp/extra.zip")
import extra_one
with zipfile.ZipFile("/tmp/extra.zip", "a") as archive:
    archive.writestr("extra_two.py", "VALUE = 2")
importlib.invalidate_caches()
import extra_two
{"writes_bytecode": not sys.dont_write_bytecode, "modules": modules, "stdlib_kept": stdlib_kept,
 "other_archive": extra_one.VALUE + extra_two.VALUE}
`).toJs({ dict_converter: Object.fromEntries }));
} catch (err) {
  postMessage({ error: String(err) });
}
"""


def test_numpy_and_micropip_start_from_the_builds_bytecode_and_the_stdlib_is_read_once(browser, servers, tmp_path):
    folder = tmp_path / "check"
    folder.mkdir()
    (folder / "index.html").write_text(CHECK_PAGE)
    (folder / "check-worker.js").write_text(CHECK_WORKER)
    page = new_app(browser, servers.mount("/startup-check/", folder), tmp_path, "numpy", folder).open().page
    try:
        page.wait_for_function("window.result !== undefined", timeout=180_000)
        result = page.evaluate("window.result")
        assert "error" not in result, result["error"]
        # Python writes no bytecode here, so each .pyc found came from the build's archives.
        assert result["writes_bytecode"] is False
        modules = result["modules"]
        assert {name.split(".")[0] for name in modules} == {"numpy", "micropip"}
        assert len([name for name in modules if name.startswith("numpy.")]) > 50
        assert [name for name, ours in modules.items() if not ours] == []
        assert result["stdlib_kept"] is True
        assert result["other_archive"] == 3
    finally:
        page.context.close()


def test_a_tampered_bytecode_archive_is_left_out_and_the_page_still_converts(browser, servers, dist, tmp_path):
    folder = tmp_path / "dist"
    shutil.copytree(dist, folder)
    entry = next(e for e in json.loads((folder / "manifest.json").read_text())["bytecode"] if e["package"] == "numpy")
    archive = folder / entry["url"]
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    app = new_app(browser, servers.mount("/tampered-bytecode/", folder), tmp_path / "downloads", "numpy", folder)
    warnings: list[str] = []
    app.page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    try:
        app.open().wait_ready()
        expect(app.page.get_by_test_id("engine")).to_have_attribute("data-engine", "numpy")
        assert f"{entry['url']} is not used: it does not match its sha256 in manifest.json" in warnings
        app.add([get_testdata_file("CT_small.dcm")])
        assert app.wait_finished("CT_small.dcm") == "done"
    finally:
        app.context.close()
