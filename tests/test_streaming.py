"""convert_file: the file service from a file object to a file object, as the page and the CLI call it.

Its result is byte for byte what :func:`dicompress.service.convert` writes for the same
bytes, on every image of the corpus (or the same typed error), and elements after Pixel
Data are kept.
"""

import tempfile
from io import BytesIO

import numpy as np
import pytest

from dicompress import errors
from dicompress.service import convert, convert_file
from tests import corpus
from tests.dicom_files import file_bytes, pixels, read, with_elements_after_pixel_data
from tests.streamed import Reader, streamed_convert


def _outcome(function, data: bytes, target: str) -> bytes | tuple[str, str]:
    """Return what `function` (convert or streamed_convert) makes of `data`: the file, or its error."""
    try:
        return function(data, target).data
    except errors.ConversionError as exc:
        return exc.code, str(exc)


@pytest.mark.parametrize("target", ["rle", "explicit"])
@pytest.mark.parametrize("image", corpus.all_images(), ids=lambda image: image.name)
def test_convert_file_from_a_reader_writes_what_convert_writes(image, target):
    data = image.path.read_bytes()
    assert _outcome(streamed_convert, data, target) == _outcome(convert, data, target)


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm", "rtdose.dcm",
                                  "RG1_UNCR.dcm"])
def test_convert_file_deflates_as_convert_does(name):
    data = file_bytes(name)
    assert _outcome(streamed_convert, data, "deflate") == _outcome(convert, data, "deflate")


@pytest.mark.parametrize("target", ["rle", "explicit", "deflate"])
def test_elements_after_pixel_data_are_kept(target):
    data = with_elements_after_pixel_data("CT_small.dcm")
    source, written = read(data), read(streamed_convert(data, target).data)
    assert [tag for tag in written.keys() if tag > 0x7FE00010] == [0x7FE10010, 0x7FE11000, 0x7FE11001, 0xFFFCFFFC]
    for tag in (0x7FE10010, 0x7FE11000, 0x7FE11001, 0xFFFCFFFC):
        assert written[tag].value == source[tag].value
    assert np.array_equal(pixels(written), pixels(source))


def test_the_report_counts_the_bytes_written_and_the_sink_is_cut_to_them():
    data = file_bytes("CT_small.dcm")
    sink = BytesIO(b"an older, longer file " * 100_000)
    report = convert_file(Reader(data), sink, "rle")
    assert sink.getvalue() == convert(data).data
    assert report.output_bytes == len(sink.getvalue())
    assert report.input_bytes == len(data)


def test_a_file_on_disk_converts_to_a_file_on_disk():
    data = file_bytes("rtdose.dcm")
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as sink:
        source.write(data)
        convert_file(source, sink, "rle")
        sink.seek(0)
        assert sink.read() == convert(data).data
