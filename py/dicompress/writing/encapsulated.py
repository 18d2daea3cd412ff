"""Pixel Data values that pydicom writes straight from the frames, never joined into one copy.

pydicom 3 writes an OB or OW value given as a buffer (:class:`io.BufferedIOBase`) by
reading it a chunk at a time. :class:`Pieces` is such a buffer over a list of byte
strings; it lets go of each one once it has been read past, so while a file is written
the frames already in it are not held twice. :func:`encapsulated` lays encoded frames
out as encapsulated Pixel Data (PS3.5 A.4): the Basic Offset Table item, then one item
per frame, byte for byte what :func:`pydicom.encaps.encapsulate` makes.
"""

import io
import os
from struct import pack

__all__ = ["Pieces", "encapsulated", "native"]

_ITEM = b"\xfe\xff\x00\xe0"  # (FFFE,E000), little endian


class Pieces(io.BufferedIOBase):
    """The concatenation of `pieces`, readable from start to end once (and seekable).

    Parameters
    ----------
    pieces : list of bytes-like
        The value, piece by piece. Emptied: the pieces belong to this buffer.
    """

    def __init__(self, pieces: list[bytes | memoryview]) -> None:
        super().__init__()
        self._starts = []
        position = 0
        for piece in pieces:
            self._starts.append(position)
            position += len(piece)
        self._size = position
        self._pieces: list[bytes | memoryview | None] = list(pieces)
        pieces.clear()
        self._position = 0
        self._piece = 0  # the piece holding the position

    def readable(self) -> bool:
        """Return ``True``."""
        return True

    def seekable(self) -> bool:
        """Return ``True``."""
        return True

    def tell(self) -> int:
        """Return the position."""
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        """Move to `offset` from the start, the position or the end; return the new position."""
        origin = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = max(0, origin + offset)
        self._piece = 0
        while self._piece + 1 < len(self._pieces) and self._starts[self._piece + 1] <= self._position:
            self._piece += 1
        return self._position

    def read(self, size: int | None = -1, /) -> bytes:
        """Return up to `size` bytes from the position (all the rest if `size` is negative or ``None``).

        Raises
        ------
        ValueError
            When asked for a piece it has let go.
        """
        stop = self._size if size is None or size < 0 else min(self._size, self._position + size)
        piece = self._pieces[self._piece] if self._position < stop else None
        start = self._starts[self._piece] if piece is not None else 0
        if piece is not None and stop < start + len(piece):  # within one piece, not its end: a slice
            self._position, first = stop, self._position
            return bytes(piece[first - start : stop - start])
        chunks = []
        while self._position < stop:
            piece = self._pieces[self._piece]
            if piece is None:
                raise ValueError("this part of the value was already read and let go")
            start = self._starts[self._piece]
            end = start + len(piece)
            chunks.append(memoryview(piece)[self._position - start : min(stop, end) - start])
            self._position = min(stop, end)
            if self._position == end:
                self._pieces[self._piece] = None  # read past: let it go
                self._piece += 1
        return b"".join(chunks)


def encapsulated(frames: list[bytes], *, basic_offsets: bool) -> tuple[Pieces, list[int], list[int]]:
    """Return the encapsulated Pixel Data of `frames`, one fragment per frame.

    Parameters
    ----------
    frames : list of bytes
        The encoded frames; emptied (they belong to the result).
    basic_offsets : bool
        Whether the Basic Offset Table lists the items (else it is empty, for an
        Extended Offset Table).

    Returns
    -------
    value : Pieces
        The value.
    offsets : list of int
        Every item's offset from the first item after the Basic Offset Table.
    lengths : list of int
        Every item's length: the frame's, padded to even as pydicom pads.
    """
    lengths = [len(frame) + len(frame) % 2 for frame in frames]
    offsets = []
    offset = 0
    for length in lengths:
        offsets.append(offset)
        offset += 8 + length
    table = pack(f"<{len(offsets)}L", *offsets) if basic_offsets else b""
    pieces: list[bytes | memoryview] = [_ITEM + pack("<L", len(table)) + table]
    for frame, length in zip(frames, lengths, strict=True):
        pieces += [_ITEM + pack("<L", length), frame]
        if length != len(frame):
            pieces.append(b"\x00")
    frames.clear()
    return Pieces(pieces), offsets, lengths


def native(frames: list[bytes]) -> Pieces:
    """Return native Pixel Data made of `frames`, padded to even length as pydicom pads it.

    Parameters
    ----------
    frames : list of bytes
        The frames; emptied (they belong to the result).

    Returns
    -------
    Pieces
        The value.
    """
    pieces: list[bytes | memoryview] = list(frames)
    frames.clear()
    if sum(len(frame) for frame in pieces) % 2:
        pieces.append(b"\x00")
    return Pieces(pieces)
