"""Whether the optional engines and codecs can run here."""

import re
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec


def numpy_available() -> bool:
    """Return ``True`` when numpy can be imported (it may be absent in the browser)."""
    return find_spec("numpy") is not None


def module_version(distribution: str) -> tuple[int, ...] | None:
    """Return the installed version of `distribution` as numbers (``(2026, 3, 6)``), or ``None``.

    Only the leading dotted numbers count (``"2.6.0rc1"`` gives ``(2, 6, 0)``).
    """
    try:
        text = version(distribution)
    except PackageNotFoundError:
        return None
    numbers = re.match(r"\d+(\.\d+)*", text)
    return tuple(int(part) for part in numbers.group(0).split(".")) if numbers else None
