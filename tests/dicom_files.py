"""Small helpers for tests: real test files, as bytes or data sets, and comparisons."""

from io import BytesIO

import numpy as np
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

# Elements a conversion may legitimately change.
CHANGED_BY_CONVERSION = {"PixelData", "PlanarConfiguration", "ExtendedOffsetTable",
                         "ExtendedOffsetTableLengths"}


def file_bytes(name: str) -> bytes:
    """Return the bytes of one of pydicom's (or pydicom-data's) test files."""
    with open(get_testdata_file(name), "rb") as f:
        return f.read()


def read(data: bytes) -> Dataset:
    """Return the data set in DICOM file bytes."""
    return dcmread(BytesIO(data))


def pixels(ds: Dataset) -> np.ndarray:
    """Return the data set's pixels as pydicom's reference decoder sees them."""
    return ds.pixel_array


def differing_elements(original: Dataset, converted: Dataset) -> list[str]:
    """Return the keywords (or tags) of elements that differ, beyond what conversion changes."""
    names = []
    for element in original:
        if element.keyword in CHANGED_BY_CONVERSION:
            continue
        if element.tag not in converted or converted[element.tag].value != element.value:
            names.append(element.keyword or str(element.tag))
    names += [e.keyword for e in converted if e.tag not in original
              and e.keyword not in CHANGED_BY_CONVERSION]
    return names
