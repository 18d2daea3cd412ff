"""Helpers for the command line's tests: test files in folders, digests, runs in a child process."""

import hashlib
import os
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import dicompress
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

#: The folder that holds the dicompress package, for child processes.
PACKAGE_ROOT = Path(dicompress.__file__).resolve().parents[1]


def copy_test_file(name: str, folder: Path, as_name: str | None = None) -> Path:
    """Copy pydicom's test file `name` into `folder` (created); return the copy's path."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(get_testdata_file(name), folder / (as_name or name)))


def digests(folder: Path) -> dict[str, str]:
    """Return the sha256 of every file below `folder`, by its ``/``-separated relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def tree(folder: Path) -> list[str]:
    """Return the relative paths of the files below `folder`, sorted (hidden bookkeeping too)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def totals_line(stdout: str) -> str:
    """Return the summary's line that counts files by status."""
    return next(line for line in stdout.splitlines() if " converted, " in line and ": " in line)


def run_cli(*args: str, check: bool = False, preexec_fn=None) -> subprocess.CompletedProcess:
    """Run ``python -m dicompress`` with `args` in a child process; return what it did."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    return subprocess.run([sys.executable, "-m", "dicompress", *args], check=check, capture_output=True,
                          text=True, env=env, preexec_fn=preexec_fn)


def part10(name: str) -> bytes:
    """Return pydicom's test file `name` as a DICOM Part 10 file (some are bare data sets)."""
    ds = dcmread(get_testdata_file(name), force=True)
    buffer = BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def presentation_state() -> bytes:
    """Return a small Grayscale Softcopy Presentation State file (no Pixel Data)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.11.1"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "PR"
    ds.ContentLabel = "ANNOTATION"
    buffer = BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


#: pydicom's DICOMDIR test file-set (made by DCMTK's dcmmkdir): 31 images in three patients' folders.
FILE_SET = Path(get_testdata_file("DICOMDIR")).parent
NOT_IMAGES = ["PR/PS0001", "RT/rtstruct.dcm", "SR/test-SR.dcm"]


def make_study(root: Path) -> Path:
    """Write a study folder: a DICOMDIR and its 31 images, an SR, an RT structure set, a presentation state, a text.

    36 files: 31 images to convert, 4 files to copy (the DICOMDIR too) and 1 to skip.
    Returns `root`.
    """
    root.mkdir()
    shutil.copy(FILE_SET / "DICOMDIR", root)
    for patient in ("77654033", "98892001", "98892003"):
        shutil.copytree(FILE_SET / patient, root / patient)
    copy_test_file("test-SR.dcm", root / "SR")
    (root / "RT").mkdir()
    (root / "RT" / "rtstruct.dcm").write_bytes(part10("rtstruct.dcm"))
    (root / "PR").mkdir()
    (root / "PR" / "PS0001").write_bytes(presentation_state())
    (root / "README.txt").write_text("A study, as a CD would hold it.")
    return root

