"""What a command-line run tells: the summary table, its totals and the ``--report`` JSON."""

import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from dicompress import __version__, frontend
from dicompress.cli.storage import Location
from dicompress.cli.tasks import Outcome

_HEADER = ("file", "status", "input", "output", "ratio", "frames", "plugin", "seconds", "message")


def summary(outcomes: Sequence[Outcome], seconds: float, processes: int) -> str:
    """Return the table of outcomes (paths as the person named them) and the totals lines."""
    rows = [_HEADER]
    for o in outcomes:
        r = o.report or {}
        rows.append((
            o.job.shown, o.status, _size(o.input_bytes), _size(o.output_bytes), _ratio(o),
            str(r.get("frames", "")), o.plugin, f"{r['seconds']:.2f}" if r else "", message(o),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1] for row in rows]
    return "\n".join([line.rstrip() for line in lines] + totals(outcomes, seconds, processes))


def totals(outcomes: Sequence[Outcome], seconds: float, processes: int) -> list[str]:
    """Return the closing lines: files by status; bytes in and out; time and engine.

    Bytes count the files that have a result (converted, copied, kept or up to date).
    """
    count = counts(outcomes)
    # "kept" is named only when a file was: most runs keep none.
    statuses = ", ".join(f"{count[s]} {s}" for s in frontend.STATUSES if s != "kept" or count[s])
    size_in, size_out = count["input_bytes"], count["output_bytes"]
    ratio = f" (ratio {size_in / size_out:.2f})" if size_out else ""
    workers = f"{processes} processes" if processes > 1 else "1 process"
    engine = _engine(outcomes)
    return [
        f"{files(count['files'])}: {statuses}",
        f"{_size(size_in)} in, {_size(size_out)} out{ratio}; {seconds:.2f} s; {workers}"
        + (f"; engine {engine}" if engine else ""),
    ]


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """Return the number of files in all and by status, and the bytes in and out of those with a result."""
    kept = [o for o in outcomes if o.output_bytes is not None]
    return {
        "files": len(outcomes),
        **{s: sum(o.status == s for o in outcomes) for s in frontend.STATUSES},
        "input_bytes": sum(o.input_bytes or 0 for o in kept),
        "output_bytes": sum(o.output_bytes or 0 for o in kept),
    }


def message(outcome: Outcome) -> str:
    """Return an outcome's message, where its result went if renamed, and its warnings, on one line."""
    parts = [outcome.message] if outcome.message else []
    if outcome.output_bytes is not None and PurePosixPath(outcome.job.name).name != outcome.job.source.name:
        parts.append(f"saved as {outcome.job.name}")
    parts += [f"warning: {w}" for w in outcome.warnings]
    return "; ".join(parts)


def document(outcomes: Sequence[Outcome], output: Location, seconds: float, options: dict[str, Any]) -> dict[str, Any]:
    """Return the ``--report`` document: the run's options and totals, and one record per file."""
    return {
        "dicompress": __version__, "engine": _engine(outcomes) or None, "output": str(output),
        "options": options, "seconds": seconds, "totals": counts(outcomes),
        "files": [_record(o, output) for o in outcomes],
    }


def as_json(document: dict[str, Any]) -> str:
    """Return the ``--report`` document as the JSON text of ``--report FILE.json``."""
    return json.dumps(document, indent=1) + "\n"


def _record(o: Outcome, output: Location) -> dict[str, Any]:
    """Return the ``--report`` record of one file."""
    return {
        "file": o.job.shown, "source": str(o.job.source),
        "result": str(output / o.job.name) if o.output_bytes is not None else None,
        "status": o.status, "code": o.code, "message": message(o), "warnings": list(o.warnings),
        "input_bytes": o.input_bytes, "output_bytes": o.output_bytes,
        "ratio": o.input_bytes / o.output_bytes if o.input_bytes is not None and o.output_bytes else None,
        "transfer_syntax": o.syntax, "plugin": o.plugin or None, "conversion": o.report,
    }


def files(n: int) -> str:
    """Return "1 file" or "n files"."""
    return f"{n} file" if n == 1 else f"{n} files"


def _engine(outcomes: Sequence[Outcome]) -> str:
    """Return the engine that did the work ("" if no file got that far)."""
    return next((o.engine for o in outcomes if o.engine), "")


def _ratio(o: Outcome) -> str:
    """Return input size / output size for a converted or up-to-date result."""
    if o.status in ("converted", "up to date") and o.input_bytes is not None and o.output_bytes:
        return f"{o.input_bytes / o.output_bytes:.2f}"
    return ""


def _size(n: int | None) -> str:
    """Return a byte count for people (e.g. 7.20 MB), or "" for None."""
    return "" if n is None else frontend.size_text(n)
