"""A converted file written to a sink in order, its Pixel Data frame by frame: never held whole.

:class:`FileWriter` writes what pydicom's ``dcmwrite`` writes for the data set with its new
Pixel Data, byte for byte, in three parts:

* the head: the preamble, the file meta and every element before the pixel element, as
  ``dcmwrite`` writes them (:mod:`dicompress.writing.head`; the head is small: long values
  stay in the source until written);
* the pixel element, one frame at a time as each is encoded and checked: native Pixel
  Data with its defined length (known up front), or encapsulated Pixel Data (PS3.5 A.4) as
  pydicom's ``encapsulate`` lays it out, its Basic Offset Table reserved (4 bytes per
  frame) and filled in once the frames are written;
* the tail: the elements after the pixel element (trailing padding, private elements...),
  by pydicom's ``write_dataset``.

Where the offsets could pass 4 GiB, which the Basic Offset Table cannot hold, the Extended
Offset Table (7FE0,0001/0002) is reserved in the head instead, the Basic Offset Table left
empty, as ``pydicom.pixels.compress`` does (PS3.5 A.4). Whether they could is decided
before the first frame from each frame's largest possible stream (:func:`needs_extended`).

A deflated target (Deflated Explicit VR Little Endian) is deflated as it is written; it
holds native Pixel Data only.
"""

import zlib
from dataclasses import dataclass, field
from struct import pack
from typing import Any, BinaryIO

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomIO
from pydicom.filereader import read_deferred_data_element
from pydicom.filewriter import write_dataset
from pydicom.tag import Tag
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicompress import errors
from dicompress.writing.head import head_parts

__all__ = ["BASIC_OFFSET_LIMIT", "FileWriter", "needs_extended"]

#: The Basic Offset Table holds 32-bit offsets (PS3.5 A.4).
BASIC_OFFSET_LIMIT = 2**32
_ITEM = b"\xfe\xff\x00\xe0"  # (FFFE,E000), little endian
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_UNDEFINED = 0xFFFFFFFF
_EXTENDED_OFFSETS = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")
_FLOAT_VRS = {"FloatPixelData": "OF", "DoubleFloatPixelData": "OD"}


def needs_extended(frames: int, largest_stream: int) -> bool:
    """Return whether the offsets of `frames` items of at most `largest_stream` bytes could pass the Basic Offset Table.

    Each item before the last adds its (even) length and an 8-byte header to the offset of the next.
    """
    return (frames - 1) * (largest_stream + largest_stream % 2 + 8) >= BASIC_OFFSET_LIMIT


@dataclass
class _Deflating:
    """Deflates what is written to it into `sink`, as pydicom deflates a data set."""

    sink: BinaryIO
    written: int = 0
    deflated: int = 0
    compressor: Any = field(default_factory=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS))

    def write(self, data: bytes) -> int:
        """Deflate `data` into the sink; return its length."""
        self._out(self.compressor.compress(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        """Return how many bytes were written (before deflating)."""
        return self.written

    def seek(self, offset: int, whence: int = 0) -> int:
        """Refuse to move: a deflated stream is written in order."""
        raise OSError("a deflated data set is written in order")

    def finish(self) -> None:
        """End the stream, padded to even length as pydicom pads it."""
        self._out(self.compressor.flush())
        if self.deflated % 2:
            self._out(b"\x00")

    def _out(self, data: bytes) -> None:
        self.sink.write(data)
        self.deflated += len(data)


class FileWriter:
    """Writes `ds` with new Pixel Data to `sink` from position 0: the head now, then each frame, then the tail.

    `ds` is the data set to write, its Image Pixel module already describing the new
    frames. While the frames are written its pixel element and the elements after it are
    out of it; :meth:`finish` puts them back (the pixel element as it was read).

    Parameters
    ----------
    sink : file object
        Written from position 0 (``write``, ``seek``, ``tell``).
    ds : pydicom.dataset.Dataset
        The data set.
    syntax : pydicom.uid.UID
        The target transfer syntax.
    keyword : str
        The pixel element written: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.
    frames : int
        How many frames (or pieces) :meth:`add` is given.
    length : int or None
        For native Pixel Data, its length without padding; ``None`` for encapsulated.
    extended : bool, optional
        For encapsulated Pixel Data: use the Extended Offset Table (see :func:`needs_extended`).
    """

    def __init__(
        self, sink: BinaryIO, ds: Dataset, syntax: UID, *, keyword: str, frames: int, length: int | None,
        vr: str = "OB", extended: bool = False,
    ) -> None:
        self.sink = sink
        self._ds = ds
        self._frames = frames
        self._length = length
        self._extended = extended
        self._offsets: list[int] = []
        self._lengths: list[int] = []
        self._written = 0
        self._tag = Tag(keyword)
        self._pixel_element = ds.get_item(self._tag, keep_deferred=True)
        pixel_tag = int(self._tag)  # compared as ints: pydicom's BaseTag compares in Python
        self._tail = [ds.get_item(tag, keep_deferred=True) for tag in ds.keys() if int(tag) > pixel_tag]
        for tag in [self._tag, *(element.tag for element in self._tail)]:
            if tag in ds:
                del ds[tag]
        self._set_offset_tables(ds, reserved=length is None and extended)
        ds.file_meta.TransferSyntaxUID = syntax
        self._output: BinaryIO | _Deflating = sink
        self._head(syntax)
        vr = _FLOAT_VRS.get(keyword, vr)
        size = _UNDEFINED if length is None else length + length % 2
        self._output.write(pack("<HH2sHL", self._tag.group, self._tag.element, vr.encode(), 0, size))
        if length is None:
            table = 0 if extended else 4 * frames
            self._output.write(_ITEM + pack("<L", table))
            self._table_at = sink.tell()
            self._output.write(bytes(table))

    def _set_offset_tables(self, ds: Dataset, *, reserved: bool) -> None:
        """Reserve the Extended Offset Table and its Lengths in `ds` (zeros), or remove any left from the source."""
        for keyword in _EXTENDED_OFFSETS:
            if keyword in ds:
                del ds[keyword]
            if reserved:
                setattr(ds, keyword, bytes(8 * self._frames))

    def _head(self, syntax: UID) -> None:
        """Write the preamble, the file meta and the elements before the pixel element."""
        meta, elements = head_parts(self._ds, syntax)
        self.sink.seek(0)
        self.sink.write(meta)
        if syntax == DeflatedExplicitVRLittleEndian:  # the elements are deflated as they come
            self._output = _Deflating(self.sink)
        self._output.write(elements)

    def add(self, data: bytes) -> None:
        """Write the next frame: its encoded stream as an item, or its native bytes."""
        if self._length is not None:
            self._output.write(data)
            self._written += len(data)
            return
        self._offsets.append(self._written)
        length = len(data) + len(data) % 2
        self._lengths.append(length)
        self._output.write(_ITEM + pack("<L", length))
        self._output.write(data)
        if length != len(data):
            self._output.write(b"\x00")
        self._written += 8 + length

    def finish(self) -> int:
        """Write the end of the Pixel Data, its offset table and the tail; return the file's size.

        Raises
        ------
        dicompress.errors.LimitExceededError
            When the frames came out larger than :func:`needs_extended` allowed for, so the
            Basic Offset Table cannot hold their offsets.
        dicompress.errors.VerificationError
            When native frames did not add up to the length written in the element's header.
        """
        if self._length is None:
            self._output.write(_SEQUENCE_DELIMITER)
            self._fill_tables()
        else:
            if self._written != self._length:
                raise errors.VerificationError(
                    f"{self._written} of the {self._length} bytes of Pixel Data were written; the result was discarded"
                )
            if self._written % 2:
                self._output.write(b"\x00")
        self._write_tail()
        if isinstance(self._output, _Deflating):
            self._output.finish()
        self._ds[self._tag] = self._pixel_element
        size = self.sink.tell()
        if hasattr(self.sink, "truncate"):
            self.sink.truncate(size)  # a sink that held a longer file
        return size

    def _fill_tables(self) -> None:
        """Write the frames' offsets into the offset table reserved for them."""
        end = self.sink.tell()
        if self._extended:
            tables = [pack(f"<{len(values)}Q", *values) for values in (self._offsets, self._lengths)]
            # The head ends: Extended Offset Table (7FE0,0001) OV, its Lengths (7FE0,0002) OV, each
            # with a 12-byte header; then the Pixel Data header (12) and the empty table's item (8).
            size = 8 * self._frames
            lengths_at = self._table_at - 8 - 12 - size
            starts = [lengths_at - 12 - size, lengths_at]
            for keyword, table in zip(_EXTENDED_OFFSETS, tables, strict=True):
                setattr(self._ds, keyword, table)
        else:
            if self._offsets and self._offsets[-1] >= BASIC_OFFSET_LIMIT:
                raise errors.LimitExceededError(
                    "the encoded frames outgrew the 4 GiB the Basic Offset Table holds; "
                    "the result was discarded"
                )
            tables, starts = [pack(f"<{len(self._offsets)}L", *self._offsets)], [self._table_at]
        for start, table in zip(starts, tables, strict=True):
            self.sink.seek(start)
            self.sink.write(table)
        self.sink.seek(end)

    def _write_tail(self) -> None:
        """Write the elements after the pixel element, as they were read, and put them back into the data set."""
        if not self._tail:
            return
        tail = Dataset()
        for element in self._tail:
            if isinstance(element, RawDataElement) and element.value is None and element.length:
                # Left in the file: read now (a data set would decode a private one without its value).
                element = read_deferred_data_element(self._ds.fileobj_type, self._ds.buffer, None, element)
            self._ds[element.tag] = element
            tail.add(self._ds[element.tag])  # decoded
        output = DicomIO(self._output)  # type: ignore[arg-type]  # writes and tells
        output.is_implicit_VR, output.is_little_endian = False, True
        write_dataset(output, tail, parent_encoding=self._ds.get("SpecificCharacterSet", "iso8859"))
