"""The 64-byte header of an RLE frame (PS3.5 Annex G.5).

Sixteen little-endian ``uint32``: the number of segments, then the offset of
each segment from the start of the frame (unused offsets are 0).  The first
segment starts right after the header, at offset 64.
"""

from __future__ import annotations

import struct

import numpy as np

from dicompress.rle.checks import MAX_SEGMENTS, RLEError
from dicompress.rle.indexing import ByteArray, IntArray

__all__ = ["HEADER_SIZE", "header_bytes", "parse_header"]

HEADER_SIZE = 64


def header_bytes(offsets: IntArray) -> ByteArray:
    """Return the header of a frame whose segments start at `offsets`.

    Parameters
    ----------
    offsets : numpy.ndarray
        The offset of every segment (at most :data:`MAX_SEGMENTS`).

    Returns
    -------
    numpy.ndarray
        The 64 header bytes, ``uint8``.
    """
    header = np.zeros(16, dtype="<u4")
    header[0] = offsets.size
    header[1 : offsets.size + 1] = offsets
    return header.view(np.uint8)


def parse_header(frame: ByteArray | bytes, expected: int, spp: int, bps: int) -> list[int]:
    """Return the segment offsets of `frame`, checked.

    Parameters
    ----------
    frame : numpy.ndarray or bytes
        The whole frame (``uint8`` if an array).
    expected : int
        The number of segments the geometry needs (``spp * bps``).
    spp, bps : int
        Samples per pixel and bytes per sample, for the message.

    Returns
    -------
    list of int
        The offset of every segment, increasing, after the header and before
        the end of `frame`.

    Raises
    ------
    RLEError
        If the frame is shorter than the header, the header gives more than
        :data:`MAX_SEGMENTS` or not `expected` segments, or an offset is out of
        order or out of range.
    """
    size = len(frame)
    if size < HEADER_SIZE:
        raise RLEError(f"RLE frame is {size} bytes, shorter than its 64-byte header")
    header = struct.unpack("<16L", bytes(frame[:HEADER_SIZE]))
    count = header[0]
    if count > MAX_SEGMENTS:
        raise RLEError(f"RLE header gives {count} segments, more than the {MAX_SEGMENTS} allowed")
    if count != expected:
        raise RLEError(
            f"RLE header gives {count} segment(s), but {spp} sample(s) of {bps} "
            f"byte(s) need {expected}"
        )
    offsets = list(header[1 : count + 1])
    _check_offsets(offsets, size)
    return offsets


def _check_offsets(offsets: list[int], size: int) -> None:
    """Check that `offsets` increase, start after the header and stay inside the frame.

    Parameters
    ----------
    offsets : list of int
        The segment offsets from the header.
    size : int
        The size of the frame.

    Raises
    ------
    RLEError
        Naming the first offset that is out of order or out of range.
    """
    previous = HEADER_SIZE - 1
    for i, offset in enumerate(offsets):
        if offset <= previous:
            what = "inside the 64-byte header" if i == 0 else "not after the previous one"
            raise RLEError(f"RLE segment {i + 1} offset {offset} is {what}")
        if offset >= size:
            raise RLEError(f"RLE segment {i + 1} offset {offset} is beyond the end of the data ({size} bytes)")
        previous = offset
