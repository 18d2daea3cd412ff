"""File objects over the page's storage, for :mod:`dicompress.browser`: a file of any size is
read from the browser's blob storage and its result written to the Origin Private File System,
so Python holds a few frames at a time, never the whole file.

The worker (``web/worker.js``) hands over JavaScript objects (``web/blob-source.js``,
``web/opfs-results.js``); these classes wrap them in Python's file protocol, which pydicom
and :mod:`dicompress.service` read and write. Each byte crosses between JavaScript and
Python's memory once. Nothing here imports Pyodide: any object with the same methods
(bytes in, bytes out) will do, which is how CPython tests them.
"""

from typing import Any

from dicompress import frontend
from dicompress.errors import ConversionError
from dicompress.reading.source import PositionedFile


class UnreadableSourceError(ConversionError):
    """The browser could not read the file (it changed on disk or went away since it was chosen)."""

    code = "unreadable"


class StorageFullError(ConversionError):
    """The site's storage could not take the rest of the result."""

    code = "storage-full"


def _js_error_name(exc: BaseException) -> str:
    """Return the JavaScript error's name (``NotReadableError``), else the Python exception's."""
    return str(getattr(exc, "name", "") or type(exc).__name__)


def _copy_into(view: memoryview, chunk: Any) -> int:
    """Copy `chunk` (a JavaScript Uint8Array, or bytes) to the start of `view`; return its length."""
    if isinstance(chunk, bytes | bytearray | memoryview):
        size = len(chunk)
        view[:size] = chunk
        return size
    size = int(chunk.byteLength)
    chunk.assign_to(view[:size])  # one copy, JavaScript to Python
    return size


class BlobReader(PositionedFile):
    """A File or Blob of the page, read through a ``BlobSource`` (``web/blob-source.js``).

    Parameters
    ----------
    source
        An object with ``size`` and ``read(offset, length)``, which returns at most `length`
        bytes from `offset` (a ``Uint8Array`` in the worker) and raises when the file cannot be read.
    name : str
        The file's name: pydicom names its file objects.
    """

    def __init__(self, source: Any, name: str = "blob") -> None:
        super().__init__()
        self._source = source
        self._length = int(source.size)
        self.name = name

    def _size(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes at the position into `buffer`; 0 at the end."""
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._length - self._position)
        if wanted <= 0:
            return 0
        try:
            chunk = self._source.read(self._position, wanted)
        except Exception as exc:  # a JavaScript error: the File changed or went away
            name = _js_error_name(exc)
            raise UnreadableSourceError(frontend.message("unreadable", error=name)) from None
        size = _copy_into(view, chunk)
        self._position += size
        return size


class StoredResult(PositionedFile):
    """A result file in the site's storage, written through ``web/opfs-results.js``.

    Parameters
    ----------
    store
        An object with ``write(at, data)`` and ``read(at, into)`` (each given a Python
        buffer, returning the bytes moved), ``size()`` and ``truncate(size)``.
    """

    def __init__(self, store: Any) -> None:
        super().__init__()
        self._store = store

    def _size(self) -> int:
        return int(self._store.size())

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        """Write all of `data` at the position; raise :class:`StorageFullError` when the storage is full."""
        with memoryview(data).cast("B") as view:
            written = int(self._store.write(self._position, view))
            self._position += written
            if written < len(view):
                raise StorageFullError(frontend.message("storage_full"))
            return written

    def readinto(self, buffer: Any) -> int:
        """Read up to ``len(buffer)`` bytes at the position into `buffer`; 0 at the end."""
        with memoryview(buffer).cast("B") as view:
            size = int(self._store.read(self._position, view))
        self._position += size
        return size

    def truncate(self, size: int | None = None) -> int:
        """Cut the file at `size` (the position when ``None``); return the new size."""
        size = self._position if size is None else size
        self._store.truncate(size)
        return size
