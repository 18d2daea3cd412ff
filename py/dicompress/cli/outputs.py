"""Writing result files safely: created exclusively, put in place atomically, never half.

A result is first written to a new temporary file in its target folder, created with
``O_CREAT | O_EXCL`` under a name with a random part: an existing file, or a symbolic
link someone placed there, is never opened, let alone followed (another name is
tried). The finished file is then hard-linked to its name with :func:`os.link`, which
fails if anything already has that name, so a result another run wrote meanwhile is
never clobbered; with ``replace=True`` (``--overwrite``) :func:`os.replace` puts it in
place instead, which replaces a link itself rather than writing through it. Where a
file system has no hard links, a rename after checking the name is free is the
fallback (with a moment's race against other runs).

Whatever goes wrong in between (disk full, a file size limit, Ctrl-C, the process being
terminated), the temporary file is removed: by ``finally`` in the writing process, by
:func:`discard_pending` from a worker's SIGTERM handler, or by :func:`discard_left_by`
from the parent after a worker was killed (or :func:`discard_orphans`, when a Dask nanny
restarted it). Files are not synced to disk: a result is
whole or absent for other programs, not necessarily after a power cut.
"""

import errno
import os
from pathlib import Path
from secrets import token_hex
from typing import BinaryIO

from dicompress.cli.storage import COPY_PIECE

#: The end of every temporary file's name; folder walks leave such files out.
TEMP_SUFFIX = ".dicompress-tmp"
# Keeps temporary names within the 255 bytes most file systems allow.
_NAME_PART = 100
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
# The temporary files this process is writing now, for discard_pending().
_pending: set[str] = set()


def write_new(path: Path, source: BinaryIO, *, replace: bool = False) -> None:
    """Write the content of `source` as the file `path`, whole or not at all, creating its folders.

    Parameters
    ----------
    path : Path
        The result's name.
    source : file object
        Its content, read from its position a piece at a time.
    replace : bool, optional
        If ``True`` replace whatever has the name `path`; otherwise (default) fail.

    Raises
    ------
    FileExistsError
        If `path` exists (perhaps written meanwhile by another program) and not `replace`.
    OSError
        If the file cannot be written; nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = _create_temporary(path)
    try:
        try:
            while piece := source.read(COPY_PIECE):
                _write_all(descriptor, piece)
        finally:
            os.close(descriptor)
        if replace:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    finally:
        _pending.discard(temporary)
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass


def _create_temporary(path: Path) -> tuple[int, str]:
    """Create a new, empty temporary file next to `path`; return its descriptor and name."""
    while True:
        name = f".{path.name[:_NAME_PART]}.{os.getpid()}-{token_hex(4)}{TEMP_SUFFIX}"
        temporary = str(path.with_name(name))
        _pending.add(temporary)
        try:
            return os.open(temporary, _OPEN_FLAGS, 0o666), temporary
        except FileExistsError:
            _pending.discard(temporary)  # someone else's file or link: never touch it


def _write_all(descriptor: int, data: bytes) -> None:
    """Write all of `data` to an open file (:func:`os.write` may write less at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _link_new(temporary: str, path: Path) -> None:
    """Give the finished `temporary` file the name `path` unless that name is taken."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.rename(temporary, path)


def discard_pending() -> None:
    """Remove the temporary files this process is writing (from a signal handler)."""
    for temporary in list(_pending):
        try:
            os.unlink(temporary)
        except OSError:
            pass


def discard_orphans(folder: Path) -> None:
    """Remove the temporary files in `folder` whose writing process is no longer running here.

    For workers that were killed without the parent knowing their ids (Dask's nannies
    restart them); only processes on this machine can be checked, so only folders
    that this machine's processes write are to be given.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        pid = name.removesuffix(TEMP_SUFFIX).rpartition(".")[2].partition("-")[0]
        if name.endswith(TEMP_SUFFIX) and pid.isdigit() and not _running(int(pid)):
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def _running(pid: int) -> bool:
    """Return whether a process `pid` runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's: running
    return True


def discard_left_by(path: Path, pid: int) -> None:
    """Remove the temporary files a stopped process `pid` left while writing `path`."""
    prefix = f".{path.name[:_NAME_PART]}.{pid}-"
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(path.parent / name)
            except OSError:
                pass
