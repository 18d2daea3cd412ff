"""The web worker's adapter to :mod:`dicompress.service`.

Plain values in, plain values out: the worker hands over the bytes of one file and gets
back a dict with the converted bytes and the service's report, or a one-line message
for a person. No DICOM logic lives here; every conversion goes through the same
``dicompress.service.convert`` the command line uses, every preview through
``dicompress.preview.describe``.
"""

import gc
import hashlib
import io
import sys
import traceback
import zipfile
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath


def sha256_hex(data) -> str:
    """Return the hex sha256 of a buffer (a downloaded wheel, checked before install)."""
    return hashlib.sha256(_as_bytes(data)).hexdigest()


def as_bytes(data) -> bytes:
    """Return `data` (a typed array from the worker) as bytes: one copy inside Python."""
    return _as_bytes(data)


def preview(data) -> dict:
    """Return the details and a thumbnail of one DICOM file; never raise.

    Returns
    -------
    dict
        ``{"ok": True, "details": dict, "thumbnail": {"width", "height", "rgba"}}`` or
        ``{"ok": False, "code": str, "message": str}``.
    """
    from dicompress.errors import ConversionError
    from dicompress.preview import describe

    try:
        details, thumbnail = describe(_as_bytes(data))
    except ConversionError as exc:
        return _failure(getattr(exc, "code", "error"), str(exc))
    except MemoryError:
        return _failure("out-of-memory", "Not enough memory for a preview of this file.")
    except Exception as exc:  # a bug: the conversion still runs and says what is wrong
        traceback.print_exc(file=sys.stderr)
        return _failure("unexpected", f"No preview ({type(exc).__name__}).")
    finally:
        gc.collect()
    return {
        "ok": True,
        "details": details.as_dict(),
        "thumbnail": {"width": thumbnail.width, "height": thumbnail.height, "rgba": thumbnail.rgba},
    }


def engine() -> dict:
    """Return which engine the service uses here, for the page."""
    from dicompress import service

    return {"name": service.engine_name(), "plugin": service.encoding_plugin(), "numpy": _numpy_version()}


def convert(
    data, target: str, progress: Callable[[int, int], None] | None = None, verify: bool = True
) -> dict:
    """Convert the bytes of one DICOM file; never raise (`verify` is the service's option).

    Returns
    -------
    dict
        ``{"ok": True, "data": bytes, "report": dict}`` or
        ``{"ok": False, "code": str, "message": str}`` with a one-line message. The
        report's ``elements`` is the number of data elements in the written file.
    """
    from dicompress.errors import ConversionError
    from dicompress.service import convert as service_convert

    source = _as_bytes(data)
    try:
        result = service_convert(source, target, progress=progress, verify=verify)
        return {"ok": True, "data": result.data, "report": result.report.as_dict()}
    except ConversionError as exc:
        return _failure(getattr(exc, "code", "error"), str(exc))
    except MemoryError:
        return _failure(
            "out-of-memory",
            "Not enough memory to convert this file in the browser; use the dicompress command line "
            "on your computer instead: dicompress FILE -o OUT/",
        )
    except Exception as exc:  # a bug, not the user's fault: log it, show one line
        traceback.print_exc(file=sys.stderr)
        return _failure("unexpected", f"Unexpected error ({type(exc).__name__}); the file was not converted.")
    finally:
        del source
        gc.collect()


def make_zip(entries: Iterable) -> bytes:
    """Return a ZIP archive of ``(name, data)`` pairs, names made unique."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in entries:
            archive.writestr(_unique(_safe_name(str(name)), used), _as_bytes(data))
    return buffer.getvalue()


def _failure(code: str, message: str) -> dict:
    """Return a failure dict with `message` folded onto one line."""
    line = " ".join(message.split()) or "The file could not be converted."
    return {"ok": False, "code": code, "message": line}


def _as_bytes(data) -> bytes:
    """Return `data` (bytes, a buffer or a Pyodide JsProxy of a typed array) as bytes."""
    if isinstance(data, bytes):
        return data
    to_bytes = getattr(data, "to_bytes", None)
    return to_bytes() if to_bytes else bytes(data)


def _numpy_version() -> str | None:
    """Return numpy's version when it can be imported here."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy.__version__


def _safe_name(name: str) -> str:
    """Return a relative archive path without empty, '.' or '..' parts."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    return "/".join(parts) or "file.dcm"


def _unique(name: str, used: set[str]) -> str:
    """Return `name`, or `name` with " (2)", " (3)"... before its suffix, unused so far."""
    path = PurePosixPath(name)
    candidate, n = name, 1
    while candidate.lower() in used:
        n += 1
        candidate = str(path.with_name(f"{path.stem} ({n}){path.suffix}"))
    used.add(candidate.lower())
    return candidate
