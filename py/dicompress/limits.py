"""Limits that keep a hostile file from exhausting the stack or the memory, each one a person can override.

A file is looked at (:mod:`dicompress.reading.structure`) before pydicom reads it, and refused with a
:class:`~dicompress.errors.LimitExceededError` when it exceeds one of these:

Sequence depth
    pydicom reads and writes nested sequences recursively: 1,000 nested sequences exhaust
    Python's stack, and in the browser they stop Pyodide for good. Real files nest a few
    levels, structured reports a few dozen.
Inflation
    A deflated data set is inflated whole by pydicom. A 6 MB file can inflate to 6 GB; real
    images deflate by 2 to 10 times, blank ones by up to 1,000.
Frame size
    A file is converted a frame at a time, a few copies of the frame at once. Where memory is
    small and fixed (Python in the browser), a frame larger than it can hold is refused before
    anything of it is read; elsewhere there is no limit.

Override them per call: ``convert(data, limits=Limits(max_sequence_depth=500))``.
"""

from dataclasses import dataclass

MIB = 1024**2


@dataclass(frozen=True)
class Limits:
    """How far a file may go before it is refused.

    Attributes
    ----------
    max_sequence_depth : int
        Sequences may nest this many levels deep (a sequence at the top of the data set is
        level 1). Python's stack holds about 170 levels of pydicom's recursion with its
        default recursion limit (see :mod:`dicompress.reading.data_set_checks`).
    max_inflation : int
        A deflated data set may inflate to this many times its deflated size...
    min_inflation_budget : int
        ...or to this many bytes, if that is more (so small blank images are never refused).
    max_frame_bytes : int or None
        One uncompressed frame may hold at most this many bytes (``None``: no limit).
    """

    max_sequence_depth: int = 150
    max_inflation: int = 100
    min_inflation_budget: int = 256 * MIB
    max_frame_bytes: int | None = None

    def inflation_budget(self, deflated_bytes: int) -> int:
        """Return how many bytes a data set of `deflated_bytes` deflated bytes may inflate to."""
        return max(self.min_inflation_budget, self.max_inflation * deflated_bytes)


#: The limits :func:`dicompress.service.convert` and :func:`dicompress.preview.describe` apply.
DEFAULT_LIMITS = Limits()
