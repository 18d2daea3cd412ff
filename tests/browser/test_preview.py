"""See what you compress: a thumbnail of the first frame and a details panel per file.

Both are made in the worker by dicompress.preview (pure Python, no numpy); the page only
paints them. Expectations come from pydicom and dicompress.preview on the host.
"""

import base64
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.data import get_testdata_file

from dicompress.preview import describe

from .conftest import App, copy_as

# name on the page -> (test file, target)
FILES = {
    "preview-US1_UNCR.dcm": ("US1_UNCR.dcm", "rle"),
    "preview-CT_small.dcm": ("CT_small.dcm", "rle"),
    "preview-MR_small_RLE.dcm": ("MR_small_RLE.dcm", "explicit"),
}

# The pixels of a thumbnail image as the browser decoded it, drawn into a canvas of its own.
IMAGE_PIXELS = """async (image) => {
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return {width: canvas.width, height: canvas.height, rgba: btoa(text)};
}"""


@pytest.fixture(scope="module")
def previewed(app: App, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("preview")
    sources = {}
    for name, (test_file, target) in FILES.items():
        sources[name] = copy_as(get_testdata_file(test_file), folder, name)
        app.add([sources[name]], target)
    for name in FILES:
        assert app.wait_finished(name) == "done", app.row(name).inner_text()
    return sources


def thumbnail_pixels(app: App, name: str) -> dict:
    thumbnail = app.row(name).get_by_test_id("thumbnail")
    expect(thumbnail).to_have_count(1)
    picture = thumbnail.evaluate(IMAGE_PIXELS)
    picture["rgba"] = base64.b64decode(picture["rgba"])
    return picture


def details(app: App, name: str) -> dict[str, str]:
    panel = app.page.locator(f'[data-testid=details][data-filename="{name}"]')
    values = panel.locator("dd[data-field]")
    return {values.nth(i).get_attribute("data-field"): values.nth(i).text_content()
            for i in range(values.count())}


def test_thumbnail_of_us1_is_a_colour_image_of_the_right_aspect_ratio(app: App, previewed):
    ds = dcmread(previewed["preview-US1_UNCR.dcm"])
    picture = thumbnail_pixels(app, "preview-US1_UNCR.dcm")
    assert abs(picture["width"] / picture["height"] - ds.Columns / ds.Rows) < 0.01
    assert max(picture["width"], picture["height"]) == 160
    rgba = picture["rgba"]
    coloured = sum(1 for i in range(0, len(rgba), 4)
                   if max(rgba[i:i + 3]) - min(rgba[i:i + 3]) > 40)
    assert coloured > 0.02 * picture["width"] * picture["height"], "the thumbnail is not in colour"


@pytest.mark.parametrize("name", FILES)
def test_thumbnail_shows_exactly_what_dicompress_preview_made(app: App, previewed, name):
    _, expected = describe(previewed[name].read_bytes())
    picture = thumbnail_pixels(app, name)
    assert (picture["width"], picture["height"]) == (expected.width, expected.height)
    assert picture["rgba"] == expected.rgba


def test_grey_thumbnail_is_windowed_to_the_data_range(app: App, previewed):
    rgba = thumbnail_pixels(app, "preview-CT_small.dcm")["rgba"]
    greys = rgba[0::4]
    assert rgba[1::4] == greys and rgba[2::4] == greys
    assert (min(greys), max(greys)) == (0, 255)


@pytest.mark.parametrize("name", FILES)
def test_details_match_pydicom_on_the_host(app: App, previewed, name, tmp_path):
    ds = dcmread(previewed[name])
    shown = details(app, name)
    samples = "" if ds.SamplesPerPixel == 1 else f", {ds.SamplesPerPixel} samples per pixel"
    result = dcmread(app.download(name))
    assert shown == {
        "modality": ds.Modality,
        "size": f"{ds.Columns} × {ds.Rows} pixels{samples}",
        "frames": str(ds.get("NumberOfFrames", 1)),
        "bits": f"{ds.BitsAllocated} allocated, {ds.BitsStored} stored",
        "photometric": ds.PhotometricInterpretation,
        "transfer-syntax": ds.file_meta.TransferSyntaxUID.name,
        "elements": f"{len(list(ds.iterall()))} in the original, {len(list(result.iterall()))} kept",
    }


def test_details_open_and_close_and_show_no_patient_values(app: App, previewed):
    name = "preview-US1_UNCR.dcm"
    panel = app.page.locator(f'[data-testid=details][data-filename="{name}"]')
    toggle = app.page.get_by_role("button", name=f"Details of {name}")
    expect(panel).to_be_hidden()
    toggle.click()
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(panel).to_contain_text("No patient-identifying values are shown.")
    ds = dcmread(previewed[name])
    text = app.row(name).inner_text() + panel.inner_text()
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "InstitutionName", "ReferringPhysicianName"):
        value = str(ds.get(keyword, "") or "")
        assert not value or value not in text, f"{keyword} is shown"
    toggle.click()
    expect(panel).to_be_hidden()
