"""The ``"pydicom"`` packing: pydicom's own encoder, byte for byte, on a whole frame at once.

PackBits runs are either a *literal* run (control ``n`` in 0..127 followed by
``n + 1`` bytes) or a *replicate* run (control ``257 - L`` in 129..255 followed
by one byte that is repeated ``L`` times, ``2 <= L <= 128``).  Every image row
of a segment is encoded on its own.

pydicom's pure-Python encoder (and therefore pylibjpeg-rle) cuts each row into
groups of equal bytes; groups of one byte accumulate into literal runs (split
every 128 bytes, the remainder last); a group of two or more bytes becomes
replicate runs of 128, and a remainder of ``r >= 2`` bytes one more replicate
run, while a remainder of exactly one byte becomes a one-byte literal run.

Here every row is tiled by *tokens*: groups of two or more equal bytes
(replicate tokens) and maximal runs of single bytes (literal tokens).  All
segments' rows are stacked into one ``(segments * rows, columns)`` byte array;
runs never cross a row, so equal-neighbour masks computed with ``np.equal``
give every group boundary.  :func:`dicompress.rle.frame_writer.write_frame`
then cuts the tokens into runs by the rules above.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.indexing import BoolArray, ByteArray, IntArray, index_dtype

__all__ = ["TOKEN_HEADROOM", "Tokens", "group_tokens", "token_lengths"]

#: How far arithmetic on token positions may go past the end of the frame
#: (runs of 128 bytes, a few bytes moved by the compact packing).
TOKEN_HEADROOM = 2**24


class Tokens(NamedTuple):
    """A tiling of every row of every segment, in order."""

    #: Position of the token's first byte in the stacked segments.
    start: IntArray
    #: True for a replicate token (a group of equal bytes), False for literal data.
    replicate: BoolArray
    #: Bytes in the token.
    length: IntArray


def group_tokens(segments: ByteArray, columns: int) -> Tokens:
    """Return the tokens of pydicom's packing: groups of equal bytes and the literal data between them.

    Parameters
    ----------
    segments : numpy.ndarray
        All segments one after the other, each ``rows * columns`` bytes.
    columns : int
        The length of a row.

    Returns
    -------
    Tokens
        Replicate tokens are the groups of two or more equal bytes of a row;
        literal tokens are the maximal runs of single bytes between them.
        Positions are ``int32`` when the frame allows (half the memory
        traffic), else ``int64``.
    """
    total = segments.size
    # equal[i + 1]: byte i equals byte i - 1 of the same row (continues a group).
    equal = np.zeros(total + 3, dtype=bool)
    np.equal(segments[1:], segments[:-1], out=equal[2 : total + 1])
    equal[1 : total + 1 : columns] = False
    continues = equal[1 : total + 1]
    continued = equal[2 : total + 2]  # the next byte continues this byte's group
    previous_continues = equal[0:total]

    # A token starts where a byte does not continue a group and either starts a
    # group or follows the end of one; every row starts a token.
    is_start = np.logical_or(continued, previous_continues)
    np.greater(is_start, continues, out=is_start)
    is_start[::columns] = True
    start = np.flatnonzero(is_start).astype(index_dtype(total, TOKEN_HEADROOM), copy=False)
    del is_start
    replicate = continued[start]
    del equal, continues, continued, previous_continues
    return Tokens(start, replicate, token_lengths(start, total))


def token_lengths(start: IntArray, total: int) -> IntArray:
    """Return the length of every token from the token starts.

    Parameters
    ----------
    start : numpy.ndarray
        The increasing token starts; the first is 0.
    total : int
        The size of the stacked segments (the end of the last token).

    Returns
    -------
    numpy.ndarray
        The lengths, in the dtype of `start`.
    """
    length = np.empty(start.size, dtype=start.dtype)
    np.subtract(start[1:], start[:-1], out=length[:-1])
    length[-1] = total - start[-1]
    return length
