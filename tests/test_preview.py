"""Thumbnails and details of a file, made without numpy."""

from io import BytesIO

import pytest
from PIL import Image

from dicompress import errors
from dicompress.preview import THUMBNAIL_SIDE, describe
from tests.dicom_files import file_bytes, read


def _pixel(thumbnail, x, y):
    start = (y * thumbnail.width + x) * 4
    return tuple(thumbnail.rgba[start : start + 4])


def test_colour_thumbnail_keeps_colour_and_aspect_ratio():
    _, thumbnail = describe(file_bytes("US1_UNCR.dcm"))  # 640 x 480 RGB
    assert (thumbnail.width, thumbnail.height) == (THUMBNAIL_SIDE, 120)
    assert len(thumbnail.rgba) == thumbnail.width * thumbnail.height * 4
    pixels = [_pixel(thumbnail, x, y) for y in range(thumbnail.height) for x in range(thumbnail.width)]
    assert any(r != g or g != b for r, g, b, _ in pixels)
    assert all(a == 255 for *_, a in pixels)


def test_grey_thumbnail_spans_the_full_window():
    _, thumbnail = describe(file_bytes("CT_small.dcm"))
    greys = thumbnail.rgba[0::4]
    assert thumbnail.rgba[1::4] == greys and thumbnail.rgba[2::4] == greys
    assert (min(greys), max(greys)) == (0, 255)


@pytest.mark.parametrize("shift", [0, -1500, -3000])  # values above 0, on both sides of 0, below 0
def test_grey_levels_are_the_values_windowed_to_their_range(shift):
    import numpy as np

    from tests.dicom_files import rewritten

    def shifted(ds):
        ds.PixelData = (ds.pixel_array.astype(np.int16) + shift).tobytes()

    data = rewritten("CT_small.dcm", shifted)  # signed, 128 x 128: every pixel in the thumbnail
    values = read(data).pixel_array.astype(np.int64).ravel()
    low, high = int(values.min()), int(values.max())
    assert (low < 0) == (shift < 0) and (high < 0) == (shift == -3000)
    _, thumbnail = describe(data)
    assert thumbnail.rgba[0::4] == ((values - low) * 255 // (high - low)).astype(np.uint8).tobytes()


def test_ybr_full_thumbnail_is_converted_to_rgb():
    _, thumbnail = describe(file_bytes("SC_ybr_full_uncompressed.dcm"))
    red, green, blue, _ = _pixel(thumbnail, 50, 2)  # the top stripe is pure red
    assert red > 240 and green < 20 and blue < 20


def test_1_bit_thumbnail_shows_the_segment_in_white_on_black():
    from tests.kept_files import one_bit

    details, thumbnail = describe(file_bytes("liver.dcm"))  # 512 x 512, 3 frames
    assert (details.bits_allocated, details.frames, thumbnail.width) == (1, 3, THUMBNAIL_SIDE)
    assert set(thumbnail.rgba[0::4]) == {0, 255}
    data, pixels = one_bit(101, 133, 3)  # frames not ending on a byte boundary: the first one is shown
    _, small = describe(data)
    assert (small.width, small.height) == (133, 101)
    assert list(small.rgba[0::4]) == [255 * int(v) for v in pixels[0].ravel()]


@pytest.mark.parametrize("keyword", ["FloatPixelData", "DoubleFloatPixelData"])
def test_float_thumbnail_spans_the_full_window(keyword):
    from tests.kept_files import float_image

    details, thumbnail = describe(float_image(keyword, big_endian=True))
    assert (details.bits_allocated, details.bits_stored) == ((32, 32) if keyword == "FloatPixelData" else (64, 64))
    assert (min(thumbnail.rgba[0::4]), max(thumbnail.rgba[0::4])) == (0, 255)
    assert thumbnail.rgba[0::4] == describe(file_bytes("MR_small.dcm"))[1].rgba[0::4]  # the same picture, scaled


def test_small_images_are_not_enlarged():
    _, thumbnail = describe(file_bytes("rtdose.dcm"))
    assert (thumbnail.width, thumbnail.height) == (10, 10)


def test_rle_input_has_a_thumbnail():
    _, thumbnail = describe(file_bytes("MR_small_RLE.dcm"))
    assert (thumbnail.width, thumbnail.height) == (64, 64)


@pytest.mark.parametrize("name", ["US1_UNCR.dcm", "rtdose.dcm", "MR_small_RLE.dcm"])
def test_details_match_pydicom(name):
    found, _ = describe(file_bytes(name))
    ds = read(file_bytes(name))
    assert found.as_dict() == {
        "modality": ds.Modality,
        "rows": ds.Rows,
        "columns": ds.Columns,
        "frames": int(ds.get("NumberOfFrames", 1)),
        "samples_per_pixel": ds.SamplesPerPixel,
        "bits_allocated": ds.BitsAllocated,
        "bits_stored": ds.BitsStored,
        "photometric_interpretation": ds.PhotometricInterpretation,
        "transfer_syntax": ds.file_meta.TransferSyntaxUID.name,
        "elements": len(list(ds.iterall())),
    }


def test_details_identify_nobody():
    found, _ = describe(file_bytes("CT_small.dcm"))
    ds = read(file_bytes("CT_small.dcm"))
    values = {str(v) for v in found.as_dict().values()}
    assert str(ds.PatientName) not in values and ds.PatientID not in values


def test_a_file_without_pixels_has_no_preview():
    with pytest.raises(errors.NoPixelDataError):
        describe(file_bytes("rtplan.dcm"))


@pytest.mark.parametrize(("name", "mode"), [("CT_small.dcm", "L"), ("MR_small.dcm", "L"), ("US1_UNCR.dcm", "RGB"),
                                            ("SC_rgb_small_odd.dcm", "RGB"),
                                            ("OBXXXX1A.dcm", "L")])  # RGB samples, every one grey
def test_the_thumbnail_as_png_is_read_by_pillow_as_the_same_pixels(name, mode):
    _, thumbnail = describe(file_bytes(name))
    picture = Image.open(BytesIO(thumbnail.png()))
    picture.load()  # Pillow checks every chunk's CRC and the compressed data as it reads them
    assert (picture.format, picture.mode, picture.size) == ("PNG", mode, (thumbnail.width, thumbnail.height))
    assert picture.convert("RGBA").tobytes() == thumbnail.rgba
