"""The file service as the page and the command line call it: ``convert_file`` from a reader.

:class:`Reader` is a file object that only reads, seeks and tells, as the page's reader over
a Blob, so the service reads it through :class:`dicompress.reading.source.SourceReader`
(never as ``BytesIO``, which it reads in memory). :func:`streamed_convert` has the signature
of :func:`dicompress.service.convert` and converts with ``convert_file`` into a file on disk.
"""

import tempfile
from io import BytesIO
from typing import Any

from dicompress.service import Conversion, convert_file


class Reader:
    """The bytes `data` as a file object with ``read``, ``seek`` and ``tell`` only."""

    def __init__(self, data: bytes) -> None:
        file = BytesIO(data)
        self.read, self.seek, self.tell = file.read, file.seek, file.tell


def streamed_convert(data: bytes, target: str = "rle", **options: Any) -> Conversion:
    """Convert `data` as :func:`dicompress.service.convert` does, but with ``convert_file`` from a :class:`Reader`."""
    with tempfile.TemporaryFile() as sink:
        report = convert_file(Reader(data), sink, target, **options)
        sink.seek(0)
        return Conversion(data=sink.read(), report=report)
