"""The page's codec plugins inside Pyodide (wasm32), on DICOM files prepared on the host.

``tests/pyodide/run_checks.mjs --codecs DIST`` registers the page's codec bridge
(``web/codecs.js`` over the build's ``codecs/``) as the worker does and awaits :func:`run`
on the mounted case folder, whose ``manifest.json`` reads::

    {"decode":  [{"case": ..., "file": path, "frames": path to write}],
     "convert": [{"case": ..., "file": path, "target": name, "output": path to write}],
     "damaged": [{"case": ..., "file": path, "then": path of a good file of the same codec}],
     "refused": [{"case": ..., "file": path, "then": path of a good file}],
     "encode":  [{"case": ..., "file": path, "target": name, "output": path to write}],
     "compress": [{"case": ..., "file": path, "syntax": uid, "photometric": str or null, "output": path}]}

(a section may be left out). ``encode`` converts as the page does, loading the codecs the
target needs as well (:func:`dicompress.browser.needs_codecs`), and answers a typed error
with its code and message instead of raising it. ``compress`` is pydicom's own
``Dataset.compress(syntax)`` after ``dicompress.register()``, no plugin named, with
Photometric Interpretation set first when given (as pydicom asks: the data set describes
the compressed result, e.g. ``YBR_RCT`` for RGB through the reversible colour transform).

``decode`` frames come from pydicom's decoder with the plugin ``"dicompress"`` (saved as one
``.npy`` of all frames); ``convert`` goes through :func:`dicompress.service.convert` as the
page does; a ``damaged`` or ``refused`` file ends in a typed error (or converts), after
which ``then`` still converts.
"""

import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom import dcmread
from pydicom.pixels import get_decoder

from dicompress import errors
from dicompress.browser import needs_codecs
from dicompress.reading.compressed_input import codec_families, enable_codecs
from dicompress.service import convert


async def _need(need: Any, data: bytes) -> None:
    """Have the bridge load the codec families `data` needs (as the worker does first)."""
    from pyodide.ffi import to_js

    await need(to_js(codec_families(data)))


async def _decode_case(root: Path, case: dict[str, Any], need: Any) -> dict[str, Any]:
    data = (root / case["file"]).read_bytes()
    await _need(need, data)
    ds = dcmread(root / case["file"])
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    frames = [array for array, _ in decoder.iter_array(ds, decoding_plugin="dicompress")]
    np.save(root / case["frames"], np.stack(frames))
    return {"frames": len(frames), "dtype": str(frames[0].dtype), "shape": list(frames[0].shape)}


async def _convert_case(root: Path, case: dict[str, Any], need: Any) -> dict[str, Any]:
    data = (root / case["file"]).read_bytes()
    await _need(need, data)
    result = convert(data, case["target"])
    (root / case["output"]).write_bytes(result.data)
    return {"verified": result.report.verified}


async def _damaged_case(root: Path, case: dict[str, Any], need: Any) -> dict[str, Any]:
    data = (root / case["file"]).read_bytes()
    outcome: dict[str, Any] = {"code": None, "message": None}
    try:
        await _need(need, data)
        convert(data, "rle")
    except errors.ConversionError as exc:
        outcome = {"code": exc.code, "message": str(exc)}
    good = (root / case["then"]).read_bytes()
    await _need(need, good)
    outcome["then_verified"] = convert(good, "rle").report.verified
    return outcome


async def _encode_case(root: Path, case: dict[str, Any], need: Any) -> dict[str, Any]:
    from pyodide.ffi import to_js

    data = (root / case["file"]).read_bytes()
    await need(to_js(needs_codecs(data, case["target"])))
    try:
        result = convert(data, case["target"])
    except errors.ConversionError as exc:
        return {"code": exc.code, "message": str(exc)}
    (root / case["output"]).write_bytes(result.data)
    return {"verified": result.report.verified, "plugin": result.report.plugin, "seconds": result.report.seconds}


async def _compress_case(root: Path, case: dict[str, Any], need: Any) -> dict[str, Any]:
    from pyodide.ffi import to_js

    import dicompress
    from dicompress.plugins.wasm_codecs import ENCODING_FAMILIES

    await need(to_js([ENCODING_FAMILIES[case["syntax"]]]))
    dicompress.register()
    ds = dcmread(root / case["file"])
    if case["photometric"]:
        ds.PhotometricInterpretation = case["photometric"]
    ds.compress(case["syntax"])
    ds.save_as(root / case["output"])
    return {"syntax": str(ds.file_meta.TransferSyntaxUID)}


def environment(enabled: list[str]) -> dict[str, Any]:
    """Return what the checks ran on, and the syntaxes the plugin was enabled for."""
    return {"platform": sys.platform, "machine": platform.machine(), "pydicom": pydicom.__version__,
            "numpy": np.__version__, "enabled": enabled}


async def run(folder: str, need: Any) -> str:
    """Run every case of the folder's manifest; return the results as JSON.

    Parameters
    ----------
    folder : str
        The folder holding ``manifest.json`` and the files.
    need : JavaScript function
        The bridge's ``need(families)``: loads codec families (a promise).

    Returns
    -------
    str
        ``{"environment": {...}, "decode": {case: ...}, "convert": {...}, "damaged": {...}}``.
    """
    root = Path(folder)
    manifest = json.loads((root / "manifest.json").read_text())
    results: dict[str, Any] = {"environment": environment(enable_codecs())}
    checks = {"decode": _decode_case, "convert": _convert_case, "damaged": _damaged_case, "refused": _damaged_case,
              "encode": _encode_case, "compress": _compress_case}
    for section, check in checks.items():
        if section not in manifest:
            continue
        results[section] = {case["case"]: await check(root, case, need) for case in manifest[section]}
    return json.dumps(results)
