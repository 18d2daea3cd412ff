"""Speculative lanes of the control-byte search (steps 1 and 2 of :mod:`dicompress.rle.control_chain`).

A lane follows the chain of control bytes from some position as if it were a
control byte, in numpy, all lanes at once, :data:`CHUNK` steps per round trip.
Nodes are marked in a byte array ``code`` the size of the decoder's buffer:
1 for a node of its block's first lane, 2 for a node of its block's bridge.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.indexing import I64, ByteArray, IndexDtype, IntArray

__all__ = ["BLOCK_SHIFT", "BRIDGE_CHUNKS", "CHUNK", "TAIL", "Blocks", "Bridges", "bridge_lanes", "first_lanes"]

BLOCK_SHIFT = 9  # lanes of the control-byte search start every 512 bytes
CHUNK = 16  # lane steps per numpy round trip
BRIDGE_CHUNKS = 4  # bridges longer than this many chunks are left to the walk
TAIL = (CHUNK + 2) * 130  # lanes may overrun their block by this much


class Blocks(NamedTuple):
    """The blocks of every segment (``int32`` or ``int64`` positions in the decoder's buffer)."""

    first: IntArray  # first byte
    end: IntArray  # end: the next block or the end of the segment
    cell: IntArray  # index in the aligned layout: ``first >> BLOCK_SHIFT``


class Bridges(NamedTuple):
    """The bridges: lanes from the previous block's exit to a node of the block's first lane."""

    exit: IntArray  # per cell: where the bridge (else the first lane) leaves the block
    merge: IntArray  # per cell: where the bridge met the first lane, or -1 (``int64``)
    nodes: IntArray  # the bridges' nodes


def _lane_steps(advance: ByteArray, cur: IntArray) -> IntArray:
    """Follow every lane :data:`CHUNK` runs on.

    Parameters
    ----------
    advance : numpy.ndarray
        Per byte of the buffer: the bytes a run consumes if that byte is its control byte.
    cur : numpy.ndarray
        The position of every lane.

    Returns
    -------
    numpy.ndarray
        ``(CHUNK + 1, lanes)``: row ``k`` holds every lane's position after ``k`` runs.
    """
    steps = np.empty((CHUNK + 1, cur.size), dtype=cur.dtype)
    steps[0] = cur
    for k in range(CHUNK):
        np.add(steps[k], advance.take(steps[k]), out=steps[k + 1])
    return steps


def first_lanes(advance: ByteArray, blocks: Blocks, code: ByteArray, cells: int) -> IntArray:
    """Run a lane from every block's first byte until it leaves its block; mark its nodes 1.

    Parameters
    ----------
    advance : numpy.ndarray
        As for :func:`_lane_steps`.
    blocks : Blocks
        The blocks.
    code : numpy.ndarray
        The node marks, zero, modified in place; its last byte is scratch.
    cells : int
        The blocks of the aligned layout.

    Returns
    -------
    numpy.ndarray
        Per cell (and one more): where the lane leaves the block, or the
        largest position of the dtype for an unused cell.
    """
    dtype = blocks.first.dtype
    big = np.iinfo(dtype).max
    dump = code.size - 1  # scratch slot for masked-out scatters
    exit_ = np.full(cells + 1, big, dtype=dtype)
    lane, cur, end = blocks.cell, blocks.first, blocks.end
    while cur.size:
        steps = _lane_steps(advance, cur)
        inside = steps < end
        code[np.where(inside[:-1], steps[:-1], dump)] = 1
        exit_[lane] = np.minimum(exit_[lane], np.where(inside, big, steps).min(axis=0))
        cur = steps[-1]
        alive = cur < end
        lane, cur, end = lane[alive], cur[alive], end[alive]
    code[dump] = 0
    return exit_


def bridge_lanes(
    advance: ByteArray, blocks: Blocks, code: ByteArray, first_exit: IntArray, starts: list[int], cells: int
) -> Bridges:
    """Run a lane from the exit of the previous block's first lane to a node of this block's; mark its nodes 2.

    Where the previous lane met the true chain, its exit is the true entry into
    the block, so the bridge carries the chain to the first lane.  Bridges still
    running after :data:`BRIDGE_CHUNKS` chunks are dropped (the walk steps
    through those blocks).

    Parameters
    ----------
    advance, blocks
        As for :func:`first_lanes`.
    code : numpy.ndarray
        The node marks of :func:`first_lanes`, modified in place.
    first_exit : numpy.ndarray
        The result of :func:`first_lanes`.
    starts : list of int
        The start of every segment (a block with no previous block in its segment has no bridge).
    cells : int
        The blocks of the aligned layout.

    Returns
    -------
    Bridges
        Exits, meeting points and nodes of the bridges.
    """
    dtype = blocks.first.dtype
    dump = code.size - 1
    exit_ = first_exit.copy()
    merge = np.full(cells + 1, -1, dtype=I64)
    has_previous = np.ones(blocks.cell.size, dtype=bool)  # not the first block of its segment
    has_previous[np.searchsorted(blocks.first, np.array(starts, dtype=dtype))] = False
    lane = blocks.cell[has_previous]
    cur = first_exit[lane - 1]
    end = blocks.end[has_previous]
    go = (cur < end) & (code[np.minimum(cur, dump)] == 0)
    lane, cur, end = lane[go], cur[go], end[go]
    stop_chunk = np.full(cells + 1, -1, dtype=np.int16)  # chunk where the bridge stopped
    stop_row = np.zeros(cells + 1, dtype=np.int16)  # and the row of its stop
    history = []
    for chunk in range(BRIDGE_CHUNKS):
        if not cur.size:
            break
        steps = _lane_steps(advance, cur)
        history.append((lane, steps))
        left_block = steps >= end
        stop = left_block | (code.take(steps) == 1)
        stop[0] = False
        first_stop = stop.argmax(axis=0)  # first stop, or 0 when none
        done = first_stop > 0
        if done.any():
            d = np.flatnonzero(done)
            row = first_stop[d]
            at = steps[row, d]
            left = left_block[row, d]
            exit_[lane[d[left]]] = at[left]
            merge[lane[d[~left]]] = at[~left]
            stop_chunk[lane[d]] = chunk
            stop_row[lane[d]] = row
        keep = ~done
        lane, cur, end = lane[keep], steps[-1][keep], end[keep]

    nodes = _bridge_nodes(history, stop_chunk, stop_row, dtype)
    code[nodes] = 2
    code[dump] = 0
    return Bridges(exit_, merge, nodes)


def _bridge_nodes(
    history: list[tuple[IntArray, IntArray]], stop_chunk: IntArray, stop_row: IntArray, dtype: IndexDtype
) -> IntArray:
    """Return the nodes of the bridges that stopped, up to (not including) their stop.

    Parameters
    ----------
    history : list of tuple of numpy.ndarray
        Per chunk: the lanes' cells and their steps.
    stop_chunk, stop_row : numpy.ndarray
        Per cell: the chunk and row where its bridge stopped (chunk -1: never).
    dtype : numpy.dtype
        The position dtype (for an empty result).

    Returns
    -------
    numpy.ndarray
        The positions.
    """
    rows = np.arange(CHUNK + 1, dtype=np.int16)[:, None]
    nodes = []
    for chunk, (lane, steps) in enumerate(history):
        lane_stop = stop_chunk[lane]
        limit = np.where(lane_stop > chunk, CHUNK + 1, np.where(lane_stop == chunk, stop_row[lane], 0))
        nodes.append(steps[rows < limit])
    return np.concatenate(nodes) if nodes else np.zeros(0, dtype=dtype)
