"""Small helpers for tests: real test files, as bytes or data sets, and comparisons."""

import struct
from collections.abc import Callable
from io import BytesIO

import numpy as np
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import RLELossless, SecondaryCaptureImageStorage, generate_uid

# Elements a conversion may legitimately change.
CHANGED_BY_CONVERSION = {"PixelData", "PlanarConfiguration", "ExtendedOffsetTable",
                         "ExtendedOffsetTableLengths"}


def file_bytes(name: str) -> bytes:
    """Return the bytes of one of pydicom's (or pydicom-data's) test files."""
    with open(get_testdata_file(name), "rb") as f:
        return f.read()


def read(data: bytes) -> Dataset:
    """Return the data set in DICOM file bytes."""
    return dcmread(BytesIO(data))


def rewritten(name: str, change: Callable[[Dataset], None]) -> bytes:
    """Return the bytes of test file `name` after `change(ds)`, in its own transfer syntax."""
    ds = read(file_bytes(name))
    change(ds)
    buffer = BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()


def file_head(meta: FileMetaDataset) -> bytes:
    """Return a 128-byte preamble, ``DICM`` and `meta` written as it is, unchecked (it may lie)."""
    head = BytesIO()
    head.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(head, meta, enforce_standard=False)  # type: ignore[arg-type]
    return head.getvalue()


def data_set_bytes(data: bytes) -> bytes:
    """Return the bytes after the file meta of a DICOM file whose group length is right."""
    return data[144 + read(data).file_meta.FileMetaInformationGroupLength :]


def pixels(ds: Dataset) -> np.ndarray:
    """Return the data set's pixels as pydicom's reference decoder sees them."""
    return ds.pixel_array


def differing_elements(original: Dataset, converted: Dataset) -> list[str]:
    """Return the keywords (or tags) of elements that differ, beyond what conversion changes."""
    names = []
    for element in original:
        if element.keyword in CHANGED_BY_CONVERSION:
            continue
        if element.tag not in converted or converted[element.tag].value != element.value:
            names.append(element.keyword or str(element.tag))
    names += [e.keyword for e in converted if e.tag not in original
              and e.keyword not in CHANGED_BY_CONVERSION]
    return names


def corrupt_rle_file() -> bytes:
    """Return a 16-bit 255 x 1 RLE Lossless file whose frame pylibjpeg-rle 2.2.0 panics on.

    The high-byte segment decodes to nothing (two no-op bytes) and the low-byte segment
    to 512 bytes where 255 are expected.
    """
    frame = struct.pack("<16L", 2, 64, 66, *[0] * 13) + b"\x80\x80" + b"\x81\x00" * 4
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, 255, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def with_elements_after_pixel_data(name: str) -> bytes:
    """Return test file `name` with elements after its Pixel Data: a private block (a long value, one
    pydicom leaves in the file when reading) and Data Set Trailing Padding."""
    def add(ds: Dataset) -> None:
        block = ds.private_block(0x7FE1, "dicompress test", create=True)
        block.add_new(0x00, "OB", bytes(range(256)) * 300)
        block.add_new(0x01, "LO", "after the pixels")
        ds.add_new(0xFFFCFFFC, "OB", b"\0" * 64)

    return rewritten(name, add)
