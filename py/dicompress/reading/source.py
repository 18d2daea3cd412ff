"""A DICOM file read from a file object in pieces, never whole.

The service reads a file through any object with ``read``, ``seek`` and ``tell``: a file
on disk, ``BytesIO``, or the page's reader over a ``Blob`` (where every read is a call into
JavaScript). :class:`SourceReader` serves pydicom's many small reads from one read-ahead
piece and hands longer reads (frames) straight through; :class:`FileBytes` lets the
structure walk (:mod:`dicompress.reading.structure`) slice the file as it slices bytes;
:class:`Window` is one value of the file as a file object of its own, for pydicom's
parsers of encapsulated Pixel Data.
"""

import io
import os
from typing import BinaryIO, Protocol

__all__ = ["FileBytes", "PositionedFile", "Readable", "SourceReader", "Window", "as_reader"]

#: Bytes read ahead for short reads: a data set's elements, item headers.
READ_AHEAD = 1 << 16
#: Bytes scanned at a time by :meth:`FileBytes.find`.
_SCAN = 1 << 20


class Readable(Protocol):
    """What the service reads a file through."""

    def read(self, size: int = -1, /) -> bytes: ...  # noqa: D102
    def seek(self, offset: int, whence: int = 0, /) -> int: ...  # noqa: D102
    def tell(self) -> int: ...  # noqa: D102


class SourceReader:
    """A read-only, seekable view of `raw` that reads ahead for short reads.

    Parameters
    ----------
    raw : Readable
        The file, read from its start (its position is not used). Only ``read``,
        ``seek`` and ``tell`` are called.
    """

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        self.size = raw.seek(0, os.SEEK_END)
        self._raw_position = self.size
        self._position = 0
        self._ahead = b""
        self._ahead_start = 0

    def tell(self) -> int:
        """Return the position."""
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        """Move to `offset` from the start, the position or the end; return the new position."""
        origin = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self.size}[whence]
        self._position = max(0, origin + offset)
        return self._position

    def read(self, size: int | None = -1, /) -> bytes:
        """Return up to `size` bytes from the position (the rest of the file if negative or ``None``)."""
        data = self.read_at(self._position, size)
        self._position += len(data)
        return data

    def read_at(self, offset: int, size: int | None = -1) -> bytes:
        """Return up to `size` bytes from `offset` (the rest of the file if negative), position unchanged."""
        end = self.size if size is None or size < 0 else min(self.size, offset + size)
        if end <= offset:
            return b""
        ahead_end = self._ahead_start + len(self._ahead)
        if self._ahead_start <= offset and end <= ahead_end:
            return self._ahead[offset - self._ahead_start : end - self._ahead_start]
        if end - offset >= READ_AHEAD:
            return self._raw_read(offset, end - offset)
        self._ahead = self._raw_read(offset, READ_AHEAD)
        self._ahead_start = offset
        return self._ahead[: end - offset]

    def _raw_read(self, offset: int, size: int) -> bytes:
        """Return `size` bytes of the file from `offset` (fewer at its end)."""
        if self._raw_position != offset:
            self._raw.seek(offset)
        pieces = []
        wanted = size
        while wanted > 0:
            piece = self._raw.read(wanted)
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        self._raw_position = offset + len(data)
        return bytes(data)


def as_reader(source: Readable) -> BinaryIO:
    """Return `source` ready for pydicom: ``BytesIO`` (in memory) or a reader as it is, else a :class:`SourceReader`."""
    if isinstance(source, io.BytesIO | SourceReader):
        return source  # type: ignore[return-value]
    return SourceReader(source)  # type: ignore[return-value]


def read_at(reader: Readable, offset: int, size: int) -> bytes:
    """Return up to `size` bytes of `reader` from `offset`; its position moves."""
    if isinstance(reader, SourceReader):
        return reader.read_at(offset, size)
    reader.seek(offset)
    return reader.read(size)


def size_of(reader: Readable) -> int:
    """Return how many bytes `reader` holds; its position is kept."""
    if isinstance(reader, SourceReader):
        return reader.size
    position = reader.tell()
    size = reader.seek(0, os.SEEK_END)
    reader.seek(position)
    return size


class FileBytes:
    """The bytes of a file as the structure walk slices them, read from the file as needed.

    Parameters
    ----------
    reader : Readable
        The file.
    """

    def __init__(self, reader: Readable) -> None:
        self._reader = reader
        self._size = size_of(reader)

    @property
    def size(self) -> int:
        """The file's size (``len()`` cannot give it in wasm32 from 2 GiB on: its sizes are 32-bit)."""
        return self._size

    def __getitem__(self, key: slice) -> bytes:
        """Return the bytes of a slice from a position to a position (not from the end; no steps).

        ``slice.indices`` is not used: it takes the length as a C size, 32-bit in wasm32.
        """
        if key.step not in (None, 1) or (key.start or 0) < 0 or (key.stop or 0) < 0:
            raise ValueError("FileBytes slices go forward from positions")
        start = min(key.start or 0, self._size)
        stop = self._size if key.stop is None else min(key.stop, self._size)
        return read_at(self._reader, start, max(0, stop - start))

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """Return where `sub` first occurs within [start, end), or -1, reading a piece at a time."""
        end = self._size if end is None else min(end, self._size)
        position = start
        while position < end:
            piece = self[position : min(end, position + _SCAN + len(sub) - 1)]
            found = piece.find(sub)
            if found >= 0:
                return position + found
            position += _SCAN
        return -1


class PositionedFile(io.RawIOBase):
    """A raw file with a position and a size (:meth:`_size`), seekable as Python's files are."""

    _position = 0

    def _size(self) -> int:
        raise NotImplementedError

    def seekable(self) -> bool:
        """Return ``True``."""
        return True

    def tell(self) -> int:
        """Return the position."""
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        """Move to `offset` from the start, the position or the end; return the new position."""
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size()}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position


class Window(PositionedFile):
    """Bytes [start, start + length) of `reader` as a readable, seekable file of their own.

    Parameters
    ----------
    reader : Readable
        The file.
    start, length : int
        Where the value starts and how long it is.
    """

    def __init__(self, reader: Readable, start: int, length: int) -> None:
        super().__init__()
        self._reader = reader
        self._start = start
        self._length = length
        self._position = 0

    def _size(self) -> int:
        return self._length

    def readable(self) -> bool:
        """Return ``True``."""
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        """Return up to `size` bytes of the value from the position."""
        rest = max(0, self._length - self._position)
        size = rest if size is None or size < 0 else min(size, rest)
        data = read_at(self._reader, self._start + self._position, size) if size else b""
        self._position += len(data)
        return data

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        """Read into `buffer`; return how many bytes were read."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
