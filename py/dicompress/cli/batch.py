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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dicompress import frontend
from dicompress.cli.outputs import TEMP_SUFFIX
from dicompress.limits import DEFAULT_LIMITS, Limits


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

    source: Path  #: the input, absolute, links resolved
    shown: str  #: the input as the person named it: an argument, or an argument joined with a path inside it
    name: str  #: the result's path in the output folder, ``/``-separated
    in_folder: bool  #: found while walking a folder (not named on the command line)


def plan(paths: Sequence[Path], output: Path, recorded: Collection[str] = ()) -> list[Job]:
    """Return a job per input file, its result named by :class:`dicompress.frontend.OutputNames`.

    Parameters
    ----------
    paths : sequence of Path
        Files and folders from the command line.
    output : Path
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
    found: list[tuple[Path, str, str, bool]] = []
    for path in paths:
        if path.is_dir():
            for relative in _walk(path):
                source = (path / relative).resolve()
                if not _is_recorded(source, results, recorded):
                    found.append((source, os.path.join(path, relative), relative, True))
        else:
            found.append((path.resolve(), str(path), path.name, False))
    names = frontend.OutputNames()
    for source, *_ in found:
        if source.is_relative_to(results):
            names.reserve(source.relative_to(results).as_posix())
    return [Job(source, shown, names.take(name), in_folder) for source, shown, name, in_folder in found]


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


def _is_recorded(source: Path, results: Path, recorded: Collection[str]) -> bool:
    """Return whether `source` is a result recorded in the output folder `results`."""
    return source.is_relative_to(results) and source.relative_to(results).as_posix() in recorded


def clashes(jobs: Sequence[Job], output: Path) -> Iterator[Job]:
    """Yield the jobs whose result would land on an input file (through a link, say)."""
    inputs = {job.source for job in jobs}
    for job in jobs:
        if (output / job.name).resolve() in inputs:
            yield job
