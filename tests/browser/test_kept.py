"""A study with objects the target cannot hold, dropped on the page: a whole ZIP (issue 22).

The mixed study of tests/kept_files.make_mixed_study: two images, two 1-bit segmentations
(pydicom's liver.dcm and liver_expb.dcm), a Float Pixel Data image and an MPEG-2 video. To
RLE Lossless the last four are *kept* unchanged, with the reason on their rows, and the ZIP
holds all six; to Explicit VR Little Endian only the video is kept, and the 1-bit and float
results decode to the source pixels; with *Strict* ticked the kept files fail.
"""

import io
import zipfile

import numpy as np
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from tests.cli_helpers import tree
from dicompress.preview import describe
from tests.kept_files import KEPT_FOR_EXPLICIT, KEPT_FOR_RLE, make_mixed_study, repeated_one_bit

from .conftest import App
from .test_preview import thumbnail_pixels

#: 16 MiB of 1-bit frames: the worker streams the file (it reads whole only files under 16 MiB).
STREAMED_1_BIT_FRAMES = 2048


def _finish(app: App, folder, target: str) -> dict[str, str]:
    """Add `folder` for `target`; return each row's status once all are finished."""
    app.add_folder(folder, target)
    return {path: app.wait_finished(f"{folder.name}/{path}") for path in tree(folder)}


def _zip(app: App, folder) -> zipfile.ZipFile:
    with app.page.expect_download(timeout=60_000) as info:
        app.page.get_by_test_id("download-all").click()
    archive = zipfile.ZipFile(info.value.path())
    assert {name for name in archive.namelist() if name.startswith(f"{folder.name}/")} == {
        f"{folder.name}/{path}" for path in tree(folder)}
    return archive


def test_a_study_to_rle_gives_a_whole_zip_with_the_kept_files_unchanged(app: App, tmp_path):
    study = make_mixed_study(tmp_path / "study")
    statuses = _finish(app, study, "rle")
    assert statuses == {path: "kept" if path in KEPT_FOR_RLE else "done" for path in tree(study)}
    assert app.error_text("study/MR/float.dcm") == (
        "Kept unchanged: the image is stored as Float Pixel Data, which RLE Lossless cannot hold.")
    assert "1-bit pixels" in app.error_text("study/SEG/liver.dcm")
    assert "MPEG2" in app.error_text("study/ES/video.dcm")
    expect(app.row("study/ES/video.dcm")).to_have_attribute("data-code", "already-compressed")
    expect(app.page.locator("#summary")).to_contain_text("4 kept")
    for path in ("SEG/liver.dcm", "SEG/liver_expb.dcm", "MR/float.dcm"):  # previews of 1-bit and float pixels
        expect(app.row(f"study/{path}").get_by_test_id("thumbnail")).to_have_count(1)

    archive = _zip(app, study)
    for path in KEPT_FOR_RLE:
        assert archive.read(f"study/{path}") == (study / path).read_bytes(), f"{path} was not kept unchanged"
    for path in ("CT/CT_small.dcm", "MR/MR_small.dcm"):
        result = dcmread(io.BytesIO(archive.read(f"study/{path}")))
        assert result.file_meta.TransferSyntaxUID == RLELossless
        assert np.array_equal(result.pixel_array, dcmread(study / path).pixel_array)


def test_a_streamed_file_kept_unchanged_shows_the_thumbnail_of_its_first_frame(app: App, tmp_path):
    path = tmp_path / "segmentation.dcm"
    path.write_bytes(repeated_one_bit(STREAMED_1_BIT_FRAMES))
    app.add([path], "rle")
    assert app.wait_finished("segmentation.dcm") == "kept"
    assert "1-bit pixels" in app.error_text("segmentation.dcm")
    _, expected = describe(repeated_one_bit(1))
    picture = thumbnail_pixels(app, "segmentation.dcm")
    assert (picture["width"], picture["height"], picture["rgba"]) == (expected.width, expected.height, expected.rgba)


def test_a_study_to_explicit_converts_1_bit_and_float_objects_to_their_pixels(app: App, tmp_path):
    study = make_mixed_study(tmp_path / "study-explicit")
    statuses = _finish(app, study, "explicit")
    assert statuses == {path: "kept" if path in KEPT_FOR_EXPLICIT else "done" for path in tree(study)}

    archive = _zip(app, study)
    assert archive.read("study-explicit/ES/video.dcm") == (study / "ES" / "video.dcm").read_bytes()
    for path in ("SEG/liver.dcm", "SEG/liver_expb.dcm", "MR/float.dcm"):
        result = dcmread(io.BytesIO(archive.read(f"study-explicit/{path}")))
        assert result.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert np.array_equal(result.pixel_array, dcmread(study / path).pixel_array), path


def test_strict_fails_what_would_be_kept(app: App, tmp_path):
    study = make_mixed_study(tmp_path / "study-strict")
    app.page.get_by_test_id("strict").check()
    try:
        statuses = _finish(app, study, "rle")
    finally:
        app.page.get_by_test_id("strict").uncheck()
    assert statuses == {path: "error" if path in KEPT_FOR_RLE else "done" for path in tree(study)}
    assert app.error_text("study-strict/MR/float.dcm") == (
        "The image is stored as Float Pixel Data, which RLE Lossless cannot hold.")
