"""DICOMDIR files copied next to converted files: they must not lie about them.

A DICOMDIR (a Media Storage Directory) lists the files of a file-set, each with its
path below the DICOMDIR's folder and the transfer syntax it is stored in (*Referenced
Transfer Syntax UID in File*). Once files are converted, the copied DICOMDIR must name
their new transfer syntax, and every file it lists must be in the output at the same
path. :func:`rewrite` does the first, with pydicom's public reading and writing only;
when the second cannot hold (a file it lists failed, was left out, or was saved under
another name), :class:`LeftOut` says why and the DICOMDIR is left out of the output
rather than copied wrong. Files it lists that are not in the input either are not our
doing: their records stay as they are.

A transfer syntax UID of another length moves every record after it, and records point
to each other by byte offset. pydicom's :class:`~pydicom.fileset.FileSet` rewrites those
offsets only while rewriting the whole file-set in place (its ``write``), so here the
DICOMDIR is written once to learn where each record lands (pydicom's reader gives each
item's position as ``seq_item_tell``), its offsets are moved to match, and it is written
again: offsets are fixed-size values, so the second writing has the first one's layout.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from dicompress import frontend

if TYPE_CHECKING:
    from dicompress.cli.storage import Location
    from pydicom.dataset import Dataset

_ROOT_OFFSETS = (
    "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity",
    "OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity",
)
_RECORD_OFFSETS = ("OffsetOfTheNextDirectoryRecord", "OffsetOfReferencedLowerLevelDirectoryEntity")
_KEPT = ("converted", "copied", "kept", "up to date")


@dataclass(frozen=True)
class Member:
    """What became of one file a DICOMDIR lists."""

    status: str  #: one of :data:`dicompress.frontend.STATUSES`
    name: str  #: its result's path relative to the DICOMDIR's result folder
    syntax: str | None = None  #: its result's transfer syntax UID, if the conversion changed it


class LeftOut(Exception):
    """The DICOMDIR cannot be copied truthfully; ``str(exc)`` says why, on one line."""


def rewrite(data: bytes, members: Mapping[str, Member], folder: "Location") -> tuple[bytes, int]:
    """Return the DICOMDIR `data` naming the new transfer syntax of its converted files.

    Parameters
    ----------
    data : bytes
        The DICOMDIR file.
    members : mapping of str to Member
        What became of the files of this run below the DICOMDIR's folder, by their path
        relative to it (``/``-separated, compared regardless of case).
    folder : Path or Remote
        The DICOMDIR's own folder in the input.

    Returns
    -------
    tuple of bytes and int
        The new DICOMDIR (`data` itself if nothing changed) and how many records changed.

    Raises
    ------
    LeftOut
        If a file it lists is not in the output where it says.
    """
    from pydicom import dcmread

    ds = dcmread(BytesIO(data))
    by_path = {path.casefold(): member for path, member in members.items()}
    records = list(ds.get("DirectoryRecordSequence") or [])
    changed = 0
    for record in records:
        if "ReferencedFileID" not in record:
            continue
        parts = record.ReferencedFileID
        path = "/".join([parts] if isinstance(parts, str) else parts)
        syntax = _new_syntax(path, by_path.get(path.casefold()), folder)
        if syntax and record.get("ReferencedTransferSyntaxUIDInFile") != syntax:
            record.ReferencedTransferSyntaxUIDInFile = syntax
            changed += 1
    if not changed:
        return data, 0
    return _with_moved_offsets(ds, records), changed


def _new_syntax(path: str, member: Member | None, folder: "Location") -> str | None:
    """Return the new transfer syntax of the file a record lists, ``None`` if it is unchanged."""
    if member is None:
        if (folder / path).exists():
            raise LeftOut(frontend.message("dicomdir_left_out", file=path, fate="is not part of this run"))
        return None
    if member.status not in _KEPT:
        fate = "failed" if member.status == "failed" else f"was {member.status}"
        raise LeftOut(frontend.message("dicomdir_left_out", file=path, fate=fate))
    if member.name.casefold() != path.casefold():
        raise LeftOut(frontend.message("dicomdir_left_out", file=path, fate=f"was saved as {member.name}"))
    return member.syntax


def _with_moved_offsets(ds: "Dataset", records: list["Dataset"]) -> bytes:
    """Return `ds` written with its record offsets moved to where its `records` now are."""
    from pydicom import dcmread

    before = [record.seq_item_tell for record in records]
    after = [record.seq_item_tell for record in dcmread(BytesIO(_written(ds))).DirectoryRecordSequence]
    moved = {0: 0, **dict(zip(before, after, strict=True))}
    holders = [(ds, _ROOT_OFFSETS)] + [(record, _RECORD_OFFSETS) for record in records]
    for holder, keywords in holders:
        for keyword in keywords:
            if keyword in holder:
                offset = holder[keyword].value
                if offset not in moved:
                    raise LeftOut(f"DICOMDIR left out: its {keyword} {offset} points to no record")
                holder[keyword].value = moved[offset]
    return _written(ds)


def _written(ds: "Dataset") -> bytes:
    """Return `ds` written as it was read (preamble, file meta and transfer syntax kept)."""
    buffer = BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()
