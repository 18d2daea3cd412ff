#!/usr/bin/env python
"""Benchmark ``dicompress --dask`` against ``--jobs``, and moto's S3 against a local folder.

Usage::

    .venv/bin/python scripts/bench_dask.py [--files 500] [--rounds 1]

Makes ``--files`` files of mixed size (pydicom's small test images, a multi-frame MR, an
ultrasound in colour, and every 50th file pydicom-data's 7.2 MB radiograph) and times
whole ``dicompress`` processes converting them to RLE Lossless into a fresh output:

- ``--jobs 2`` on a local folder (the peer);
- ``--dask --jobs 2``: an embedded LocalCluster of 2 worker processes (its start included);
- ``--jobs 2`` and ``--dask --jobs 2`` from and to moto's S3 server on 127.0.0.1
  (in this process, as the tests use it).

Rounds are interleaved; the median is printed with files/s, MB/s and the ratio of the
time to that of ``--jobs 2`` on the local folder (above 1: slower). A one-file run of each
mode measures its start-up (interpreter, imports, pool or cluster), which is then taken off
the folder's times for a ratio of the work alone.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydicom.data import get_testdata_file

PY = Path(__file__).resolve().parents[1] / "py"
SMALL = ("CT_small.dcm", "MR_small.dcm", "emri_small.dcm", "US1_UNCR.dcm", "SC_rgb_16bit.dcm", "MR_small_RLE.dcm",
         "OBXXXX1A.dcm", "rtdose.dcm")
BIG = "RG1_UNCR.dcm"
BUCKET = "bench"


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = boto3.client("s3", endpoint_url=endpoint)
        bucket.create_bucket(Bucket=BUCKET)
        with tempfile.TemporaryDirectory() as scratch:
            folder = _inputs(Path(scratch) / "in", args.files)
            size = sum(p.stat().st_size for p in folder.iterdir())
            for path in sorted(folder.iterdir()):
                bucket.put_object(Bucket=BUCKET, Key=f"in/{path.name}", Body=path.read_bytes())
            times = _time_all(_commands(folder, Path(scratch), endpoint), args.rounds, bucket)
    finally:
        server.stop()
    median = {name: statistics.median(values) for name, values in times.items()}
    peer = median["--jobs 2, local folder"]
    print(f"{args.files} files, {size / 1e6:.1f} MB, {os.cpu_count()} CPUs, median of {args.rounds} round(s); "
          "whole processes (Dask cluster start included)")
    print(f"{'what':<34} {'seconds':>8} {'files/s':>8} {'MB/s':>7} {'vs --jobs 2 local':>18}")
    for name, seconds in median.items():
        if "one small file" not in name:
            print(f"{name:<34} {seconds:8.2f} {args.files / seconds:8.1f} {size / 1e6 / seconds:7.2f} "
                  f"{seconds / peer:17.2f}x")
    start = {mode: median[f"{mode}, one small file"] for mode in ("--jobs 2", "--dask --jobs 2")}
    print(f"one small file (mostly start-up): --jobs 2 {start['--jobs 2']:.2f} s, "
          f"--dask {start['--dask --jobs 2']:.2f} s")
    work = {mode: median[f"{mode}, local folder"] - start[mode] for mode in start}
    print(f"local folder without start-up: --dask / --jobs 2 = {work['--dask --jobs 2'] / work['--jobs 2']:.2f}x")
    print(f"S3 (moto) vs local folder, --jobs 2: {median['--jobs 2, moto S3'] / peer:.2f}x the time; "
          f"--dask: {median['--dask --jobs 2, moto S3'] / median['--dask --jobs 2, local folder']:.2f}x")


def _inputs(folder: Path, count: int) -> Path:
    """Write `count` files of mixed size into `folder`."""
    folder.mkdir(parents=True)
    sources = [Path(get_testdata_file(name)) for name in SMALL]
    big = Path(get_testdata_file(BIG))
    for number in range(count):
        source = big if number % 50 == 49 else sources[number % len(sources)]
        shutil.copy(source, folder / f"{number:04d}-{source.name}")
    return folder


def _commands(folder: Path, work: Path, endpoint: str) -> dict[str, list[str]]:
    """Return each command to time by name; its output (a folder or a prefix) is emptied before each run."""
    command = [sys.executable, "-m", "dicompress"]
    s3 = [f"s3://{BUCKET}/in", "-o", f"s3://{BUCKET}/out", "--storage-option", f"endpoint_url={endpoint}"]
    one = str(folder / "0000-CT_small.dcm")
    return {
        "--jobs 2, one small file": [*command, one, "-o", str(work / "out"), "--jobs", "2"],
        "--dask --jobs 2, one small file": [*command, one, "-o", str(work / "out"), "--dask", "--jobs", "2"],
        "--jobs 2, local folder": [*command, str(folder), "-o", str(work / "out"), "--jobs", "2"],
        "--dask --jobs 2, local folder": [*command, str(folder), "-o", str(work / "out"), "--dask", "--jobs", "2"],
        "--jobs 2, moto S3": [*command, *s3, "--jobs", "2"],
        "--dask --jobs 2, moto S3": [*command, *s3, "--dask", "--jobs", "2"],
    }


def _time_all(commands: dict[str, list[str]], rounds: int, bucket: object) -> dict[str, list[float]]:
    """Time each command `rounds` times, interleaved, each into an empty output."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    env = {**os.environ, "PYTHONPATH": str(PY)}
    for _ in range(rounds):
        for name, command in commands.items():
            _empty(command[command.index("-o") + 1], bucket)
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            times[name].append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"{name} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return times


def _empty(output: str, bucket: object) -> None:
    """Remove the output folder, or every object below the output prefix."""
    if not output.startswith("s3://"):
        shutil.rmtree(output, ignore_errors=True)
        return
    prefix = output.removeprefix(f"s3://{BUCKET}/") + "/"
    while True:
        listing = bucket.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])  # type: ignore[attr-defined]
        if not listing:
            return
        bucket.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": o["Key"]} for o in listing]})  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
