"""The final gather that copies an RLE frame's bytes out of the stacked segments.

The source index of every output byte is a cumulative sum of steps: 1 for the
next byte, 0 where the output byte is written afterwards (header, literal
control bytes, padding), more where a replicate run dropped bytes.  It is built
a chunk of output at a time in one reused buffer that stays in cache.
"""

from __future__ import annotations

import numpy as np

from dicompress.rle.header import HEADER_SIZE
from dicompress.rle.indexing import ByteArray, IntArray, index_dtype

__all__ = ["gather_frame"]

_GATHER_CHUNK = 1 << 18  # output bytes per round of the final gather (stays in cache)


def gather_frame(
    segments: ByteArray, out_size: int, pauses: tuple[IntArray, ...], jump_at: IntArray, jump_by: IntArray
) -> ByteArray:
    """Gather the frame's bytes from `segments`, a chunk of output at a time.

    Parameters
    ----------
    segments : numpy.ndarray
        The stacked segments with the replicate control bytes written in.
    out_size : int
        The size of the frame.
    pauses : tuple of numpy.ndarray
        Sorted output positions where the source index does not advance (the
        bytes written afterwards: literal control bytes and padding).
    jump_at, jump_by : numpy.ndarray
        Sorted output positions where the source index jumps, and the jumps.

    Returns
    -------
    numpy.ndarray
        The frame; the header, the literal control bytes and the padding hold
        copies of neighbouring bytes, for the caller to overwrite.
    """
    out = np.empty(out_size, dtype=np.uint8)
    chunk = min(out_size, _GATHER_CHUNK)
    steps_buf = np.empty(chunk, dtype=index_dtype(segments.size))
    source = -1  # the header reads segments[-1]
    for first in range(0, out_size, chunk):
        stop = min(first + chunk, out_size)
        steps = steps_buf[: stop - first]
        _source_steps(steps, first, stop, pauses, jump_at, jump_by)
        np.cumsum(steps, dtype=steps.dtype, out=steps)
        steps += source
        source = int(steps[-1])
        out[first:stop] = segments[steps]  # not take(): see dicompress.rle.certificate_data
    return out


def _source_steps(
    steps: IntArray, first: int, stop: int, pauses: tuple[IntArray, ...], jump_at: IntArray, jump_by: IntArray
) -> None:
    """Fill `steps` with the source index steps of output bytes ``first`` to ``stop``.

    Parameters
    ----------
    steps : numpy.ndarray
        ``stop - first`` steps, filled in place.
    first, stop : int
        The output chunk.
    pauses, jump_at, jump_by : numpy.ndarray
        As for :func:`gather_frame`.
    """
    steps.fill(1)
    if first < HEADER_SIZE:
        steps[: min(HEADER_SIZE, stop) - first] = 0
    for positions in pauses:
        a, b = np.searchsorted(positions, (first, stop))
        steps[positions[a:b] - first] = 0
    a, b = np.searchsorted(jump_at, (first, stop))
    steps[jump_at[a:b] - first] = jump_by[a:b]
