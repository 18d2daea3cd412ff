"""Host-side checks of files the page produced: CPython pydicom and DCMTK, not the page."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID

from tests.dicom_files import differing_elements

# File meta that names the instance: the data set's own SOP UIDs (a few test files
# disagree with themselves, e.g. rtdose.dcm; the written file follows the data set).
KEPT_FILE_META = {"MediaStorageSOPClassUID": "SOPClassUID", "MediaStorageSOPInstanceUID": "SOPInstanceUID"}


def assert_converted(original: Path, result: Path, syntax: UID) -> Dataset:
    """Assert `result` is `original` in `syntax`: same pixels, every other element kept."""
    source = dcmread(original)
    converted = dcmread(result)
    assert converted.file_meta.TransferSyntaxUID == syntax, (
        f"{result.name} is {converted.file_meta.TransferSyntaxUID.name}, not {syntax.name}")
    assert np.array_equal(converted.pixel_array, source.pixel_array), f"{result.name}: pixels differ"
    assert differing_elements(source, converted) == [], f"{result.name}: elements changed"
    for meta, own in KEPT_FILE_META.items():
        expected = source.get(own, source.file_meta[meta].value)
        assert converted.file_meta[meta].value == expected, f"{result.name}: {meta}"
    return converted


def assert_dcmtk_decodes(original: Path, result: Path, tmp: Path) -> None:
    """Assert DCMTK's dcmdrle decodes `result` back to `original`'s pixels."""
    dcmdrle = shutil.which("dcmdrle")
    if not dcmdrle:
        pytest.skip("DCMTK's dcmdrle is not installed (scripts/setup.sh test installs it)")
    decoded = tmp / f"{result.stem}-dcmdrle.dcm"
    run = subprocess.run(
        [dcmdrle, str(result), str(decoded)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, f"dcmdrle rejected {result.name}: {run.stderr or run.stdout}"
    assert np.array_equal(dcmread(decoded).pixel_array, dcmread(original).pixel_array), (
        f"{result.name}: DCMTK decodes different pixels")
