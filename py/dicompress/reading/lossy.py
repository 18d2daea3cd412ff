"""Whether compressed pixel data is lossy, and recording it as PS3.3 C.7.6.1.1.5 asks.

Lossy Image Compression (0028,2110) "01" says the pixels have been through lossy
compression at some point; once "01" it is never reset. A source that says "01" keeps
the value and its Lossy Image Compression Method (0028,2114) and Ratio (0028,2112) as
they are: they tell its history. A source whose stream is lossy but that does not say
"01" gets "01", and the method and ratio of that stream where they are absent.

A stream is lossy when its codestream says so, not because of its transfer syntax alone:

* JPEG Baseline and Extended (the DCT processes): always;
* JPEG-LS Near-Lossless: when any frame has NEAR > 0 (NEAR 0 is lossless);
* JPEG 2000 and HTJ2K (the syntaxes that allow lossy coding): when any frame uses the
  irreversible 9-7 wavelet (the reversible 5-3 one is lossless), as the main header's
  COD segment says.
"""

from collections.abc import Iterable, Iterator

from pydicom.dataset import Dataset
from pydicom.uid import (
    UID,
    HTJ2K,
    JPEG2000,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSNearLossless,
)

#: Lossy Image Compression Method (0028,2114) defined terms (PS3.3 C.7.6.1.1.5.2) of the
#: syntaxes whose streams may be lossy.
METHODS: dict[UID, str] = {
    JPEGBaseline8Bit: "ISO_10918_1",
    JPEGExtended12Bit: "ISO_10918_1",
    JPEGLSNearLossless: "ISO_14495_1",
    JPEG2000: "ISO_15444_1",
    HTJ2K: "ISO_15444_15",
}

_SOI, _SOS = 0xFFD8, 0xFFDA  # JPEG and JPEG-LS: start of image, start of scan
_SOC, _COD, _SOT = 0xFF4F, 0xFF52, 0xFF90  # JPEG 2000: start of codestream, coding style, tile-part
_JP2_CODESTREAM_BOX = b"jp2c"
_IRREVERSIBLE_9_7 = 0


def is_lossy(ds: Dataset) -> bool:
    """Return whether `ds` says its pixels have been through lossy compression ("01")."""
    return str(ds.get("LossyImageCompression", "")).strip() == "01"


def lossy_method(syntax: UID, frames: Iterable[bytes]) -> str | None:
    """Return the PS3.3 method term if any encoded frame is lossy, else ``None``.

    Parameters
    ----------
    syntax : pydicom.uid.UID
        The transfer syntax of the frames.
    frames : iterable of bytes
        The encoded frames (only their headers are read).

    Returns
    -------
    str or None
        E.g. ``"ISO_10918_1"`` for JPEG Baseline; ``None`` for lossless streams.
    """
    method = METHODS.get(syntax)
    if method is None:
        return None
    if syntax in (JPEGBaseline8Bit, JPEGExtended12Bit):
        return method
    lossy = _near_lossless if syntax == JPEGLSNearLossless else _irreversible
    return method if any(lossy(frame) for frame in frames) else None


def record(ds: Dataset, method: str, ratio: float) -> None:
    """Record in `ds`, in place, that its pixels were compressed lossily by `method`.

    Lossy Image Compression becomes "01"; where `ds` did not already say "01", the
    method and the ratio (uncompressed size / compressed size) are added when absent.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set whose pixel data was decoded from a lossy stream.
    method : str
        The stream's Lossy Image Compression Method term, from :func:`lossy_method`.
    ratio : float
        The stream's compression ratio.
    """
    if is_lossy(ds):
        return
    ds.LossyImageCompression = "01"
    if "LossyImageCompressionMethod" not in ds:
        ds.LossyImageCompressionMethod = method
    if "LossyImageCompressionRatio" not in ds:
        ds.LossyImageCompressionRatio = f"{ratio:.2f}"


def _near_lossless(frame: bytes) -> bool:
    """Return whether a JPEG-LS frame's first scan has NEAR > 0 (unreadable counts as lossy)."""
    for marker, payload in _segments(frame, _SOI):
        if marker == _SOS:
            components = payload[0] if payload else 0
            near = 1 + 2 * components
            return len(payload) <= near or payload[near] > 0
    return True


def _irreversible(frame: bytes) -> bool:
    """Return whether a JPEG 2000 frame uses the 9-7 wavelet (unreadable counts as lossy)."""
    codestream = frame
    if int.from_bytes(frame[:2], "big") != _SOC and (box := frame.find(_JP2_CODESTREAM_BOX)) >= 0:
        codestream = frame[box + len(_JP2_CODESTREAM_BOX) :]  # a JP2 file: its codestream box
    for marker, payload in _segments(codestream, _SOC):
        if marker == _COD:
            # Scod, progression order, layers (2), MCT, levels, block width, height, style, transform
            return len(payload) < 10 or payload[9] == _IRREVERSIBLE_9_7
        if marker == _SOT:
            break
    return True


def _segments(stream: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    """Yield (marker, payload) of the header segments after the `start` marker.

    JPEG, JPEG-LS and JPEG 2000 headers share one shape: a two-byte marker, then a
    big-endian length that counts itself. Stops at a scan or at the end of the bytes.
    """
    if int.from_bytes(stream[:2], "big") != start:
        return
    position = 2
    while position + 4 <= len(stream):
        marker = int.from_bytes(stream[position : position + 2], "big")
        length = int.from_bytes(stream[position + 2 : position + 4], "big")
        if marker >> 8 != 0xFF or length < 2:
            return
        yield marker, stream[position + 4 : position + 2 + length]
        if marker == _SOS:
            return
        position += 2 + length
