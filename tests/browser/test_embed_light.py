"""<dicompress-app> on a documentation page: nothing heavy is downloaded before a reader uses it.

The converter (Python, numpy, pydicom, dicompress: about 22 MB) starts at the first sign of
use: a pointer over the element, focus in it, a drag over it, or a file given. Reading the
page costs only the element's markup, styles and scripts. The attribute ``preload`` starts
the converter at once.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import App, copy_as, new_app
from .dicom_checks import assert_converted

#: What a page embedding the element may download while it is read and not used.
LIGHT_BYTES = 600_000


def host_page(attributes: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Guide</title>
<script type="module" src="../../static/dicompress/dicompress-embed.js"></script></head>
<body><h1>Compress DICOM files</h1><p>Some text to read first.</p>
<dicompress-app base-url="../../static/dicompress/" {attributes}></dicompress-app></body>
</html>
"""


@pytest.fixture(scope="module")
def site(servers, dist, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("light-site")
    (folder / "guide").mkdir()
    (folder / "guide" / "lazy.html").write_text(host_page(""))
    (folder / "guide" / "preload.html").write_text(host_page("preload"))
    servers.mount("/light/static/dicompress/", dist)
    return servers.mount("/light/site/", folder) + "guide/"


def open_embed(browser, url: str, dist: Path, downloads: Path) -> App:
    app = new_app(browser, url, downloads, "numpy", dist)
    app.ready_selector = "dicompress-app"
    app.open()
    expect(app.page.locator("[data-testid=file-input]")).to_be_attached()
    return app


def transferred_bytes(app: App) -> int:
    """Bytes of every finished request of the page (headers and bodies, both ways)."""
    total = 0
    for request in app.requests:
        if request.response() is not None:
            total += sum(request.sizes().values())
    return total


def paths(app: App) -> list[str]:
    return [urlsplit(request.url).path for request in app.requests]


def test_reading_the_page_downloads_no_converter_and_a_file_given_then_converts(
        browser, site, dist, tmp_path, record_property):
    app = open_embed(browser, site + "lazy.html", dist, tmp_path / "downloads")
    try:
        page = app.page
        expect(page.locator("#phase")).to_have_text(re.compile("starts when you point at it or add files"))
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1_500)  # time in which a started converter would have asked for its files
        light = transferred_bytes(app)
        record_property("embed_idle_bytes", light)
        assert not [p for p in paths(app) if "/pyodide/" in p or p.endswith((".whl", ".wasm", ".zip"))], paths(app)
        assert light <= LIGHT_BYTES, f"{light} bytes downloaded before use"
        expect(page.locator("dicompress-app")).not_to_have_attribute("data-ready", "true")

        source = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, "light-MR_small.dcm")
        app.add([source])
        expect(app.row(source.name)).to_have_attribute("data-status", re.compile("^(queued|working|done)$"))
        assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
        assert_converted(source, app.download(source.name), RLELossless)
        assert any("/pyodide/" in p for p in paths(app))
    finally:
        app.context.close()


def test_a_pointer_over_the_element_starts_the_converter(browser, site, dist, tmp_path):
    app = open_embed(browser, site + "lazy.html", dist, tmp_path / "downloads")
    try:
        app.page.hover("dicompress-app")
        app.wait_ready()
    finally:
        app.context.close()


def test_preload_starts_the_converter_without_use(browser, site, dist, tmp_path):
    app = open_embed(browser, site + "preload.html", dist, tmp_path / "downloads")
    try:
        app.wait_ready()
    finally:
        app.context.close()
