"""Result files: created exclusively, never through links, never half, never clobbering another run's."""

import errno
import os
import resource
import threading
from io import BytesIO
from pathlib import Path

import pytest
from pydicom.uid import RLELossless

from dicompress.cli import manifest, outputs
from dicompress.cli.main import main
from tests.cli_helpers import copy_test_file, digests, run_cli, totals_line, tree
from tests.dicom_files import file_bytes, read


def test_a_link_placed_at_the_temporary_name_is_never_followed(tmp_path, monkeypatch, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    victim = copy_test_file("MR_small.dcm", tmp_path / "in")
    before = digests(tmp_path / "in")
    names = iter(["aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(outputs, "token_hex", lambda size: next(names))
    out = tmp_path / "out"
    out.mkdir()
    trap = out / f".CT_small.dcm.{os.getpid()}-aaaaaaaa.dicompress-tmp"
    trap.symlink_to(victim)
    assert main([str(source), "-o", str(out), "--jobs", "1"]) == 0
    assert digests(tmp_path / "in") == before
    assert trap.is_symlink() and os.readlink(trap) == str(victim)
    assert read((out / "CT_small.dcm").read_bytes()).file_meta.TransferSyntaxUID == RLELossless
    assert sorted(p.name for p in out.iterdir()) == sorted([trap.name, ".dicompress-manifest.jsonl", "CT_small.dcm"])


def test_a_full_disk_fails_that_file_leaves_nothing_behind_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    first = copy_test_file("CT_small.dcm", tmp_path / "in")
    second = copy_test_file("MR_small.dcm", tmp_path / "in")
    write_all, calls = outputs._write_all, []

    def disk_full_the_first_time(descriptor, data):
        calls.append(len(data))
        if len(calls) > 1:
            return write_all(descriptor, data)
        os.write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs, "_write_all", disk_full_the_first_time)
    assert main([str(first), str(second), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "cannot write CT_small.dcm: No space left on device" in out
    assert totals_line(out) == "2 files: 1 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", "MR_small.dcm"]


def test_a_file_size_limit_fails_the_file_and_leaves_nothing_behind(tmp_path):
    source = copy_test_file("RG1_UNCR.dcm", tmp_path / "in")

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    done = run_cli(str(source), "-o", str(tmp_path / "out"), preexec_fn=limit_file_size)
    assert done.returncode == 1
    assert "cannot write RG1_UNCR.dcm: File too large" in done.stdout
    assert tree(tmp_path / "out") == []  # it failed while converting, before anything was recorded


def test_a_result_written_meanwhile_by_another_program_is_kept(tmp_path, monkeypatch, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    out = tmp_path / "out"
    append = manifest.append

    def another_program_writes_first(folder, record):
        append(folder, record)
        (out / "CT_small.dcm").write_bytes(b"theirs")

    monkeypatch.setattr(manifest, "append", another_program_writes_first)
    assert main([str(source), "-o", str(out), "--jobs", "1"]) == 1
    assert "CT_small.dcm was written meanwhile by another program; this result was discarded" in (
        capsys.readouterr().out)
    assert (out / "CT_small.dcm").read_bytes() == b"theirs"
    assert tree(out) == [".dicompress-manifest.jsonl", "CT_small.dcm"]


def test_the_same_result_written_meanwhile_by_another_run_is_up_to_date(tmp_path, monkeypatch, capsys):
    source = copy_test_file("CT_small.dcm", tmp_path / "in")
    assert main([str(source), "-o", str(tmp_path / "first"), "--jobs", "1"]) == 0
    theirs = (tmp_path / "first" / "CT_small.dcm").read_bytes()
    out = tmp_path / "out"
    append = manifest.append

    def another_run_writes_first(folder, record):
        append(folder, record)
        (out / "CT_small.dcm").write_bytes(theirs)

    monkeypatch.setattr(manifest, "append", another_run_writes_first)
    capsys.readouterr()
    assert main([str(source), "-o", str(out), "--jobs", "1"]) == 0
    output = capsys.readouterr().out
    assert "written meanwhile by another run" in output
    assert totals_line(output) == "1 file: 0 converted, 0 copied, 1 up to date, 0 skipped, 0 failed"


def test_two_runs_into_one_folder_at_once_convert_each_file_once(tmp_path):
    for number in range(6):
        copy_test_file("MR_small.dcm", tmp_path / "in", as_name=f"MR{number}.dcm")
    results: list = [None, None]

    def run(index):
        results[index] = run_cli(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--jobs", "1")

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [done.returncode for done in results] == [0, 0]
    statuses = [line.split()[1] for done in results for line in done.stdout.splitlines()[1:7]]
    assert sorted(statuses) == ["converted"] * 6 + ["up"] * 6  # "up to date"
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", *(f"MR{n}.dcm" for n in range(6))]
    original = read(file_bytes("MR_small.dcm")).pixel_array
    for number in range(6):
        assert (read((tmp_path / "out" / f"MR{number}.dcm").read_bytes()).pixel_array == original).all()


def test_write_new_refuses_an_existing_name_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "x.dcm").write_bytes(b"first")
    with pytest.raises(FileExistsError):
        outputs.write_new(tmp_path / "x.dcm", BytesIO(b"second"))
    assert [p.name for p in tmp_path.iterdir()] == ["x.dcm"]
    assert (tmp_path / "x.dcm").read_bytes() == b"first"
    outputs.write_new(tmp_path / "x.dcm", BytesIO(b"second"), replace=True)
    assert (tmp_path / "x.dcm").read_bytes() == b"second"


def _bytes_written() -> int:
    """Return the bytes this process has passed to ``write`` calls so far (Linux's ``wchar``)."""
    counters = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(counters["wchar"])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's per-process I/O counters")
@pytest.mark.parametrize("target", ["explicit", "rle"])
def test_a_result_is_written_once_straight_into_its_temporary_file_next_to_it(tmp_path, capsys, target):
    source = copy_test_file("RG1_UNCR.dcm", tmp_path / "in")
    main([str(source), "-o", str(tmp_path / "warm"), "--syntax", target, "--jobs", "1"])  # imports done
    before = _bytes_written()
    assert main([str(source), "-o", str(tmp_path / "out"), "--syntax", target, "--jobs", "1"]) == 0
    written = _bytes_written() - before
    result = (tmp_path / "out" / "RG1_UNCR.dcm").stat().st_size
    assert result > 3_000_000
    assert result <= written < result + 10_000  # the result once, and the manifest's line


def test_a_file_that_fails_leaves_no_folder_behind(tmp_path, capsys):
    copy_test_file("CT_small.dcm", tmp_path / "in" / "good")
    copy_test_file("JPEG-lossy.dcm", tmp_path / "in" / "bad")  # no decoder here: it fails while converting
    assert main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--jobs", "1"]) == 1
    assert totals_line(capsys.readouterr().out) == "2 files: 1 converted, 0 copied, 0 up to date, 0 skipped, 1 failed"
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")) == [
        ".dicompress-manifest.jsonl", "good", "good/CT_small.dcm"]
