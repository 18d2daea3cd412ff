"""The checks of one segment, for :mod:`dicompress.rle.certificate` (steps 2 to 5 there).

:func:`check_segment` goes through the segment a chunk of stream bytes at a time,
with the certificate's control bytes in that chunk, so the stream, the runs, the
output offsets and the source bytes it reads stay in cache.

Gathers index arrays (``a[indices]``) rather than call ``take``: in Pyodide's numpy ``take``
copies byte samples one ``memmove`` at a time, several times slower (measured: 0.6 ms
against 2.6 ms for 2**18 bytes); both raise for an index out of range.
"""

from __future__ import annotations

import numpy as np

from dicompress.rle.indexing import ByteArray, IntArray
from dicompress.rle.runs import ADVANCE, PRODUCE32

__all__ = ["check_segment"]

_CHUNK = 1 << 18  # stream bytes per round

ADVANCE8 = np.frombuffer(ADVANCE, dtype=np.uint8)
PRODUCE8 = PRODUCE32.astype(np.uint8)  # at most 128
#: How far the output offset moves from the last byte of a run to the next
#: control byte (which maps to the offset just before its run), by the run's
#: control byte: not at all after a literal run, ``n - 1`` after a replicate run
#: of ``n`` bytes.
_STEP_AFTER = np.array([0 if c <= 128 else 256 - c for c in range(256)], dtype=np.intp)


def check_segment(
    stream: ByteArray, positions: IntArray, start: int, stop: int, pixels: ByteArray, base: int, stride: int,
    rows: int, columns: int,
) -> int | None:
    """Check one segment against its source; return the differing source pairs it accounts for.

    Parameters
    ----------
    stream : numpy.ndarray
        The frame.
    positions : numpy.ndarray
        The certificate's control bytes of the segment (``np.intp``), those in ``[start, stop)`` if it is right.
    start, stop : int
        The segment: ``stream[start:stop]``.
    pixels : numpy.ndarray
        The source samples.
    base, stride : int
        Where the segment's source bytes are: ``pixels[base + stride * k]`` is output byte ``k``.
    rows, columns : int
        The frame size.

    Returns
    -------
    int or None
        ``None`` if a check of steps 2 to 4 fails; else how many neighbouring
        source bytes differ inside literal runs or across two runs (step 5).
    """
    if not positions.size or positions[0] != start:
        return None
    chunk = min(stop - start, _CHUNK)
    offsets_buf = np.empty(chunk, dtype=np.intp)
    expected_buf = np.empty(chunk, dtype=np.uint8)
    differ_buf = np.empty(chunk, dtype=bool)
    control_buf = np.zeros(chunk + 1, dtype=bool)
    steps = _STEP_AFTER * stride
    offset = base - stride  # source index before the output; the first control byte maps there
    last_ctrl = -1  # the control byte before the chunk (none: no jump onto the first)
    reach = start  # where the next run starts
    produced = 0  # output bytes of the runs so far
    next_row = 1
    k0 = 0
    counted = 0
    for lo in range(start, stop, chunk):
        hi = min(lo + chunk, stop)
        k1 = int(positions.searchsorted(positions.dtype.type(hi)))  # same dtype: no copy of `positions`
        here = positions[k0:k1]
        ctrl = stream.take(here, mode="clip")
        # Step 2: each control byte is where the run before ends, and the runs reach the chunk's end.
        advance = ADVANCE8[ctrl]
        if here.size:
            if int(here[0]) != reach or not np.array_equal(np.diff(here), advance[:-1]) or here[-1] >= hi:
                return None
            reach = int(here[-1]) + int(advance[-1])
        if reach < hi:
            return None
        # Step 3: run lengths; only the segment's last run may produce nothing.
        produce = PRODUCE8[ctrl]
        if k1 == positions.size and here.size:
            room = stop - int(here[-1]) - 1
            c = int(ctrl[-1])
            produce[-1] = min(c + 1, room) if c < 128 else (257 - c if c > 128 and room > 0 else 0)
            if np.count_nonzero(produce[:-1]) != produce.size - 1:
                return None
        elif np.count_nonzero(produce) != produce.size:
            return None
        ends = np.cumsum(produce, dtype=np.intp)
        ends += produced
        if ends.size:
            produced = int(ends[-1])
        if produced > rows * columns:
            return None  # more output than the segment holds (the offsets below would leave the source)
        last_row = min(rows - 1, produced // columns)
        if last_row >= next_row:
            row_starts = np.arange(next_row, last_row + 1, dtype=np.intp) * columns
            at = np.minimum(np.searchsorted(ends, row_starts), ends.size - 1)
            if not np.array_equal(ends[at], row_starts):
                return None  # a run crosses a row
            next_row = last_row + 1
        # Step 4: every byte but the control bytes is the source byte at its output offset.
        is_control = control_buf[: hi - lo + 1]
        is_control.fill(False)
        is_control[here - lo] = True
        is_control[-1] = k1 < positions.size and int(positions[k1]) == hi
        previous = np.empty(here.size, dtype=np.uint8)
        if here.size:
            previous[0] = last_ctrl if last_ctrl >= 0 else 0
            previous[1:] = ctrl[:-1]
            last_ctrl = int(ctrl[-1])
        offsets = offsets_buf[: hi - lo]
        offsets.fill(stride)
        offsets[here - lo] = steps[previous]
        offsets[0] += offset
        np.cumsum(offsets, out=offsets)
        offset = int(offsets[-1])
        expected = expected_buf[: hi - lo]
        expected[:] = pixels[offsets]
        differ = differ_buf[: hi - lo]
        np.not_equal(expected, stream[lo:hi], out=differ)
        np.greater(differ, is_control[:-1], out=differ)  # differs and is no control byte
        if differ.any():
            return None
        # Step 5, across runs: the source byte before each run (`expected` at its control byte) and its first.
        starting = is_control[:-1].copy()
        if lo == start:
            starting[0] = False  # no byte before the first run
        if k1 == positions.size and here.size and not produce[-1]:
            starting[int(here[-1]) - lo] = False  # padding: no run
        across = min(hi, stream.size - 1) - lo
        differ = differ_buf[:across]
        np.not_equal(expected[:across], stream[lo + 1 : lo + 1 + across], out=differ)
        differ &= starting[:across]
        counted += np.count_nonzero(differ)
        # Step 5, inside literal runs: pairs (j, j + 1), j + 1 < stop, touching no control byte.
        pairs = min(hi, stop - 1) - lo
        differ = differ_buf[:pairs]
        np.not_equal(stream[lo + 1 : lo + 1 + pairs], stream[lo : lo + pairs], out=differ)
        np.greater(differ, is_control[:pairs], out=differ)
        np.greater(differ, is_control[1 : pairs + 1], out=differ)
        counted += np.count_nonzero(differ)
        k0 = k1
    if k0 != positions.size or produced != rows * columns or next_row != rows:
        return None
    return int(counted)
