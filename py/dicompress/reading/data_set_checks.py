"""Checks on a data set before pydicom reads it whole or writes anything from it.

pydicom decodes a raw element when it is first used, often while writing, and writes nested
sequences recursively, wrapping every failure on the way up in a new message that repeats
the one before together with its traceback (``pydicom.tag.tag_in_exception``): a failure 30
levels deep makes a message of 2**30 tracebacks. So nothing may fail inside a write:

* :func:`check_stack_room` refuses nesting deeper than Python's stack holds for pydicom's
  recursion, before pydicom reads the file;
* :func:`check_elements` decodes every element once, on the side, right after reading. The
  data set keeps its raw elements, which pydicom then copies byte for byte where the
  encoding does not change. A short raw element with an explicit VR that decoded without a
  warning in an earlier file is not decoded again: its decoding depends only on its tag,
  VR, bytes, byte order and character set (and pydicom's settings, which are part of the
  key too), and the files of a study share most of their elements.

:func:`count_elements` counts the elements at every level as ``ds.iterall()`` yields them,
decoding (on the side) only the elements that may hold a sequence.

:func:`match_read_encoding` and :func:`check_writable` see that pydicom can write a file: in
the encoding the data set really has, with the file meta's SOP UIDs, without file meta or
command elements in the data set.
"""

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydicom import config

from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.hooks import hooks
from pydicom.valuerep import VR

from dicompress import errors
from dicompress.reading.structure import element_name, misplaced_element

#: Python frames pydicom's recursion takes per level of nested sequences (to read one of
#: undefined length: 5; to write one: 4).
FRAMES_PER_LEVEL = 5
#: Frames left for everything else: pydicom's calls below the deepest level, the hooks...
_SPARE_FRAMES = 100
#: Specific Character Set, decoded in the default encoding.
_CHARACTER_SET_TAGS = frozenset((0x00080005,))
#: Pixel Data, Float Pixel Data and Double Float Pixel Data: left in the file's bytes when long.
_PIXEL_TAGS = frozenset((0x7FE00010, 0x7FE00008, 0x7FE00009))
_UNDEFINED_LENGTH = 0xFFFFFFFF
#: Raw elements known to decode without a warning (see the module's docstring), as
#: ``(tag, VR, value, little endian, encoding)``, under pydicom's settings in `_DECODED_UNDER`.
_DECODED: set[tuple[Any, ...]] = set()
_DECODED_UNDER: list[tuple[Any, ...]] = []
#: At most this many, of values up to this many bytes, are kept (about 2 MB at most).
_DECODED_LIMIT = 4096
_DECODED_VALUE_BYTES = 256
#: VRs whose decoding depends on more than the element itself (the data set; the items).
_UNCACHED_VRS = frozenset((None, VR.SQ, VR.UN))
#: File meta elements a written file needs, and the data set elements that hold the same UIDs.
_SOP_UIDS = {
    "MediaStorageSOPClassUID": ("SOPClassUID", "SOP Class UID (0008,0016)"),
    "MediaStorageSOPInstanceUID": ("SOPInstanceUID", "SOP Instance UID (0008,0018)"),
}


def check_stack_room(depth: int) -> None:
    """Raise ``LimitExceededError`` unless pydicom can read and write sequences `depth` levels deep here.

    Parameters
    ----------
    depth : int
        The deepest nesting of sequences in the file.
    """
    limit = sys.getrecursionlimit()
    if _frames_in_use() + FRAMES_PER_LEVEL * depth + _SPARE_FRAMES > limit:
        raise errors.LimitExceededError(
            f"sequences are nested {depth} levels deep, more than Python's stack holds here "
            f"(its recursion limit is {limit})"
        )


def check_elements(ds: Dataset) -> None:
    """Decode every element of `ds`, at every level, without keeping the results.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set just read by pydicom.

    Raises
    ------
    dicompress.errors.DamagedFileError
        For the first element pydicom cannot decode (an unknown VR, a value of the wrong
        length, a sequence whose items do not parse...).
    """
    settings = _decoding_settings()
    if _DECODED_UNDER != [settings]:
        _DECODED.clear()
        _DECODED_UNDER[:] = [settings]
    decoded: list[tuple[Any, ...]] = []
    # Warnings are caught here to tell whether any element warned (its decoding must then
    # happen again for every file, so each file gets its warning), and passed on as they came.
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _decode_every_element(ds, decoded)
    finally:
        # Outside the block that catches them, or each would be caught again; with a registry,
        # so that a filter showing a warning once still does.
        registry = globals().setdefault("__warningregistry__", {})
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, registry=registry, source=w.source)
    if not caught:
        if len(_DECODED) + len(decoded) > _DECODED_LIMIT:
            _DECODED.clear()
        _DECODED.update(decoded[:_DECODED_LIMIT])


def _decode_every_element(ds: Dataset, decoded: list[tuple[Any, ...]]) -> None:
    """Do :func:`check_elements`' work; add to `decoded` the keys of the elements it may remember."""
    # Runs for every element of every file: elements are taken from ``values()`` (as
    # stored, never converted) and tags tested by hash, as pydicom's Tag.__eq__ is Python.
    pending = [ds, ds.file_meta]
    while pending:
        current = pending.pop()
        charset = current.original_character_set or current._character_set
        encodings = tuple(charset) if isinstance(charset, list) else charset
        for element in list(current.values()):
            if isinstance(element, RawDataElement):
                if element.value is None and element.tag in _PIXEL_TAGS:
                    continue  # left in the file's bytes (dicompress.reading.deferred), read as a view later
                key = None
                value = element.value
                if element.VR not in _UNCACHED_VRS and value is not None and len(value) <= _DECODED_VALUE_BYTES:
                    key = (element.tag, element.VR, value, element.is_little_endian, encodings)
                    if key in _DECODED:
                        continue
                encoding = default_encoding if element.tag in _CHARACTER_SET_TAGS else charset
                try:
                    element = convert_raw_data_element(element, encoding=encoding, ds=current)
                except MemoryError:
                    raise
                except Exception as exc:  # pydicom's converters raise many kinds for damaged values
                    raise _damaged(element.tag, exc) from None
                if key is not None:
                    decoded.append(key)
            if element is not None and element.VR == VR.SQ:
                pending.extend(element.value)


def _decoding_settings() -> tuple[Any, ...]:
    """Return pydicom's settings that decoding an element depends on."""
    return (
        config.settings.reading_validation_mode,
        config.convert_wrong_length_to_UN,
        config.data_element_callback,
        hooks.raw_element_vr,
        hooks.raw_element_value,
        repr(hooks.raw_element_kwargs),
    )


def count_elements(ds: Dataset) -> int:
    """Return the number of data elements of `ds` at every level, ``len(list(ds.iterall()))``.

    Unlike :meth:`~pydicom.dataset.Dataset.iterall`, which decodes every value in place,
    only the raw elements that may be sequences are decoded, on the side: the data set
    keeps its raw elements (see :func:`check_elements`, which must have passed).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read by :func:`dicompress.reading.dicom_input.read_dataset`.

    Returns
    -------
    int
    """
    count = 0
    pending = [ds]
    while pending:
        current = pending.pop()
        charset = current.original_character_set or current._character_set
        count += len(current)
        for element in current.values():
            if isinstance(element, RawDataElement):
                if not _may_be_sequence(element):
                    continue
                encoding = default_encoding if element.tag in _CHARACTER_SET_TAGS else charset
                element = convert_raw_data_element(element, encoding=encoding, ds=current)
            if element is not None and element.VR == VR.SQ:
                pending.extend(element.value)
    return count


def _may_be_sequence(element: RawDataElement) -> bool:
    """Return whether pydicom may decode the raw `element` as a sequence."""
    if element.length == _UNDEFINED_LENGTH:
        return True
    if element.VR not in (None, VR.UN):
        return bool(element.VR == VR.SQ)
    if element.tag.is_private or not dictionary_has_tag(element.tag):
        return True
    return "SQ" in dictionary_VR(element.tag)


def match_read_encoding(ds: Dataset) -> None:
    """Make `ds` agree with the encoding pydicom found it in, so that pydicom can write it.

    pydicom reads a data set in the VR encoding it finds (with a warning) but writes it as
    if it were in the one its Transfer Syntax UID names; and in an explicit VR data set it
    reads an element without a valid VR as implicit VR, then writes its raw bytes without
    a VR. So the data set is given the encoding of its raw elements, and every raw element
    without a VR in an explicit VR data set is decoded (the VR taken from the dictionary).
    """
    found = {(e.is_implicit_VR, e.is_little_endian) for e in ds.values() if isinstance(e, RawDataElement)}
    if len(found) == 1:
        implicit, little = found.pop()
        if (implicit, little) != ds.original_encoding:
            ds.set_original_encoding(implicit, little)
    pending = [ds]
    while pending:
        current = pending.pop()
        for element in list(current.values()):
            if isinstance(element, RawDataElement):
                if element.VR is None and not element.is_implicit_VR:
                    with _decoding(element.tag):
                        current[element.tag]  # decodes it in place, its VR resolved as pydicom resolves it
            elif element is not None and element.VR == VR.SQ:
                pending.extend(element.value)


def check_writable(ds: Dataset) -> None:
    """Check that pydicom can write `ds` as a file; give its file meta the data set's SOP UIDs where it lacks them.

    Raises
    ------
    dicompress.errors.ConversionError
        ``IncompleteDataSetError`` when neither the file meta nor the data set has one of
        them; ``DamagedFileError`` when file meta (0002,eeee) or command (0000,eeee)
        elements are in the data set, or a file meta element or SOP UID has another VR
        than the dictionary's (pydicom could not write its value).
    """
    for tag in ds.keys():
        if (misplaced := misplaced_element(tag)) is not None:
            raise misplaced
    for meta_keyword, (keyword, name) in _SOP_UIDS.items():
        # pydicom's dcmwrite() copies the data set's UID into the file meta where it differs.
        ours, theirs = ds.get(keyword), ds.file_meta.get(meta_keyword)
        if not ours and not theirs:
            raise errors.IncompleteDataSetError(
                f"the file has no {name}, in its data set or its file meta, and a DICOM file needs one"
            )
        if ours:
            _check_vr(ds, keyword, "the data set")
            setattr(ds.file_meta, meta_keyword, ours)
    for tag in ds.file_meta.keys():
        _check_vr(ds.file_meta, tag, "the file meta")


def _check_vr(ds: Dataset, key: int | str, where: str) -> None:
    """Raise ``DamagedFileError`` if element `key` of `ds` has another VR than the dictionary's."""
    element = ds[key]
    if dictionary_has_tag(element.tag) and element.VR != dictionary_VR(element.tag):
        raise errors.DamagedFileError(
            f"{where} is damaged: {element_name(element.tag)} has VR {element.VR}, not {dictionary_VR(element.tag)}"
        )


@contextmanager
def _decoding(tag: int) -> Iterator[None]:
    """Turn a failure to decode element `tag` into ``DamagedFileError``."""
    try:
        yield
    except MemoryError:
        raise
    except Exception as exc:  # pydicom's converters raise many kinds for damaged values
        raise _damaged(tag, exc) from None


def _damaged(tag: int, exc: Exception) -> errors.DamagedFileError:
    """Return the ``DamagedFileError`` for element `tag`, which pydicom failed to decode with `exc`."""
    return errors.DamagedFileError(f"{element_name(tag)} cannot be decoded: {errors.reason(exc)}")


def _frames_in_use() -> int:
    """Return how many Python frames are on the stack below this call."""
    count = 0
    frame = sys._getframe(1)
    while frame is not None:
        count += 1
        frame = frame.f_back  # type: ignore[assignment]
    return count
