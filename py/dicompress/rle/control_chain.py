"""Finding the control bytes of RLE segments: a sequential chain, followed mostly in numpy.

Each control byte says how far the next one is, so the position of a control
byte depends on every control byte before it.  The segments are laid out in
one buffer, each starting at a multiple of the block size (512 bytes), and:

1. *Lanes*: every block gets a lane that follows the chain from the block's
   first byte as if it were a control byte, all lanes at once in numpy (16
   steps per round trip), until each leaves its block.  A lane that starts
   on a data byte is wrong at first, but chains that meet stay together, and
   on replicate-dense data a wrong lane meets the true chain within a few runs.
2. *Bridges*: every block gets a second lane from the exit of the previous
   block's lane (the true entry whenever that lane met the true chain), up to
   where it meets its block's first lane (at most 64 steps; longer bridges
   are dropped).  Both in :mod:`dicompress.rle.chain_lanes`.
3. *Walk*: an exact scalar walk from each segment start.  Whenever it is on a
   node of a lane of the current block, it jumps to where that lane leaves
   the block; otherwise it steps one run.  On replicate-dense data this is
   about one step per block; where lanes do not meet the chain (long literal
   runs) it is one step per run, and those runs are long; on adversarial data
   it is one step per run, never a wrong result.

Nodes of lanes the walk entered, from the entry point on, plus the nodes the
walk stepped on, are the control bytes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.chain_lanes import BLOCK_SHIFT, TAIL, Blocks, Bridges, bridge_lanes, first_lanes
from dicompress.rle.indexing import I64, ByteArray, IndexDtype, IntArray, index_dtype
from dicompress.rle.runs import ADVANCE

__all__ = ["BLOCK_SHIFT", "TAIL", "control_positions"]


class _Walk(NamedTuple):
    """Where the exact walk went."""

    first_entries: list[int]  # positions where it joined a first lane
    bridge_entries: list[int]  # positions where it joined a bridge
    stepped: list[int]  # positions it stepped on one run at a time


def control_positions(data: bytearray, starts: list[int], lengths: list[int]) -> IntArray:
    """Return the position of every control byte of every segment, in order.

    Parameters
    ----------
    data : bytearray
        The segments, segment ``s`` at ``data[starts[s] : starts[s] + lengths[s]]``,
        followed by at least :data:`TAIL` bytes.
    starts : list of int
        Where each segment starts: multiples of the block size.
    lengths : list of int
        The length of each segment.

    Returns
    -------
    numpy.ndarray
        ``int64`` positions in `data`.
    """
    size = len(data)
    advance_buf = data.translate(ADVANCE)  # a bytearray: reused as scratch at the end
    advance = np.frombuffer(advance_buf, dtype=np.uint8)
    blocks = _blocks(starts, lengths, index_dtype(size))
    cells = (size - TAIL) >> BLOCK_SHIFT  # blocks of the aligned layout (some unused)

    code = np.zeros(size, dtype=np.uint8)  # 1 = node of its block's first lane, 2 = of its bridge
    first_exit = first_lanes(advance, blocks, code, cells)
    bridges = bridge_lanes(advance, blocks, code, first_exit, starts, cells)
    walk = _walk(code, advance, first_exit, bridges.exit, starts, lengths)
    del advance
    return _valid_nodes(code, advance_buf, cells, bridges, walk)


def _blocks(starts: list[int], lengths: list[int], dtype: IndexDtype) -> Blocks:
    """Return the blocks of every segment.

    Parameters
    ----------
    starts, lengths : list of int
        Start and length of every segment.
    dtype : numpy.dtype
        The position dtype.

    Returns
    -------
    Blocks
        Every block of 512 bytes (the last of a segment may be shorter).
    """
    firsts = []
    ends = []
    for start, length in zip(starts, lengths):
        first = np.arange(start, start + length, 1 << BLOCK_SHIFT, dtype=dtype)
        firsts.append(first)
        ends.append(np.minimum(first + (1 << BLOCK_SHIFT), start + length).astype(dtype))
    first = np.concatenate(firsts)
    return Blocks(first, np.concatenate(ends), first >> BLOCK_SHIFT)


def _walk(
    code: ByteArray, advance: ByteArray, first_exit: IntArray, bridge_exit: IntArray, starts: list[int],
    lengths: list[int],
) -> _Walk:
    """Walk the true chain of every segment, jumping along the lanes it lands on.

    Parameters
    ----------
    code : numpy.ndarray
        Node marks: 1 for a node of its block's first lane, 2 for one of its bridge.
    advance : numpy.ndarray
        Per byte: the bytes a run consumes if that byte is its control byte.
    first_exit, bridge_exit : numpy.ndarray
        Per cell: where the first lane and the bridge leave the block.
    starts, lengths : list of int
        Start and length of every segment.

    Returns
    -------
    _Walk
        Entry points into lanes and the positions stepped on.
    """
    shift = BLOCK_SHIFT
    codes = code.data
    advances = advance.data
    exit1 = first_exit.tolist()
    exit2 = bridge_exit.tolist()
    walk = _Walk([], [], [])
    enter1 = walk.first_entries.append
    enter2 = walk.bridge_entries.append
    step = walk.stepped.append
    for start, length in zip(starts, lengths):
        pos = start
        stop = start + length
        while pos < stop:
            mark = codes[pos]
            if mark == 1:
                enter1(pos)
                pos = exit1[pos >> shift]
            elif mark == 2:
                enter2(pos)
                pos = exit2[pos >> shift]
            else:
                step(pos)
                pos += advances[pos]
    return walk


def _valid_nodes(code: ByteArray, scratch: bytearray, cells: int, bridges: Bridges, walk: _Walk) -> IntArray:
    """Return the control bytes: the lane nodes from where the walk entered, and the nodes it stepped on.

    Parameters
    ----------
    code : numpy.ndarray
        Node marks; overwritten (becomes the mask of control bytes).
    scratch : bytearray
        At least ``cells << BLOCK_SHIFT`` bytes that may be overwritten.
    cells : int
        The blocks of the aligned layout.
    bridges : Bridges
        The bridges.
    walk : _Walk
        The walk.

    Returns
    -------
    numpy.ndarray
        ``int64`` positions, increasing.
    """
    shift = BLOCK_SHIFT
    block = 1 << shift
    # Per block: the first valid offset of first-lane nodes (from the entry, or
    # from where the entered bridge met the first lane), and of bridge nodes.
    cut1 = np.full(cells, block, dtype=np.int16)
    cut2 = np.full(cells, block, dtype=np.int16)
    if walk.bridge_entries:
        entry = np.array(walk.bridge_entries, dtype=I64)
        cut2[entry >> shift] = entry & (block - 1)
        met = bridges.merge[entry >> shift]
        m = met >= 0
        cut1[(entry >> shift)[m]] = met[m] & (block - 1)
    if walk.first_entries:
        entry = np.array(walk.first_entries, dtype=I64)
        cut1[entry >> shift] = entry & (block - 1)

    bridge_nodes = bridges.nodes[bridges.nodes >= 0]
    if walk.bridge_entries and bridge_nodes.size:
        bridge_nodes = bridge_nodes[(bridge_nodes & (block - 1)) >= cut2[bridge_nodes >> shift]]
    else:
        bridge_nodes = bridge_nodes[:0]
    # In place, in memory this function owns: code becomes the mask of valid
    # first-lane nodes, the scratch buffer holds the offset test.
    grid = code[: cells << shift].reshape(cells, block)
    valid = grid.view(bool)
    np.equal(grid, 1, out=valid)
    after_cut = np.frombuffer(scratch, dtype=bool)[: cells << shift].reshape(cells, block)
    np.greater_equal(np.arange(block, dtype=np.int16), cut1[:, None], out=after_cut)
    valid &= after_cut
    mask = code[: cells << shift].view(bool)
    mask[bridge_nodes] = True
    if walk.stepped:
        mask[np.array(walk.stepped, dtype=I64)] = True
    return np.flatnonzero(mask).astype(I64, copy=False)
