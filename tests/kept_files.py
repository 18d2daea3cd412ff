"""DICOM files a study holds that RLE Lossless cannot: 1-bit segmentations, float images, video.

The corpus has no float image and no video object, so they are built here: a float image
from pydicom's MR_small (its pixels scaled, as Float or Double Float Pixel Data, little or
big endian), a video object with an MPEG-2 elementary stream (a sequence header, a group
of pictures and a sequence end code: nothing here decodes MPEG-2, so the pictures are
not needed), and 1-bit images of any size from pydicom's liver.dcm segmentation.
"""

from io import BytesIO
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.filewriter import dcmwrite
from pydicom.pixels import pack_bits
from pydicom.uid import MPEG2MPML, generate_uid

from tests.cli_helpers import copy_test_file

#: The pydicom test files of the mixed study that are 1-bit segmentations.
SEGMENTATIONS = ("liver.dcm", "liver_expb.dcm")
#: Video Endoscopic Image Storage.
VIDEO_ENDOSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.1.1"


def _written(ds: Dataset) -> bytes:
    """Return `ds` as a DICOM Part 10 file, in the encoding it was read in."""
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def float_values() -> np.ndarray:
    """Return the pixels of the float image: MR_small's, scaled and shifted (not whole numbers)."""
    return dcmread(get_testdata_file("MR_small.dcm")).pixel_array.astype(np.float64) * 0.25 - 3.5


def float_image(keyword: str = "FloatPixelData", *, big_endian: bool = False) -> bytes:
    """Return an MR image stored as Float (OF) or Double Float (OD) Pixel Data.

    Parameters
    ----------
    keyword : str
        ``FloatPixelData`` (32-bit) or ``DoubleFloatPixelData`` (64-bit).
    big_endian : bool
        Explicit VR Big Endian (from ``MR_small_bigendian.dcm``) instead of Little Endian.
    """
    ds = dcmread(get_testdata_file("MR_small_bigendian.dcm" if big_endian else "MR_small.dcm"))
    del ds.PixelData
    for name in ("BitsStored", "HighBit", "PixelRepresentation", "SmallestImagePixelValue",
                 "LargestImagePixelValue"):
        if name in ds:  # PS3.3 C.7.6.24: float pixels have none of these
            del ds[name]
    bits = 32 if keyword == "FloatPixelData" else 64
    ds.BitsAllocated = bits
    setattr(ds, keyword, float_values().astype(f"{'>' if big_endian else '<'}f{bits // 8}").tobytes())
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return _written(ds)


def mpeg2_video() -> bytes:
    """Return a Video Endoscopic Image object whose pixel data is MPEG-2 Main Profile / Main Level."""
    # Sequence header (ISO/IEC 13818-2 6.2.2.1): 352 x 288, 4:3, 25 frames/s, VBV buffer 112, then a GOP
    # header and the sequence end code.
    sequence_header = b"\x00\x00\x01\xb3" + bytes.fromhex("16012023") + bytes.fromhex("ffffe380")
    stream = sequence_header + b"\x00\x00\x01\xb8\x00\x08\x00\x00" + b"\x00\x00\x01\xb7"
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = MPEG2MPML
    ds.SOPClassUID = VIDEO_ENDOSCOPIC
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "ES"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 288, 352, 2
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "YBR_PARTIAL_420", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameTime, ds.CineRate = 40, 25
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    buffer = BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def one_bit(
    rows: int, columns: int, frames: int, *, big_endian: bool = False, vr: str = "OB"
) -> tuple[bytes, np.ndarray]:
    """Return a 1-bit segmentation of any size, cut from liver.dcm's frames, and its pixels.

    Frames of ``rows * columns`` bits need not end on a byte boundary; they are packed one
    after the other (PS3.5 8.1.1, Annex D). Big endian with VR OW holds the packed bytes
    in 16-bit words, byte-swapped like any OW value.

    Returns
    -------
    tuple of bytes and numpy.ndarray
        The file and its pixels, shape (frames, rows, columns), values 0 and 1.
    """
    ds = dcmread(get_testdata_file("liver_expb.dcm" if big_endian else "liver.dcm"))
    source = ds.pixel_array
    pixels = np.stack([source[i % len(source), 200 : 200 + rows, 200 : 200 + columns] for i in range(frames)])
    packed = pack_bits(pixels)
    if vr == "OW":
        padded = packed + b"\0" * (len(packed) % 2)
        packed = np.frombuffer(padded, "<u2").astype(">u2").tobytes() if big_endian else padded
    ds.Rows, ds.Columns, ds.NumberOfFrames = rows, columns, frames
    if "PerFrameFunctionalGroupsSequence" in ds:
        del ds.PerFrameFunctionalGroupsSequence  # it describes the original frames
    ds.PixelData = packed
    ds["PixelData"].VR = vr
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return _written(ds), pixels


def repeated_one_bit(frames: int) -> bytes:
    """Return a 1-bit segmentation of `frames` frames of 256 x 256, each the first of :func:`one_bit`'s.

    Frames of 8 KiB end on a byte boundary, so the file (of any size) is made by repeating
    one frame's bytes, without the pixels of all frames in memory.
    """
    ds = dcmread(BytesIO(one_bit(256, 256, 1)[0]))
    ds.NumberOfFrames, ds.PixelData = frames, ds.PixelData * frames
    return _written(ds)


def make_mixed_study(root: Path) -> Path:
    """Write a study folder of six objects, four of which RLE Lossless cannot hold; return `root`.

    ``CT/CT_small.dcm`` and ``MR/MR_small.dcm`` (images), ``SEG/liver.dcm`` and
    ``SEG/liver_expb.dcm`` (1-bit segmentations, little and big endian), ``MR/float.dcm``
    (Float Pixel Data) and ``ES/video.dcm`` (MPEG-2).
    """
    copy_test_file("CT_small.dcm", root / "CT")
    copy_test_file("MR_small.dcm", root / "MR")
    for name in SEGMENTATIONS:
        copy_test_file(name, root / "SEG")
    (root / "MR" / "float.dcm").write_bytes(float_image())
    (root / "ES").mkdir()
    (root / "ES" / "video.dcm").write_bytes(mpeg2_video())
    return root


#: The files of :func:`make_mixed_study` kept unchanged when converting to RLE Lossless.
KEPT_FOR_RLE = ("ES/video.dcm", "MR/float.dcm", "SEG/liver.dcm", "SEG/liver_expb.dcm")
#: The files of :func:`make_mixed_study` kept unchanged when converting to Explicit VR Little Endian.
KEPT_FOR_EXPLICIT = ("ES/video.dcm",)
