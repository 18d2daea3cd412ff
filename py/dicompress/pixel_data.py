"""Put new pixel data into a data set the way pydicom's own ``compress()`` and ``decompress()`` do.

pydicom 3.0's :func:`pydicom.pixels.compress` encodes the frames *and* stores them in one
call, and :func:`pydicom.pixels.decompress` decodes and stores; the storing tails (which
offset table, which VR, defined or undefined length) are not public functions of their
own. The service cannot call either: it encodes canonical frames itself and verifies
each one right after encoding, so only one uncompressed frame is held at a time. These
two functions are those tails, written once, with the standard's reasons.
"""

from collections.abc import Sequence

from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.valuerep import VR

_EXTENDED_OFFSETS = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")


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
        One encoded frame per item.
    """
    # Each item before the last adds its length and an 8-byte item header to the offset.
    last_offset = sum(len(frame) + 8 for frame in frames[:-1])
    if last_offset < 2**32:
        ds.PixelData = encapsulate(frames)
        _delete(ds, _EXTENDED_OFFSETS)
    else:
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)
    element = ds["PixelData"]
    element.VR = VR.OB
    element.is_undefined_length = True


def store_native(ds: Dataset, pixels: bytes, bits_allocated: int) -> None:
    """Store uncompressed `pixels` as the native Pixel Data of `ds`, in place.

    As ``pydicom.pixels.decompress`` does: VR OB for samples of 8 bits or fewer, else OW,
    and a defined length (PS3.5 8.2); offset tables belong to encapsulated data only.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set to update.
    pixels : bytes
        Every frame, little endian.
    bits_allocated : int
        Bits Allocated of the image.
    """
    ds.PixelData = pixels
    element = ds["PixelData"]
    element.VR = VR.OB if bits_allocated <= 8 else VR.OW
    element.is_undefined_length = False
    _delete(ds, _EXTENDED_OFFSETS)


def _delete(ds: Dataset, keywords: Sequence[str]) -> None:
    """Remove the elements named by `keywords` from `ds` where present."""
    for keyword in keywords:
        if keyword in ds:
            del ds[keyword]
