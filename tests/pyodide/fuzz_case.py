"""Convert one fuzz case and say what happened: shared by CPython's worker and the run inside Pyodide.

``tests/fuzz_worker.py`` imports it on CPython (``tests.pyodide.fuzz_case``);
``tests/pyodide/run_checks.mjs --fuzz`` imports it inside Pyodide (``fuzz_case``) and calls
:func:`convert_case` for each case of the folder, so both surfaces report in one form.

The folder holds ``cases.json`` (a list of ``{"file": ..., "target": ...}``) and the case files.
"""

import json
import logging
import warnings
from pathlib import Path
from typing import Any


def quiet() -> None:
    """Silence pydicom's warnings and log lines: the outcomes are the result."""
    warnings.simplefilter("ignore")
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)


def outcome(folder: Path, entry: dict[str, str], suffix: str) -> dict[str, Any]:
    """Convert the case `entry` of `folder`; write a result to ``<file><suffix>``; return its outcome.

    Parameters
    ----------
    folder : Path
        The case folder.
    entry : dict
        ``{"file": ..., "target": ...}`` from ``cases.json``.
    suffix : str
        What the result's name adds to the case file's (``".out"``, ``".wasm.out"``).

    Returns
    -------
    dict
        ``"outcome"`` (``"done"``, ``"typed"`` or ``"exception"``), ``"code"`` (the error's
        code or type; ``"done"``) and ``"message"``.
    """
    from dicompress.errors import ConversionError
    from dicompress.service import convert

    data = (folder / entry["file"]).read_bytes()
    try:
        result = convert(data, entry["target"])
    except ConversionError as exc:
        return {"outcome": "typed", "code": exc.code, "message": str(exc)}
    except BaseException as exc:  # the tests report every other kind, panics and exits too
        return {"outcome": "exception", "code": type(exc).__name__, "message": str(exc)[:2000]}
    (folder / f"{entry['file']}{suffix}").write_bytes(result.data)
    return {"outcome": "done", "code": "done", "message": ""}


def convert_case(folder: str, index: int) -> str:
    """Convert case `index` of `folder` inside Pyodide; return its outcome as one JSON line.

    The result of a case that converts is written next to it as ``<file>.wasm.out``.
    """
    root = Path(folder)
    entries = json.loads((root / "cases.json").read_text())
    return json.dumps({"index": index, **outcome(root, entries[index], ".wasm.out")})
