"""Inputs and results on object storage: fsspec URLs (``s3://``, ``gs://``...) next to local paths.

A command-line argument is a local :class:`~pathlib.Path`, or a :class:`Remote` when it
names another fsspec protocol; ``file://`` URLs are local paths. A :class:`Remote` has the
few path operations the run needs (``/``, ``name``, ``parent``, ``relative_to``,
``read_bytes``...) and reaches its store through :func:`fsspec.filesystem` with the
``--storage-option`` values; credentials come the ways s3fs and gcsfs read them (their
environment variables, configuration files, instance roles), never from the command line.

A result is written as one whole object (:func:`write_new`): S3 and Google Cloud Storage
make an object visible only once its upload is complete, a single PUT or a completed
multipart upload, so a worker killed mid-write leaves nothing under the result's key.

Importing this module imports no fsspec: a run with local paths only needs none of the
``[s3]``/``[gcs]`` extras.
"""

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

#: Bytes copied at a time.
COPY_PIECE = 1 << 20
#: The ``pip install`` that brings each protocol's fsspec implementation.
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}


class MissingExtra(Exception):
    """A feature needs packages that are not installed; ``str(exc)`` names the ``pip install``."""


def install_hint(extra: str) -> str:
    """Return the command that installs the optional dependencies `extra`."""
    return f'pip install "dicompress[{extra}]"'


@dataclass(frozen=True)
class Remote:
    """A file or folder (a key or a prefix) on an fsspec file system; picklable.

    Attributes
    ----------
    protocol : str
        The fsspec protocol, e.g. ``"s3"``.
    path : str
        The path without the protocol, ``/``-separated, e.g. ``"bucket/study/IM1"``.
    options : tuple of (str, object) pairs
        The storage options given to :func:`fsspec.filesystem`.
    """

    protocol: str
    path: str
    options: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.protocol}://{self.path}"

    def __truediv__(self, name: str) -> "Remote":
        return Remote(self.protocol, f"{self.path}/{name}".strip("/"), self.options)

    @property
    def name(self) -> str:
        """The last part of the path."""
        return PurePosixPath(self.path).name

    @property
    def parent(self) -> "Remote":
        """The folder (prefix) holding this object."""
        return Remote(self.protocol, str(PurePosixPath(self.path).parent), self.options)

    def is_relative_to(self, other: object) -> bool:
        """Return whether this lies below (or is) `other`, on the same store."""
        return (isinstance(other, Remote) and other.protocol == self.protocol
                and PurePosixPath(self.path).is_relative_to(other.path))

    def relative_to(self, other: "Remote") -> PurePosixPath:
        """Return this path relative to `other`."""
        return PurePosixPath(self.path).relative_to(other.path)

    def resolve(self) -> "Remote":
        """Return itself: object stores have no links to resolve."""
        return self

    @property
    def fs(self) -> Any:
        """The fsspec file system (fsspec caches one per protocol and options)."""
        try:
            import fsspec

            return fsspec.filesystem(self.protocol, **dict(self.options))
        except ImportError as exc:
            extra = EXTRAS.get(self.protocol, "s3")
            raise MissingExtra(f"{self} needs optional packages: {install_hint(extra)}") from exc

    def exists(self) -> bool:
        """Return whether an object or a prefix has this path."""
        return bool(self.fs.exists(self.path))

    def is_dir(self) -> bool:
        """Return whether this is a prefix (a folder) rather than an object."""
        return bool(self.fs.isdir(self.path))

    def is_file(self) -> bool:
        """Return whether this is an object."""
        return bool(self.fs.isfile(self.path))

    def is_symlink(self) -> bool:
        """Return ``False``: object stores have no links."""
        return False

    def read_bytes(self) -> bytes:
        """Return the object's content."""
        return bytes(self.fs.cat_file(self.path))

    def open(self) -> BinaryIO:
        """Return the object opened for reading (read, seek and tell, in pieces)."""
        return self.fs.open(self.path, "rb")  # type: ignore[no-any-return]

    def size(self) -> int:
        """Return the object's size in bytes."""
        return int(self.fs.size(self.path))


#: Where inputs are read and results written.
Location = Path | Remote


def location(text: str, options: Mapping[str, Any] | None = None) -> Location:
    """Return the :class:`Remote` an fsspec URL names, or the local path `text` names.

    ``file://`` URLs are local paths; Windows drive letters are not protocols.
    """
    scheme = urlsplit(text).scheme
    if len(scheme) < 2:
        return Path(text)
    if scheme == "file":
        return Path(unquote(urlsplit(text).path))
    path = text.split("://", 1)[1].strip("/")
    return Remote(scheme, path, tuple(sorted((options or {}).items())))


def parse_option(text: str) -> tuple[str, Any]:
    """Parse one ``--storage-option KEY=VALUE``; a VALUE that is JSON (true, 3, {...}) is decoded."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def is_below(path: Location, folder: Location) -> bool:
    """Return whether `path` lies below (or is) `folder`, on the same file system."""
    if isinstance(path, Remote):
        return path.is_relative_to(folder)
    return isinstance(folder, Path) and path.is_relative_to(folder)


def open_input(path: Location) -> BinaryIO:
    """Return the file or object `path` opened for reading."""
    return path.open() if isinstance(path, Remote) else path.open("rb")


def size(path: Location) -> int:
    """Return the size of the file or object `path`."""
    return path.size() if isinstance(path, Remote) else path.stat().st_size


def lexists(path: Location) -> bool:
    """Return whether anything (a link too) has the name `path`."""
    if isinstance(path, Remote):
        return path.exists()
    import os

    return os.path.lexists(path)


def walk(folder: Remote, leave_out: Sequence[str]) -> Iterator[tuple[str, int]]:
    """Yield the ``/``-separated path and size of every object below `folder`, listing it once.

    Objects whose path has a part starting with one of `leave_out` are left out.
    """
    found = folder.fs.find(folder.path, detail=True)
    for key, info in found.items():
        relative = PurePosixPath(key.strip("/")).relative_to(folder.path)
        if info.get("type", "file") == "file" and not any(
                part.startswith(prefix) for part in relative.parts for prefix in leave_out):
            yield relative.as_posix(), int(info.get("size") or 0)


class NewObject:
    """A result for object storage being written: a local temporary file, uploaded whole by :meth:`keep`.

    The conversion reads back what it wrote, which an object being uploaded cannot give, so
    the result is made locally first. Used as a context manager: leaving the block removes
    the local file.

    Parameters
    ----------
    path : Remote
        The result's key.
    replace : bool, optional
        If ``True`` replace an existing object; otherwise (default) fail if one exists.

    Attributes
    ----------
    file : file object
        The local temporary file, open for writing and reading, at position 0.
    """

    def __init__(self, path: Remote, *, replace: bool = False) -> None:
        self.path, self.replace = path, replace
        self.file: BinaryIO = tempfile.NamedTemporaryFile(prefix="dicompress-")  # type: ignore[assignment]

    def __enter__(self) -> "NewObject":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()

    def keep(self, content: BinaryIO | None = None) -> None:
        """Upload what was written to :attr:`file`, or `content` (from its start), as :func:`write_new` does."""
        if content is None or content is self.file:
            self.file.flush()  # the upload reads the file by name
            content = self.file
        content.seek(0)
        write_new(self.path, content, replace=self.replace)


def write_new(path: Remote, source: BinaryIO, *, replace: bool = False) -> None:
    """Upload the content of the local file `source` as the object `path`, so it is whole or absent.

    Parameters
    ----------
    path : Remote
        The result's key.
    source : file object
        Its content, from its start: a local file with a name or ``BytesIO`` is uploaded as
        it is, anything else (an input on object storage) through a local temporary file.
    replace : bool, optional
        If ``True`` replace an existing object; otherwise (default) fail if one exists.

    Raises
    ------
    FileExistsError
        If the object exists and not `replace`. Stores that take conditional writes
        (S3's ``If-None-Match``, through s3fs's ``mode="create"``) refuse it themselves;
        elsewhere an object written between the check and the upload is replaced.
    OSError
        If the object cannot be written.
    """
    name = getattr(source, "name", None)
    if not isinstance(source, BytesIO) and not (isinstance(name, str) and os.path.isfile(name)):
        # Not a local file (an input on object storage, copied unchanged): through a local one.
        with tempfile.NamedTemporaryFile(prefix="dicompress-") as local:
            shutil.copyfileobj(source, local, COPY_PIECE)
            local.flush()
            write_new(path, local, replace=replace)  # type: ignore[arg-type]
        return
    if isinstance(source, BytesIO):
        put: Any = lambda **mode: path.fs.pipe_file(path.path, source.getvalue(), **mode)  # noqa: E731
    else:
        put = lambda **mode: path.fs.put_file(name, path.path, **mode)  # noqa: E731
    if replace:
        put()
        return
    if path.fs.exists(path.path):
        raise FileExistsError(17, "File exists", str(path))
    try:
        put(mode="create")
    except TypeError:  # an fsspec implementation without write modes
        put()

