"""The codec checks that run inside Pyodide (wasm32, numpy 2.0.2), on case files prepared on the host.

``tests/pyodide/run_checks.mjs`` imports this module inside Pyodide and calls :func:`run` on
the mounted case folder; ``tests/test_wasm32.py`` prepares the folder with CPython and
imports this module too, so the host computes its own expectations with the very same
functions (:func:`pydicom_encode`, :func:`decode_outcome`, :func:`digest`).

The folder holds ``manifest.json`` and the frames as files. The manifest::

    {"encode":  [{"case": ..., "geometry": {...}, "frames": [{"raw": path, "le": path}, ...]}],
     "decode":  [{"case": ..., "geometry": {...}, "frames": [path, ...]}],
     "corrupt": [{"case": ..., "geometry": {...}, "frame": path}],
     "convert": [{"case": ..., "file": path, "target": "explicit"}],
     "page":    [{"case": ..., "file": path, "target": "rle"}]}

``geometry`` holds ``rows``, ``columns``, ``samples_per_pixel``, ``bytes_per_sample``,
``byteorder`` and ``planar_configuration``; ``raw`` is a frame as the file stores it, ``le``
the same samples little endian and interleaved (what pydicom's encoder takes). Paths are
relative to the folder. A ``convert`` case is a whole DICOM file converted by the file
service (``dicompress.service.convert``, or ``convert_file`` from a reader when the case says
``"streamed": true``), as the page converts it (:func:`convert_outcome`). A ``page`` case is a
whole file converted by the page's adapter with its preview (:func:`page_outcome`).

Only the public face of the codec is used (``from dicompress import rle``: ``encode_frame``,
``decode_frame``, ``RLEError``) and pydicom's plugin API, so the checks do not depend on how
the codec is laid out inside.
"""

import base64
import hashlib
import json
import platform
import sys
import time
import warnings
import zlib
from pathlib import Path
from typing import Any

import dicompress
import numpy as np
import pydicom
from dicompress import rle
from pydicom.pixels.encoders import RLELosslessEncoder

Geometry = dict[str, Any]


def digest(data: bytes | bytearray) -> dict[str, Any]:
    """Return the sha256 (hex) and length of `data`, the form every result takes.

    Parameters
    ----------
    data : bytes-like
        Any bytes.

    Returns
    -------
    dict
        ``{"sha256": str, "length": int}``.
    """
    return {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}


def pydicom_encode(le_frame: bytes, geometry: Geometry) -> bytes:
    """Return pydicom's own RLE encoding (plugin ``"pydicom"``) of one frame.

    Parameters
    ----------
    le_frame : bytes
        The frame's samples, little endian and interleaved (planar configuration 0).
    geometry : dict
        The frame geometry (see the module docstring).

    Returns
    -------
    bytes
        The RLE frame pydicom's pure-Python encoder writes.
    """
    bits = 8 * geometry["bytes_per_sample"]
    spp = geometry["samples_per_pixel"]
    # No validation: pydicom's encoding profiles leave out 32-bit RGB, which its plugin encodes.
    return RLELosslessEncoder.encode(
        le_frame,
        validate=False,
        encoding_plugin="pydicom",
        rows=geometry["rows"],
        columns=geometry["columns"],
        samples_per_pixel=spp,
        bits_allocated=bits,
        bits_stored=bits,
        pixel_representation=0,
        photometric_interpretation="MONOCHROME2" if spp == 1 else "RGB",
        planar_configuration=0,
        number_of_frames=1,
    )


def _decode_args(geometry: Geometry) -> tuple[int, int, int, int]:
    return (geometry["rows"], geometry["columns"], geometry["samples_per_pixel"], geometry["bytes_per_sample"])


def encode_frame(raw: bytes, geometry: Geometry, packing: str) -> bytes:
    """Return dicompress's encoding of the frame `raw` (as stored: its byte order and planar configuration)."""
    return rle.encode_frame(
        raw,
        *_decode_args(geometry),
        byteorder=geometry["byteorder"],
        planar_configuration=geometry["planar_configuration"],
        packing=packing,
    )


def decode_outcome(stream: bytes, geometry: Geometry) -> dict[str, Any]:
    """Return what ``rle.decode_frame`` does with `stream`: its output, or the error it raises.

    Parameters
    ----------
    stream : bytes
        One RLE frame, possibly corrupt.
    geometry : dict
        The frame geometry (see the module docstring).

    Returns
    -------
    dict
        ``error`` (exception type name or ``None``), ``message``, ``warnings`` (their
        messages, in order) and ``output`` (:func:`digest` of the decoded frame or ``None``).
    """
    outcome: dict[str, Any] = {"error": None, "message": None, "output": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome["output"] = digest(rle.decode_frame(stream, *_decode_args(geometry)))
        except Exception as exc:  # the type and message are the result
            outcome["error"] = type(exc).__name__
            outcome["message"] = str(exc)
    outcome["warnings"] = [str(w.message) for w in caught]
    return outcome


def _encode_case(folder: Path, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Encode every frame of an encode case both ways and with pydicom; decode our streams."""
    geometry = case["geometry"]
    results = []
    for frame in case["frames"]:
        raw = (folder / frame["raw"]).read_bytes()
        ours = encode_frame(raw, geometry, "pydicom")
        compact = encode_frame(raw, geometry, "compact")
        results.append(
            {
                "ours": digest(ours),
                "pydicom": digest(pydicom_encode((folder / frame["le"]).read_bytes(), geometry)),
                "compact": digest(compact),
                "ours_decoded": decode_outcome(ours, geometry)["output"],
                "compact_decoded": decode_outcome(compact, geometry)["output"],
            }
        )
    return results


def _decode_case(folder: Path, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Decode every frame (a peer's stream) of a decode case."""
    return [decode_outcome((folder / path).read_bytes(), case["geometry"]) for path in case["frames"]]


def _corrupt_case(folder: Path, case: dict[str, Any]) -> dict[str, Any]:
    """Decode the one (broken) frame of a corrupt case."""
    return decode_outcome((folder / case["frame"]).read_bytes(), case["geometry"])


class _Reader:
    """A file object that only reads, seeks and tells, as the page's reader over a Blob."""

    def __init__(self, data: bytes) -> None:
        from io import BytesIO

        self._file = BytesIO(data)
        self.read, self.seek, self.tell = self._file.read, self._file.seek, self._file.tell


def convert_outcome(data: bytes, target: str, streamed: bool = False) -> dict[str, Any]:
    """Convert a whole DICOM file with the file service; return its result or its error's code.

    Parameters
    ----------
    data : bytes
        The file.
    target : str
        The service's target name.
    streamed : bool, optional
        Convert with ``service.convert_file`` from a reader that only reads, seeks and tells
        (as the page's reader over a Blob) into ``BytesIO``, rather than ``service.convert``.

    Returns
    -------
    dict
        ``{"code": None, "output": digest, "pixels": digest}`` (``pixels``: pydicom's
        ``pixel_array`` of the result, as bytes) or ``{"code": str, "message": str}``.
    """
    from io import BytesIO

    from dicompress import errors, service

    try:
        if streamed:
            sink = BytesIO()
            service.convert_file(_Reader(data), sink, target)
            output = sink.getvalue()
        else:
            output = service.convert(data, target).data
    except errors.ConversionError as exc:
        return {"code": exc.code, "message": str(exc)}
    pixels = pydicom.dcmread(BytesIO(output)).pixel_array
    return {"code": None, "output": digest(output), "pixels": digest(pixels.tobytes())}


def page_outcome(data: bytes, target: str) -> dict[str, Any]:
    """Convert a whole DICOM file as the page's worker does; return what the page gets, as digests.

    Parameters
    ----------
    data : bytes
        The file.
    target : str
        The target's name.

    Returns
    -------
    dict
        ``{"ok", "code", "output": digest or None, "previews": [{"details", "code", "thumbnail"}]}``:
        ``dicompress.browser.convert``'s result and each preview it sent (thumbnail: a digest of its PNG's
        header and rows, uncompressed: zlib may compress alike rows differently from one build to another).
    """
    from dicompress import browser

    previews: list[dict[str, Any]] = []
    result = browser.convert(data, target, None, True, preview=previews.append)
    return {
        "ok": result["ok"],
        "code": result.get("code"),
        "output": digest(result["data"]) if result["ok"] else None,
        "previews": [{"details": p.get("details"), "code": p.get("code"),
                      "thumbnail": digest(_png_rows(p["thumbnail"]["url"])) if p["ok"] else None} for p in previews],
    }


def _png_rows(url: str) -> bytes:
    """Return the header (IHDR) and the uncompressed rows (IDAT) of the PNG in the ``data:`` URL `url`."""
    png = base64.b64decode(url.split(",", 1)[1])
    chunks, position = {}, 8
    while position < len(png):
        length = int.from_bytes(png[position:position + 4], "big")
        chunks[png[position + 4:position + 8]] = png[position + 8:position + 8 + length]
        position += 12 + length
    return chunks[b"IHDR"] + zlib.decompress(chunks[b"IDAT"])


def _page_case(folder: Path, case: dict[str, Any]) -> dict[str, Any]:
    """Convert the file of a page case with the page's adapter."""
    return page_outcome((folder / case["file"]).read_bytes(), case["target"])


def _convert_case(folder: Path, case: dict[str, Any]) -> dict[str, Any]:
    """Convert the file of a convert case to its target."""
    return convert_outcome((folder / case["file"]).read_bytes(), case["target"], case.get("streamed", False))


def environment() -> dict[str, Any]:
    """Return what this interpreter is: versions, platform, the size of ``np.intp``, where dicompress is."""
    return {
        "python": platform.python_version(),
        "platform": sys.platform,
        "machine": platform.machine(),
        "numpy": np.__version__,
        "intp_bytes": np.dtype(np.intp).itemsize,
        "pydicom": pydicom.__version__,
        "dicompress": str(Path(dicompress.__file__).parent),
        "rle": rle.__name__,
    }


def run(folder: str) -> str:
    """Run every check on the case folder `folder`; return the results as one JSON document.

    Parameters
    ----------
    folder : str
        The folder holding ``manifest.json`` and the frame files.

    Returns
    -------
    str
        JSON: ``environment``, ``seconds`` (per section) and, per case name, the
        results of ``encode``, ``decode``, ``corrupt``, ``convert`` and ``page``.
    """
    root = Path(folder)
    manifest = json.loads((root / "manifest.json").read_text())
    sections = {"encode": _encode_case, "decode": _decode_case, "corrupt": _corrupt_case,
                "convert": _convert_case, "page": _page_case}
    results: dict[str, Any] = {"environment": environment(), "seconds": {}}
    for section, check in sections.items():
        start = time.perf_counter()
        results[section] = {case["case"]: check(root, case) for case in manifest[section]}
        results["seconds"][section] = round(time.perf_counter() - start, 3)
    return json.dumps(results)
