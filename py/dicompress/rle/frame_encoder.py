"""Encoding one frame: samples in, RLE frame out.

There is one segment per byte of each sample: sample 0's most significant
byte first, ..., sample 0's least significant byte, then sample 1, and so on.
The encoder works on the whole frame at once: all segments are stacked into
one array, parsed into tokens by the chosen packing and written by
:func:`~dicompress.rle.frame_writer.write_frame`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dicompress.rle.certificate import Certificate
from dicompress.rle.checks import RLEError, as_uint8, check_geometry
from dicompress.rle.compact_packing import compact_tokens
from dicompress.rle.frame_writer import write_frame
from dicompress.rle.indexing import ByteArray
from dicompress.rle.pydicom_packing import Tokens, group_tokens

__all__ = ["PACKINGS", "encode_frame", "encode_segments"]

#: ``"pydicom"``: byte-identical to pydicom's own encoder; ``"compact"``: the smallest stream.
PACKINGS = ("pydicom", "compact")


def encode_frame(
    src: bytes | bytearray | memoryview,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bytes_per_sample: int,
    *,
    byteorder: str = "<",
    planar_configuration: int = 0,
    packing: str = "pydicom",
    certify: Callable[[Certificate], None] | None = None,
) -> bytes:
    """Return one frame of pixel data encoded as a DICOM RLE Lossless frame.

    Parameters
    ----------
    src : bytes-like
        Exactly one frame: ``rows * columns * samples_per_pixel`` samples of
        `bytes_per_sample` bytes each, in `byteorder`.
    rows, columns : int
        The frame size.
    samples_per_pixel : int
        1 for monochrome, 3 for colour.
    bytes_per_sample : int
        Bytes used to store each sample (``Bits Allocated / 8``).
    byteorder : str, optional
        ``"<"`` (default) for little-endian samples, ``">"`` for big-endian.
    planar_configuration : int, optional
        0 (default) for interleaved samples (R G B R G B ...), 1 for one plane
        per sample.
    packing : str, optional
        ``"pydicom"`` (default) for output byte-identical to pydicom's own
        encoder, ``"compact"`` for the smallest stream this module can find.
    certify : callable, optional
        Called with the frame's :class:`~dicompress.rle.certificate.Certificate`,
        for :func:`~dicompress.rle.certificate.certifies` to check the frame
        against `src` without decoding it.

    Returns
    -------
    bytes
        The RLE frame: 64-byte header followed by the segments.

    Raises
    ------
    RLEError
        If the arguments are invalid, `src` has the wrong length, or the frame
        would need more than 15 segments.
    """
    rows, columns, spp, bps, nr_segments = check_geometry(rows, columns, samples_per_pixel, bytes_per_sample)
    _check_options(byteorder, planar_configuration, packing)
    frame = as_uint8(src)
    expected = rows * columns * nr_segments
    if frame.size != expected:
        raise RLEError(
            f"expected {expected} bytes for a {rows} x {columns} frame with "
            f"{spp} sample(s) of {bps} byte(s), got {frame.size}"
        )
    segments = _stack_segments(frame, rows, columns, spp, bps, byteorder, planar_configuration)
    return encode_segments(segments, nr_segments, rows * columns, columns, packing, certify).tobytes()


def _check_options(byteorder: str, planar_configuration: int, packing: str) -> None:
    """Check the keyword arguments of :func:`encode_frame`.

    Parameters
    ----------
    byteorder : str
        ``"<"`` or ``">"``.
    planar_configuration : int
        0 or 1.
    packing : str
        One of :data:`PACKINGS`.

    Raises
    ------
    RLEError
        If one of them has another value.
    """
    if byteorder not in ("<", ">"):
        raise RLEError(f"byteorder must be '<' or '>', got {byteorder!r}")
    if planar_configuration not in (0, 1):
        raise RLEError(f"planar_configuration must be 0 or 1, got {planar_configuration!r}")
    if packing not in PACKINGS:
        raise RLEError(f"packing must be one of {', '.join(PACKINGS)}, got {packing!r}")


def _stack_segments(
    frame: ByteArray, rows: int, columns: int, spp: int, bps: int, byteorder: str, planar: int
) -> ByteArray:
    """Return one contiguous copy of `frame` holding its segments in order.

    Parameters
    ----------
    frame : numpy.ndarray
        The samples, ``uint8``.
    rows, columns, spp, bps : int
        The frame geometry.
    byteorder : str
        ``"<"`` or ``">"``: the byte order of the samples.
    planar : int
        The planar configuration of the samples.

    Returns
    -------
    numpy.ndarray
        One-dimensional: segment by segment (sample, then byte most significant
        first), each ``rows x columns`` bytes.
    """
    if planar == 0:
        planes = frame.reshape(rows, columns, spp, bps).transpose(2, 3, 0, 1)
    else:
        planes = frame.reshape(spp, rows, columns, bps).transpose(0, 3, 1, 2)
    if byteorder == "<":
        planes = planes[:, ::-1]
    segments = np.empty(planes.shape, dtype=np.uint8)
    segments[...] = planes
    return segments.reshape(-1)


def encode_segments(
    segments: ByteArray, nr_segments: int, seg_size: int, columns: int, packing: str,
    certify: Callable[[Certificate], None] | None = None,
) -> ByteArray:
    """Return the RLE frame of stacked segments.

    Parameters
    ----------
    segments : numpy.ndarray
        The segments one after the other, owned: modified in place.
    nr_segments, seg_size, columns : int
        The number of segments, the size of each and the length of a row.
    packing : str
        One of :data:`PACKINGS`.
    certify : callable, optional
        As for :func:`encode_frame`.

    Returns
    -------
    numpy.ndarray
        The frame, ``uint8``.
    """
    compact = packing == "compact"
    # The tokens are handed over, not kept here: the writer lets each array go once used.
    return write_frame(
        segments, _tokens(segments, columns, compact), nr_segments, seg_size, compact=compact, certify=certify
    )


def _tokens(segments: ByteArray, columns: int, compact: bool) -> Tokens:
    """Return the tokens of the packing: pydicom's groups, made compact if asked."""
    tokens = group_tokens(segments, columns)
    return compact_tokens(tokens, columns, segments.size) if compact else tokens
