"""Whether the optional numpy engine can run here."""

from importlib.util import find_spec


def numpy_available() -> bool:
    """Return ``True`` when numpy can be imported (it may be absent in the browser)."""
    return find_spec("numpy") is not None
