"""A first look at the raw elements of a DICOM file, before pydicom reads it.

pydicom reads and writes nested sequences recursively and inflates a deflated data set whole,
so a small hostile file can exhaust the stack or the memory before any later check runs.
:func:`check` walks the file's elements without recursion, as pydicom will read them (the file
meta, a command set, the data set; each sequence item explicit or implicit VR as pydicom
decides it), and inflates a deflated data set within the :mod:`~dicompress.limits`.

A defined-length sequence is a slice of its own for pydicom: whatever does not parse inside it
stays inside, and the walk goes on after it; but an element or item longer than its sequence is
refused (pydicom would read past the sequence: less on CPython, an ``OverflowError`` in wasm32).
Anything else that does not parse ends the walk; pydicom then reports the damage when it reads
the file.

The walk's work is bounded by the file's real content. The elements of a data set (the file
meta, the command set, the data set, each item) ascend by tag (PS3.5 7.1), group 0000 belongs
to the command set and group 0002 to the file meta (PS3.7 6.3, PS3.10 7.1): the first element
a data set cannot hold, a repeated or descending tag or a command or file meta element in the
data set, is refused with a ``DamagedFileError``. A run of zero bytes reads as elements
(0000,0000) of length 0, 8 bytes each: without this rule a deflated file whose stream ends with
100 MB of zeros had 13 million of them walked, and pydicom read them all.

The bound: each element is visited once, and the walk ends at the first element after the real
content. A deflated data set is walked in growing heads (1 MB, doubling up to 16 MB) before it
is inflated whole, so an element it cannot hold at byte P of the inflated stream is refused
after inflating at most max(1 MB, 2 P) bytes and walking twice as many; a longer stream is
inflated twice (counted, then kept), within the inflation limit. Refusing CT_small's data set
followed by 100 MB of deflated zeros takes under 3 times (measured: well under once) what
converting the same data set without them takes, on CPython and in Pyodide
(``tests/test_hostile.py``, ``tests/test_wasm32_fuzz.py``).
"""

import struct
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from pydicom.datadict import dictionary_description, dictionary_has_tag, dictionary_VR
from pydicom.tag import Tag
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, VR

from dicompress import errors, frontend
from dicompress.limits import Limits
from dicompress.reading.source import FileBytes

_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_TRANSFER_SYNTAX = 0x00020010
_VRS = {str(vr).encode() for vr in VR}
_LONG_VRS = {str(vr).encode() for vr in EXPLICIT_VR_LENGTH_32}
#: Transfer Syntax UIDs that are not Explicit VR Little Endian: (implicit, little endian).
_ENCODINGS = {"1.2.840.10008.1.2": (True, True), "1.2.840.10008.1.2.2": (False, False)}
_DEFLATED = "1.2.840.10008.1.2.1.99"
#: Bytes inflated at a time.
_INFLATE_CHUNK = 1 << 24
#: The heads of a deflated data set walked before it is inflated whole: 1 MB, doubling up to 16 MB.
_FIRST_HEAD, _LAST_HEAD = 1 << 20, 1 << 24


@dataclass
class _Level:
    """One level of the walk: a data set's elements, or a sequence's items."""

    end: int | None  # where its value ends (None: at a delimitation item)
    limit: int  # where the bytes it can read end: the file's, or a defined-length sequence's
    items: bool  # a sequence (items) rather than a data set (elements)
    implicit: bool
    last: int = -1  # the tag of a data set's last element so far


class _Element(NamedTuple):
    """The header of one data element (a tuple: one is made for every element walked)."""

    tag: int
    vr: bytes | None  # None: implicit VR
    length: int
    value: int  # where its value starts


def check(data: bytes | FileBytes, limits: Limits) -> int:
    """Check the structure of a DICOM file against `limits`; return how deep its sequences nest.

    Parameters
    ----------
    data : bytes or FileBytes
        The whole file, or a file read as it is walked (long values are stepped over, not read).
    limits : Limits
        The sequence depth and inflation allowed.

    Returns
    -------
    int
        The deepest nesting of sequences found (0: none).

    Raises
    ------
    dicompress.errors.ConversionError
        ``LimitExceededError`` beyond a limit, ``TruncatedFileError`` for an element longer
        than the file, ``DamagedFileError`` for a damaged deflated data set.
    """
    if data[128:132] != b"DICM":
        return 0  # pydicom refuses it
    meta = _Walk(data, limits, little=True)
    start, kept = meta.run(132, implicit=False, group=0x0002, keep=_TRANSFER_SYNTAX)
    command = _Walk(data, limits, little=True)
    start, _ = command.run(start, implicit=True, group=0x0000)
    syntax = kept.rstrip(b"\0 ").decode("ascii", "replace") if kept is not None else None
    body = data
    if syntax == _DEFLATED:
        deflated = memoryview(data)[start:] if isinstance(data, bytes) else data[start:]
        head = _walked_head(deflated, limits)
        body, start = head if head is not None else inflate(deflated, limits), 0
        implicit, little = False, True
    else:
        implicit, little = _encoding(syntax, data[start : start + 6])
    walk = _Walk(body, limits, little=little, inflated=syntax == _DEFLATED)
    walk.run(start, implicit=implicit)
    return max(meta.deepest, command.deepest, walk.deepest)


def inflate(deflated: bytes | memoryview, limits: Limits) -> bytes:
    """Return a deflated data set inflated, after checking that it stays within `limits`.

    The check inflates the stream once and keeps nothing, so a deflate bomb costs time
    (about a second per 300 MB of its budget) but no memory.

    Raises
    ------
    dicompress.errors.ConversionError
        ``LimitExceededError``, ``TruncatedFileError`` or ``DamagedFileError``.
    """
    budget = limits.inflation_budget(len(deflated))
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    pending: bytes | memoryview = deflated
    try:
        while not inflater.eof:
            size += len(inflater.decompress(pending, _INFLATE_CHUNK))
            if size > budget:
                raise errors.LimitExceededError(
                    f"the deflated data set inflates to more than {frontend.size_text(budget)}, over "
                    f"{limits.max_inflation} times its {frontend.size_text(len(deflated))}: refused as a likely "
                    "deflate bomb (limit max_inflation)"
                )
            if not pending and not inflater.unconsumed_tail:
                break
            pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise errors.DamagedFileError(f"the deflated data set is damaged ({exc})") from None
    if not inflater.eof:
        raise errors.TruncatedFileError("the file is cut short: its deflated data set is incomplete")
    return zlib.decompress(deflated, -zlib.MAX_WBITS)


def _walked_head(deflated: bytes | memoryview, limits: Limits) -> bytes | None:
    """Walk growing heads of a deflated data set; return it inflated if it is no longer than one.

    A head is walked as the whole would be, except that running out of bytes ends the walk
    without an error: an element a data set cannot hold is found, and refused, after
    inflating at most twice the bytes before it (1 MB at least), not the whole stream.
    Returns ``None`` for a stream longer than the last head, or damaged: :func:`inflate`
    takes it then.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    head, pending, size = b"", deflated, _FIRST_HEAD
    budget = limits.inflation_budget(len(deflated))
    try:
        while True:
            head += inflater.decompress(pending, size - len(head))
            pending = inflater.unconsumed_tail
            if len(head) > budget:
                return None  # inflate() refuses it
            if inflater.eof:
                return head
            if len(head) < size or size >= _LAST_HEAD:
                return None  # cut short, or long: inflate() reports or checks it
            _Walk(head, limits, little=True, inflated=True, head=True).run(0, implicit=False)
            size *= 2
    except zlib.error:
        return None


def _encoding(syntax: str | None, head: bytes) -> tuple[bool, bool]:
    """Return (implicit VR, little endian) of the data set, as pydicom decides them."""
    if syntax is not None:
        return _ENCODINGS.get(syntax, (False, True))
    # No Transfer Syntax UID: pydicom looks at the first element.
    if len(head) < 6 or head[4:6] not in _VRS:
        return True, True
    return False, struct.unpack("<H", head[:2])[0] < 1024


class _Walk:
    """A walk over the elements of one data set, with an explicit stack instead of recursion."""

    def __init__(
        self, buf: bytes | FileBytes, limits: Limits, *, little: bool, inflated: bool = False, head: bool = False
    ) -> None:
        self.buf = buf
        self.size = buf.size if isinstance(buf, FileBytes) else len(buf)
        self.inflated = inflated
        self.head = head  # `buf` is the head of a longer data set: its end ends the walk, without an error
        self.limits = limits
        endian = "<" if little else ">"
        # Compiled once per walk: they unpack every element's header.
        self.tag_format = struct.Struct(f"{endian}HH")
        self.short_format = struct.Struct(f"{endian}H")
        self.long_format = struct.Struct(f"{endian}L")
        self.item_format = struct.Struct(f"{endian}HHL")
        self.item_tag = self.tag_format.pack(0xFFFE, 0xE000)
        self.delimiter = self.tag_format.pack(0xFFFE, 0xE0DD)
        self.deepest = 0
        self.stack: list[_Level] = []

    def run(
        self, pos: int, *, implicit: bool, group: int | None = None, keep: int | None = None
    ) -> tuple[int, bytes | None]:
        """Walk from `pos`; return where the walk stopped and the top-level value of tag `keep`.

        With `group`, the walk stops before the first top-level element of another group.
        """
        kept = None
        top = _Level(None, self.size, items=False, implicit=self._implicit(pos, implicit, top=True))
        self.stack = [top]
        while self.stack:
            level = self.stack[-1]
            if level.end is not None and pos >= level.end:
                self.stack.pop()
                continue
            if level.items:
                pos = self._item(pos, level)
                continue
            element = self._header(pos, level)
            if element is None:
                pos = self._broken()
                continue
            if len(self.stack) == 1 and group is not None and element.tag >> 16 != group:
                return pos, kept
            if element.tag == _ITEM_END:
                self.stack.pop()
                pos = element.value
                continue
            self._check_order(element, pos, level, group=group)
            if len(self.stack) == 1 and element.tag == keep:
                kept = bytes(self.buf[element.value : element.value + element.length])
            pos = self._value(element, level)
        return pos, kept

    def _check_order(self, element: _Element, pos: int, level: _Level, *, group: int | None) -> None:
        """Raise unless the data set `level` can hold `element` after its last one."""
        if group is None and (misplaced := misplaced_element(element.tag)) is not None:
            raise misplaced
        if element.tag <= level.last:
            where = "inflated data set" if self.inflated else "file"
            raise errors.DamagedFileError(
                f"the data set is damaged: {element_name(element.tag)} at the {where}'s byte {pos} follows "
                f"{element_name(level.last)}, but the elements of a data set ascend by tag"
            )
        level.last = element.tag

    def _implicit(self, pos: int, assumed: bool, *, top: bool) -> bool:
        """Return whether the data set at `pos` is implicit VR, as pydicom's first look decides."""
        if assumed and not top:
            return True  # items of an implicit VR sequence stay implicit
        vr = self.buf[pos + 4 : pos + 6]
        if len(vr) < 2:
            return assumed
        return not (0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B)

    def _header(self, pos: int, level: _Level) -> _Element | None:
        """Return the element header at `pos`, or ``None`` where the bytes end first."""
        head = self.buf[pos : pos + 8]
        if len(head) < 8 or pos + 8 > level.limit:
            return None
        group, number = self.tag_format.unpack(head[:4])
        tag = group << 16 | number
        vr = bytes(head[4:6])
        if level.implicit or (vr not in _VRS and not b"AA" <= vr <= b"ZZ"):
            # pydicom reads an element without a valid VR as implicit VR
            return _Element(tag, None, self.long_format.unpack(head[4:])[0], pos + 8)
        if vr in _LONG_VRS:
            extra = self.buf[pos + 8 : pos + 12]
            if len(extra) < 4 or pos + 12 > level.limit:
                return None
            return _Element(tag, vr, self.long_format.unpack(extra)[0], pos + 12)
        return _Element(tag, vr, self.short_format.unpack(head[6:])[0], pos + 8)

    def _value(self, element: _Element, level: _Level) -> int:
        """Step into or over the value of `element`; return where the walk goes on."""
        if element.length == _UNDEFINED:
            if self._undefined_is_sequence(element):
                self._enter(element.value, None, level.limit, level.implicit)
                return element.value
            end = self._items_end(element.value, level.limit)
            if end is None and self.head:
                return self.size  # the items may go on after the head
            if end is None:  # pydicom falls back on a scan for the delimiter
                found = self.buf.find(self.delimiter, element.value, level.limit)
                return self._broken() if found < 0 else found + 8
            return end
        end = element.value + element.length
        if end > level.limit:
            if level.limit == self.size and self.head:
                return self.size
            if level.limit == self.size:
                raise errors.TruncatedFileError(
                    f"the file is cut short: {element_name(element.tag)} should hold {element.length} bytes "
                    f"but only {self.size - element.value} are present"
                )
            # pydicom would read past its sequence: less on CPython, an OverflowError in wasm32
            raise errors.DamagedFileError(
                f"the data set is damaged: {element_name(element.tag)} should hold {element.length} bytes "
                f"but only {level.limit - element.value} remain in its sequence"
            )
        if element.vr == b"SQ" or (
            element.vr in (None, b"UN") and self.buf[element.value : element.value + 4] == self.item_tag
        ):
            self._enter(element.value, end, end, level.implicit)
            return element.value
        return end

    def _items_end(self, pos: int, limit: int) -> int | None:
        """Return where an undefined-length value of items (encapsulated Pixel Data) starting at `pos` ends.

        pydicom reads such a value item by item first, so a delimiter inside a fragment is
        no end; ``None`` where that fails (pydicom then scans for the first delimiter).
        """
        while pos + 8 <= limit:
            tag = self.buf[pos : pos + 4]
            if tag == self.delimiter:
                return pos + 8
            if tag != self.item_tag:
                return None
            pos += 8 + self.long_format.unpack(self.buf[pos + 4 : pos + 8])[0]
        return None

    def _undefined_is_sequence(self, element: _Element) -> bool:
        """Return whether pydicom reads an element of undefined length as a sequence."""
        if element.vr in (b"SQ", b"UN"):
            return True
        if element.vr is not None:
            return False
        try:
            return bool(dictionary_VR(element.tag) == "SQ")
        except KeyError:
            return self.buf[element.value : element.value + 4] == self.item_tag

    def _item(self, pos: int, level: _Level) -> int:
        """Step into the item at `pos` of the sequence `level`; return where the walk goes on."""
        head = self.buf[pos : pos + 8]
        if len(head) < 8 or pos + 8 > level.limit:
            return self._broken()
        group, number, length = self.item_format.unpack(head)
        if group << 16 | number == _SEQUENCE_END:
            self.stack.pop()
            return pos + 8
        # Like pydicom, any other tag is taken for an item's.
        end = None if length == _UNDEFINED else pos + 8 + length
        if end is not None and end > level.limit:
            if self.head and level.limit == self.size:
                return self._broken()  # the item may end after the head
            raise errors.DamagedFileError(
                f"the data set is damaged: the sequence item at byte {pos} should hold {length} bytes "
                f"but only {level.limit - pos - 8} remain in its sequence"
            )
        implicit = self._implicit(pos + 8, level.implicit, top=False)
        self.stack.append(_Level(end, level.limit, items=False, implicit=implicit))
        return pos + 8

    def _enter(self, pos: int, end: int | None, limit: int, implicit: bool) -> None:
        """Start the items of a sequence whose value starts at `pos`."""
        self.stack.append(_Level(end, limit, items=True, implicit=implicit))
        depth = sum(level.items for level in self.stack)
        self.deepest = max(self.deepest, depth)
        if depth > self.limits.max_sequence_depth:
            raise errors.LimitExceededError(
                f"sequences are nested more than {self.limits.max_sequence_depth} levels deep; "
                "real files nest a few levels (limit max_sequence_depth)"
            )

    def _broken(self) -> int:
        """Leave the innermost defined-length sequence after a parse failure; return where to go on.

        pydicom reads such a sequence as a slice of its own, so what is broken inside stays
        inside. Without one, the walk ends.
        """
        while self.stack:
            level = self.stack.pop()
            if level.items and level.end is not None:
                return level.end
        return self.size


def misplaced_element(tag: int) -> errors.DamagedFileError | None:
    """Return the error for an element of the file meta (0002,eeee) or the command set (0000,eeee) in a data set.

    Returns
    -------
    dicompress.errors.DamagedFileError or None
        ``None`` for an element of any other group.
    """
    if tag >> 16 == 0x0002:
        return errors.DamagedFileError(f"the file meta is damaged: its element {Tag(tag)} is in the data set")
    if tag >> 16 == 0x0000:
        return errors.DamagedFileError(
            f"the data set holds the command element {Tag(tag)}, which a DICOM file cannot hold"
        )
    return None


def element_name(tag: int) -> str:
    """Return an element for people: ``"Pixel Data (7FE0,0010)"``, ``"(7FE1,1000)"`` if not in the dictionary."""
    if dictionary_has_tag(tag):
        return f"{dictionary_description(tag)} {Tag(tag)}"
    return str(Tag(tag))

