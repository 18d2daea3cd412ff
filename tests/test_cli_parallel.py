"""``--jobs``: files converted in worker processes, with the same results, summary and exit status."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dicompress import service
from dicompress.cli import parallel
from dicompress.cli.main import main
from tests.cli_helpers import PACKAGE_ROOT, copy_test_file, digests, presentation_state, run_cli, totals_line
from tests.dicom_files import file_bytes


@pytest.fixture
def mixed(tmp_path):
    """Images of several kinds, a copy, a failure and a skip."""
    root = tmp_path / "mixed"
    for name in ("CT_small.dcm", "MR_small.dcm", "US1_UNCR.dcm", "MR_small_RLE.dcm", "JPEG-lossy.dcm"):
        copy_test_file(name, root / "images")
    (root / "PS0001").write_bytes(presentation_state())
    (root / "notes.txt").write_text("not DICOM")
    return root


def _without_times(report):
    """Return a --report document without its timings (which differ from run to run)."""
    document = json.loads(report.read_text())
    for record in document["files"]:
        record["file"] = record["file"].removeprefix(str(report.parent))
        record["result"] = record["result"] and record["result"].removeprefix(str(report.parent))
        if record["conversion"]:
            del record["conversion"]["seconds"]
    return document["files"], document["totals"]


def test_two_jobs_give_the_same_results_summary_and_status_as_one(mixed, tmp_path, capsys):
    statuses = [main([str(mixed), "-o", str(tmp_path / jobs), "--jobs", jobs,
                      "--report", str(tmp_path / jobs / "report.json")]) for jobs in ("1", "2")]
    assert statuses == [1, 1]  # the JPEG file fails in both
    first, second = capsys.readouterr().out.split("engine dicompress")[:2]
    assert "; 1 process;" in first and "; 2 processes;" in second
    one, two = digests(tmp_path / "1"), digests(tmp_path / "2")
    for name in ("report.json", ".dicompress-manifest.jsonl"):  # the manifest's lines come as files finish
        del one[name], two[name]
    assert one == two
    manifests = [sorted((tmp_path / jobs / ".dicompress-manifest.jsonl").read_text().splitlines()) for jobs in "12"]
    assert manifests[0] == manifests[1]
    assert _without_times(tmp_path / "1" / "report.json") == _without_times(tmp_path / "2" / "report.json")


def test_the_default_is_one_job_per_cpu(mixed, tmp_path, capsys):
    main([str(mixed), "-o", str(tmp_path / "out")])
    processes = min(len(os.sched_getaffinity(0)), 7)
    assert f"; {processes} process" in capsys.readouterr().out


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_at_once_and_leaves_no_partial_file(tmp_path, jobs):
    for number in range(12):
        copy_test_file("RG1_UNCR.dcm", tmp_path / "in", as_name=f"RG{number:02d}.dcm")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    command = [sys.executable, "-m", "dicompress", str(tmp_path / "in"), "-o", str(out), "--jobs", jobs]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        while run.poll() is None and not (out.is_dir() and any(p.suffix == ".dcm" for p in out.iterdir())):
            time.sleep(0.01)
        time.sleep(0.05)  # into the next files
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate()
    assert run.returncode == 130
    assert stdout == ""
    assert stderr.splitlines()[-1] == ("dicompress: interrupted; finished results are kept, no partial files are "
                                       "left. Run the same command again to go on.")
    written = sorted(p.name for p in out.iterdir())
    assert written[0] == ".dicompress-manifest.jsonl"
    assert all(name.startswith("RG") and name.endswith(".dcm") for name in written[1:])  # no temporary file
    assert 0 < len(written) - 1 < 12
    expected = service.convert(file_bytes("RG1_UNCR.dcm")).data
    assert all((out / name).read_bytes() == expected for name in written if name.endswith(".dcm"))
    again = run_cli(str(tmp_path / "in"), "-o", str(out), "--jobs", jobs)
    assert again.returncode == 0
    assert totals_line(again.stdout) == (
        f"12 files: {13 - len(written)} converted, 0 copied, {len(written) - 1} up to date, 0 skipped, 0 failed")


def _stop_on(item):
    """Return `item` doubled, but end the worker process abruptly on "stop"."""
    if item == "stop":
        os.kill(os.getpid(), signal.SIGKILL)
    return item * 2


def _ready():
    """A worker initializer that does nothing."""


def test_a_worker_that_dies_fails_its_item_and_the_others_go_on():
    done = []
    with parallel.Pool(2, _ready) as pool:
        results = pool.map(_stop_on, [1, "stop", 3, 4, 5], lambda index, result: done.append(index),
                           lambda item, pid, reason: f"lost {item}: {reason}")
    assert results == [2, "lost stop: killed by SIGKILL", 6, 8, 10]
    assert sorted(done) == [0, 1, 2, 3, 4]
