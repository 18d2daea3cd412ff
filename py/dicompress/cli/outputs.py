"""Writing result files safely: created exclusively, put in place atomically, never half.

A result is written once, to a new temporary file in its target folder (:class:`NewFile`:
the conversion writes straight into it), created with
``O_CREAT | O_EXCL`` under a name with a random part: an existing file, or a symbolic
link someone placed there, is never opened, let alone followed (another name is
tried). The finished file is then hard-linked to its name with :func:`os.link`, which
fails if anything already has that name, so a result another run wrote meanwhile is
never clobbered; with ``replace=True`` (``--overwrite``) :func:`os.replace` puts it in
place instead, which replaces a link itself rather than writing through it. Where a
file system has no hard links, a rename after checking the name is free is the
fallback (with a moment's race against other runs).

Whatever goes wrong in between (disk full, a file size limit, Ctrl-C, the process being
terminated), the temporary file is removed (with the folders made for it, if empty): by
leaving the :class:`NewFile` block in the writing process, by
:func:`discard_pending` from a worker's SIGTERM handler, or by :func:`discard_left_by`
from the parent after a worker was killed (or :func:`discard_orphans`, when a Dask nanny
restarted it). Files are not synced to disk: a result is
whole or absent for other programs, not necessarily after a power cut.
"""

import errno
import io
import os
import shutil
from pathlib import Path
from secrets import token_hex
from typing import TYPE_CHECKING, BinaryIO

from dicompress.cli.storage import COPY_PIECE

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: The end of every temporary file's name; folder walks leave such files out.
TEMP_SUFFIX = ".dicompress-tmp"
# Keeps temporary names within the 255 bytes most file systems allow.
_NAME_PART = 100
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
# The temporary files this process is writing now, for discard_pending().
_pending: set[str] = set()


class NewFile:
    """A result being written: a new temporary file next to its name, given that name by :meth:`keep`.

    Used as a context manager: leaving the block removes the temporary file, and the
    folders made for it if the result was not kept, whatever happened inside.

    Parameters
    ----------
    path : Path
        The result's name; its folders are made if missing.
    replace : bool, optional
        If ``True`` replace whatever has the name `path`; otherwise (default) fail.

    Attributes
    ----------
    file : file object
        The temporary file, open for writing and reading (buffered; ``seek``, ``tell``,
        ``truncate`` too), at position 0.
    """

    def __init__(self, path: Path, *, replace: bool = False) -> None:
        self.path, self.replace = path, replace
        self._made = _make_folders(path.parent)
        try:
            descriptor, self._temporary = _create_temporary(path)
        except BaseException:
            _remove_folders(self._made)
            raise
        self.file: BinaryIO = io.BufferedRandom(_TemporaryFile(descriptor, "r+b"))  # type: ignore[assignment]
        self._kept = False

    def __enter__(self) -> "NewFile":
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.file.close()
        except OSError:
            pass  # what could not be written is discarded anyway
        finally:
            _pending.discard(self._temporary)
            try:
                os.unlink(self._temporary)
            except FileNotFoundError:
                pass
            if not self._kept:
                _remove_folders(self._made)

    def keep(self, content: BinaryIO | None = None) -> None:
        """Give the result its name: what was written to :attr:`file`, or `content` written there first.

        Parameters
        ----------
        content : file object, optional
            The result's content, read from its position a piece at a time; if given,
            it replaces whatever :attr:`file` holds.

        Raises
        ------
        FileExistsError
            If the name is taken (perhaps meanwhile by another program) and not `replace`.
        OSError
            If the file cannot be written.
        """
        if content is not None and content is not self.file:
            self.file.seek(0)
            self.file.truncate()
            shutil.copyfileobj(content, self.file, COPY_PIECE)
        self.file.close()  # flushes: a full disk shows here, before the name is given
        if self.replace:
            os.replace(self._temporary, self.path)
        else:
            _link_new(self._temporary, self.path)
        self._kept = True


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
    with NewFile(path, replace=replace) as new:
        new.keep(source)


class _TemporaryFile(io.FileIO):
    """A temporary file's descriptor, written whole at each call (:func:`_write_all`)."""

    def write(self, data: "ReadableBuffer", /) -> int:
        """Write all of `data`; return its length."""
        _write_all(self.fileno(), data)
        return memoryview(data).nbytes


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and the folders above it that are missing; return those made, deepest first."""
    missing = [folder, *folder.parents]
    missing = missing[: next((i for i, f in enumerate(missing) if f.is_dir()), len(missing))]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_folders(folders: list[Path]) -> None:
    """Remove the `folders` (deepest first) that are empty; another process may have filled them."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


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
        except FileNotFoundError:  # another process removed the folder it made, finding it empty
            _pending.discard(temporary)
            path.parent.mkdir(parents=True, exist_ok=True)


def _write_all(descriptor: int, data: "ReadableBuffer") -> None:
    """Write all of `data` to an open file (:func:`os.write` may write less at a time)."""
    view = memoryview(data).cast("B")
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
