"""The dicompress command line: files and folders in, results and a summary out."""

import json

import pytest
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from dicompress.cli.main import main
from tests.cli_helpers import copy_test_file, digests, run_cli, totals_line, tree
from tests.dicom_files import corrupt_rle_file, file_bytes, pixels, read


@pytest.fixture
def study(tmp_path):
    """A folder with two images (one in a subfolder), a text file, a PNG and a .DS_Store."""
    root = tmp_path / "study"
    copy_test_file("CT_small.dcm", root)
    copy_test_file("US1_UNCR.dcm", root / "series2")
    (root / "notes.txt").write_text("not an image")
    (root / "series2" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (root / ".DS_Store").write_bytes(bytes(10))
    return root


def test_a_file_is_compressed_into_the_output_folder(tmp_path, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    assert main([str(source), "-o", str(tmp_path / "out")]) == 0
    result = read((tmp_path / "out" / "CT_small.dcm").read_bytes())
    assert result.file_meta.TransferSyntaxUID == RLELossless
    assert (pixels(result) == pixels(read(source.read_bytes()))).all()
    assert totals_line(capsys.readouterr().out) == "1 file: 1 converted, 0 copied, 0 up to date, 0 skipped, 0 failed"


def test_a_folder_s_tree_is_mirrored_below_the_output_folder(study, tmp_path, capsys):
    before = digests(study)
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", "CT_small.dcm", "series2/US1_UNCR.dcm"]
    out = capsys.readouterr().out
    assert totals_line(out) == "4 files: 2 converted, 0 copied, 0 up to date, 2 skipped, 0 failed"
    assert "not a DICOM file: no 'DICM' marker" in out
    assert ".DS_Store" not in out
    assert digests(study) == before


def test_the_summary_names_files_as_they_were_given_and_totals_bytes(study, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["study", "-o", "out", "--jobs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:5]] == [
        "study/CT_small.dcm", "study/notes.txt", "study/series2/US1_UNCR.dcm", "study/series2/scan.png"
    ]
    size_in = (study / "CT_small.dcm").stat().st_size + (study / "series2" / "US1_UNCR.dcm").stat().st_size
    size_out = sum((tmp_path / "out" / name).stat().st_size for name in ("CT_small.dcm", "series2/US1_UNCR.dcm"))
    assert lines[-1].startswith(f"{size_in / 1000:.1f} kB in, {size_out / 1000:.1f} kB out "
                                f"(ratio {size_in / size_out:.2f}); ")
    assert "; 1 process; engine dicompress (numpy " in lines[-1]


def test_a_file_in_a_folder_that_looks_like_dicom_but_cannot_be_converted_fails(tmp_path, capsys):
    copy_test_file("JPEG-lossy.dcm", tmp_path / "study")
    assert main([str(tmp_path / "study"), "-o", str(tmp_path / "out")]) == 1
    assert totals_line(capsys.readouterr().out) == "1 file: 0 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"


def test_a_failed_file_sets_the_exit_status_and_the_others_go_on(tmp_path, capsys):
    good = copy_test_file("CT_small.dcm", tmp_path / "in")
    bad = copy_test_file("JPEG-lossy.dcm", tmp_path / "in")
    assert main([str(bad), str(good), "-o", str(tmp_path / "out")]) == 1
    assert (tmp_path / "out" / "CT_small.dcm").exists()
    assert not (tmp_path / "out" / "JPEG-lossy.dcm").exists()
    out = capsys.readouterr().out
    assert "the JPEG Extended (Process 2 and 4) pixel data cannot be decoded" in out
    assert totals_line(out) == "2 files: 1 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"


def test_a_corrupt_rle_file_fails_alone_whatever_plugins_are_installed(tmp_path, capsys):
    # With pylibjpeg-rle installed pydicom would hand the frame on to it, and it panics.
    first, last = copy_test_file("CT_small.dcm", tmp_path / "in"), copy_test_file("MR_small.dcm", tmp_path / "in")
    corrupt = tmp_path / "in" / "corrupt.dcm"
    corrupt.write_bytes(corrupt_rle_file())
    assert main([str(first), str(corrupt), str(last), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "the RLE pixel data cannot be decoded" in out
    assert totals_line(out) == "3 files: 2 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"


def test_a_named_non_dicom_file_fails(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert main([str(text), "-o", str(tmp_path / "out")]) == 1
    assert "not a DICOM file" in capsys.readouterr().out


def test_existing_results_are_kept_unless_overwrite(tmp_path, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "CT_small.dcm").write_bytes(b"older result")
    assert main([str(source), "-o", str(out)]) == 1
    assert (out / "CT_small.dcm").read_bytes() == b"older result"
    assert "CT_small.dcm already exists in the output folder (use --overwrite" in capsys.readouterr().out
    assert main([str(source), "-o", str(out), "--overwrite"]) == 0
    assert read((out / "CT_small.dcm").read_bytes()).file_meta.TransferSyntaxUID == RLELossless


def test_two_inputs_with_one_name_get_a_numbered_second_name(tmp_path, capsys):
    first = copy_test_file("CT_small.dcm", tmp_path / "a")
    second = copy_test_file("MR_small.dcm", tmp_path / "b", as_name="ct_SMALL.dcm")  # the same name but for case
    assert main([str(first), str(second), "-o", str(tmp_path / "out")]) == 0
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", "CT_small.dcm", "ct_SMALL (2).dcm"]
    assert read((tmp_path / "out" / "ct_SMALL (2).dcm").read_bytes()).Rows == read(second.read_bytes()).Rows
    out = capsys.readouterr().out
    assert "saved as ct_SMALL (2).dcm" in out
    assert totals_line(out) == "2 files: 2 converted, 0 copied, 0 up to date, 0 skipped, 0 failed"


def test_two_folders_are_mirrored_into_one_tree_and_only_collisions_are_numbered(tmp_path):
    for folder in ("a", "b"):
        copy_test_file("CT_small.dcm", tmp_path / folder / "study")
        (tmp_path / folder / "study" / "IM0001").write_bytes(file_bytes("MR_small.dcm"))
    copy_test_file("MR_small.dcm", tmp_path / "b" / "study" / "only-b")
    assert main([str(tmp_path / "a" / "study"), str(tmp_path / "b" / "study"), "-o", str(tmp_path / "out")]) == 0
    assert tree(tmp_path / "out") == [
        ".dicompress-manifest.jsonl", "CT_small (2).dcm", "CT_small.dcm", "IM0001", "IM0001 (2)",
        "only-b/MR_small.dcm",
    ]


def test_syntax_explicit_decompresses_and_names_the_decoder(tmp_path, capsys):
    source = copy_test_file("MR_small_RLE.dcm", tmp_path / "in")
    assert main([str(source), "-o", str(tmp_path / "out"), "--syntax", "explicit"]) == 0
    result = read((tmp_path / "out" / "MR_small_RLE.dcm").read_bytes())
    assert result.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[1] == "converted" and row[-2] == "dicompress"  # plugin, then seconds


def test_compact_is_never_larger(tmp_path):
    source = copy_test_file("US1_UNCR.dcm", tmp_path / "in")
    main([str(source), "-o", str(tmp_path / "default")])
    main([str(source), "-o", str(tmp_path / "compact"), "--compact"])
    default = (tmp_path / "default" / "US1_UNCR.dcm").stat().st_size
    assert (tmp_path / "compact" / "US1_UNCR.dcm").stat().st_size <= default


def test_warnings_while_reading_a_file_go_on_its_line_not_the_screen(tmp_path, capsys):
    ds = read(file_bytes("CT_small.dcm"))
    with pytest.warns(UserWarning, match="exceeds the maximum length"):  # and again whenever it is read
        ds.StudyDescription = "x" * 80  # LO holds at most 64 characters
    source = tmp_path / "in" / "long.dcm"
    source.parent.mkdir()
    ds.save_as(source)
    assert main([str(source), "-o", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    row = captured.out.splitlines()[1]
    assert row.endswith("warning: The value length (80) exceeds the maximum length of 64 allowed for VR LO.")
    assert "Warning" not in captured.err


def test_report_writes_one_record_per_file(study, tmp_path, capsys):
    report = tmp_path / "report.json"
    assert main([str(study), "-o", str(tmp_path / "out"), "--report", str(report)]) == 0
    document = json.loads(report.read_text())
    assert [(f["file"].removeprefix(str(study)), f["status"]) for f in document["files"]] == [
        ("/CT_small.dcm", "converted"), ("/notes.txt", "skipped"),
        ("/series2/US1_UNCR.dcm", "converted"), ("/series2/scan.png", "skipped"),
    ]
    first = document["files"][0]
    assert first["result"] == str(tmp_path / "out" / "CT_small.dcm")
    assert first["transfer_syntax"] == RLELossless
    assert first["conversion"]["frames"] == 1 and first["conversion"]["verified"] is True
    assert document["files"][1]["code"] == "not-dicom" and document["files"][1]["result"] is None
    assert document["totals"] == {
        "files": 4, "converted": 2, "copied": 0, "kept": 0, "up to date": 0, "skipped": 2, "failed": 0,
        "input_bytes": first["input_bytes"] + document["files"][2]["input_bytes"],
        "output_bytes": first["output_bytes"] + document["files"][2]["output_bytes"],
    }
    assert document["options"]["syntax"] == "rle"


def test_a_report_that_cannot_be_written_sets_the_exit_status(tmp_path, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    (tmp_path / "report.json").mkdir()
    assert main([str(source), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "report.json")]) == 1
    assert f"dicompress: cannot write the report {tmp_path / 'report.json'}: Is a directory" in capsys.readouterr().err
    assert list((tmp_path / "report.json").iterdir()) == []


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "nope.dcm"), "-o", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_an_output_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([str(source), "-o", str(source)])
    assert exit_info.value.code == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_help_shows_examples():
    done = run_cli("--help", check=True)
    assert "examples:" in done.stdout
    assert "--syntax {rle,explicit,deflate,jpeg-ls,j2k,htj2k}" in done.stdout
    assert "--skip-non-image" in done.stdout and "--jobs N" in done.stdout and "--report FILE.json" in done.stdout
