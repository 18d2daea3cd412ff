"""Expanding the runs of RLE segments into their output bytes, given the control positions.

Per segment, either with ``np.repeat`` of the stream bytes (long replicate runs:
the stream is much shorter than the output) or with a gather through a source
index built from two cumulative sums (short or literal runs).  Runs follow
pydicom's decoder (see :mod:`dicompress.rle.runs`); a segment that decodes to
more bytes than the frame needs is cut with pydicom's warning, one that decodes
to fewer is an error.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.indexing import I64, BoolArray, ByteArray, IntArray, index_dtype
from dicompress.rle.runs import ADVANCE32, PRODUCE32, segment_too_short, warn_padding

__all__ = ["expand_segments"]

_INDEX_CHUNK = 1 << 18  # output bytes per round of the index expansion (stays in cache)


class _Runs(NamedTuple):
    """The runs of one segment that produce its output, in order."""

    ctrl_pos: IntArray  # position of the control byte (``int64``)
    ctrl: ByteArray  # the control byte
    produce: IntArray  # bytes produced (``int32``), all > 0
    ends: IntArray  # output position after the run (``int64``)
    noops: IntArray  # positions of the no-op controls (128) among them, left out above


def expand_segments(
    data: bytearray, ctrl_pos: IntArray, starts: list[int], lengths: list[int], planes: ByteArray
) -> None:
    """Decode segment ``s`` into ``planes[s]``, exactly filling it.

    Parameters
    ----------
    data : bytearray
        The segments, segment ``s`` at ``data[starts[s] : starts[s] + lengths[s]]``.
    ctrl_pos : numpy.ndarray
        The positions of all control bytes, increasing.
    starts, lengths : list of int
        Start and length of every segment.
    planes : numpy.ndarray
        ``(segments, seg_size)`` ``uint8``, written.

    Raises
    ------
    RLEError
        If a segment decodes to fewer than ``seg_size`` bytes.
    """
    src = np.frombuffer(data, dtype=np.uint8)
    nr_segments, seg_size = planes.shape
    seg_first = np.searchsorted(ctrl_pos, np.array(starts, dtype=I64))
    seg_stop = np.append(seg_first[1:], ctrl_pos.size)
    for s in range(nr_segments):
        runs = _segment_runs(src, ctrl_pos[seg_first[s] : seg_stop[s]], starts[s] + lengths[s], seg_size, s)
        literal = runs.ctrl < 128
        span = int(runs.ctrl_pos[-1]) + 2 - int(runs.ctrl_pos[0])  # stream bytes of these runs
        if 2 * span < seg_size:
            _expand_by_repeat(src, runs, literal, planes[s])
        else:
            _expand_by_index(src, runs, literal, planes[s])


def _segment_runs(src: ByteArray, ctrl_pos: IntArray, stop: int, seg_size: int, index: int) -> _Runs:
    """Return the runs that fill one segment's output, the last one cut to fit.

    Parameters
    ----------
    src : numpy.ndarray
        The decoder's buffer.
    ctrl_pos : numpy.ndarray
        The positions of the segment's control bytes.
    stop : int
        The end of the segment in `src`.
    seg_size : int
        The bytes the segment decodes to.
    index : int
        The segment's index, for the messages.

    Returns
    -------
    _Runs
        The runs up to the one that completes the output.

    Raises
    ------
    RLEError
        If the segment decodes to fewer than `seg_size` bytes.
    """
    ctrl = src[ctrl_pos]
    produce = PRODUCE32.take(ctrl)
    # The last run may be cut short by the end of the segment.
    last = int(ctrl_pos[-1])
    last_ctrl = int(ctrl[-1])
    if last_ctrl < 128:
        produce[-1] = min(last_ctrl + 1, stop - last - 1)
    elif last_ctrl > 128 and last + 1 >= stop:
        produce[-1] = 0
    ends = np.cumsum(produce, dtype=I64)
    total = int(ends[-1])
    if total < seg_size:
        raise segment_too_short(index, total, seg_size)
    k = int(np.searchsorted(ends, seg_size))  # the run that completes the segment
    if total > seg_size:
        warn_padding(total, seg_size, stacklevel=4)
        produce[k] -= int(ends[k]) - seg_size
        ends[k] = seg_size
    ctrl_pos, ctrl, produce, ends = ctrl_pos[: k + 1], ctrl[: k + 1], produce[: k + 1], ends[: k + 1]
    noops = ctrl_pos[:0]
    if not produce.all():
        # Drop the runs that produce nothing (control 128).
        use = produce > 0
        noops = ctrl_pos[~use]
        ctrl_pos, ctrl, produce, ends = ctrl_pos[use], ctrl[use], produce[use], ends[use]
    return _Runs(ctrl_pos, ctrl, produce, ends, noops)


def _expand_by_index(src: ByteArray, runs: _Runs, literal: BoolArray, out: ByteArray) -> None:
    """Gather the output through a source index.

    The index steps by 1 in literal runs, by 0 in replicate runs.  Between two
    runs that follow each other in the stream it steps by 2 (over the next
    control byte); after no-op controls, by more.  It is built a chunk of
    output at a time in two reused buffers.

    Parameters
    ----------
    src : numpy.ndarray
        The decoder's buffer.
    runs : _Runs
        The segment's runs.
    literal : numpy.ndarray
        Per run: it is a literal run.
    out : numpy.ndarray
        The segment's output, written.
    """
    dtype = index_dtype(src.size)
    ctrl_pos, ctrl, produce, ends, _ = runs
    run_first = ends - produce  # output position of every run
    step_in = np.empty(produce.size, dtype=dtype)  # source step onto each run's first byte
    step_in[0] = ctrl_pos[0] + 1
    step_in[1:] = 2
    gap = np.diff(ctrl_pos) - ADVANCE32.take(ctrl[:-1])
    if gap.any():
        step_in[1:] += gap.astype(dtype)
    kind_change = np.zeros(produce.size, dtype=np.int8)  # literal-or-not changes at run starts
    np.subtract(literal[1:], literal[:-1], out=kind_change[1:], dtype=np.int8)
    kind_change[0] = literal[0]
    size = out.size
    chunk = min(size, _INDEX_CHUNK)
    marks_buf = np.empty(chunk, dtype=np.int8)
    steps_buf = np.empty(chunk, dtype=dtype)
    run0 = 0  # the run holding the chunk's first byte
    for first in range(0, size, chunk):
        stop = min(first + chunk, size)
        marks = marks_buf[: stop - first]
        steps = steps_buf[: stop - first]
        run_stop = int(np.searchsorted(run_first, stop))  # runs starting before stop
        later = run_first[run0 + 1 : run_stop] - first  # later run starts in this chunk
        # In literal runs the source moves with the output: a cumulative sum of
        # the kind changes is 1 there and 0 in replicate runs.
        marks[:] = 0
        marks[0] = literal[run0]
        marks[later] = kind_change[run0 + 1 : run_stop]
        np.cumsum(marks, dtype=dtype, out=steps)
        steps[later] = step_in[run0 + 1 : run_stop]
        steps[0] = int(ctrl_pos[run0]) + 1 + (first - int(run_first[run0])) * int(literal[run0])
        np.cumsum(steps, dtype=steps.dtype, out=steps)
        out[first:stop] = src[steps]  # not take(): see dicompress.rle.certificate_data
        run0 = int(np.searchsorted(run_first, stop, side="right")) - 1


def _expand_by_repeat(src: ByteArray, runs: _Runs, literal: BoolArray, out: ByteArray) -> None:
    """Repeat every stream byte: control bytes 0 times, literal data once, replicate values as often as their run says.

    Parameters
    ----------
    src, runs, literal, out
        As for :func:`_expand_by_index`.
    """
    ctrl_pos, produce, noops = runs.ctrl_pos, runs.produce, runs.noops
    data_pos = ctrl_pos + 1  # first data byte of every run
    start = int(ctrl_pos[0])
    data_end = int(data_pos[-1]) + (int(produce[-1]) if literal[-1] else 1)
    # int32 counts: np.repeat takes np.intp, which int32 casts to safely on
    # 64-bit CPython and is under Pyodide.
    counts = np.ones(data_end - start, dtype=np.int32)
    counts[ctrl_pos - start] = 0
    counts[noops[noops > start] - start] = 0
    replicate = ~literal
    counts[data_pos[replicate] - start] = produce[replicate]
    out[...] = np.repeat(src[start:data_end], counts)
