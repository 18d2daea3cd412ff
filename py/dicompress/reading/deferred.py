"""Element values left in the file's bytes when a data set is read, and read from them without a copy.

``dcmread(BytesIO(data), defer_size=DEFER_SIZE)`` does not read longer values: the element
keeps where its value starts (``value_tell``) and its length. ``BytesIO.getvalue`` returns
the very bytes the data set was read from (for a deflated file, the inflated data set), so
:func:`pixel_value` gives Pixel Data as a view of those bytes: the input is never copied
whole, and a conversion holds it once.
"""

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

__all__ = ["DEFER_SIZE", "deferred_length", "pixel_value"]

#: Values longer than this are left in the file's bytes.
DEFER_SIZE = 1 << 16


def deferred_length(ds: Dataset, element: RawDataElement) -> int:
    """Return how many bytes of a deferred element's value the file holds (fewer if it is cut short).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set read from bytes.
    element : pydicom.dataelem.RawDataElement
        One of its elements whose value was left in the file.

    Returns
    -------
    int
        At most the element's length.
    """
    return max(0, min(element.length, len(ds.buffer.getvalue()) - element.value_tell))


def pixel_value(ds: Dataset, keyword: str = "PixelData") -> bytes | memoryview:
    """Return the value of Pixel Data: a view of the file's bytes if reading it was deferred.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read from bytes by ``dcmread`` (with a ``defer_size`` or not).
    keyword : str, optional
        Which pixel element: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.

    Returns
    -------
    bytes or memoryview
        The value.
    """
    element = ds.get_item(keyword, keep_deferred=True)
    if isinstance(element, RawDataElement) and element.value is None and ds.buffer is not None:
        start = element.value_tell
        return memoryview(ds.buffer.getvalue())[start : start + deferred_length(ds, element)]
    value: bytes = ds[keyword].value
    return value
