"""The web page's adapter: what the worker calls, with plain values in and plain values out.

The worker imports it with ``pyodide.pyimport("dicompress.browser")`` and hands over
the bytes of one file at a time (``bytes``, a buffer, or a Pyodide ``JsProxy`` of a typed
array); it gets back dicts, lists, strings and bytes that convert to JavaScript as they
are. No function raises for bad input: a failure is ``{"ok": False, "skipped": bool,
"code": str, "message": str}`` with a one-line message for a person. No DICOM logic lives
here: conversions go through :func:`dicompress.service.convert`, which hands what it
has read to :func:`dicompress.preview.describe_frame` for the preview (a file is read and
decoded once), and every decision the command line makes too (targets, names, skipped
inputs, messages) comes from :mod:`dicompress.frontend`.

Importing this module imports neither pydicom nor numpy: pydicom looks for numpy once,
when it is first imported, so nothing here may import it before the worker has loaded numpy.
"""

import base64
import gc
import io
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from dicompress import frontend
from dicompress.limits import Limits
from dicompress.browser_files import BlobReader, StoredResult

if TYPE_CHECKING:
    from dicompress.errors import DecoderMissingError, FrameTooLargeError
    from dicompress.preview import Details, Thumbnail
    from dicompress.service import Inspect

#: What the worker passes for a file: bytes, a buffer or a JsProxy with ``to_bytes()``.
Buffer = Any
#: A file the page streams, read through a buffer.
Stream = io.BufferedIOBase
#: Called with (frames done, frames in all) after each frame.
Progress = Callable[[int, int], None]
#: Called once with the preview of the file being converted (see :func:`convert`).
Preview = Callable[[dict[str, Any]], None]
#: Inputs from this size on are followed by a full garbage collection: what a big file's
#: conversion leaves in reference cycles must not hold memory until the next one. For
#: small files the collection would cost more than the conversion (tens of ms in Pyodide).
COLLECT_FROM_BYTES = 16 * 1024 * 1024
#: How much of a streamed file is read at once: pydicom reads its elements in small pieces.
READ_BUFFER_BYTES = 1024 * 1024
#: How much of the start of a streamed file the checks that look at its header get (whether
#: it is a DICOMDIR, which decoders it needs; the worker's HEAD_PROBE_BYTES): its file meta and
#: the elements before Pixel Data.
HEAD_PROBE_BYTES = 1024 * 1024
#: The page's limits: the service's, and frames no larger than Python in the page can convert.
PAGE_LIMITS = Limits(max_frame_bytes=frontend.BROWSER_MAX_FRAME_BYTES)


def as_bytes(data: Buffer) -> bytes:
    """Return `data` (a typed array from the worker) as bytes: one copy inside Python."""
    if isinstance(data, bytes):
        return data
    to_bytes = getattr(data, "to_bytes", None)
    return to_bytes() if to_bytes else bytes(data)


def targets() -> list[dict[str, Any]]:
    """Return the targets, the default first.

    Returns
    -------
    list of dict
        ``{"name", "label", "syntax", "hint", "surfaces", "default"}`` per target, e.g.
        ``{"name": "rle", "label": "RLE Lossless", "syntax": "1.2.840.10008.1.2.5", "hint":
        "compress", "surfaces": ["cli", "page"], "default": True}``; the page offers a target
        whose `surfaces` lack ``"page"`` disabled, with the command that writes it.
    """
    return [
        {**asdict(t), "surfaces": list(t.surfaces), "default": t.name == frontend.DEFAULT_TARGET}
        for t in frontend.TARGETS
    ]


def messages() -> dict[str, str]:
    """Return the page's one-line messages; ``{name}`` fields are the page's to fill in."""
    return dict(frontend.MESSAGES)


def policy() -> dict[str, Any]:
    """Return everything the page decides as the command line does, for the page's start-up.

    Returns
    -------
    dict
        ``{"targets": targets(), "packings": [{"name", "label", "default"}],
        "messages": messages(), "clutter": {"names": [...], "prefixes": [...]},
        "memory_budget_bytes": int, "statuses": [...], "copied_codes": [...], "kept_codes": [...]}``:
        a failure whose code is in ``copied_codes`` is a file to copy unchanged, one in
        ``kept_codes`` a file to keep unchanged unless the page is strict.
    """
    return {
        "targets": targets(),
        "packings": [{**asdict(p), "default": p.name == frontend.DEFAULT_PACKING} for p in frontend.PACKINGS],
        "messages": messages(),
        "clutter": {"names": list(frontend.CLUTTER_NAMES), "prefixes": list(frontend.CLUTTER_PREFIXES)},
        "memory_budget_bytes": frontend.BROWSER_MEMORY_BUDGET_BYTES,
        "statuses": list(frontend.STATUSES),
        "copied_codes": list(frontend.COPIED_CODES),
        "kept_codes": list(frontend.KEPT_CODES),
    }


def engine() -> dict[str, Any]:
    """Return which engine the service uses here: ``{"name", "plugin", "numpy"}``."""
    from dicompress import service

    return {"name": service.engine_name(), "plugin": service.encoding_plugin(), "numpy": _numpy_version()}


def _previewer(send: Preview) -> "Inspect":
    """Return the ``inspect`` hook of :func:`dicompress.service.convert` that sends the preview to `send`.

    `send` gets ``{"ok": True, "details": dict, "thumbnail": {"width", "height", "url"}}``
    or a failure dict; the hook never raises, so a failed preview never fails the conversion.
    """
    def inspect(ds: Any, shape: Any, frame: bytes) -> None:
        from dicompress.preview import describe_frame

        _send_preview(send, lambda: describe_frame(ds, shape, frame))

    return inspect


def _data_url(png: bytes) -> str:
    """Return a ``data:`` URL of the PNG file `png`.

    The page shows thousands of thumbnails as images of such URLs: a canvas per row, or a
    Blob URL per row (a request to the browser each), costs its thread far more.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _send_preview(send: Preview, describe: "Callable[[], tuple[Details, Thumbnail]]") -> None:
    """Send `send` what `describe` makes of a file, or why it cannot; never raise."""
    from dicompress.errors import ConversionError

    try:
        details, thumbnail = describe()
        found = {
            "ok": True,
            "details": details.as_dict(),
            "thumbnail": {"width": thumbnail.width, "height": thumbnail.height, "url": _data_url(thumbnail.png())},
        }
    except ConversionError as exc:  # nothing to show (a video, say): the row says why it was kept
        found = _failure(exc.code, str(exc))
    except MemoryError:
        found = _failure("out-of-memory", frontend.message("preview_out_of_memory"))
    except Exception as exc:  # a bug: the conversion still runs and says what is wrong
        traceback.print_exc(file=sys.stderr)
        found = _failure("unexpected", frontend.message("preview_unexpected", error=type(exc).__name__))
    try:
        send(found)
    except Exception:  # the page's side failed: the conversion goes on without its preview
        traceback.print_exc(file=sys.stderr)


def convert(
    data: Buffer,
    target: str = frontend.DEFAULT_TARGET,
    progress: Progress | None = None,
    verify: bool = True,
    *,
    packing: str = frontend.DEFAULT_PACKING,
    in_folder: bool = False,
    strict: bool = False,
    preview: Preview | None = None,
) -> dict[str, Any]:
    """Convert the bytes of one DICOM file; never raise.

    Parameters
    ----------
    data : bytes, buffer or JsProxy
        The whole file.
    target, packing, verify, progress
        As :func:`dicompress.service.convert` takes them.
    in_folder : bool, optional
        ``True`` for a file found in a dropped folder: one that is obviously not DICOM
        is then skipped rather than failed.
    strict : bool, optional
        ``True`` to fail a file that would be kept unchanged (the page's option, as ``--strict``).
    preview : callable, optional
        Called once, before the first frame is encoded, with the details and a thumbnail
        of the file: ``{"ok": True, "details": dict, "thumbnail": {"width", "height",
        "url"}}`` (:mod:`dicompress.preview`; the url is a ``data:`` URL of a PNG), or a
        failure dict when they cannot be made. A file that fails before its first frame is read gets no preview.

    Returns
    -------
    dict
        ``{"ok": True, "data": bytes, "report": dict}`` (the report's ``elements`` is the
        number of data elements in the written file) or a failure dict, whose
        ``skipped`` is ``True`` for a skipped file (a DICOMDIR, which would name the old
        transfer syntaxes, is skipped too) and ``copied`` ``True`` for a file with nothing
        to convert (no Pixel Data: the page offers it unchanged, as the CLI copies it),
        ``kept`` ``True`` for a valid file that cannot be converted (offered unchanged with
        the reason, as the CLI keeps it; :func:`dicompress.frontend.unconverted_status`).
        Either has ``warnings``: what pydicom warned about the file, one line each.
    """
    source = as_bytes(data)
    try:
        with frontend.file_warnings() as notes:
            result = _convert(source, target, progress, verify, packing, in_folder, strict, preview)
        return {**result, "warnings": notes}
    finally:
        large = len(source) >= COLLECT_FROM_BYTES
        del source
        if large:
            gc.collect()


def convert_file(
    source: Any,
    store: Any = None,
    target: str = frontend.DEFAULT_TARGET,
    progress: Progress | None = None,
    verify: bool = True,
    *,
    name: str = "blob",
    packing: str = frontend.DEFAULT_PACKING,
    in_folder: bool = False,
    strict: bool = False,
    preview: Preview | None = None,
) -> dict[str, Any]:
    """Convert a file that stays in the browser's storage, a few frames at a time; never raise.

    Parameters
    ----------
    source
        The file, read through ``web/blob-source.js`` (:class:`~dicompress.browser_files.BlobReader`).
    store
        Where the result is written as it is made (``web/opfs-results.js``:
        :class:`~dicompress.browser_files.StoredResult`), or ``None`` to return it as bytes.
    name : str, optional
        The file's name, for pydicom.
    target, progress, verify, packing, in_folder, strict, preview
        As :func:`convert` takes them.

    Returns
    -------
    dict
        As :func:`convert` returns it, but a converted file's ``data`` is there only without a `store`.
    """
    reader = io.BufferedReader(BlobReader(source, name), READ_BUFFER_BYTES)
    sink = cast(BinaryIO, StoredResult(store)) if store is not None else io.BytesIO()
    try:
        with frontend.file_warnings() as notes:
            result = _convert(reader, target, progress, verify, packing, in_folder, strict, preview, sink=sink)
        if result["ok"] and isinstance(sink, io.BytesIO):
            result["data"] = sink.getvalue()
        return {**result, "warnings": notes}
    finally:
        del reader, sink
        gc.collect()


def _head(source: bytes | Stream, size: int) -> bytes:
    """Return the first `size` bytes of `source`, a stream left where it was."""
    if isinstance(source, bytes):
        return source[:size]
    position = source.tell()
    source.seek(0)
    try:
        return source.read(size)
    finally:
        source.seek(position)


def _convert(
    source: bytes | Stream, target: str, progress: Progress | None, verify: bool, packing: str, in_folder: bool,
    strict: bool,
    preview: Preview | None,
    sink: BinaryIO | None = None,
) -> dict[str, Any]:
    """Do :func:`convert`'s work, warnings aside: from `source`'s bytes, or from `source` to `sink`."""
    from dicompress.errors import ConversionError, DecoderMissingError, FrameTooLargeError
    from dicompress.service import convert as service_convert
    from dicompress.service import convert_file

    try:
        reason = frontend.skip_reason(_head(source, frontend.HEAD_BYTES), in_folder=in_folder)
        if reason:
            return _failure("not-dicom", reason, skipped=True)
        inspect = _previewer(preview) if preview else None
        if isinstance(source, bytes):
            result = service_convert(source, target, packing=packing, verify=verify, progress=progress,
                                     limits=PAGE_LIMITS, inspect=inspect)
            return {"ok": True, "data": result.data, "report": result.report.as_dict()}
        assert sink is not None
        report = convert_file(source, sink, target, packing=packing, verify=verify, progress=progress,
                              limits=PAGE_LIMITS, inspect=inspect)
        return {"ok": True, "report": report.as_dict()}
    except (DecoderMissingError, FrameTooLargeError) as exc:
        return _failure(exc.code, _page_text(exc))
    except ConversionError as exc:
        if exc.code in frontend.COPIED_CODES and _is_directory(source):
            return _failure("dicomdir-left-out", frontend.message("browser_dicomdir_left_out"), skipped=True)
        status = frontend.unconverted_status(exc.code, strict=strict)
        if status == "copied":  # nothing to convert: the page offers the file as it is
            return {**_failure(exc.code, frontend.message("copied")), "copied": True}
        if status == "kept":  # valid, not convertible here: offered as it is, so the study stays whole
            if preview:  # refused before its frames were read: described on its own (a stream: head, first frame)
                from dicompress.preview import describe

                _send_preview(preview, lambda: describe(source, PAGE_LIMITS))
            return {**_failure(exc.code, frontend.message("kept", reason=str(exc))), "kept": True}
        return _failure(exc.code, str(exc))
    except MemoryError:
        return _failure("out-of-memory", frontend.message("out_of_memory"))
    except Exception as exc:  # a bug, not the user's fault: log it, show one line
        traceback.print_exc(file=sys.stderr)
        return _failure("unexpected", frontend.message("unexpected", error=type(exc).__name__))


def _page_text(exc: "DecoderMissingError | FrameTooLargeError") -> str:
    """Return what the page says of `exc`: what the page lacks, and that the command line has it."""
    from dicompress.errors import DecoderMissingError

    if isinstance(exc, DecoderMissingError):
        return frontend.message("browser_decoder_missing", syntax=exc.syntax)
    return frontend.message("frame_too_large", size=frontend.size_text(exc.frame_bytes),
                            limit=frontend.size_text(exc.limit))


def _is_directory(source: bytes | Stream) -> bool:
    """Return whether `source` is a DICOMDIR (a stream is read from its start)."""
    from dicompress.reading.dicom_input import is_directory

    if not isinstance(source, bytes):
        source.seek(0)
    return is_directory(source)


def needs_codecs(data: Buffer, target: str = frontend.DEFAULT_TARGET) -> list[str]:
    """Return the codec families (``web/codecs.js``) converting this file to `target` needs (loaded first)."""
    from dicompress.reading.compressed_input import codec_families
    from dicompress.writing.lossless import page_codecs

    families = codec_families(as_bytes(data))
    return families + [family for family in page_codecs(target) if family not in families]


def enable_codecs() -> list[str]:
    """Add our plugins once the page's codec bridge is registered; return the syntaxes it decodes."""
    from dicompress.reading.compressed_input import enable_codecs as enable

    return enable()


def zip_names(paths: Iterable[str]) -> list[str]:
    """Return the names of a ZIP's entries for these result paths, by the rule of :mod:`dicompress.frontend`.

    The page streams the ZIP itself (client-zip) from the result Blobs; only the names come
    from here, so the page names its entries as the command line names its output files.

    Parameters
    ----------
    paths : iterable of str
        The results' paths as the person dropped them (``/``-separated).

    Returns
    -------
    list of str
        One safe, unique name per path, in order.
    """
    names = frontend.OutputNames()
    return [names.take(frontend.safe_name(str(path))) for path in paths]


def _failure(code: str, message: str, *, skipped: bool = False) -> dict[str, Any]:
    """Return a failure dict with `message` folded onto one line."""
    return {"ok": False, "skipped": skipped, "code": code, "message": frontend.one_line(message)}


def _numpy_version() -> str | None:
    """Return numpy's version when it can be imported here."""
    try:
        import numpy
    except ImportError:
        return None
    return str(numpy.__version__)
