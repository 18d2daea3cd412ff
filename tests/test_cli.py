"""The dicompress command line: files and folders in, results and a summary out."""

import hashlib
import shutil
import subprocess
import sys

import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from dicompress.cli import main
from tests.dicom_files import corrupt_rle_file, file_bytes, pixels, read


def _copy(name, folder):
    """Copy test file `name` into `folder`; return its new path."""
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy(get_testdata_file(name), folder / name)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def study(tmp_path):
    """A folder with two images (one in a subfolder), a text file, a PNG and a .DS_Store."""
    root = tmp_path / "study"
    _copy("CT_small.dcm", root)
    _copy("US1_UNCR.dcm", root / "series2")
    (root / "notes.txt").write_text("not an image")
    (root / "series2" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (root / ".DS_Store").write_bytes(bytes(10))
    return root


def test_a_file_is_compressed_into_the_output_folder(tmp_path, capsys):
    source = _copy("CT_small.dcm", tmp_path / "in")
    assert main([str(source), "-o", str(tmp_path / "out")]) == 0
    result = read((tmp_path / "out" / "CT_small.dcm").read_bytes())
    assert result.file_meta.TransferSyntaxUID == RLELossless
    assert (pixels(result) == pixels(read(source.read_bytes()))).all()
    assert "1 converted, 0 skipped, 0 failed" in capsys.readouterr().out


def test_a_folder_is_walked_and_non_dicom_files_are_skipped(study, tmp_path, capsys):
    before = {p: _digest(p) for p in study.rglob("*") if p.is_file()}
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.*"))
    assert written == ["study/CT_small.dcm", "study/series2/US1_UNCR.dcm"]
    out = capsys.readouterr().out
    assert "2 converted, 2 skipped, 0 failed" in out  # notes.txt and scan.png; .DS_Store left out
    assert "not a DICOM file: no 'DICM' marker" in out
    assert ".DS_Store" not in out
    assert {p: _digest(p) for p in study.rglob("*") if p.is_file()} == before


def test_a_file_in_a_folder_that_looks_like_dicom_but_cannot_be_converted_fails(tmp_path, capsys):
    _copy("JPEG-lossy.dcm", tmp_path / "study")
    assert main([str(tmp_path / "study"), "-o", str(tmp_path / "out")]) == 1
    assert "0 converted, 0 skipped, 1 failed" in capsys.readouterr().out


def test_a_failed_file_sets_the_exit_status_and_the_others_go_on(tmp_path, capsys):
    good = _copy("CT_small.dcm", tmp_path / "in")
    bad = _copy("JPEG-lossy.dcm", tmp_path / "in")
    assert main([str(bad), str(good), "-o", str(tmp_path / "out")]) == 1
    assert (tmp_path / "out" / "CT_small.dcm").exists()
    assert not (tmp_path / "out" / "JPEG-lossy.dcm").exists()
    out = capsys.readouterr().out
    assert "the JPEG Extended (Process 2 and 4) pixel data cannot be decoded" in out
    assert "1 converted, 0 skipped, 1 failed" in out


def test_a_corrupt_rle_file_fails_alone_whatever_plugins_are_installed(tmp_path, capsys):
    # With pylibjpeg-rle installed pydicom would hand the frame on to it, and it panics.
    first, last = _copy("CT_small.dcm", tmp_path / "in"), _copy("MR_small.dcm", tmp_path / "in")
    corrupt = tmp_path / "in" / "corrupt.dcm"
    corrupt.write_bytes(corrupt_rle_file())
    assert main([str(first), str(corrupt), str(last), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "the RLE pixel data cannot be decoded" in out
    assert "2 converted, 0 skipped, 1 failed" in out


def test_a_named_non_dicom_file_fails(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main([str(text), "-o", str(tmp_path / "out")]) == 1
    assert "not a DICOM file" in capsys.readouterr().out


def test_an_input_is_never_overwritten(tmp_path, capsys):
    source = _copy("CT_small.dcm", tmp_path)
    before = _digest(source)
    assert main([str(source), "-o", str(tmp_path)]) == 1
    assert _digest(source) == before
    assert "would overwrite an input" in capsys.readouterr().out


def test_existing_results_are_kept_unless_overwrite(tmp_path, capsys):
    source = _copy("CT_small.dcm", tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "CT_small.dcm").write_bytes(b"older result")
    assert main([str(source), "-o", str(out)]) == 1
    assert (out / "CT_small.dcm").read_bytes() == b"older result"
    assert main([str(source), "-o", str(out), "--overwrite"]) == 0
    assert read((out / "CT_small.dcm").read_bytes()).file_meta.TransferSyntaxUID == RLELossless


def test_two_inputs_with_one_name_get_a_numbered_second_name(tmp_path, capsys):
    first = _copy("CT_small.dcm", tmp_path / "a")
    second = _copy("MR_small.dcm", tmp_path / "b")
    second = second.rename(second.with_name("ct_SMALL.dcm"))  # the same name but for case
    assert main([str(first), str(second), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["CT_small.dcm", "ct_SMALL (2).dcm"]
    assert read((tmp_path / "out" / "ct_SMALL (2).dcm").read_bytes()).Rows == read(second.read_bytes()).Rows
    assert "2 converted, 0 skipped, 0 failed" in capsys.readouterr().out


def test_two_folders_with_one_name_get_numbered_names_inside(tmp_path):
    _copy("CT_small.dcm", tmp_path / "a" / "study")
    _copy("CT_small.dcm", tmp_path / "b" / "study")
    (tmp_path / "b" / "study" / "IM0001").write_bytes(file_bytes("MR_small.dcm"))
    (tmp_path / "a" / "study" / "IM0001").write_bytes(file_bytes("MR_small.dcm"))
    assert main([str(tmp_path / "a" / "study"), str(tmp_path / "b" / "study"), "-o", str(tmp_path / "out")]) == 0
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*"))
    assert written == ["study", "study/CT_small (2).dcm", "study/CT_small.dcm", "study/IM0001", "study/IM0001 (2)"]


def test_syntax_explicit_decompresses(tmp_path):
    source = _copy("MR_small_RLE.dcm", tmp_path / "in")
    assert main([str(source), "-o", str(tmp_path / "out"), "--syntax", "explicit"]) == 0
    result = read((tmp_path / "out" / "MR_small_RLE.dcm").read_bytes())
    assert result.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


def test_compact_is_never_larger(tmp_path):
    source = _copy("US1_UNCR.dcm", tmp_path / "in")
    main([str(source), "-o", str(tmp_path / "default")])
    main([str(source), "-o", str(tmp_path / "compact"), "--compact"])
    default = (tmp_path / "default" / "US1_UNCR.dcm").stat().st_size
    assert (tmp_path / "compact" / "US1_UNCR.dcm").stat().st_size <= default


def test_earlier_results_inside_the_input_folder_are_not_inputs(tmp_path, capsys):
    study = tmp_path / "study"
    _copy("CT_small.dcm", study)
    assert main([str(study), "-o", str(study / "out")]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(study / "out"), "--overwrite"]) == 0
    assert "1 converted, 0 skipped, 0 failed" in capsys.readouterr().out


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "nope.dcm"), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_help_shows_examples():
    done = subprocess.run([sys.executable, "-m", "dicompress", "--help"],
                          capture_output=True, text=True, check=True)
    assert "examples:" in done.stdout
    assert "--syntax {rle,explicit,deflate}" in done.stdout
