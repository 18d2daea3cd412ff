"""Memory held by one conversion: a few frames from a file to a file, whatever the number of frames.

Multi-frame files of the radiograph RG1_UNCR repeated (7.2 MB a frame) are converted with
verification while tracemalloc counts every allocation (Python's and numpy's).

* :func:`dicompress.service.convert_file`, from a file on disk to a file on disk, holds the
  data set's head, the frame being converted, its stream and the encoder's working memory
  (dicompress's RLE encoder: up to 9 frames' worth for a 16-bit frame), never the frames
  before it: its peak is the same for 4 frames as for 16.
* :func:`dicompress.service.convert`, bytes in and bytes out, holds the input (its frames are
  read from it, not copied), the output as it grows (``BytesIO`` reserves up to an eighth
  more) and the same working memory.
"""

import tracemalloc
from io import BytesIO

import pytest

from dicompress.service import convert, convert_file
from tests.dicom_files import file_bytes, read

FRAME = 1955 * 1841 * 2  # RG1_UNCR: 1955 x 1841, 16 bits
#: The most one frame's conversion holds: the frame, its stream and the encoder's working memory.
WORKING_FRAMES = 10


def repeated_frames(name: str, count: int) -> bytes:
    """Return test file `name` as a multi-frame file: its one frame `count` times."""
    ds = read(file_bytes(name))
    ds.NumberOfFrames = count
    ds.PixelData = ds.PixelData * count
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _peak(function) -> int:
    """Return the peak of memory traced while `function()` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_a_conversion_from_file_to_file_holds_a_few_frames_whatever_their_number(tmp_path, target):
    convert(file_bytes("CT_small.dcm"), target)  # imports and plugin registration are not the conversion's
    peaks = {}
    for count in (4, 16):
        source = tmp_path / f"{count}.dcm"
        source.write_bytes(repeated_frames("RG1_UNCR.dcm", count))

        def run() -> None:
            with open(source, "rb") as reader, open(tmp_path / f"{count}-{target}.dcm", "w+b") as sink:
                convert_file(reader, sink, target)

        peaks[count] = _peak(run)
    assert peaks[16] <= WORKING_FRAMES * FRAME
    assert peaks[16] - peaks[4] < FRAME // 4  # no frame is held for longer than its own turn


@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_a_conversion_in_memory_holds_its_output_and_a_frame_s_working_memory(target):
    data = repeated_frames("RG1_UNCR.dcm", 8)
    convert(file_bytes("CT_small.dcm"), target)
    output = convert(data, target).data
    peak = _peak(lambda: convert(data, target))
    assert peak <= len(output) * 9 // 8 + WORKING_FRAMES * FRAME
