"""Put new pixel data into a data set the way pydicom's own ``compress()`` and ``decompress()`` do.

pydicom 3.0's :func:`pydicom.pixels.compress` encodes the frames *and* stores them in one
call, and :func:`pydicom.pixels.decompress` decodes and stores; the storing tails (which
offset table, which VR, defined or undefined length) are not public functions of their
own. The service cannot call either: it encodes canonical frames itself and verifies
each one right after encoding, so only one uncompressed frame is held at a time. These
two functions are those tails, written once, with the standard's reasons. The values
are :class:`~dicompress.writing.encapsulated.Pieces`, which pydicom writes from the frames
themselves (PS3.5 byte for byte as it writes joined bytes), so no joined copy is made.
"""

from collections.abc import Sequence
from struct import pack

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.valuerep import VR

from dicompress.writing.encapsulated import encapsulated, native

_EXTENDED_OFFSETS = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")
#: The Basic Offset Table holds 32-bit offsets (PS3.5 A.4).
BASIC_OFFSET_LIMIT = 2**32
_PIXEL_DATA = Tag(0x7FE00010)
_FLOAT_VRS = {"FloatPixelData": VR.OF, "DoubleFloatPixelData": VR.OD}


def store_encapsulated(ds: Dataset, frames: list[bytes]) -> None:
    """Store encoded `frames` as the encapsulated Pixel Data of `ds`, in place.

    As ``pydicom.pixels.compress`` does: the Basic Offset Table when its 32-bit offsets
    reach the last frame, else an empty one and the Extended Offset Table (PS3.5 A.4);
    VR OB and undefined length (PS3.5 8.2, A.4). Unlike pydicom's, whose source is never
    encapsulated, an Extended Offset Table left from the source is removed when not used.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set to update.
    frames : list of bytes
        One encoded frame per item; emptied (the frames belong to the data set now).
    """
    # Each item before the last adds its (even) length and an 8-byte item header to the offset.
    basic = sum(len(frame) + len(frame) % 2 + 8 for frame in frames[:-1]) < BASIC_OFFSET_LIMIT
    value, offsets, lengths = encapsulated(frames, basic_offsets=basic)
    if basic:
        _delete(ds, _EXTENDED_OFFSETS)
    else:
        ds.ExtendedOffsetTable = pack(f"<{len(offsets)}Q", *offsets)
        ds.ExtendedOffsetTableLengths = pack(f"<{len(lengths)}Q", *lengths)
    ds.add(DataElement(_PIXEL_DATA, VR.OB, value, is_undefined_length=True))


def store_native(ds: Dataset, frames: list[bytes], bits_allocated: int, keyword: str = "PixelData") -> None:
    """Store uncompressed `frames` as the native Pixel Data of `ds`, in place.

    As ``pydicom.pixels.decompress`` does: VR OB for samples of 8 bits or fewer, else OW,
    and a defined length (PS3.5 8.2); offset tables belong to encapsulated data only.
    Float and Double Float Pixel Data keep their element, VR OF and OD.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set to update.
    frames : list of bytes
        Every frame, little endian; emptied (the frames belong to the data set now).
    bits_allocated : int
        Bits Allocated of the image.
    keyword : str, optional
        The pixel element: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.
    """
    vr = _FLOAT_VRS.get(keyword) or (VR.OB if bits_allocated <= 8 else VR.OW)
    ds.add(DataElement(Tag(keyword), vr, native(frames), is_undefined_length=False))
    _delete(ds, _EXTENDED_OFFSETS)


def _delete(ds: Dataset, keywords: Sequence[str]) -> None:
    """Remove the elements named by `keywords` from `ds` where present."""
    for keyword in keywords:
        if keyword in ds:
            del ds[keyword]
