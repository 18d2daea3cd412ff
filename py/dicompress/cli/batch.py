"""Planning a command-line run: the input files, in order, and the name of each result.

Results are named by the rule of :mod:`dicompress.frontend` (names kept, each folder
argument's tree mirrored below the output folder, `` (2)`` only where names collide).
The output folder may lie inside an input folder, or be one: the results an earlier run
recorded there (:mod:`dicompress.cli.manifest`) are never taken as inputs, and a result never
takes the name of an input that is already in the output folder.

Importing this module imports neither pydicom nor numpy.
"""

import os
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dicompress import frontend
from dicompress.cli.outputs import TEMP_SUFFIX
from dicompress.cli.storage import Location, Remote, is_below, walk
from dicompress.limits import DEFAULT_LIMITS, Limits

# On object storage: the command line's bookkeeping (the start of a part of a key).
_LEFT_OUT = (".dicompress-manifest",)


@dataclass(frozen=True)
class Options:
    """What the command line was asked to do with each file."""

    target: str
    packing: str
    verify: bool
    overwrite: bool
    copy_non_image: bool
    limits: Limits = DEFAULT_LIMITS
    strict: bool = False  #: fail files that would be kept unchanged (:func:`dicompress.frontend.unconverted_status`)

    def result_options(self) -> dict[str, object]:
        """Return what a result depends on, as the manifest records it."""
        packing = self.packing if self.target == "rle" else None
        return {"target": self.target, "packing": packing, "verified": self.verify}


@dataclass(frozen=True)
class Job:
    """One input file and the name of its result."""

    source: Location  #: the input, absolute, links resolved
    shown: str  #: the input as the person named it: an argument, or an argument joined with a path inside it
    name: str  #: the result's path in the output folder, ``/``-separated
    in_folder: bool  #: found while walking a folder (not named on the command line)
    size: int | None = field(default=None, compare=False)  #: the input's size, when listing told it


def plan(paths: Sequence[Location], output: Location, recorded: Collection[str] = ()) -> list[Job]:
    """Return a job per input file, its result named by :class:`dicompress.frontend.OutputNames`.

    Parameters
    ----------
    paths : sequence of Path or Remote
        Files and folders from the command line (folders on object storage are listed once).
    output : Path or Remote
        The results folder.
    recorded : collection of str
        Names of results recorded in the output folder's manifest (left out of folders).

    Returns
    -------
    list of Job
        Inputs in command-line order, each folder's files sorted by path; clutter,
        the command line's bookkeeping and recorded results are left out of folders.
    """
    results = output.resolve()
    found: list[tuple[Location, str, str, bool, int | None]] = []
    for path in paths:
        if isinstance(path, Remote) and path.is_dir():
            for relative, size in sorted(walk(path, _LEFT_OUT), key=lambda item: PurePosixPath(item[0]).parts):
                key = path / relative
                if not frontend.is_clutter(key.name) and not _is_recorded(key, results, recorded):
                    found.append((key, f"{path}/{relative}", relative, True, size))
        elif isinstance(path, Path) and path.is_dir():
            for relative in _walk(path):
                source = (path / relative).resolve()
                if not _is_recorded(source, results, recorded):
                    found.append((source, os.path.join(path, relative), relative, True, None))
        else:
            found.append((path.resolve(), str(path), path.name, False, None))
    names = frontend.OutputNames()
    for place, *_ in found:
        if is_below(place, results):
            names.reserve(_relative(place, results))
    return [Job(source, shown, names.take(name), in_folder, size) for source, shown, name, in_folder, size in found]


def _walk(folder: Path) -> list[str]:
    """Return the ``/``-separated paths of the files below `folder`, sorted, without clutter.

    Links to folders are not followed (they could lead back up the tree).
    """
    files = []
    for directory, subfolders, names in os.walk(folder):
        subfolders.sort()
        base = PurePosixPath(Path(directory).relative_to(folder).as_posix())
        files += [
            str(base / name) for name in names
            if not frontend.is_clutter(name) and not name.endswith(TEMP_SUFFIX)
            and os.path.isfile(os.path.join(directory, name))
        ]
    return sorted(files, key=lambda name: PurePosixPath(name).parts)


def _is_recorded(source: Location, results: Location, recorded: Collection[str]) -> bool:
    """Return whether `source` is a result recorded in the output folder `results`."""
    return is_below(source, results) and _relative(source, results) in recorded


def _relative(source: Location, folder: Location) -> str:
    """Return the ``/``-separated path of `source` in `folder` (on the same store)."""
    return source.relative_to(folder).as_posix()  # type: ignore[arg-type]


def clashes(jobs: Sequence[Job], output: Location) -> Iterator[Job]:
    """Yield the jobs whose result would land on an input file (through a link, say)."""
    inputs = {job.source for job in jobs}
    for job in jobs:
        if (output / job.name).resolve() in inputs:
            yield job
