"""JPEG 2000, HTJ2K, JPEG-LS and JPEG Lossless files converted in the real page.

The page decodes them with its WebAssembly codecs (web/codecs.js through the pydicom plugin
dicompress.plugins.wasm_decoder), downloaded the first time a file needs them. Results are
checked on the host against pydicom with the codecs extra.
"""

from collections.abc import Iterator
from io import BytesIO
import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.encaps import encapsulate, generate_frames

from dicompress import frontend
from tests import corpus
from tests.compressed_files import edited, frames_of, reference_frames

from .conftest import App, copy_as, new_app

#: name on the page -> (corpus file, whether the source is lossy)
FILES = {
    "j2k-lossless.dcm": ("MR_small_jp2klossless.dcm", False),
    "j2k-lossy-rgb.dcm": ("US1_J2KI.dcm", True),
    "jpeg-ls-lossless.dcm": ("emri_small_jpeg_ls_lossless.dcm", False),
    "jpeg-ls-near-lossless.dcm": ("JPEGLSNearLossless_08.dcm", True),
    "jpeg-lossless-sv1.dcm": ("JPGLosslessP14SV1_1s_1f_8b.dcm", False),
}
# Every target the page can write.
TARGETS = {target.name: target.syntax for target in frontend.TARGETS if "page" in target.surfaces}


def codec_requests(app: App) -> list[str]:
    """Requests for codec files made by the page or its workers (not the offline cache)."""
    return [r.url for r in app.requests if "/codecs/" in r.url and r.service_worker is None]


@pytest.fixture(scope="module")
def app(browser, servers, dist, tmp_path_factory) -> Iterator[App]:
    """The app, whose results these tests read through their links (App.offered_bytes).

    Fifteen downloads in a row from one page stalled headless Chromium in several runs (the
    11th never started), so results are read in the page; its CSP (connect-src 'self') would
    forbid reading a blob: link, so this context bypasses the page's CSP. The privacy tests
    check that policy on the default app.
    """
    app = new_app(browser, servers.origin + "/", tmp_path_factory.mktemp("downloads"), "numpy", dist,
                  bypass_csp=True).open().wait_ready()
    yield app
    app.context.close()


@pytest.fixture(scope="module")
def converted(app: App, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every file converted to every target; (page name, target) -> the source's copy."""
    assert codec_requests(app) == [], "codec files were downloaded before any file needed them"
    sources = {}
    for target in TARGETS:
        folder = tmp_path_factory.mktemp(f"compressed-{target}")
        names = {f"{target}-{name}": test_file for name, (test_file, _) in FILES.items()}
        paths = [copy_as(corpus.path(test_file), folder, name) for name, test_file in names.items()]
        app.add(paths, target)
        for path in paths:
            assert app.wait_finished(path.name) == "done", app.row(path.name).inner_text()
            sources[(path.name.removeprefix(f"{target}-"), target)] = path
    return sources


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", FILES)
def test_the_page_converts_to_the_pixels_pydicom_decodes_with_the_codecs_extra(app, converted, name, target):
    source = converted[(name, target)]
    row = app.row(source.name)
    expect(row.locator(".result-verified")).to_have_text(re.compile(r"^✓ identical"))
    expect(row.get_by_test_id("thumbnail")).to_have_count(1)
    result = dcmread(BytesIO(app.offered_bytes(source.name)))
    assert result.file_meta.TransferSyntaxUID == TARGETS[target]
    want = reference_frames(dcmread(source))
    got = frames_of(result)
    assert len(got) == len(want)
    for frame, reference in zip(got, want):
        assert frame.dtype == reference.dtype and np.array_equal(frame, reference)


@pytest.mark.parametrize("name", FILES)
def test_a_lossy_source_is_marked_and_a_lossless_one_is_not(app, converted, name):
    lossy = FILES[name][1]
    row = app.row(converted[(name, "rle")].name)
    expect(row.get_by_test_id("lossy")).to_have_count(1 if lossy else 0)


def test_each_codec_file_is_downloaded_once_per_converter_and_checked_against_the_manifest(app, converted):
    requested = sorted(url.split("/codecs/", 1)[1] for url in codec_requests(app))
    # The worker fetches script and wasm to check their sha256, then imports the script.
    scripts = ["charls/charlswasm_decode.mjs", "jpeg-lossless/lossless.mjs", "openjpeg/openjpegwasm_decode.mjs",
               "charls-encoder/charlswasm.mjs", "openjpeg-encoder/openjpegwasm.mjs", "openjph/openjphjs.mjs"]
    wasm = ["charls/charlswasm_decode.wasm", "openjpeg/openjpegwasm_decode.wasm",
            "charls-encoder/charlswasm.wasm", "openjpeg-encoder/openjpegwasm.wasm", "openjph/openjphjs.wasm"]
    assert sorted(set(requested)) == sorted(scripts + wasm)
    # Each converter (a worker with its own Python) loads a codec the first time one of its files needs it.
    converters = app.page.eval_on_selector_all(
        "[data-testid=result]", "rows => new Set(rows.map((row) => row.dataset.engine)).size")
    counts = {path: requested.count(path) for path in wasm}
    assert all(1 <= count <= converters for count in counts.values()), (counts, converters)


def test_a_damaged_codestream_fails_with_one_line_and_the_next_file_converts(app, converted, tmp_path):
    damaged = tmp_path / "damaged-jpeg-ls.dcm"

    def cut(ds):
        (frame,) = generate_frames(ds.PixelData, number_of_frames=1)
        ds.PixelData = encapsulate([frame[: len(frame) // 3]])

    damaged.write_bytes(edited("MR_small_jpeg_ls_lossless.dcm", cut))
    good = copy_as(corpus.path("MR_small_jp2klossless.dcm"), tmp_path, "after-damaged.dcm")
    app.add([damaged, good], "rle")
    assert app.wait_finished(damaged.name) == "error"
    row = app.row(damaged.name)
    assert row.get_attribute("data-code") == "corrupt-pixel-data"
    message = app.error_text(damaged.name)
    assert "\n" not in message.strip() and "Traceback" not in message, message
    assert app.wait_finished(good.name) == "done", app.row(good.name).inner_text()
