"""Whole studies through the command line: files without pixel data, and the DICOMDIR."""

import shutil
import subprocess
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.fileset import FileSet
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, RLELossless

from dicompress.cli.main import main
from tests import peers
from tests.cli_helpers import FILE_SET, NOT_IMAGES, digests, make_study, totals_line, tree
from tests.dicom_files import pixels


@pytest.fixture
def study(tmp_path):
    """A study folder (see :func:`tests.cli_helpers.make_study`)."""
    return make_study(tmp_path / "study")


def _file_set(path: Path) -> FileSet:
    """Return the file-set of a DICOMDIR, every record reached through its offsets."""
    file_set = FileSet()
    file_set.load(path, raise_orphans=True)
    return file_set


def _images(folder: Path) -> list[str]:
    """Return the relative paths of the 31 images of the file-set below `folder`."""
    return [p for p in tree(folder) if p.split("/")[0] in ("77654033", "98892001", "98892003")]


def test_files_without_pixel_data_are_copied_unchanged(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert totals_line(out) == "36 files: 31 converted, 4 copied, 0 up to date, 1 skipped, 0 failed"
    before, after = digests(study), digests(tmp_path / "out")
    assert {name: after[name] for name in NOT_IMAGES} == {name: before[name] for name in NOT_IMAGES}
    assert [line for line in out.splitlines() if "/SR/test-SR.dcm" in line][0].endswith(
        "no Pixel Data: copied unchanged")
    assert all(dcmread(tmp_path / "out" / name).file_meta.TransferSyntaxUID == RLELossless
               for name in _images(study))


def test_the_copied_dicomdir_names_the_new_transfer_syntax_of_each_converted_file(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    assert "DICOMDIR: copied, with the new transfer syntax of the 31 files converted" in capsys.readouterr().out
    file_set = _file_set(tmp_path / "out" / "DICOMDIR")
    assert len(file_set) == 31
    for instance in file_set:
        assert instance.TransferSyntaxUID == RLELossless
        assert dcmread(instance.path).file_meta.TransferSyntaxUID == RLELossless


def test_dcmtk_reads_the_copied_dicomdir(study, tmp_path):
    peers.require_dcmtk()
    if shutil.which("dcmftest") is None:
        pytest.skip("DCMTK's dcmftest is not on PATH")
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    dicomdir = tmp_path / "out" / "DICOMDIR"
    verdict = subprocess.run(["dcmftest", str(dicomdir)], check=False, capture_output=True, text=True).stdout
    assert verdict.startswith("yes:")
    listing = peers.dcmdump(dicomdir)
    assert listing.count("(0004,1512) UI =RLELossless") == 31
    assert "=LittleEndianExplicit" not in listing.split("(0004,1220)")[1]  # no record names the old syntax


def test_dicomdir_records_move_when_the_new_syntax_uid_is_longer(study, tmp_path):
    assert main([str(study), "-o", str(tmp_path / "out"), "--syntax", "deflate"]) == 0
    dicomdir = tmp_path / "out" / "DICOMDIR"
    assert dicomdir.stat().st_size == (study / "DICOMDIR").stat().st_size + 31 * 2  # 20 -> 22 bytes each
    assert {instance.TransferSyntaxUID for instance in _file_set(dicomdir)} == {DeflatedExplicitVRLittleEndian}


def test_the_converted_study_decompresses_again_with_its_dicomdir(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "rle")]) == 0
    assert main([str(tmp_path / "rle"), "-o", str(tmp_path / "plain"), "--syntax", "explicit"]) == 0
    assert totals_line(capsys.readouterr().out) == "36 files: 31 converted, 4 copied, 0 up to date, 1 skipped, 0 failed"
    assert tree(tmp_path / "plain") == tree(tmp_path / "rle")  # README.txt is skipped, the manifest is ours
    for instance in _file_set(tmp_path / "plain" / "DICOMDIR"):
        assert instance.TransferSyntaxUID == ExplicitVRLittleEndian
        original = study / Path(instance.path).relative_to(tmp_path / "plain")
        assert (pixels(dcmread(instance.path)) == pixels(dcmread(original))).all()


def test_skip_non_image_leaves_files_without_pixel_data_out(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out"), "--skip-non-image"]) == 0
    out = capsys.readouterr().out
    assert totals_line(out) == "36 files: 31 converted, 0 copied, 0 up to date, 5 skipped, 0 failed"
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", *_images(study)]
    assert out.count("no Pixel Data: left out (--skip-non-image)") == 4


def test_a_dicomdir_that_lists_a_failed_file_is_left_out_with_the_reason(study, tmp_path, capsys):
    damaged = study / "77654033" / "CR1" / "6154"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    assert main([str(study), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert totals_line(out) == "36 files: 30 converted, 3 copied, 0 up to date, 2 skipped, 1 failed"
    assert "DICOMDIR left out: it lists 77654033/CR1/6154, which failed" in out
    assert not (tmp_path / "out" / "DICOMDIR").exists()


def test_a_dicomdir_whose_files_got_other_names_is_left_out(study, tmp_path, capsys):
    assert main([str(study), "-o", str(study)]) == 0  # every result is numbered beside its input
    assert "DICOMDIR left out: it lists 77654033/CR1/6154, which was saved as 77654033/CR1/6154 (2)" in (
        capsys.readouterr().out)
    assert not (study / "DICOMDIR (2)").exists()
