"""One file of a command-line run, from its input to its result: what each worker does.

:func:`run` reads the input, finds an up-to-date result or converts the file with
:func:`dicompress.service.convert_file` straight into the result's temporary file (next
to the result; a local one for object storage), a frame at a time, never
holding the file whole (a file without Pixel Data is copied unchanged, a
DICOMDIR once the files it lists are done; a valid file it cannot convert is kept
unchanged), records the result in the manifest and writes it safely
(:mod:`dicompress.cli.outputs`). It never raises for a file: every end is an
:class:`Outcome`, and the warnings raised meanwhile about the file (pydicom's, say; not
deprecations) ride along on it, one line each, instead of reaching the screen.

Importing this module imports neither pydicom nor numpy (the parent of worker
processes only plans and reports); the service is imported on first use.
"""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from hashlib import sha256
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from dicompress import frontend
from dicompress.cli import manifest, outputs, storage
from dicompress.cli.batch import Job, Options
from dicompress.cli.storage import Location
from dicompress.cli.study import LeftOut, Member

#: The status of a DICOMDIR whose turn comes once the files it lists are done.
DEFERRED = "deferred"
_SYNTAXES = {target.name: target.syntax for target in frontend.TARGETS}
_RLE_LABEL = next(target.label for target in frontend.TARGETS if target.name == "rle")
_SKIP_NON_IMAGE = "no Pixel Data: left out (--skip-non-image)"


@dataclass(frozen=True)
class Task:
    """One job with all a worker process needs to do it (picklable)."""

    job: Job
    output: Location  #: the output folder (a local path or a folder on object storage)
    options: Options
    records: tuple[manifest.Record, ...] = ()  #: the manifest's lines for the job's result
    members: dict[str, Member] | None = None  #: for a DICOMDIR's turn: what became of its files

    @property
    def target(self) -> Location:
        """The result's path."""
        return self.output / self.job.name


@dataclass(frozen=True)
class Outcome:
    """What happened to one job."""

    job: Job
    status: str  #: one of :data:`dicompress.frontend.STATUSES`, or :data:`DEFERRED`
    message: str = ""
    code: str = ""  #: for failures, skips and kept files: the error's code
    warnings: tuple[str, ...] = ()
    report: dict[str, Any] | None = None  #: the service's report of a conversion
    input_bytes: int | None = None
    output_bytes: int | None = None  #: the result's size, if there is a result
    syntax: str | None = None  #: the result's transfer syntax UID, if the conversion changed it
    plugin: str = ""  #: the RLE plugin that encoded or decoded, if any
    engine: str = field(default="", compare=False)  #: the service's engine in the process that did it


@dataclass(frozen=True)
class _Result:
    """The file to write for one job and how to describe it."""

    status: str
    file: BinaryIO  #: the result's content (read from its start)
    depends: dict[str, object]  #: the options it depends on, as the manifest records them
    message: str = ""
    report: dict[str, Any] | None = None
    syntax: str | None = None
    plugin: str = ""
    code: str = ""  #: for a kept file: the error's code


Progress = Callable[[int, int], None]


def run(task: Task, progress: Progress | None = None) -> Outcome:
    """Do one task; return its outcome, never raising for the file.

    Parameters
    ----------
    task : Task
        The job, the output folder, the options and the manifest's lines.
    progress : callable, optional
        Called with (frames done, frames in all) while converting.
    """
    from dicompress import service

    with frontend.file_warnings() as notes:
        try:
            outcome = _run(task, progress)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a bug, or a plugin's panic (pyo3's PanicException is no Exception)
            outcome = _failed(task.job, "unexpected", frontend.message("unexpected", error=type(exc).__name__))
    return replace(outcome, warnings=tuple(notes), engine=service.engine_name())


def lost(task: Task, pid: int, reason: str) -> Outcome:
    """Return the outcome of a task whose worker process `pid` stopped; remove what it left."""
    if isinstance(task.target, Path):  # objects on object storage are never partly there
        outputs.discard_left_by(task.target, pid)
    message = f"the converter process stopped on this file ({reason}); the other files went on"
    return _failed(task.job, "crashed", message)


def members(directory: Job, outcomes: Sequence[Outcome]) -> dict[str, Member]:
    """Return what became of the files below a DICOMDIR's folder, by their path relative to it."""
    folder, results = directory.source.parent, PurePosixPath(directory.name).parent
    found = {}
    for o in outcomes:
        if o.job != directory and storage.is_below(o.job.source, folder):
            name = PurePosixPath(o.job.name)
            relative = name.relative_to(results) if results.parts and name.is_relative_to(results) else name
            inside = o.job.source.relative_to(folder).as_posix()  # type: ignore[arg-type]
            found[inside] = Member(o.status, relative.as_posix(), o.syntax)
    return found


def prepare_worker() -> None:
    """Set up a worker process: Ctrl-C is the parent's business; SIGTERM removes partial files."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _terminated)
    import dicompress.service  # noqa: F401  (imported once per worker, before its first file)


def _terminated(signum: int, frame: object) -> None:
    """Leave at once, removing the result being written (a SIGTERM handler)."""
    outputs.discard_pending()
    os._exit(128 + signum)


def _run(task: Task, progress: Progress | None) -> Outcome:
    """Do one task; see :func:`run`."""
    job = task.job
    try:
        source = storage.open_input(job.source)
    except OSError as exc:
        return _failed(job, "unreadable", f"cannot read the file: {exc.strerror or exc}")
    with source:
        try:
            head = source.read(frontend.HEAD_BYTES)
            size, source_sha256 = _measure(source)
        except OSError as exc:
            return _failed(job, "unreadable", f"cannot read the file: {exc.strerror or exc}")
        reason = frontend.skip_reason(head, in_folder=job.in_folder)
        if reason:
            return Outcome(job, "skipped", reason, code="not-dicom", input_bytes=size)
        if storage.lexists(task.target) and not task.options.overwrite:
            return _existing(task, size, source_sha256)
        target = task.target
        try:
            new = (outputs.NewFile(target, replace=task.options.overwrite) if isinstance(target, Path)
                   else storage.NewObject(target, replace=task.options.overwrite))
        except OSError as exc:
            return _failed(job, "unwritable", f"cannot write {job.name}: {exc.strerror or exc}")
        with new:
            if task.members is not None:
                result = _directory_result(task, source)
            else:
                result = _file_result(task, source, _Sink(new.file), size, progress)
            return result if isinstance(result, Outcome) else _save(task, size, source_sha256, result, new)


class _Sink:
    """A file the service writes a result to, which remembers why it failed (a full disk...).

    Buffered writes may fail at any call that flushes (``seek``, ``read``...), not only at ``write``.
    """

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.failure: OSError | None = None
        self.write, self.read, self.seek, self.tell, self.truncate = (
            self._remembering(method) for method in (file.write, file.read, file.seek, file.tell, file.truncate))

    def _remembering(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """Return `method`, remembering the error if a call fails."""

        def call(*args: Any) -> Any:
            try:
                return method(*args)
            except OSError as exc:
                self.failure = exc
                raise

        return call


def _file_result(
    task: Task, source: BinaryIO, sink: _Sink, size: int, progress: Progress | None
) -> "_Result | Outcome":
    """Convert `source` into `sink`; copy it if it has no Pixel Data, keep it if it cannot be converted.

    A DICOMDIR is deferred.
    """
    from dicompress import service
    from dicompress.errors import ConversionError
    from dicompress.reading.dicom_input import is_directory

    options = task.options
    try:
        report = service.convert_file(
            source, sink, options.target, packing=options.packing, verify=options.verify,  # type: ignore[arg-type]
            progress=progress, limits=options.limits,
        ).as_dict()
    except ConversionError as exc:
        if sink.failure is not None:
            return _failed(task.job, "unwritable", f"cannot write {task.job.name}: {sink.failure.strerror or exc}")
        status = frontend.unconverted_status(exc.code, strict=options.strict)
        if status == "kept":  # valid DICOM this run cannot convert: the study stays whole
            return _Result("kept", source, options.result_options(), frontend.message("kept", reason=str(exc)),
                           code=exc.code)
        if status == "failed":
            return _failed(task.job, exc.code, str(exc))
        if not options.copy_non_image:
            return Outcome(task.job, "skipped", _SKIP_NON_IMAGE, code=exc.code, input_bytes=size)
        if is_directory(source):
            return Outcome(task.job, DEFERRED)
        return _Result("copied", source, {}, frontend.message("copied"))  # whatever the options
    plugin = report["plugin"] if report["plugin"] != "none" else ""
    if not plugin and report["source_syntax"] == _RLE_LABEL:
        plugin = service.encoding_plugin()  # it decoded the RLE input
    return _Result("converted", sink.file, options.result_options(), report=report,
                   syntax=_SYNTAXES[options.target], plugin=plugin)


def _directory_result(task: Task, source: BinaryIO) -> "_Result | Outcome":
    """Return the DICOMDIR `source` rewritten for its files' results, or why it is left out."""
    from dicompress.cli import study

    source.seek(0)
    data = source.read()  # a DICOMDIR is read whole: it is the directory, not an image
    try:
        rewritten, changed = study.rewrite(data, task.members or {}, task.job.source.parent)
    except LeftOut as exc:
        return Outcome(task.job, "skipped", str(exc), code="dicomdir-left-out", input_bytes=len(data))
    message = frontend.message("dicomdir_updated", count=changed) if changed else frontend.message("copied")
    return _Result("copied", BytesIO(rewritten), task.options.result_options(), message)


def _existing(task: Task, size: int, source_sha256: str) -> Outcome:
    """Return the outcome for a result that exists already: up to date, or in the way."""
    job, target = task.job, task.target
    in_the_way = f"{job.name} already exists in the output folder (use --overwrite to replace it)"
    if not target.is_file() or target.is_symlink():
        return _failed(job, "exists", in_the_way)
    found: dict[str, Any] = {"source_sha256": source_sha256, "result_sha256": _sha256_file(target),
                             "options": task.options.result_options()}
    record = manifest.find(task.records, **found)
    if record is None:  # perhaps another run wrote it since this one started: read its line
        record = manifest.find(manifest.load(task.output).get(job.name, ()), **found)
    if record is None:
        return _failed(job, "exists", in_the_way)
    if record.get("status") == "kept" and task.options.strict:
        return _failed(job, "kept", f"{job.name} was kept unchanged by an earlier run, not converted (--strict)")
    return Outcome(job, "up to date", input_bytes=size, output_bytes=storage.size(target),
                   syntax=record.get("syntax"))


def _save(task: Task, size: int, source_sha256: str, result: _Result,
          new: "outputs.NewFile | storage.NewObject") -> Outcome:
    """Record `result` in the manifest and put it in place through `new`; return the outcome."""
    job, target = task.job, task.target
    try:
        output_bytes, result_sha256 = _measure(result.file)
    except OSError as exc:
        return _failed(job, "unwritable", f"cannot write {job.name}: {exc.strerror or exc}")
    line = manifest.record(job.name, source_sha256=source_sha256, result_sha256=result_sha256,
                           status=result.status, syntax=result.syntax, options=result.depends)
    try:
        manifest.append(task.output, line)
        result.file.seek(0)
        new.keep(result.file)
    except FileExistsError:
        if target.is_file() and _sha256_file(target) == result_sha256:
            return Outcome(job, "up to date", "written meanwhile by another run", input_bytes=size,
                           output_bytes=output_bytes, syntax=result.syntax)
        return _failed(job, "exists", f"{job.name} was written meanwhile by another program; "
                                      "this result was discarded (use --overwrite to replace it)")
    except OSError as exc:
        return _failed(job, "unwritable", f"cannot write {job.name}: {exc.strerror or exc}")
    return Outcome(job, result.status, result.message, code=result.code, report=result.report, input_bytes=size,
                   output_bytes=output_bytes, syntax=result.syntax, plugin=result.plugin)


def _failed(job: Job, code: str, message: str) -> Outcome:
    """Return a failed outcome with `message` on one line."""
    return Outcome(job, "failed", frontend.one_line(message), code=code)


def _measure(file: BinaryIO) -> tuple[int, str]:
    """Return the size and the hex sha256 of `file`, read from its start a piece at a time."""
    file.seek(0)
    digest = sha256()
    size = 0
    while piece := file.read(storage.COPY_PIECE):
        digest.update(piece)
        size += len(piece)
    return size, digest.hexdigest()


def _sha256_file(path: Location) -> str:
    """Return the hex sha256 of the file or object `path`, read a piece at a time."""
    with storage.open_input(path) as file:
        return _measure(file)[1]
