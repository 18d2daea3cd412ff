"""How the worker loads numpy: from the configured folder, checked against its sha256.

The real numpy wheel for Pyodide is not obtainable here, so these tests use a stand-in
wheel with numpy's exact file name (a tiny pure-Python package) and a copy of dist/
whose manifest names it. They check the loading path, not numpy itself; with
DICOMPRESS_PYODIDE_DIST set, test_app.py runs every conversion on the real numpy.
"""

import base64
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import build, new_app

STANDIN_VERSION = "2.4.6-standin"


def standin_wheel(file_name: str) -> bytes:
    """A wheel that installs a package named numpy and nothing else."""
    files = {
        "numpy/__init__.py": f"__version__ = {STANDIN_VERSION!r}\n".encode(),
        "numpy-2.4.6.dist-info/METADATA": b"Metadata-Version: 2.1\nName: numpy\nVersion: 2.4.6\n",
        "numpy-2.4.6.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n",
    }
    record = [f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}"
              for n, d in files.items()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("numpy-2.4.6.dist-info/RECORD", "\n".join([*record, "numpy-2.4.6.dist-info/RECORD,,"]))
    return buffer.getvalue()


def dist_with_standin(dist: Path, target: Path, *, honest_sha256: bool) -> Path:
    """Copy dist/ to `target`, with the stand-in numpy in its pyodide/ folder."""
    shutil.copytree(dist, target)
    manifest = json.loads((target / "manifest.json").read_text())
    file_name = manifest["numpy"]["url"].rsplit("/", 1)[1]
    wheel = standin_wheel(file_name)
    (target / "pyodide" / file_name).write_bytes(wheel)
    manifest["numpy"].update(url=f"pyodide/{file_name}", folder="pyodide/",
                             sha256=hashlib.sha256(wheel if honest_sha256 else b"other").hexdigest())
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.fixture(params=[True, False], ids=["sha256-matches", "sha256-differs"])
def standin_app(request, browser, servers, dist, tmp_path):
    folder = dist_with_standin(dist, tmp_path / "dist", honest_sha256=request.param)
    url = servers.mount(f"/standin-{request.param}/", folder)
    app = new_app(browser, url, tmp_path / "downloads", "standin", folder)
    app.open().wait_ready()
    yield app, request.param
    app.context.close()


def test_numpy_is_used_only_when_its_sha256_matches(standin_app):
    app, honest = standin_app
    engine = app.page.locator("[data-testid=engine]")
    numpy_row = app.page.locator('#downloads [data-key="numpy"]')
    if honest:
        expect(engine).to_have_attribute("data-engine", "numpy")
        expect(engine).to_contain_text(f"dicompress (numpy {STANDIN_VERSION})")
        expect(numpy_row).to_have_attribute("data-state", "done")
    else:
        expect(engine).to_have_attribute("data-engine", "fallback")
        expect(numpy_row).to_have_attribute("data-state", "failed")
        expect(numpy_row).to_have_attribute("title", "numpy could not be installed "
                                            "(numpy does not match its sha256 in manifest.json)")
    assert app.blocked == [], "numpy was fetched from somewhere else than the configured folder"


def test_a_build_without_numpy_talks_to_its_own_origin_only(browser, servers, tmp_path):
    folder = build(tmp_path / "dist", "--no-numpy")
    app = new_app(browser, servers.mount("/no-numpy/", folder), tmp_path / "downloads", "fallback", folder)
    try:
        app.open().wait_ready()
        csp = app.page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert "connect-src 'self';" in csp
        expect(app.page.get_by_role("region", name="Privacy")).not_to_contain_text("other site it contacts")
        expect(app.page.locator("[data-testid=engine]")).to_have_attribute("data-engine", "fallback")
        expect(app.page.locator('#downloads [data-key="numpy"]')).to_have_attribute(
            "title", "numpy is not part of this build")
        assert app.blocked == []
    finally:
        app.context.close()


def test_a_numpy_download_that_hangs_is_given_up_after_the_time_limit(browser, servers, dist, tmp_path):
    folder = tmp_path / "dist"
    shutil.copytree(dist, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["numpy"]["timeout_ms"] = 1500
    (folder / "manifest.json").write_text(json.dumps(manifest))
    app = new_app(browser, servers.mount("/hanging-numpy/", folder), tmp_path / "downloads", "fallback", folder)
    held = []
    app.context.route(lambda url: url == manifest["numpy"]["url"], lambda route: held.append(route))  # never answered
    try:
        app.open().wait_ready(timeout=20_000)
        assert len(held) == 1
        expect(app.page.locator("[data-testid=engine]")).to_have_attribute("data-engine", "fallback")
        expect(app.page.locator('#downloads [data-key="numpy"]')).to_have_attribute(
            "title", "numpy could not be downloaded (no data for 1.5 s)")
    finally:
        app.context.close()
