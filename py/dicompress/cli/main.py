"""The ``dicompress`` command: convert DICOM files and folders with the file service.

The run is planned by :mod:`dicompress.cli.batch`, each file is done by
:func:`dicompress.cli.tasks.run` (in this process, or in worker processes of
:mod:`dicompress.cli.parallel` for ``--jobs``), and :mod:`dicompress.cli.report` tells what
happened. Importing this module imports neither pydicom, numpy nor tqdm, so
``dicompress --version`` and ``--help`` answer at once.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from dicompress import __version__, frontend
from dicompress.cli.storage import MissingExtra, Remote, install_hint, location, parse_option
from dicompress.limits import DEFAULT_LIMITS, MIB, Limits

_DASK_EXTRA = install_hint("dask")

if TYPE_CHECKING:
    from dicompress.cli.batch import Job, Options
    from dicompress.cli.manifest import Record
    from dicompress.cli.storage import Location
    from dicompress.cli.tasks import Outcome, Task

EXAMPLES = """\
examples:
  dicompress scan.dcm -o out/                        compress one file to RLE Lossless
  dicompress study/ -o study-rle/ --compact          a whole study, recursively, smallest packing
  dicompress study-rle/ -o plain/ --syntax explicit  decompress to Explicit VR Little Endian
  dicompress a.dcm b.dcm -o out/ --syntax deflate --report out/report.json
  dicompress study/ -o study-jls/ --syntax jpeg-ls   smaller, lossless (also j2k, htj2k):
                                                     pip install "dicompress[codecs]" first
  dicompress s3://bucket/study -o s3://bucket/study-rle --dask   on a local Dask cluster
  dicompress s3://bucket/in -o s3://bucket/out --dask tcp://scheduler:8786 \
      --storage-option endpoint_url=https://s3.example.org    an existing cluster, an S3-compatible store

The output folder mirrors each folder named (study/series2/x.dcm -> study-rle/series2/x.dcm);
files named go to its top. Names are kept; when two would collide, the later one gets
" (2)" before its suffix. DICOM files without pixel data (DICOMDIR, reports, RT structure
sets...) are copied unchanged, and a DICOMDIR names the new transfer syntax of the files
converted. Valid DICOM files that cannot be converted (1-bit or float pixels for RLE,
video) are kept unchanged with the reason, so the output study is whole; --strict fails
them instead. Inputs are never modified. Run the same command again and results already
written for the same input are "up to date". A file named here that cannot be converted
fails; in folders, files that are not DICOM are skipped. The exit status is 1 if any
file failed, 130 if interrupted, 0 otherwise.
"""

def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="dicompress",
        description="Convert DICOM files to RLE Lossless (or back) with pydicom and dicompress.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="DICOM files or folders: local paths or fsspec URLs (s3://bucket/prefix, gs://...)")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                        help="folder for the results (created if missing; may be an input folder; a path or a URL)")
    parser.add_argument("--syntax", choices=frontend.target_names(), default=frontend.DEFAULT_TARGET,
                        help=f"target transfer syntax (default {frontend.DEFAULT_TARGET}): " + ", ".join(
                            f"{t.name} = {t.label} ({t.hint})" for t in frontend.TARGETS))
    parser.add_argument("--compact", action="store_true",
                        help="smallest RLE packing instead of pydicom's byte-identical one")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip decoding the result and comparing it with the original pixels")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace results that already exist in OUTDIR, even up-to-date ones (never an input)")
    parser.add_argument("--skip-non-image", dest="copy_non_image", action="store_false",
                        help="leave out DICOM files without pixel data instead of copying them")
    parser.add_argument("--strict", action="store_true",
                        help="fail files that cannot be converted (1-bit or float pixels for RLE, video...) "
                        "instead of keeping them unchanged")
    parser.add_argument("--jobs", "-j", type=_positive, default=_cpus(), metavar="N",
                        help=f"files converted at once, in worker processes (default: {_cpus()}, the CPUs here)")
    parser.add_argument("--dask", nargs="?", const="", metavar="ADDRESS",
                        help="convert on a Dask cluster: the scheduler at ADDRESS (tcp://host:port), or without "
                        "ADDRESS a local one of --jobs worker processes (needs: " + _DASK_EXTRA + ")")
    parser.add_argument("--scheduler-file", metavar="FILE",
                        help="convert on the Dask cluster whose scheduler wrote FILE (as dask-jobqueue does)")
    parser.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                        help="an fsspec storage option for URLs, e.g. endpoint_url=http://127.0.0.1:9000 "
                        "(repeatable; credentials come from the usual environment and files, never from here)")
    parser.add_argument("--max-sequence-depth", type=_positive, default=DEFAULT_LIMITS.max_sequence_depth,
                        metavar="N", help="refuse files whose sequences nest deeper than this "
                        f"(default: {DEFAULT_LIMITS.max_sequence_depth})")
    parser.add_argument("--max-inflation", type=_positive, default=DEFAULT_LIMITS.max_inflation, metavar="N",
                        help="refuse deflated files that inflate to more than N times their size and more than "
                        f"{DEFAULT_LIMITS.min_inflation_budget // MIB} MiB (default: {DEFAULT_LIMITS.max_inflation})")
    parser.add_argument("--report", type=Path, metavar="FILE.json",
                        help="also write a JSON report with one record per file")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the parsed arguments; exit with status 2 and a usage line if they are wrong."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        options = dict(parse_option(text) for text in args.storage_option)
        args.paths = [location(text, options) for text in args.paths]
        args.output = location(args.output, options)
        missing = [str(p) for p in args.paths if not p.exists()]
        if missing:
            parser.error(f"no such file or folder: {', '.join(missing)}")
        if args.output.exists() and not args.output.is_dir():
            parser.error(f"the output {args.output} is a file, not a folder")
    except (ValueError, OSError, MissingExtra) as exc:  # a bad option; a store that cannot be reached
        parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 if no file failed, 1 if any failed (or none was found, or the report could
        not be written), 2 for usage errors, 130 if interrupted (Ctrl-C).
    """
    return execute(parse_arguments(argv))[0]


def execute(args: argparse.Namespace, client: Any = None) -> tuple[int, dict[str, Any] | None]:
    """Do the run `args` describe (see :func:`parse_arguments`); print its summary.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.
    client : distributed.Client, optional
        A Dask client to run on (``--dask`` and ``--scheduler-file`` are then not used).

    Returns
    -------
    tuple of int and dict
        The exit status (as :func:`main`'s) and the ``--report`` document (``None`` if
        no file was found or the run was interrupted).
    """
    from dicompress.cli import batch, manifest, report

    started = perf_counter()
    limits = Limits(max_sequence_depth=args.max_sequence_depth, max_inflation=args.max_inflation)
    options = batch.Options(args.syntax, "compact" if args.compact else frontend.DEFAULT_PACKING,
                            args.verify, args.overwrite, args.copy_non_image, limits, args.strict)
    records = manifest.load(args.output)
    jobs = batch.plan(args.paths, args.output, recorded=records.keys())
    if not jobs:
        print("dicompress: no files found", file=sys.stderr)
        return 1, None
    workers = min(args.jobs, len(jobs))
    print(f"dicompress {__version__}: {report.files(len(jobs))} to {args.output}", file=sys.stderr)
    try:
        if client is not None or args.dask is not None or args.scheduler_file:
            outcomes, workers = _on_dask(jobs, args, options, records, client)
        else:
            outcomes = _run(jobs, args.output, options, records, _pool_runner(workers))
    except KeyboardInterrupt:
        print("dicompress: interrupted; finished results are kept, no partial files are left. "
              "Run the same command again to go on.", file=sys.stderr)
        return 130, None
    except MissingExtra as exc:
        print(f"dicompress: {exc}", file=sys.stderr)
        return 2, None
    finally:
        if isinstance(args.output, Remote):
            _merge(args.output)
    seconds = perf_counter() - started
    print(report.summary(outcomes, seconds, workers))
    failed = any(o.status == "failed" for o in outcomes)
    if args.report:
        from dicompress.cli.outputs import write_new

    settings = {key: value for key, value in vars(args).items() if key not in ("paths", "output", "report")}
    document = report.document(outcomes, args.output, seconds, settings)
    if args.report:
        from dicompress.cli.outputs import write_new

        try:
            write_new(args.report, BytesIO(report.as_json(document).encode()), replace=True)
        except OSError as exc:
            print(f"dicompress: cannot write the report {args.report}: {exc.strerror or exc}", file=sys.stderr)
            failed = True
    return 1 if failed else 0, document


def _merge(output: Remote) -> None:
    """Merge the manifest's shards in `output`; if that fails, the next run reads them as they are."""
    from dicompress.cli import manifest

    try:
        manifest.merge(output)
    except OSError as exc:
        print(f"dicompress: the manifest's shards in {output} were not merged: {exc}", file=sys.stderr)


#: Runs a run's tasks, showing progress on a bar: (tasks, bar) -> outcomes, in order.
Runner = Callable[[list["Task"], "_Bar"], list["Outcome"]]


def _pool_runner(workers: int) -> Runner:
    """Return the runner of ``--jobs``: in this process, or in a pool of `workers` processes."""

    def run_all(todo: list["Task"], bar: "_Bar") -> list["Outcome"]:
        if workers == 1:
            return _two_turns(_in_process(bar), todo)
        from dicompress.cli import parallel, tasks

        with parallel.Pool(workers, tasks.prepare_worker) as pool:

            def on_pool(items: list["Task"]) -> list["Outcome"]:
                return pool.map(tasks.run, items, bar.done, tasks.lost)

            return _two_turns(on_pool, todo)

    return run_all


def _on_dask(jobs: list["Job"], args: argparse.Namespace, options: "Options", records: dict[str, list["Record"]],
             client: Any) -> tuple[list["Outcome"], int]:
    """Do the run on a Dask cluster: `client`'s, or the one the arguments name; return it and its workers."""
    from contextlib import nullcontext

    from dicompress.cli import dask_runner

    embedded = client is None and not (args.dask or args.scheduler_file)
    try:
        with nullcontext(client) if client is not None else dask_runner.cluster(
                args.dask or None, args.scheduler_file, min(args.jobs, len(jobs))) as connected:
            workers = dask_runner.worker_count(connected)

            def run_all(todo: list["Task"], bar: "_Bar") -> list["Outcome"]:
                return _two_turns(lambda items: dask_runner.run_all(connected, items, bar.done), todo)

            return _run(jobs, args.output, options, records, run_all), workers
    finally:
        if embedded and isinstance(args.output, Path):
            _discard_orphans(args.output, jobs)  # once the embedded cluster's workers, all here, have stopped


def _discard_orphans(output: Path, jobs: list["Job"]) -> None:
    """Remove what killed workers left in the folders of the results of `jobs` (each folder once)."""
    from dicompress.cli.outputs import discard_orphans

    for folder in sorted({(output / job.name).parent for job in jobs}):
        discard_orphans(folder)


def _run(
    jobs: list["Job"], output: "Location", options: "Options", records: dict[str, list["Record"]], runner: Runner
) -> list["Outcome"]:
    """Do every job with a progress bar: files first, then DICOMDIRs (which name the files' results)."""
    from dicompress.cli import batch, tasks

    clashing = set(batch.clashes(jobs, output))
    todo = [tasks.Task(job, output, options, tuple(records.get(job.name, ()))) for job in jobs if job not in clashing]
    with _Bar(len(jobs)) as bar:
        for job in clashing:
            bar.advance(job.shown)
        outcomes = runner(todo, bar)
    by_job = {o.job: o for o in outcomes}
    clash = "the result would overwrite an input file; choose another -o"
    return [by_job.get(job) or tasks.Outcome(job, "failed", clash, code="clash") for job in jobs]


def _two_turns(run_all: Callable[[list["Task"]], list["Outcome"]], todo: list["Task"]) -> list["Outcome"]:
    """Run `todo`, then the DICOMDIRs deferred by the first turn, with what became of their files."""
    from dataclasses import replace

    from dicompress.cli.tasks import DEFERRED, members

    outcomes = run_all(todo)
    deferred = [i for i, o in enumerate(outcomes) if o.status == DEFERRED]
    second = [replace(todo[i], members=members(todo[i].job, outcomes)) for i in deferred]
    for i, outcome in zip(deferred, run_all(second) if second else [], strict=True):
        outcomes[i] = outcome
    return outcomes


def _in_process(bar: "_Bar") -> Callable[[list["Task"]], list["Outcome"]]:
    """Return a runner that does tasks one by one in this process, showing frames on `bar`."""
    from dicompress.cli.tasks import run

    def run_all(items: list["Task"]) -> list["Outcome"]:
        outcomes = []
        for index, task in enumerate(items):
            bar.note(task.job.shown)
            outcome = run(task, bar.frames(task.job.shown))
            bar.done(index, outcome)
            outcomes.append(outcome)
        return outcomes

    return run_all


class _Bar:
    """tqdm's progress bar on a terminal; nothing otherwise (and then tqdm is not imported)."""

    def __init__(self, total: int) -> None:
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)

    def __enter__(self) -> "_Bar":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def note(self, text: str) -> None:
        """Show `text` (the file at hand) beside the bar."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def frames(self, shown: str) -> Callable[[int, int], None]:
        """Return a progress callback that shows the frames done of file `shown`."""

        def report(done: int, total: int) -> None:
            self.note(f"{shown} frame {done}/{total}")

        return report

    def advance(self, shown: str) -> None:
        """Count one file as finished."""
        if self._bar is not None:
            self._bar.set_postfix_str(shown, refresh=False)
            self._bar.update(1)

    def done(self, index: int, outcome: "Outcome") -> None:
        """Count a task's outcome, unless it is a DICOMDIR waiting for its turn."""
        from dicompress.cli.tasks import DEFERRED

        if outcome.status != DEFERRED:
            self.advance(outcome.job.shown)


def _cpus() -> int:
    """Return how many CPUs this process may use."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _positive(text: str) -> int:
    """Parse a positive whole number (for ``--jobs``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value
