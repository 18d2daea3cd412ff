"""Element values left in the file when a data set is read, and read from it a piece at a time.

``dcmread(reader, defer_size=DEFER_SIZE)`` does not read longer values: the element keeps
where its value starts (``value_tell``) and its length, and the data set keeps the file
object it was read from (``ds.buffer``: the file's reader, or for a deflated file the
inflated data set). :func:`pixel_value` gives Pixel Data as a :class:`StoredValue` over
that file object, read frame by frame: a conversion never holds the pixel data whole.
"""

from dataclasses import dataclass
from io import BytesIO

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from dicompress.reading.source import Readable, Window, read_at, size_of

__all__ = ["DEFER_SIZE", "StoredValue", "deferred_length", "pixel_value"]

#: Values longer than this are left in the file.
DEFER_SIZE = 1 << 16


@dataclass(frozen=True)
class StoredValue:
    """A value as the file holds it: `length` bytes of `reader` from `start` (fewer if the file is cut short).

    It has a length but no ``read``: pydicom's decoders take it for a buffer whose length
    they check, and never read it.
    """

    reader: Readable
    start: int
    length: int

    def __len__(self) -> int:
        """Return how many bytes of the value the file holds (for pydicom; ours read `length`:
        ``len()`` is a C size, 32-bit in wasm32, and fails from 2 GiB on)."""
        return self.length

    def __bool__(self) -> bool:
        """Return whether the value holds any bytes."""
        return self.length > 0

    def read_at(self, offset: int, size: int) -> bytes:
        """Return up to `size` bytes of the value from `offset`."""
        size = max(0, min(size, self.length - offset))
        return read_at(self.reader, self.start + offset, size) if size else b""

    def window(self) -> Window:
        """Return the value as a file object of its own, at its start."""
        return Window(self.reader, self.start, self.length)


def deferred_length(ds: Dataset, element: RawDataElement) -> int:
    """Return how many bytes of a deferred element's value the file holds (fewer if it is cut short).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set read from a file object.
    element : pydicom.dataelem.RawDataElement
        One of its elements whose value was left in the file.

    Returns
    -------
    int
        At most the element's length.
    """
    return max(0, min(element.length, size_of(ds.buffer) - element.value_tell))


def pixel_value(ds: Dataset, keyword: str = "PixelData") -> StoredValue | object:
    """Return the value of a pixel element: a :class:`StoredValue` unless it is no bytes.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read from a file object by ``dcmread`` (with a ``defer_size`` or not).
    keyword : str, optional
        Which pixel element: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.

    Returns
    -------
    StoredValue or object
        The value, read from the file if it was deferred; a value that is no bytes
        (a damaged file's) as pydicom decoded it.
    """
    element = ds.get_item(keyword, keep_deferred=True)
    if isinstance(element, RawDataElement) and element.value is None and ds.buffer is not None:
        return StoredValue(ds.buffer, element.value_tell, deferred_length(ds, element))
    value: object = ds[keyword].value
    if isinstance(value, bytes | bytearray | memoryview):
        return StoredValue(BytesIO(value), 0, len(value))
    return value
