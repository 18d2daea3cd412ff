"""Large multi-frame files made on disk a frame at a time, and the peak memory of a command-line run.

:func:`write_multiframe` writes the radiograph RG1_UNCR (1955 x 1841, 16 bits: 7.2 MB a
frame) as a file of any number of frames, each frame told apart by its first four bytes
(:func:`frame`), without ever holding more than one frame. :func:`cli_peak_rss` runs the
``dicompress`` command in a child interpreter and returns the peak resident memory of the
processes it ran, as the kernel counts it (``getrusage(RUSAGE_CHILDREN)``).
"""

import struct
import subprocess
import sys
from functools import cache
from io import BytesIO
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian

from tests.dicom_files import file_bytes

#: The image every frame is made of.
BASE = "RG1_UNCR.dcm"
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@cache
def _base() -> tuple[bytes, bytes]:
    """Return the data set of :data:`BASE` up to its Pixel Data (Explicit VR Little Endian) and its frame."""
    ds = dcmread(BytesIO(file_bytes(BASE)))
    pixels = bytes(ds.PixelData)
    for tag in [tag for tag in ds.keys() if tag >= 0x7FE00010]:  # Pixel Data, Data Set Trailing Padding
        del ds[tag]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds, pixels  # type: ignore[return-value]


def frame_length() -> int:
    """Return the bytes of one frame."""
    return len(_base()[1])


def frame(index: int) -> bytes:
    """Return frame `index` (from 0): the base frame, its first four bytes the index."""
    return struct.pack("<L", index) + _base()[1][4:]


def write_multiframe(path: Path, frames: int) -> int:
    """Write a file of `frames` frames to `path`, a frame at a time; return its size."""
    ds, pixels = _base()
    ds = ds.copy()
    ds.NumberOfFrames = frames
    head = BytesIO()
    ds.save_as(head, enforce_file_format=True)
    with open(path, "wb") as out:
        out.write(head.getvalue())
        out.write(struct.pack("<HH2sHL", 0x7FE0, 0x0010, b"OW", 0, frames * len(pixels)))
        for index in range(frames):
            out.write(frame(index))
        return out.tell()


def cli_peak_rss(*args: str) -> tuple[int, int]:
    """Run ``dicompress ARGS`` in a child interpreter; return its exit status and the peak RSS in bytes."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "dicompress", *args]
    status, kib = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return int(status), 1024 * int(kib)


def pixel_data_start(path: Path) -> int:
    """Return where the value of the Pixel Data of the native file `path` starts."""
    with open(path, "rb") as file:
        dcmread(file, stop_before_pixels=True)
        return file.tell() + 12  # (7FE0,0010) OB/OW: tag, VR, 2 reserved bytes, 4-byte length


def differing_frames(path: Path, frames: int) -> list[int]:
    """Return the indices of the frames of the native file `path` that differ from :func:`frame`, read one at a time."""
    length = frame_length()
    with open(path, "rb") as file:
        file.seek(pixel_data_start(path))
        return [index for index in range(frames) if file.read(length) != frame(index)]
