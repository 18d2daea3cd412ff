"""The record of the results in an output folder, which makes runs resumable.

Each result the command line writes gets one JSON line in the file
:data:`~dicompress.frontend.MANIFEST_NAME` at the top of its output folder: its name
there, the sha256 of its input and of itself, what it is (``converted``, ``copied``
or ``kept``), its transfer syntax when that changed, and the options it was made with.
A result is *up to date* when its file's sha256 equals that of a line for its name with
the same input sha256 and the same values of the options the line names (a file copied
unchanged names none; a verified result also serves a run without verification).

Why a file beside the results rather than a mark inside each (its file meta has room
for private information): copied files must stay byte for byte what they were, RLE
results stay byte-identical to pydicom's plugin, checking a result needs no DICOM
parser, and the record names the results, so a run whose output folder is also its
input folder knows which files there are its own and never takes them as inputs.

Lines are only ever appended, each with a single ``write`` to a file opened with
``O_APPEND``, so the worker processes of one run and several runs at once never
interleave them; a line is written just before its result is put in place, so a result
never exists without its line (a line whose result never came is harmless).
"""

import json
import os
from collections.abc import Iterable, Mapping
from secrets import token_hex
from typing import Any

from dicompress import __version__
from dicompress.cli.storage import Location, Remote
from dicompress.frontend import MANIFEST_NAME

#: The folder of the manifest's shards in an output folder on object storage.
SHARDS = ".dicompress-manifest.d"
#: Lines per shard: a shard is rewritten whole with each line, so it stays small.
SHARD_LINES = 100
# This process's shard in each output folder on object storage: its key and its lines.
_shards: dict[Remote, tuple[Remote, list[bytes]]] = {}

#: One line of the manifest.
Record = dict[str, Any]

_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def load(folder: Location) -> dict[str, list[Record]]:
    """Return the lines of the manifest in `folder` by result name (none if it has none).

    Lines that cannot be read (e.g. cut short by a full disk) are ignored, and so is a
    manifest that cannot be read: its results are then not known to be up to date.
    """
    try:
        if isinstance(folder, Remote):
            text = b"".join(_read_shards(folder).values()).decode("utf-8", errors="replace")
        else:
            text = (folder / MANIFEST_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    records: dict[str, list[Record]] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            records.setdefault(record["name"], []).append(record)
    return records


def append(folder: Location, record: Record) -> None:
    """Append `record` to the manifest in `folder`, creating both if needed.

    Raises
    ------
    OSError
        If the manifest cannot be written (e.g. the disk is full).
    """
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    if isinstance(folder, Remote):
        _append_to_shard(folder, line)
        return
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder / MANIFEST_NAME, _APPEND_FLAGS, 0o666)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def record(
    name: str, *, source_sha256: str, result_sha256: str, status: str, syntax: str | None,
    options: Mapping[str, Any],
) -> Record:
    """Return the line for one result.

    Parameters
    ----------
    name : str
        The result's path in the output folder, ``/``-separated.
    source_sha256, result_sha256 : str
        Hex digests of the input and of the result.
    status : str
        ``"converted"``, ``"copied"`` or ``"kept"``.
    syntax : str or None
        The result's Transfer Syntax UID if the conversion changed it.
    options : mapping
        The options the result depends on (see :func:`find`).
    """
    return {
        "name": name, "source_sha256": source_sha256, "result_sha256": result_sha256,
        "status": status, "syntax": syntax, "options": dict(options), "version": __version__,
    }


def find(records: Iterable[Record], *, source_sha256: str, result_sha256: str,
         options: Mapping[str, Any]) -> Record | None:
    """Return the last of `records` that makes a result up to date, or ``None``.

    Parameters
    ----------
    records : iterable of Record
        The manifest's lines for the result's name.
    source_sha256, result_sha256 : str
        Hex digests of the input now and of the result file now.
    options : mapping
        The options of this run: ``target``, ``packing`` and ``verified``.
    """
    found = None
    for line in records:
        if (line.get("source_sha256") == source_sha256 and line.get("result_sha256") == result_sha256
                and _serves(line.get("options") or {}, options)):
            found = line
    return found


def _serves(made: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Return whether a result that depends on options `made` is what options `wanted` ask for."""
    same = all(wanted.get(key) == value for key, value in made.items() if key != "verified")
    return same and (made.get("verified", True) or not wanted.get("verified"))


def merge(folder: Remote) -> None:
    """Gather the shards of the manifest in `folder` into one (see the module's notes)."""
    shards = _read_shards(folder)
    if len(shards) > 1:
        merged = _new_shard(folder)
        merged.fs.pipe_file(merged.path, b"".join(shards.values()))
        folder.fs.rm(list(shards))
    _shards.pop(folder, None)


def _read_shards(folder: Remote) -> dict[str, bytes]:
    """Return the content of each shard of the manifest in `folder`, by key."""
    shards = folder / SHARDS
    if not shards.fs.exists(shards.path):
        return {}
    keys = [key for key in shards.fs.find(shards.path) if key.endswith(".jsonl")]
    if not keys:
        return {}
    return {key: bytes(data) for key, data in shards.fs.cat(keys, on_error="omit").items()}


def _append_to_shard(folder: Remote, line: bytes) -> None:
    """Rewrite this process's shard in `folder` with `line` added (a new shard when it is full)."""
    shard, lines = _shards.get(folder) or (_new_shard(folder), [])
    if len(lines) >= SHARD_LINES:
        shard, lines = _new_shard(folder), []
    shard.fs.pipe_file(shard.path, b"".join([*lines, line]))
    _shards[folder] = (shard, [*lines, line])


def _new_shard(folder: Remote) -> Remote:
    """Return a new shard's key, random so that no other process picks it."""
    return folder / SHARDS / f"{token_hex(16)}.jsonl"
