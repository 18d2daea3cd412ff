"""The real page converts real files; results are checked on the host with pydicom and DCMTK.

All tests in this module share one page (the numpy engine) and add their own files to it.
"""

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, RLELossless

from dicompress import frontend
from dicompress.frontend import output_names

from tests import peers

from .conftest import App, copy_as
from .dicom_checks import assert_converted, assert_dcmtk_decodes

REAL_FILES = ["CT_small.dcm", "MR_small.dcm", "US1_UNCR.dcm", "rtdose.dcm", "RG1_UNCR.dcm"]


@pytest.fixture(scope="module")
def rle_batch(app: App, tmp_path_factory) -> dict[str, Path]:
    """The real files, added in one go and converted to RLE Lossless."""
    folder = tmp_path_factory.mktemp("originals")
    originals = {name: copy_as(get_testdata_file(name), folder, name) for name in REAL_FILES}
    app.add(list(originals.values()), "rle")
    for name in REAL_FILES:
        app.wait_finished(name)
    return originals


def test_engine_is_dicompress_on_pyodides_numpy(app: App):
    engine = app.page.locator("[data-testid=engine]")
    expect(engine).to_have_attribute("data-engine", "numpy")
    expect(engine).to_have_text("Engine: fast (numpy 2.0.2)")
    expect(app.page.locator('#downloads [data-key="numpy"]')).to_have_attribute("data-state", "done")


def test_the_selector_offers_every_target_enabled(app: App):
    options = app.page.locator("[data-testid=syntax] option")
    expect(options).to_have_count(len(frontend.TARGETS))
    assert options.evaluate_all("os => os.map((o) => [o.value, o.disabled, o.text])") == [
        [t.name, False, f"{t.label} ({t.hint})"] for t in frontend.TARGETS]
    assert app.page.locator("[data-testid=syntax]").input_value() == frontend.DEFAULT_TARGET
    expect(app.page.locator("#syntax-note")).to_be_hidden()


@pytest.mark.parametrize("name", REAL_FILES)
def test_compresses_real_file_to_rle_lossless(app: App, rle_batch, name, tmp_path):
    row = app.row(name)
    assert row.get_attribute("data-status") == "done", row.inner_text()
    expect(row.locator(".result-plugin")).to_have_text("fast")
    expect(row.locator(".result-verified")).to_have_text("✓ identical")
    result = app.download(name)
    assert result.name == name  # results keep their input's name
    assert_converted(rle_batch[name], result, RLELossless)
    assert_dcmtk_decodes(rle_batch[name], result, tmp_path)


def test_warnings_about_a_file_are_shown_once_on_its_row(app: App, rle_batch):
    warnings = app.row("rtdose.dcm").get_by_test_id("warnings")
    expect(warnings).to_have_count(1)
    expect(warnings).to_have_text(re.compile(r"^⚠ Invalid value for VR UI: '1\.2\.123\.456[^⚠]*$"))
    expect(app.row("CT_small.dcm").get_by_test_id("warnings")).to_have_count(0)


def test_compresses_a_whole_folder(app: App, tmp_path):
    study = tmp_path / "study"
    files = {
        "study/series1/CT_small.dcm": get_testdata_file("CT_small.dcm"),
        "study/series1/MR_small.dcm": get_testdata_file("MR_small.dcm"),
        "study/series2/IM0001": get_testdata_file("US1_UNCR.dcm"),
    }
    for relative, source in files.items():
        copy_as(source, tmp_path / Path(relative).parent, Path(relative).name)
    (study / "series1" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    app.add_folder(study, "rle")
    for relative in files:
        assert app.wait_finished(relative) == "done", app.row(relative).inner_text()
    expect(app.row("study/series1/.DS_Store")).to_have_count(0)
    assert app.download("study/series2/IM0001").name == "IM0001"
    for relative, source in files.items():
        assert_converted(Path(source), app.download(relative), RLELossless)


def test_decompresses_an_rle_file(app: App, tmp_path):
    source = copy_as(get_testdata_file("MR_small_RLE.dcm"), tmp_path, "decompress-MR_small_RLE.dcm")
    app.add([source], "explicit")
    assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    result = app.download(source.name)
    assert result.name == "decompress-MR_small_RLE.dcm"
    assert_converted(source, result, ExplicitVRLittleEndian)


def test_writes_deflated_explicit_vr_little_endian(app: App, tmp_path):
    source = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "deflate-CT_small.dcm")
    app.add([source], "deflate")
    assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    assert_converted(source, app.download(source.name), DeflatedExplicitVRLittleEndian)


BAD_INPUTS = {
    "bad.png": r"DICOM",
    "empty.dcm": r"empty",
    "truncated.dcm": r"short|truncat|incomplete",
    "jpeg-12-bit.dcm": r"JPEG Extended .*cannot be converted in the browser.*command line",
}


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def write_bad_inputs(folder: Path) -> Path:
    """Write the BAD_INPUTS files into `folder`; return a good file written beside them."""
    ct = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    (folder / "bad.png").write_bytes(png_bytes())
    (folder / "empty.dcm").write_bytes(b"")
    (folder / "truncated.dcm").write_bytes(ct[: len(ct) // 2])
    copy_as(get_testdata_file("JPGExtended.dcm"), folder, "jpeg-12-bit.dcm")  # no 12-bit decoder in the page
    return copy_as(get_testdata_file("MR_small.dcm"), folder, "good-among-bad.dcm")


def test_bad_inputs_get_their_own_error_rows(app: App, tmp_path):
    good = write_bad_inputs(tmp_path)
    names = list(BAD_INPUTS)
    app.add([tmp_path / names[0], tmp_path / names[1], good, *(tmp_path / n for n in names[2:])], "rle")
    for name, expected in BAD_INPUTS.items():
        assert app.wait_finished(name) == "error", f"{name} was not rejected"
        message = app.error_text(name)
        assert "\n" not in message.strip() and "Traceback" not in message, message
        assert re.search(expected, message, re.I), f"{name}: unclear message {message!r}"
        expect(app.row(name).locator(".result-thumb"), "an empty picture box for a file not read").to_have_count(0)
    assert app.wait_finished(good.name) == "done", app.row(good.name).inner_text()
    assert_converted(good, app.download(good.name), RLELossless)


def jpeg_codec_requests(app: App) -> list[str]:
    """Requests for the page's JPEG decoder made by the page or its workers (not the offline cache)."""
    return [r.url for r in app.requests if "/codecs/libjpeg-turbo/" in r.url and r.service_worker is None]


def test_a_jpeg_file_loads_its_decoder_on_demand_and_converts_as_dcmdjpeg_decodes(app: App, tmp_path):
    assert jpeg_codec_requests(app) == [], "the JPEG decoder was loaded before any JPEG file arrived"
    # YBR_FULL_422: the chroma upsampling Pyodide's Pillow (IJG libjpeg 9) got wrong by up to 37.
    source = copy_as(get_testdata_file("SC_rgb_dcmtk_+eb+cy+np.dcm"), tmp_path, "jpeg-baseline.dcm")
    app.add([source])
    assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    requested = [url.rsplit("/", 1)[1] for url in jpeg_codec_requests(app)]
    assert set(requested) == {"libjpegturbowasm_decode.mjs", "libjpegturbowasm_decode.wasm"}
    assert requested.count("libjpegturbowasm_decode.wasm") == 1
    expect(app.row(source.name).get_by_test_id("lossy")).to_have_text("lossy source")
    result = dcmread(app.download(source.name))
    assert result.file_meta.TransferSyntaxUID == RLELossless
    assert result.PhotometricInterpretation == "RGB" and result.LossyImageCompression == "01"
    theirs = dcmread(peers.dcmdjpeg(source, tmp_path / "dcmdjpeg.dcm")).pixel_array
    assert np.abs(result.pixel_array.astype(int) - theirs.astype(int)).max() <= 2


def test_download_all_gives_a_zip_with_every_result(app: App, rle_batch):
    button = app.page.locator("[data-testid=download-all]")
    expect(button, "Download all stayed disabled").to_be_enabled(timeout=30_000)
    offered = app.page.locator("[data-testid=result][data-status=done], [data-testid=result][data-status=copied]")
    paths = [offered.nth(i).get_attribute("data-filename") for i in range(offered.count())]
    with app.page.expect_download(timeout=60_000) as info:
        button.click()
    archive = zipfile.ZipFile(info.value.path())
    names = archive.namelist()
    assert names == output_names(paths)  # the CLI's rule: names and folders kept, duplicates numbered
    assert {"RG1_UNCR.dcm", "study/series2/IM0001"} <= set(names)
    assert archive.read("RG1_UNCR.dcm") == app.download("RG1_UNCR.dcm").read_bytes()
    for name in names:
        dcmread(io.BytesIO(archive.read(name)))


def test_download_all_streams_the_zip_into_the_file_the_person_picks(app: App, rle_batch):
    # The browser's save dialog picks a file of the Origin Private File System here (headless
    # Chromium shows none); the page writes the ZIP into it as it streams.
    expect(app.page.locator("[data-testid=download-all]")).to_be_enabled(timeout=30_000)
    app.page.evaluate("""() => {
      window.showSaveFilePicker = async ({ suggestedName }) => {
        window.pickedName = suggestedName;
        return (await navigator.storage.getDirectory()).getFileHandle("picked.zip", { create: true });
      };
    }""")
    try:
        app.page.get_by_test_id("download-all").click()
        expect(app.page.get_by_test_id("download-all")).to_have_text("Download all (ZIP)", timeout=60_000)
        saved = app.page.evaluate("""async () => {
          const file = await (await (await navigator.storage.getDirectory()).getFileHandle("picked.zip")).getFile();
          return Array.from(new Uint8Array(await file.arrayBuffer()));
        }""")
    finally:
        app.page.evaluate("() => { delete window.showSaveFilePicker; }")
    assert app.page.evaluate("window.pickedName") == "dicompress-results.zip"
    archive = zipfile.ZipFile(io.BytesIO(bytes(saved)))
    assert archive.read("RG1_UNCR.dcm") == app.download("RG1_UNCR.dcm").read_bytes()
    assert archive.testzip() is None


def test_screenshot_of_the_finished_page(app: App, rle_batch, artifacts):
    app.page.screenshot(path=artifacts / f"app-{app.engine}.png", full_page=True)
    app.page.set_viewport_size({"width": 390, "height": 844})
    try:
        overflow = app.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        privacy = app.page.get_by_role("region", name="Privacy").bounding_box()
        app.page.screenshot(path=artifacts / f"app-{app.engine}-phone.png", full_page=True)
    finally:
        app.page.set_viewport_size({"width": 1280, "height": 720})
    assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
    assert privacy["height"] <= 0.15 * 844, f"the privacy statement takes {privacy['height']}px of a phone screen"
