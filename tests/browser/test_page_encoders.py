"""JPEG-LS, JPEG 2000 and HTJ2K Lossless written in the real page, by its WebAssembly encoders.

The page loads an encoder (web/codecs.js, through the pydicom plugin
dicompress.plugins.wasm_encoder) the first time a file is converted to its target, and
checks every frame with its decoders. The results are read on the host and decoded with
the command line's peers (pydicom with pyjpegls and pylibjpeg-openjpeg, DCMTK's
``dcmdjpls``) to the source's pixel values; colour images the page's JPEG 2000 and HTJ2K
encoders cannot write are kept unchanged with the reason; damaged input fails in one line.
"""

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from pydicom import dcmread

from dicompress import frontend
from tests import corpus, peers

from .conftest import App, copy_as, new_app
from .test_compressed_page import codec_requests

#: The targets in the order the tests choose them, with their Transfer Syntax UIDs.
TARGETS = {name: frontend.target(name).syntax for name in ("jpeg-ls", "j2k", "htj2k")}
#: The codec files each target makes the page load (an encoder, and the decoder that checks it).
ENCODER_FILES = {
    "jpeg-ls": ["charls-encoder/charlswasm.mjs", "charls-encoder/charlswasm.wasm",
                "charls/charlswasm_decode.mjs", "charls/charlswasm_decode.wasm"],
    "j2k": ["openjpeg-encoder/openjpegwasm.mjs", "openjpeg-encoder/openjpegwasm.wasm",
            "openjpeg/openjpegwasm_decode.mjs", "openjpeg/openjpegwasm_decode.wasm"],
    "htj2k": ["openjph/openjphjs.mjs", "openjph/openjphjs.wasm"],  # checked by OpenJPEG, loaded for j2k
}
#: Corpus images: grey 12 and 16 bits, signed (and sign-extended 12 of 16), 8-bit RGB, multi-frame.
FILES = ["CT_small.dcm", "MR_small.dcm", "mlut_18.dcm", "US1_UNCR.dcm", "SC_rgb.dcm", "emri_small.dcm"]
#: 16-bit RGB: the page writes it as JPEG-LS and keeps it for JPEG 2000 and HTJ2K.
WIDE_COLOUR = "SC_rgb_16bit.dcm"


@pytest.fixture(scope="module")
def app(browser, servers, dist, tmp_path_factory) -> Iterator[App]:
    """The app; results are read through their links (see test_compressed_page's app)."""
    app = new_app(browser, servers.origin + "/", tmp_path_factory.mktemp("downloads"), "numpy", dist,
                  bypass_csp=True).open().wait_ready()
    yield app
    app.context.close()


def requested(app: App) -> set[str]:
    return {url.split("/codecs/", 1)[1] for url in codec_requests(app)}


@pytest.fixture(scope="module")
def converted(app: App, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Every file converted to every target; target -> page name -> the source's copy.

    Each target's encoder must be loaded by its first file, not before.
    """
    assert requested(app) == set(), "codec files were downloaded before any file needed them"
    sources: dict[str, dict[str, Path]] = {}
    loaded: set[str] = set()
    for target in TARGETS:
        folder = tmp_path_factory.mktemp(target)
        paths = [copy_as(corpus.path(name), folder, f"{target}-{name}") for name in [*FILES, WIDE_COLOUR]]
        app.add(paths, target)
        for path in paths:
            app.wait_finished(path.name)
        loaded |= set(ENCODER_FILES[target])
        assert requested(app) == loaded, target
        sources[target] = {path.name: path for path in paths}
    return sources


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", FILES)
def test_the_page_writes_each_target_holding_the_source_pixels(app, converted, name, target):
    page_name = f"{target}-{name}"
    row = app.row(page_name)
    assert row.get_attribute("data-status") == "done", row.inner_text()
    expect(row.locator(".result-verified")).to_have_text(re.compile(r"^✓ identical"))
    expect(row.locator(".result-plugin")).to_have_text("WebAssembly")
    result = dcmread(BytesIO(app.offered_bytes(page_name)))
    assert result.file_meta.TransferSyntaxUID == TARGETS[target]
    assert np.array_equal(result.pixel_array, corpus.image(name).read().pixel_array)


def test_wide_colour_is_written_as_jpeg_ls_and_kept_for_jpeg_2000_and_htj2k_with_the_reason(app, converted):
    row = app.row(f"jpeg-ls-{WIDE_COLOUR}")
    assert row.get_attribute("data-status") == "done", row.inner_text()
    result = dcmread(BytesIO(app.offered_bytes(f"jpeg-ls-{WIDE_COLOUR}")))
    assert np.array_equal(result.pixel_array, corpus.image(WIDE_COLOUR).read().pixel_array)
    for target, name in (("j2k", "JPEG 2000"), ("htj2k", "HTJ2K")):
        row = app.row(f"{target}-{WIDE_COLOUR}")
        assert row.get_attribute("data-status") == "kept", row.inner_text()
        assert row.get_attribute("data-code") == "unsupported"
        expect(row).to_contain_text(f"the page's {name} encoder writes colour samples of 8 bits only; "
                                    f"the command line (--syntax {target}) writes it")
        assert app.offered_bytes(f"{target}-{WIDE_COLOUR}") == corpus.path(WIDE_COLOUR).read_bytes()


@pytest.mark.peers
@pytest.mark.parametrize("target", TARGETS)
def test_a_downloaded_result_decodes_with_the_peers_to_the_source(app, converted, target, tmp_path):
    path = app.download(f"{target}-US1_UNCR.dcm")
    source = corpus.image("US1_UNCR.dcm").read().pixel_array
    assert np.array_equal(dcmread(path).pixel_array, source)
    if target == "jpeg-ls":
        peers.require_tools("dcmdjpls")
        assert np.array_equal(dcmread(peers.dcmdjpls(path, tmp_path / "plain.dcm")).pixel_array, source)


def test_damaged_input_fails_in_one_line_and_the_next_file_converts(app, converted, tmp_path):
    data = corpus.path("MR_small.dcm").read_bytes()
    damaged = tmp_path / "damaged-to-htj2k.dcm"
    damaged.write_bytes(data[: len(data) // 2])
    good = copy_as(corpus.path("CT_small.dcm"), tmp_path, "after-damaged-to-htj2k.dcm")
    app.add([damaged, good], "htj2k")
    assert app.wait_finished(damaged.name) == "error"
    message = app.error_text(damaged.name)
    assert app.row(damaged.name).get_attribute("data-code")
    assert message.strip() and "\n" not in message.strip() and "Traceback" not in message, message
    assert app.wait_finished(good.name) == "done", app.row(good.name).inner_text()


def test_an_encoder_the_page_cannot_download_fails_its_file_in_one_line_and_the_others_go_on(
        browser, servers, dist, tmp_path):
    app = new_app(browser, servers.origin + "/", tmp_path / "downloads", "numpy", dist).open().wait_ready()
    try:
        app.context.route("**/codecs/charls-encoder/**", lambda route: route.abort("failed"))
        refused = copy_as(corpus.path("CT_small.dcm"), tmp_path, "unloadable-CT_small.dcm")
        app.add([refused], "jpeg-ls")
        assert app.wait_finished(refused.name) == "error"
        assert app.row(refused.name).get_attribute("data-code") == "codec-unavailable"
        message = app.error_text(refused.name)
        assert "\n" not in message and re.search(r"charls-encoder.* could not be loaded", message), message
        other = copy_as(corpus.path("MR_small.dcm"), tmp_path, "after-MR_small.dcm")
        app.add([other], "rle")
        assert app.wait_finished(other.name) == "done"
    finally:
        app.context.close()
