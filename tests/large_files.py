"""Large multi-frame files made on disk a frame at a time, their check, and the peak memory of a command-line run.

A file of any size is written frame by frame (never whole in memory) by :func:`write_multiframe`:
a header written by pydicom, then the Pixel Data element's header and frames computed from their
index (:func:`frame`: the image's pixels plus 13 per index, within Bits Stored), so every frame
differs from the others and a result can be checked frame by frame (:func:`assert_frames_equal`)
without reading the source again. Two images:

* :func:`radiograph`: pydicom's RG1_UNCR (1955 x 1841, 15 bits in 16: 7.2 MB a frame), for the
  command line's bounds measured in frames of a real image;
* :func:`pattern`: 1024 x 1024, 12 bits in 16 (2 MiB a frame), flat bands (runs) beside a ramp
  (literals), so RLE has real work, for the page.

:func:`cli_peak_rss` runs the ``dicompress`` command in a child interpreter and returns the peak
resident memory of the processes it ran, as the kernel counts it (``getrusage(RUSAGE_CHILDREN)``).
"""

import copy
import math
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import iter_pixels
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from tests.dicom_files import file_bytes

_PIXEL_DATA_OW = b"\xe0\x7f\x10\x00OW\x00\x00"
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@dataclass(frozen=True)
class Image:
    """What every frame of a large file is made of: the data set without Pixel Data, and the pixels."""

    dataset: Dataset
    pixels: np.ndarray

    @property
    def frame_bytes(self) -> int:
        """The bytes of one frame."""
        return self.pixels.nbytes


@cache
def radiograph() -> Image:
    """RG1_UNCR.dcm (Explicit VR Little Endian, Pixel Data and what follows it removed)."""
    ds = dcmread(BytesIO(file_bytes("RG1_UNCR.dcm")))
    pixels = ds.pixel_array
    for tag in [tag for tag in ds.keys() if tag >= 0x7FE00010]:  # Pixel Data, Data Set Trailing Padding
        del ds[tag]
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return Image(ds, pixels)


@cache
def pattern() -> Image:
    """1024 x 1024 x 12 bits: flat bands (runs) beside a ramp of changing values (literals)."""
    rows = columns = 1024
    y, x = np.mgrid[0:rows, 0:columns].astype(np.uint32)
    bands = (y // 16) * 37 % 4096
    ramp = (x * 7 + y * 3) % 4096
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    return Image(ds, np.where(x < columns // 2, bands, ramp).astype(np.uint16))


def frame(index: int, image: Image) -> np.ndarray:
    """The pixels of frame `index` (from 0) of a file of `image`."""
    mask = np.uint16((1 << int(image.dataset.BitsStored)) - 1)
    pixels: np.ndarray = (image.pixels + np.uint16(index * 13 % 65536)) & mask
    return pixels


def frames_for(size: float, image: Image) -> int:
    """The number of frames of `image` of a file of at least `size` bytes."""
    return max(1, math.ceil(size / image.frame_bytes))


def write_multiframe(path: Path, frames: int, image: Image) -> Path:
    """Write a native file of `frames` frames of `image` to `path`, a frame at a time, and return `path`."""
    ds = copy.deepcopy(image.dataset)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.NumberOfFrames = frames
    ds.save_as(path, enforce_file_format=True)
    with path.open("ab") as out:
        out.write(_PIXEL_DATA_OW + (frames * image.frame_bytes).to_bytes(4, "little"))
        for index in range(frames):
            out.write(frame(index, image).tobytes())
    return path


def assert_frames_equal(result: Path, frames: int, syntax: str, image: Image) -> None:
    """Check that `result` has `syntax` and holds exactly the `frames` frames of `image`, read one at a time."""
    ds = dcmread(result, stop_before_pixels=True)
    assert ds.file_meta.TransferSyntaxUID == syntax
    assert int(ds.NumberOfFrames) == frames
    plugin = "" if syntax == ExplicitVRLittleEndian else "pylibjpeg"  # pylibjpeg-rle: fast, and not ours
    seen = 0
    for index, pixels in enumerate(iter_pixels(result, decoding_plugin=plugin)):
        assert np.array_equal(pixels, frame(index, image)), f"frame {index + 1} differs from the source"
        seen += 1
    assert seen == frames


def cli_peak_rss(*args: str) -> tuple[int, int]:
    """Run ``dicompress ARGS`` in a child interpreter; return its exit status and the peak RSS in bytes."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "dicompress", *args]
    status, kib = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return int(status), 1024 * int(kib)
