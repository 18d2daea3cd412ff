"""The ``dicompress`` command: convert DICOM files and folders with the file service."""

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dicompress import __version__, frontend
from dicompress.errors import ConversionError
from dicompress.service import Progress, convert, engine_name

EXAMPLES = """\
examples:
  dicompress scan.dcm -o out/                  compress one file to RLE Lossless
  dicompress study/ -o out/ --compact          a whole folder, recursively, smallest RLE packing
  dicompress out/ -o plain/ --syntax explicit  decompress RLE files to Explicit VR Little Endian
  dicompress a.dcm b.dcm -o out/ --syntax deflate

Results keep their input's name (a folder's files keep their place under its name);
when two would collide, the later one gets " (2)" before its suffix. Inputs are never
modified. A file named here that cannot be converted fails; in folders, files that are
not DICOM are skipped. The exit status is 1 if any file failed, 0 otherwise.
"""


@dataclass(frozen=True)
class Job:
    """One input file and where its result goes."""

    source: Path
    target: Path
    in_folder: bool  # found while walking a folder (not named on the command line)


@dataclass(frozen=True)
class Outcome:
    """What happened to one job: status is "done", "skipped" or "failed"."""

    job: Job
    status: str
    message: str = ""
    report: dict | None = None


def build_parser() -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="dicompress",
        description="Convert DICOM files to RLE Lossless (or back) with pydicom and dicompress.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="DICOM files or folders")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                        help="folder for the results (created if missing)")
    parser.add_argument("--syntax", choices=frontend.target_names(), default=frontend.DEFAULT_TARGET,
                        help=f"target transfer syntax (default {frontend.DEFAULT_TARGET}): " + ", ".join(
                            f"{t.name} = {t.label} ({t.hint})" for t in frontend.TARGETS))
    parser.add_argument("--compact", action="store_true",
                        help="smallest RLE packing instead of pydicom's byte-identical one")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip decoding the result and comparing it with the original pixels")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace result files that already exist in OUTDIR (never an input)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments, without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 if every file was converted or skipped, 1 if any failed, 2 for usage errors.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    jobs = list(plan_jobs(args.paths, args.output))
    if not jobs:
        print("dicompress: no files found", file=sys.stderr)
        return 1
    print(f"dicompress {__version__}, engine: {engine_name()}", file=sys.stderr)
    outcomes = run_jobs(jobs, args)
    print(summary_table(outcomes))
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def plan_jobs(paths: Sequence[Path], output: Path) -> Iterator[Job]:
    """Yield a job per input file, its result named by :class:`dicompress.frontend.OutputNames`.

    Parameters
    ----------
    paths : sequence of Path
        Files and folders from the command line.
    output : Path
        The results folder.

    Yields
    ------
    Job
        Inputs in command-line order, each folder's files sorted; files already
        inside `output` (earlier results) and operating-system clutter in folders
        are left out.
    """
    results = output.resolve()
    names = frontend.OutputNames()
    for path in paths:
        if path.is_dir():
            base = path.resolve()
            files = (
                p for p in base.rglob("*")
                if p.is_file() and not p.is_relative_to(results) and not frontend.is_clutter(p.name)
            )
            for file in sorted(files):
                name = names.take(PurePosixPath(base.name, file.relative_to(base).as_posix()).as_posix())
                yield Job(file, output / name, in_folder=True)
        else:
            yield Job(path, output / names.take(path.name), in_folder=False)


def run_jobs(jobs: list[Job], args: argparse.Namespace) -> list[Outcome]:
    """Convert every job with a progress bar; one file's failure never stops the rest."""
    from tqdm import tqdm

    inputs = {job.source.resolve() for job in jobs}
    outcomes = []
    with tqdm(jobs, unit="file", disable=None, file=sys.stderr) as bar:
        for job in bar:
            bar.set_postfix_str(job.source.name)
            outcomes.append(_run_job(job, args, inputs, _frame_progress(bar, job.source.name)))
    return outcomes


def _frame_progress(bar: Any, name: str) -> Progress:
    """Return a progress callback that shows the frame count of file `name` on `bar`."""

    def report(done: int, total: int) -> None:
        bar.set_postfix_str(f"{name} frame {done}/{total}")

    return report


def _run_job(job: Job, args: argparse.Namespace, inputs: set[Path], progress: Progress) -> Outcome:
    """Convert one job and write its result; return what happened."""
    try:
        reason = frontend.skip_reason(_head(job.source), in_folder=job.in_folder)
        if reason:
            return Outcome(job, "skipped", reason)
        target = job.target.resolve()
        if target in inputs:
            return Outcome(job, "failed", "the result would overwrite an input file; choose another -o")
        if target.exists() and not args.overwrite:
            return Outcome(job, "failed", f"{job.target} already exists (use --overwrite to replace it)")
        data = job.source.read_bytes()
        packing = "compact" if args.compact else frontend.DEFAULT_PACKING
        result = convert(data, args.syntax, packing=packing, verify=args.verify, progress=progress)
    except ConversionError as exc:
        return Outcome(job, "failed", str(exc))
    except OSError as exc:
        return Outcome(job, "failed", f"cannot read the file: {exc.strerror or exc}")
    except Exception as exc:  # a bug must not stop the other files
        return Outcome(job, "failed", frontend.message("unexpected", error=f"{type(exc).__name__}: {exc}"))
    try:
        _write_atomically(job.target, result.data)
    except OSError as exc:
        return Outcome(job, "failed", f"cannot write {job.target}: {exc.strerror or exc}")
    return Outcome(job, "done", report=result.report.as_dict())


def _head(path: Path) -> bytes:
    """Return the first bytes of a file, as many as the skip rule needs."""
    with path.open("rb") as file:
        return file.read(frontend.HEAD_BYTES)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file, so no half file is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def summary_table(outcomes: list[Outcome]) -> str:
    """Return a plain-text table of the outcomes and a closing count line."""
    header = ("file", "status", "input", "output", "ratio", "frames", "plugin", "seconds", "message")
    rows = [header]
    for o in outcomes:
        r = o.report or {}
        rows.append((
            str(o.job.source), o.status,
            _size(r.get("input_bytes")), _size(r.get("output_bytes")),
            f"{r['ratio']:.2f}" if r else "", str(r.get("frames", "")),
            r.get("plugin", ""), f"{r['seconds']:.2f}" if r else "", o.message,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "skipped", "failed")}
    lines.append(f"{counts['done']} converted, {counts['skipped']} skipped, {counts['failed']} failed")
    return "\n".join(line.rstrip() for line in lines)


def _size(n: int | None) -> str:
    """Return a byte count for people (e.g. 7.2 MB), or "" for None."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""
