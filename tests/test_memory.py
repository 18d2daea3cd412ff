"""Memory held by one conversion: at most three times the file, the input bytes included.

A multi-frame file of the radiograph RG1_UNCR repeated (7.2 MB a frame) is converted with
verification while tracemalloc counts every allocation (Python's and numpy's). What is held
at the peak: the input (its Pixel Data is read from it, not copied), the frames encoded so
far (which become the output as pydicom writes them), and one frame's encoding and check.
"""

import tracemalloc
from io import BytesIO

import pytest

from dicompress.service import convert
from tests.dicom_files import read, file_bytes


def repeated_frames(name: str, count: int) -> bytes:
    """Return test file `name` as a multi-frame file: its one frame `count` times."""
    ds = read(file_bytes(name))
    ds.NumberOfFrames = count
    ds.PixelData = ds.PixelData * count
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_one_conversion_holds_at_most_three_times_the_file(target):
    data = repeated_frames("RG1_UNCR.dcm", 8)
    convert(file_bytes("CT_small.dcm"), target)  # imports and plugin registration are not the conversion's
    tracemalloc.start()
    try:
        convert(data, target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (len(data) + peak) / len(data) <= 3
