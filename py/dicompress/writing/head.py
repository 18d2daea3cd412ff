"""The head of a converted file, as pydicom's ``dcmwrite`` writes it: preamble, file meta, elements.

When a data set is written in the encoding it was read in, pydicom's ``write_dataset`` writes
each element it never decoded (a raw element) as its tag, VR, length and the raw bytes of its
value. Through pydicom's ``write_data_element`` that costs a dozen Python calls per element,
the bulk of a small file's conversion; :func:`head_parts` writes such an element with one
``struct.pack`` instead, byte for byte as pydicom writes it. pydicom still writes the file
meta (``write_file_meta_info``, as ``dcmwrite`` calls it, but on the data set's own file
meta rather than a deep copy), every element it decoded, every raw element of another kind
(undefined length, a value too long for its VR's length field), and the whole head wherever
the encoding or the character set changes (it then decodes every element).
"""

import zlib
from io import BytesIO
from struct import pack

from pydicom import dcmwrite
from pydicom.charset import default_encoding
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.tag import tag_in_exception
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32

__all__ = ["head_parts"]

_UNDEFINED = 0xFFFFFFFF
#: Media Storage SOP Class and Instance UIDs in the file meta, and the data set's SOP Class and Instance UIDs.
_SOP_UIDS = (("MediaStorageSOPClassUID", "SOPClassUID"), ("MediaStorageSOPInstanceUID", "SOPInstanceUID"))
#: Group length elements of groups above 6 are retired: pydicom does not write them (PS3.5 7.2).
_LAST_GROUP_WITH_LENGTH = 0x0006FFFF


def head_parts(ds: Dataset, syntax: UID) -> tuple[bytes, bytes]:
    """Return what ``dcmwrite(fp, ds, enforce_file_format=True)`` writes, in two parts.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set, its file meta naming `syntax` already. Like ``dcmwrite``, this decodes
        in place its SOP Class and Instance UIDs and its Specific Character Set; its file
        meta gets what ``dcmwrite`` gives the copy it writes: the data set's SOP UIDs where
        they differ, the elements the standard requires, the group length written.
    syntax : pydicom.uid.UID
        The transfer syntax it is written in.

    Returns
    -------
    tuple of bytes
        The preamble, ``DICM`` and the file meta; then the data set's elements, not deflated
        even when `syntax` is Deflated Explicit VR Little Endian.
    """
    if not _keeps_encoding(ds, syntax):
        data = _written(ds)
        end = _meta_end(data)
        elements = data[end:]
        if syntax == DeflatedExplicitVRLittleEndian:
            elements = zlib.decompressobj(-zlib.MAX_WBITS).decompress(elements)
        return data[:end], elements
    return _file_meta(ds), _elements(ds)


def _file_meta(ds: Dataset) -> bytes:
    """Return the preamble, ``DICM`` and the file meta of `ds`, as ``dcmwrite`` writes them in the file format."""
    meta = ds.file_meta
    for meta_keyword, keyword in _SOP_UIDS:
        ours, theirs = ds.get(keyword), meta.get(meta_keyword)
        if theirs is None or (ours and ours != theirs):
            setattr(meta, meta_keyword, ours)
    output = DicomBytesIO()
    output.is_implicit_VR, output.is_little_endian = False, True
    output.write((getattr(ds, "preamble", None) or bytes(128)) + b"DICM")
    write_file_meta_info(output, meta, enforce_standard=True)  # checks and completes it first
    return output.getvalue()


def _keeps_encoding(ds: Dataset, syntax: UID) -> bool:
    """Return whether pydicom writes `ds` in `syntax` with its raw elements as they are (``write_dataset``).

    Explicit VR Little Endian only, the encoding of every target.
    """
    encoding = (syntax.is_implicit_VR, syntax.is_little_endian)
    return (
        encoding == (False, True)
        and ds.original_encoding == encoding
        and ds.original_character_set == ds._character_set
        and len(getattr(ds, "preamble", None) or bytes(128)) == 128  # else dcmwrite refuses it
    )


def _written(ds: Dataset) -> bytes:
    """Return `ds` written by ``dcmwrite`` in the file format."""
    written = BytesIO()
    dcmwrite(written, ds, enforce_file_format=True)
    return written.getvalue()


def _meta_end(data: bytes) -> int:
    """Return where the file meta of the written file `data` ends."""
    return 144 + int.from_bytes(data[140:144], "little")  # after (0002,0000) File Meta Information Group Length


def _elements(ds: Dataset) -> bytes:
    """Return the elements of `ds` as ``write_dataset`` writes them in its own encoding, Explicit VR Little Endian."""
    output = DicomBytesIO()
    output.is_implicit_VR, output.is_little_endian = False, True
    encodings = ds.get("SpecificCharacterSet", default_encoding)
    # In tag order, as stored; tags compared as ints (pydicom's BaseTag compares in Python).
    for number, element in sorted(zip(map(int, ds.keys()), ds.values())):
        if number & 0xFFFF == 0 and number > _LAST_GROUP_WITH_LENGTH:
            continue
        if isinstance(element, RawDataElement) and element.value is None:
            element = ds.get_item(number)  # a deferred value: read and decoded, as write_dataset's get_item does
        raw = _raw_element(element)
        if raw is None:
            with tag_in_exception(element.tag):
                write_data_element(output, element, encodings)
        else:
            output.write(raw)
    return output.getvalue()


def _raw_element(element: DataElement | RawDataElement) -> bytes | None:
    """Return a raw element as ``write_data_element`` writes it (header and value), ``None`` for any other element.

    Its value is at most :data:`~dicompress.reading.deferred.DEFER_SIZE` bytes: longer ones
    were left in the file, and are read and decoded to be written.
    """
    if not isinstance(element, RawDataElement) or element.length == _UNDEFINED:
        return None
    vr, value = element.VR, element.value
    if not isinstance(vr, str) or len(vr) != 2 or not isinstance(value, bytes):
        return None
    group, number = element.tag >> 16, element.tag & 0xFFFF
    if vr in EXPLICIT_VR_LENGTH_32:
        return pack("<HH2sHL", group, number, bytes(vr, default_encoding), 0, len(value)) + value
    if len(value) > 0xFFFF:
        return None  # pydicom writes it as UN, with a warning
    return pack("<HH2sH", group, number, bytes(vr, default_encoding), len(value)) + value
