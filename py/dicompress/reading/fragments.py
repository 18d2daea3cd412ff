"""The items of encapsulated Pixel Data and its Extended Offset Table, checked against the bytes that hold them.

pydicom's parsers seek and read by the lengths and offsets a file declares. On a 64-bit
CPython a length beyond the data only reads less; in wasm32 (Pyodide) a length or offset of
2 GiB or more does not fit a C ``ssize_t`` and raises ``OverflowError``. :func:`check_items`
checks every item length and every Extended Offset Table entry against the bytes the Pixel
Data holds before pydicom sees them, so both surfaces refuse a lying file alike. The item
headers are read from the file one at a time; the items themselves are stepped over.
"""

import struct

from pydicom.dataset import Dataset

from dicompress import errors
from dicompress.reading.deferred import StoredValue

__all__ = ["check_items"]

_ITEM, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_TABLE = "Extended Offset Table (7FE0,0001)"
_LENGTHS = "Extended Offset Table Lengths (7FE0,0002)"


def check_items(pixel_data: StoredValue, ds: Dataset) -> int:
    """Return how many fragments encapsulated `pixel_data` holds, after checking its items and offset tables.

    Parameters
    ----------
    pixel_data : StoredValue
        The value of encapsulated Pixel Data: the Basic Offset Table item, then the fragments.
    ds : pydicom.dataset.Dataset
        Its data set, for the Extended Offset Table.

    Returns
    -------
    int
        The number of fragments after the Basic Offset Table.

    Raises
    ------
    dicompress.errors.CorruptPixelDataError
        For an item that is no item or declares more bytes than remain, a Basic Offset Table
        whose length is no multiple of 4, or an Extended Offset Table entry that names no
        fragment or more bytes than its fragment holds.
    """
    items = _items(pixel_data)
    if not items:
        raise errors.CorruptPixelDataError("the encapsulated Pixel Data has no Basic Offset Table item")
    table_length = items[0][1]
    if table_length % 4:
        raise errors.CorruptPixelDataError(
            f"the Basic Offset Table item holds {table_length} bytes, not a multiple of 4"
        )
    first = 8 + table_length  # Extended offsets count from the item after the Basic Offset Table
    fragments = {start - first: length for start, length in items[1:]}
    if 0x7FE00001 in ds or 0x7FE00002 in ds:
        _check_extended(ds, fragments)
    return len(items) - 1


def _items(value: StoredValue) -> list[tuple[int, int]]:
    """Return (where the item starts, its length) of every item before a sequence delimiter or the end."""
    found: list[tuple[int, int]] = []
    pos = 0
    while pos < value.length:
        header = value.read_at(pos, 8)
        if len(header) < 8:
            raise errors.CorruptPixelDataError(
                f"the encapsulated Pixel Data ends inside an item header, {value.length - pos} bytes from its end"
            )
        group, element, length = struct.unpack("<HHL", header)
        tag = group << 16 | element
        if tag == _SEQUENCE_END:
            break
        if tag != _ITEM:
            raise errors.CorruptPixelDataError(
                f"the encapsulated Pixel Data holds ({group:04X},{element:04X}) where item {len(found) + 1} "
                "should start"
            )
        rest = value.length - pos - 8
        if length == _UNDEFINED or length > rest:
            declared = "an undefined length" if length == _UNDEFINED else f"{length} bytes"
            raise errors.CorruptPixelDataError(
                f"item {len(found) + 1} of the encapsulated Pixel Data declares {declared}, but {rest} remain"
            )
        found.append((pos, length))
        pos += 8 + length
    return found


def _check_extended(ds: Dataset, fragments: dict[int, int]) -> None:
    """Raise unless every entry of the Extended Offset Table names a fragment and at most its bytes."""
    elements = ds.get(0x7FE00001), ds.get(0x7FE00002)
    if elements[0] is None or elements[1] is None:
        raise errors.CorruptPixelDataError(f"the {_TABLE} comes without its Lengths, or the reverse")
    offsets, lengths = (b"" if e.value is None else e.value for e in elements)  # None: an empty value
    if not isinstance(offsets, bytes) or not isinstance(lengths, bytes):
        raise errors.CorruptPixelDataError(f"the {_TABLE} or its Lengths hold no bytes")
    if len(offsets) % 8 or len(offsets) != len(lengths):
        raise errors.CorruptPixelDataError(
            f"the {_TABLE} ({len(offsets)} bytes) and the {_LENGTHS} ({len(lengths)} bytes) "
            "are not the same number of 8-byte entries"
        )
    count = len(offsets) // 8
    for frame, (offset, length) in enumerate(
        zip(struct.unpack(f"<{count}Q", offsets), struct.unpack(f"<{count}Q", lengths), strict=True), 1
    ):
        held = fragments.get(offset)
        if held is None or length > held:
            where = "no fragment" if held is None else f"a fragment of {held} bytes"
            raise errors.CorruptPixelDataError(
                f"the {_TABLE} puts frame {frame} at byte {offset} with {length} bytes, where the Pixel Data "
                f"holds {where}"
            )
