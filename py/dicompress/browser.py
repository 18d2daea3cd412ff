"""The web page's adapter: what the worker calls, with plain values in and plain values out.

The worker imports it with ``pyodide.pyimport("dicompress.browser")`` and hands over
the bytes of one file at a time (``bytes``, a buffer, or a Pyodide ``JsProxy`` of a typed
array); it gets back dicts, lists, strings and bytes that convert to JavaScript as they
are. No function raises for bad input: a failure is ``{"ok": False, "skipped": bool,
"code": str, "message": str}`` with a one-line message for a person. No DICOM logic lives
here: conversions go through :func:`dicompress.service.convert`, previews through
:func:`dicompress.preview.describe`, and every decision the command line makes too
(targets, names, skipped inputs, messages) comes from :mod:`dicompress.frontend`.

Importing this module imports neither pydicom nor numpy: pydicom looks for numpy once,
when it is first imported, so nothing here may import it before the worker has loaded numpy.
"""

import gc
import io
import sys
import traceback
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from dicompress import frontend

#: What the worker passes for a file: bytes, a buffer or a JsProxy with ``to_bytes()``.
Buffer = Any
#: Called with (frames done, frames in all) after each frame.
Progress = Callable[[int, int], None]


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
        ``{"name", "label", "syntax", "hint", "default"}`` per target, e.g. ``{"name":
        "rle", "label": "RLE Lossless", "syntax": "1.2.840.10008.1.2.5", "hint":
        "compress", "default": True}``.
    """
    return [{**asdict(t), "default": t.name == frontend.DEFAULT_TARGET} for t in frontend.TARGETS]


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
        "max_file_bytes": int, "statuses": [...], "copied_codes": [...]}``: a failure
        whose code is in ``copied_codes`` is a file to copy unchanged.
    """
    return {
        "targets": targets(),
        "packings": [{**asdict(p), "default": p.name == frontend.DEFAULT_PACKING} for p in frontend.PACKINGS],
        "messages": messages(),
        "clutter": {"names": list(frontend.CLUTTER_NAMES), "prefixes": list(frontend.CLUTTER_PREFIXES)},
        "max_file_bytes": frontend.BROWSER_MAX_FILE_BYTES,
        "statuses": list(frontend.STATUSES),
        "copied_codes": list(frontend.COPIED_CODES),
    }


def engine() -> dict[str, Any]:
    """Return which engine the service uses here: ``{"name", "plugin", "numpy"}``."""
    from dicompress import service

    return {"name": service.engine_name(), "plugin": service.encoding_plugin(), "numpy": _numpy_version()}


def preview(data: Buffer) -> dict[str, Any]:
    """Return the details and a thumbnail of one DICOM file; never raise.

    Returns
    -------
    dict
        ``{"ok": True, "details": dict, "thumbnail": {"width", "height", "rgba"}}`` or a
        failure dict.
    """
    from dicompress.errors import ConversionError
    from dicompress.preview import describe

    try:
        details, thumbnail = describe(as_bytes(data))
    except ConversionError as exc:
        return _failure(exc.code, str(exc))
    except MemoryError:
        return _failure("out-of-memory", frontend.message("preview_out_of_memory"))
    except Exception as exc:  # a bug: the conversion still runs and says what is wrong
        traceback.print_exc(file=sys.stderr)
        return _failure("unexpected", frontend.message("preview_unexpected", error=type(exc).__name__))
    finally:
        gc.collect()
    return {
        "ok": True,
        "details": details.as_dict(),
        "thumbnail": {"width": thumbnail.width, "height": thumbnail.height, "rgba": thumbnail.rgba},
    }


def convert(
    data: Buffer,
    target: str = frontend.DEFAULT_TARGET,
    progress: Progress | None = None,
    verify: bool = True,
    *,
    packing: str = frontend.DEFAULT_PACKING,
    in_folder: bool = False,
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

    Returns
    -------
    dict
        ``{"ok": True, "data": bytes, "report": dict}`` (the report's ``elements`` is the
        number of data elements in the written file) or a failure dict, whose
        ``skipped`` is ``True`` for a skipped file (a DICOMDIR, which would name the old
        transfer syntaxes, is skipped too) and ``copied`` ``True`` for a file with nothing
        to convert (no Pixel Data: the page offers it unchanged, as the CLI copies it).
        Either has ``warnings``: what pydicom warned about the file, one line each.
    """
    source = as_bytes(data)
    try:
        with frontend.file_warnings() as notes:
            result = _convert(source, target, progress, verify, packing, in_folder)
        return {**result, "warnings": notes}
    finally:
        del source
        gc.collect()


def _convert(
    source: bytes, target: str, progress: Progress | None, verify: bool, packing: str, in_folder: bool
) -> dict[str, Any]:
    """Do :func:`convert`'s work, warnings aside."""
    from dicompress.errors import ConversionError, DecoderMissingError
    from dicompress.reading.dicom_input import is_directory
    from dicompress.service import convert as service_convert

    try:
        reason = frontend.skip_reason(source[: frontend.HEAD_BYTES], in_folder=in_folder)
        if reason:
            return _failure("not-dicom", reason, skipped=True)
        result = service_convert(source, target, packing=packing, verify=verify, progress=progress)
        return {"ok": True, "data": result.data, "report": result.report.as_dict()}
    except DecoderMissingError as exc:
        return _failure(exc.code, frontend.message("browser_decoder_missing", syntax=exc.syntax))
    except ConversionError as exc:
        if exc.code in frontend.COPIED_CODES and is_directory(source):
            return _failure("dicomdir-left-out", frontend.message("browser_dicomdir_left_out"), skipped=True)
        if exc.code in frontend.COPIED_CODES:  # nothing to convert: the page offers the file as it is
            return {**_failure(exc.code, frontend.message("copied")), "copied": True}
        return _failure(exc.code, str(exc))
    except MemoryError:
        return _failure("out-of-memory", frontend.message("out_of_memory"))
    except Exception as exc:  # a bug, not the user's fault: log it, show one line
        traceback.print_exc(file=sys.stderr)
        return _failure("unexpected", frontend.message("unexpected", error=type(exc).__name__))


def needs_codecs(data: Buffer) -> list[str]:
    """Return the codec families (``web/codecs.js``) this file needs; the page loads them first."""
    from dicompress.reading.compressed_input import codec_families

    return codec_families(as_bytes(data))


def enable_codecs() -> list[str]:
    """Add our plugins once the page's codec bridge is registered; return the syntaxes it decodes."""
    from dicompress.reading.compressed_input import enable_codecs as enable

    return enable()


def make_zip(entries: Iterable[tuple[str, Buffer]]) -> bytes:
    """Return a ZIP archive of ``(name, data)`` pairs, named by the rule of :mod:`dicompress.frontend`."""
    buffer = io.BytesIO()
    names = frontend.OutputNames()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in entries:
            archive.writestr(names.take(frontend.safe_name(str(name))), as_bytes(data))
    return buffer.getvalue()


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
