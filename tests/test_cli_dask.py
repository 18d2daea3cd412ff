"""``--dask`` and object storage: the same results, summary and report as ``--jobs 1``.

Everything runs on 127.0.0.1: moto's S3 server in a thread (ThreadedMotoServer, as s3fs's
own tests use it) and a Dask scheduler with two worker processes, started here and closed
after the module.
"""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")  # the test extra has them; a clear skip reason elsewhere
distributed = pytest.importorskip("distributed")
moto_server = pytest.importorskip("moto.server")

from dicompress import frontend  # noqa: E402
from dicompress.cli import batch, dask_runner, storage, tasks  # noqa: E402
from dicompress.cli.main import main  # noqa: E402
from dicompress.cli.notebook import convert_archive  # noqa: E402
from tests.cli_helpers import copy_test_file, digests, make_study, run_cli  # noqa: E402
from tests.dicom_files import corrupt_rle_file  # noqa: E402
from tests.venvs import isolated_python  # noqa: E402

BUCKET = "dicom-archive"
BOOKKEEPING = (".dicompress-manifest.jsonl", "report.json")
POISON, ONCE, KILLED_ONCE = "CT2/17136", "CT2/17106", "killed-once"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A study: a DICOMDIR and its images, RLE images, files without pixel data, a text and a broken file."""
    root = make_study(tmp_path_factory.mktemp("in") / "study")
    copy_test_file("MR_small_RLE.dcm", root / "RLE")
    copy_test_file("emri_small_RLE.dcm", root / "RLE")
    (root / "RLE" / "broken.dcm").write_bytes(corrupt_rle_file())
    return root


@pytest.fixture(scope="module")
def one_job(study, tmp_path_factory):
    """The run with ``--jobs 1``: its output folder, exit status and printed summary."""
    out = tmp_path_factory.mktemp("one") / "out"
    status, summary = _run_main([str(study), "-o", str(out), "--jobs", "1", "--report", str(out / "report.json")])
    return out, status, summary


@pytest.fixture(scope="module")
def s3():
    """The endpoint of moto's S3 server on 127.0.0.1, with an empty bucket; stopped after."""
    saved = {key: os.environ.get(key) for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def client(s3):
    """A Dask client of a scheduler and two worker processes on 127.0.0.1 (after `s3`: they inherit its keys)."""
    import dask

    with dask.config.set({**dask_runner.CLUSTER_CONFIG, "distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=":0") as cluster, distributed.Client(cluster) as connected:
        yield connected


def _run_main(argv):
    """Run the command in this process; return its exit status and the summary it printed."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(argv)
    return status, printed.getvalue()


def _rows(summary, prefix):
    """Return the summary's files (without `prefix`) with their status, and the line of totals."""
    lines = summary.splitlines()
    table = [re.split(r"\s{2,}", line.removeprefix(prefix))[:2] for line in lines[:-2]]
    return table, lines[-2]


def _report(path, prefix):
    """Return a --report document's records and totals without timings and with `prefix` removed from paths."""
    document = json.loads(Path(path).read_text() if isinstance(path, (str, Path)) else json.dumps(path))
    for record in document["files"]:
        record["file"] = record["file"].removeprefix(prefix)
        record["source"] = record["source"].removeprefix(prefix)
        record["result"] = record["result"] and record["result"].rsplit("/out/", 1)[-1]
        if record["conversion"]:
            del record["conversion"]["seconds"]
    return document["files"], document["totals"]


def _results(folder):
    """Return the sha256 of each result below `folder`, bookkeeping left out."""
    return {name: digest for name, digest in digests(folder).items() if name not in BOOKKEEPING}


def test_dask_gives_the_same_results_summary_and_report_as_one_job(study, one_job, client, tmp_path):
    out1, status1, summary1 = one_job
    out = tmp_path / "out"
    document = convert_archive(study, out, client=client, report=out / "report.json")
    assert status1 == 1  # the broken file fails both times
    assert document["totals"] == json.loads((out1 / "report.json").read_text())["totals"]
    assert document["totals"]["failed"] == 1 and document["totals"]["skipped"] == 1
    assert document["totals"]["converted"] == 33 and document["totals"]["copied"] == 4
    assert _results(out) == _results(out1)
    manifests = [sorted((o / ".dicompress-manifest.jsonl").read_text().splitlines()) for o in (out1, out)]
    assert manifests[0] == manifests[1]
    assert _report(out / "report.json", str(study)) == _report(out1 / "report.json", str(study))


def test_dask_address_from_s3_to_s3_gives_the_local_results_and_a_rerun_rewrites_nothing(
        study, one_job, client, s3, tmp_path):
    out1, status1, summary1 = one_job
    bucket = boto3.client("s3", endpoint_url=s3)
    for path in sorted(study.rglob("*")):
        if path.is_file():
            key = f"in/study/{path.relative_to(study).as_posix()}"
            bucket.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
    argv = [f"s3://{BUCKET}/in/study", "-o", f"s3://{BUCKET}/out", "--dask", client.scheduler.address,
            "--storage-option", f"endpoint_url={s3}", "--report", str(tmp_path / "report.json")]
    status, summary = _run_main(argv)
    assert status == status1
    assert _rows(summary, f"s3://{BUCKET}/in/") == _rows(summary1, str(study.parent) + "/")
    assert _report(tmp_path / "report.json", f"s3://{BUCKET}/in/study") == _report(out1 / "report.json", str(study))
    objects = _objects(bucket, "out/")
    results = {key.removeprefix("out/"): _sha256(body) for key, (body, _) in objects.items()
               if ".dicompress-manifest" not in key}
    assert results == _results(out1)
    shards = [key for key in objects if ".dicompress-manifest" in key]
    assert len(shards) == 1  # the driver merged the workers' shards
    lines = sorted(objects[shards[0]][0].decode().splitlines())
    assert lines == sorted((out1 / ".dicompress-manifest.jsonl").read_text().splitlines())

    status, summary = _run_main(argv)
    assert status == status1
    assert "0 converted, 0 copied, 37 up to date, 1 skipped, 1 failed" in summary
    assert _objects(bucket, "out/") == objects  # nothing rewritten: same bytes, same modification times


def test_a_killed_worker_has_its_work_done_elsewhere_and_a_file_that_kills_workers_fails_alone(
        study, one_job, client, tmp_path, monkeypatch):
    out1, *_ = one_job
    out = tmp_path / "out"
    monkeypatch.setattr(dask_runner, "BATCHES_PER_WORKER", 1)  # two batches of several files: one gets split
    jobs = [job for job in batch.plan([study], out) if job.name.startswith("77654033/")]
    todo = [tasks.Task(job, out, _options(), ()) for job in jobs]
    poison = next(i for i, job in enumerate(jobs) if job.name.endswith(POISON))
    arrived = []
    outcomes = dask_runner.run_all(client, todo, lambda index, outcome: arrived.append(index), function=_dies)
    assert (tmp_path / KILLED_ONCE).exists()  # a worker was killed once on that file
    assert sorted(arrived) == list(range(len(todo)))
    assert outcomes[poison].status == "failed" and outcomes[poison].code == "killed-workers"
    assert "Dask workers that took this file kept dying" in outcomes[poison].message
    assert {o.status for i, o in enumerate(outcomes) if i != poison} <= {"converted", "up to date"}
    written = _results(out)
    assert written == {name: d for name, d in _results(out1).items() if name in written}
    assert sorted(written) == sorted(job.name for i, job in enumerate(jobs) if i != poison)


def test_dask_without_an_address_starts_a_local_cluster_of_jobs_workers(study, one_job, tmp_path):
    out1, *_ = one_job
    done = run_cli(str(study / "RLE"), "-o", str(tmp_path / "out"), "--dask", "--jobs", "2")
    assert done.returncode == 1, done.stderr  # the broken file
    assert "3 files: 2 converted, 0 copied, 0 up to date, 0 skipped, 1 failed" in done.stdout
    assert "; 2 processes;" in done.stdout
    assert _results(tmp_path / "out") == {name.removeprefix("RLE/"): digest for name, digest in _results(out1).items()
                                          if name.startswith("RLE/")}


def test_without_the_extras_the_message_names_the_pip_install(study, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    assert main([str(study), "-o", str(tmp_path / "out"), "--dask"]) == 2
    assert 'pip install "dicompress[dask]"' in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(SystemExit) as stopped:
        main([f"s3://{BUCKET}/in", "-o", str(tmp_path / "out")])
    assert stopped.value.code == 2
    assert 'pip install "dicompress[s3]"' in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_python_without_the_extras_converts_and_names_the_pip_install(study, one_job, tmp_path):
    out1, *_ = one_job
    python, env = isolated_python(tmp_path / "plain", ["pydicom", "numpy", "tqdm"])  # pip install dicompress

    def run(*args):
        return subprocess.run([python, "-m", "dicompress", *args], capture_output=True, text=True, env=env, check=False)

    done = run(str(study / "RLE"), "-o", str(tmp_path / "out"), "--jobs", "1")
    assert done.returncode == 1 and "2 converted" in done.stdout  # the broken file fails
    assert _results(tmp_path / "out") == {name.removeprefix("RLE/"): digest for name, digest in _results(out1).items()
                                          if name.startswith("RLE/")}
    done = run(str(study / "RLE"), "-o", str(tmp_path / "dask"), "--dask")
    assert done.returncode == 2 and 'needs optional packages: pip install "dicompress[dask]"' in done.stderr
    for url, extra in ((f"s3://{BUCKET}/in", "s3"), ("gs://bucket/in", "gcs")):
        done = run(url, "-o", str(tmp_path / "cloud"))
        assert done.returncode == 2 and f'needs optional packages: pip install "dicompress[{extra}]"' in done.stderr
    assert not (tmp_path / "dask").exists() and not (tmp_path / "cloud").exists()


def _dies(task):
    """Run `task` (on a worker), but kill the worker on the file POISON always, on ONCE the first time."""
    if task.job.name.endswith(POISON):
        os.kill(os.getpid(), signal.SIGKILL)
    once = task.output.parent / KILLED_ONCE
    if task.job.name.endswith(ONCE) and not once.exists():
        once.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return tasks.run(task)


def _options():
    """Return the command line's default options."""
    return batch.Options("rle", frontend.DEFAULT_PACKING, True, False, True)


def _objects(bucket, prefix):
    """Return each object below `prefix`: its content and its modification time."""
    listing = bucket.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: (bucket.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read(), o["LastModified"])
            for o in listing}


def _sha256(data):
    """Return the hex sha256 of `data`."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_batches_hold_small_files_together_and_big_files_alone(tmp_path, monkeypatch):
    sizes = [10, 20, dask_runner.BATCH_BYTES, 30, dask_runner.BATCH_BYTES - 40, 50, 60]
    todo = [tasks.Task(batch.Job(tmp_path / str(i), str(i), str(i), True, size), tmp_path, _options())
            for i, size in enumerate(sizes)]
    assert dask_runner.partition(todo, workers=1) == [[i] for i in range(7)]  # 8 batches per worker if they can
    monkeypatch.setattr(dask_runner, "BATCHES_PER_WORKER", 1)
    assert dask_runner.partition(todo, workers=1) == [[0, 1], [2], [3, 4], [5, 6]]
    monkeypatch.setattr(dask_runner, "BATCH_FILES", 1)
    assert dask_runner.partition(todo, workers=1) == [[i] for i in range(7)]


def test_urls_name_stores_and_file_urls_and_paths_are_local():
    assert storage.location("s3://bucket/study/", {"anon": True}) == storage.Remote("s3", "bucket/study",
                                                                                   (("anon", True),))
    assert storage.location("file:///data/study") == Path("/data/study")
    assert storage.location("C:\\data\\study") == Path("C:\\data\\study")
    assert storage.location("study/x.dcm") == Path("study/x.dcm")
    assert storage.parse_option("endpoint_url=http://127.0.0.1:9000") == ("endpoint_url", "http://127.0.0.1:9000")
    assert storage.parse_option("anon=true") == ("anon", True)
    with pytest.raises(ValueError, match="KEY=VALUE"):
        storage.parse_option("anon")
    key = storage.Remote("s3", "bucket/study") / "CT/1.dcm"
    assert (str(key), key.name, str(key.parent)) == ("s3://bucket/study/CT/1.dcm", "1.dcm", "s3://bucket/study/CT")
    assert key.is_relative_to(storage.Remote("s3", "bucket")) and not key.is_relative_to(storage.Remote("gs", "bucket"))
    assert not storage.is_below(Path("/bucket/study"), storage.Remote("s3", "bucket"))


def test_temporary_files_of_processes_that_are_gone_are_removed(tmp_path):
    from dicompress.cli import outputs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    names = [f".IM1.{gone.pid}-0a1b2c3d{outputs.TEMP_SUFFIX}", f".IM.2.{os.getpid()}-0a1b2c3d{outputs.TEMP_SUFFIX}",
             f"IM3.{gone.pid}-0a1b2c3d", "IM4"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    outputs.discard_orphans(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])
