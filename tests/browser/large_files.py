"""Large multi-frame files for the streaming tests, made on the spot, and their checks.

A file of any size is written frame by frame (never whole in memory): a header written by
pydicom, then the Pixel Data element's header and frames computed from their number, so a
result can be checked frame by frame against what the source must hold without reading the
source again. The pixels are 12 bits in 16 with runs and literals (RLE has real work to do),
and every frame differs from the others.
"""

import math
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import iter_pixels
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

ROWS = COLUMNS = 1024
FRAME_BYTES = ROWS * COLUMNS * 2
_PIXEL_DATA_OW = b"\xe0\x7f\x10\x00OW\x00\x00"


def _base() -> np.ndarray:
    """The pattern every frame shifts: flat bands (runs) beside a ramp of changing values (literals)."""
    y, x = np.mgrid[0:ROWS, 0:COLUMNS].astype(np.uint32)
    bands = (y // 16) * 37 % 4096
    ramp = (x * 7 + y * 3) % 4096
    return np.where(x < COLUMNS // 2, bands, ramp).astype(np.uint16)


_BASE = _base()


def frame(index: int) -> np.ndarray:
    """The pixels of frame `index` (from 0)."""
    return (_BASE + np.uint16(index * 13)) & np.uint16(0x0FFF)


def frames_for(size: float) -> int:
    """The number of frames of a file of at least `size` bytes."""
    return max(1, math.ceil(size / FRAME_BYTES))


def write_multiframe(path: Path, frames: int) -> Path:
    """Write a multi-frame Explicit VR file of `frames` frames of 1024 x 1024 x 16 bits to `path`."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.NumberOfFrames = frames
    ds.save_as(path, enforce_file_format=True)
    with path.open("ab") as f:
        f.write(_PIXEL_DATA_OW + (frames * FRAME_BYTES).to_bytes(4, "little"))
        for index in range(frames):
            f.write(frame(index).tobytes())
    return path


def assert_frames_equal(result: Path, frames: int, syntax: str) -> None:
    """Check that `result` has `syntax` and holds exactly the `frames` frames of :func:`frame`, read one at a time."""
    ds = dcmread(result, stop_before_pixels=True)
    assert ds.file_meta.TransferSyntaxUID == syntax
    assert int(ds.NumberOfFrames) == frames
    plugin = "" if syntax == ExplicitVRLittleEndian else "pylibjpeg"  # pylibjpeg-rle: fast, and not ours
    seen = 0
    for index, pixels in enumerate(iter_pixels(result, decoding_plugin=plugin)):
        assert np.array_equal(pixels, frame(index)), f"frame {index + 1} differs from the source"
        seen += 1
    assert seen == frames
