"""Runs that resume, and output folders inside (or equal to) an input folder."""

import json

import pytest

from dicompress.cli.main import main
from tests.cli_helpers import copy_test_file, digests, presentation_state, totals_line, tree
from tests.dicom_files import file_bytes


@pytest.fixture
def study(tmp_path):
    """Two images (one in a subfolder) and a presentation state (copied, not converted)."""
    root = tmp_path / "study"
    copy_test_file("CT_small.dcm", root)
    copy_test_file("MR_small.dcm", root / "series2")
    (root / "PS0001").write_bytes(presentation_state())
    return root


def _mtimes(folder):
    """Return the modification time of each file below `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_running_again_rewrites_nothing_and_says_up_to_date(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out)]) == 0
    before = _mtimes(out)
    capsys.readouterr()
    assert main([str(study), "-o", str(out)]) == 0
    assert totals_line(capsys.readouterr().out) == "3 files: 0 converted, 0 copied, 3 up to date, 0 skipped, 0 failed"
    assert _mtimes(out) == before


def test_a_changed_input_is_not_up_to_date(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out)]) == 0
    (study / "CT_small.dcm").write_bytes(file_bytes("MR_small.dcm"))
    capsys.readouterr()
    assert main([str(study), "-o", str(out)]) == 1
    output = capsys.readouterr().out
    assert "CT_small.dcm already exists in the output folder (use --overwrite to replace it)" in output
    assert totals_line(output) == "3 files: 0 converted, 0 copied, 2 up to date, 0 skipped, 1 failed"


def test_other_options_are_not_up_to_date(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(out), "--compact"]) == 1  # the images; the copy stays up to date
    assert totals_line(capsys.readouterr().out) == "3 files: 0 converted, 0 copied, 1 up to date, 0 skipped, 2 failed"


def test_a_verified_result_serves_a_run_without_verification_but_not_the_other_way(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "verified")]) == 0
    assert main([str(study), "-o", str(tmp_path / "verified"), "--no-verify"]) == 0
    assert main([str(study), "-o", str(tmp_path / "unverified"), "--no-verify"]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(tmp_path / "unverified")]) == 1
    assert totals_line(capsys.readouterr().out) == "3 files: 0 converted, 0 copied, 1 up to date, 0 skipped, 2 failed"


def test_a_result_changed_after_it_was_written_is_not_up_to_date(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out)]) == 0
    (out / "CT_small.dcm").write_bytes(b"edited")
    capsys.readouterr()
    assert main([str(study), "-o", str(out)]) == 1
    assert "CT_small.dcm already exists in the output folder" in capsys.readouterr().out
    assert main([str(study), "-o", str(out), "--overwrite"]) == 0
    assert totals_line(capsys.readouterr().out) == "3 files: 2 converted, 1 copied, 0 up to date, 0 skipped, 0 failed"


def test_the_manifest_records_each_result(study, tmp_path):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out)]) == 0
    lines = [json.loads(line) for line in (out / ".dicompress-manifest.jsonl").read_text().splitlines()]
    assert sorted((r["name"], r["status"], r["syntax"]) for r in lines) == [
        ("CT_small.dcm", "converted", "1.2.840.10008.1.2.5"), ("PS0001", "copied", None),
        ("series2/MR_small.dcm", "converted", "1.2.840.10008.1.2.5"),
    ]
    assert {r["name"]: r["options"] for r in lines} == {
        "CT_small.dcm": {"target": "rle", "packing": "pydicom", "verified": True},
        "PS0001": {},  # a copy is the same whatever the options
        "series2/MR_small.dcm": {"target": "rle", "packing": "pydicom", "verified": True},
    }


def test_an_output_folder_inside_the_input_folder_never_takes_its_results_as_inputs(study, capsys):
    out = study / "rle"
    assert main([str(study), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(out)]) == 0
    assert totals_line(capsys.readouterr().out) == "3 files: 0 converted, 0 copied, 3 up to date, 0 skipped, 0 failed"
    assert tree(out) == [".dicompress-manifest.jsonl", "CT_small.dcm", "PS0001", "series2/MR_small.dcm"]


def test_an_output_folder_equal_to_the_input_folder_numbers_results_beside_their_inputs(study, capsys):
    before = digests(study)
    assert main([str(study), "-o", str(study)]) == 0
    assert totals_line(capsys.readouterr().out) == "3 files: 2 converted, 1 copied, 0 up to date, 0 skipped, 0 failed"
    assert tree(study) == [
        ".dicompress-manifest.jsonl", "CT_small (2).dcm", "CT_small.dcm", "PS0001", "PS0001 (2)",
        "series2/MR_small (2).dcm", "series2/MR_small.dcm",
    ]
    assert {name: digests(study)[name] for name in before} == before
    assert main([str(study), "-o", str(study)]) == 0
    assert totals_line(capsys.readouterr().out) == "3 files: 0 converted, 0 copied, 3 up to date, 0 skipped, 0 failed"


def test_a_result_that_would_land_on_an_input_through_a_link_fails(study, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "series2").symlink_to(study / "series2")
    before = digests(study)
    assert main([str(study), "-o", str(out), "--overwrite"]) == 1
    output = capsys.readouterr().out
    assert "the result would overwrite an input file; choose another -o" in output
    assert totals_line(output) == "3 files: 1 converted, 1 copied, 0 up to date, 0 skipped, 1 failed"
    assert digests(study) == before
