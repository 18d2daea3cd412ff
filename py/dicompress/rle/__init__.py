"""DICOM RLE Lossless (PS3.5 Annex G) encoder and decoder written with numpy only.

This module is the codec: pure functions from bytes to bytes.  It knows nothing
about pydicom, datasets or files.

Frame layout
------------
A frame is a 64-byte header (the number of segments and up to 15 segment
offsets, little-endian ``uint32``) followed by the segments.  There is one
segment per byte of each sample: sample 0's most significant byte first, ...,
sample 0's least significant byte, then sample 1, and so on.  Every image row
of a segment is PackBits-encoded on its own and each segment is padded with a
``0x00`` to an even length.

PackBits runs are either a *literal* run (control ``n`` in 0..127 followed by
``n + 1`` bytes) or a *replicate* run (control ``257 - L`` in 129..255 followed
by one byte that is repeated ``L`` times, ``2 <= L <= 128``).

Packings
--------
``"pydicom"`` (the default) reproduces pydicom's own pure-Python encoder
byte for byte (and therefore pylibjpeg-rle's): each row is cut into groups of
equal bytes; groups of one byte accumulate into literal runs (split every 128
bytes, the remainder last); a group of two or more bytes becomes replicate runs
of 128, and a remainder of ``r >= 2`` bytes one more replicate run, while a
remainder of exactly one byte becomes a one-byte literal run.

``"compact"`` is an optimal parse of every row under the PackBits cost model:

* a literal run of ``n`` bytes costs ``n + 1``, so literal data of ``n`` bytes
  costs ``n + ceil(n / 128)`` however it is chunked;
* a replicate run costs 2, so a group of ``g >= 2`` equal bytes costs at least
  ``2 * ceil(g / 128)`` (pieces of 2..128 bytes).

With every byte costing one byte of literal data or being part of a replicate
group, the total size is ``constant + (number of literal runs)`` once the fate
of each group is fixed, and an exchange argument settles each kind of group:

* groups of ``g >= 4`` bytes are always replicated: writing ``k`` of their
  bytes as literal data adds at least ``k - 1`` bytes more than it can save
  (it can save at most one literal control byte), except
* groups with ``g % 128 == 1`` (``g >= 129``): their last piece would be a
  single byte.  That byte is moved into an adjacent literal run ("shaved"),
  which saves one byte unless it forces an extra literal control byte.  Two
  such groups with nothing but pairs (see below) between them both shave into
  one new literal run (4 bytes saved, 3 spent);
* groups of 3 are replicated (literal costs 3 + 0..1, replicate 2, the one
  control byte a literal could save does not pay for the extra byte);
* groups of 2 ("pairs") cost 2 bytes either way.  A chain of consecutive
  pairs that has literal data on *both* sides is absorbed into the literal
  data, which merges two literal runs into one and saves a control byte.
  Pairs at the edge of a row, next to a replicated group or next to nothing
  but other pairs gain nothing and stay replicate runs;
* the literal data of a row is then cut into literal runs by the greedy rule
  that is optimal for covering points with intervals of length 128: start a
  run at the first byte that must be literal, take 128 bytes but never end in
  the middle of an absorbed pair (end one byte earlier and replicate that
  pair), and start the next run at the next byte that must be literal,
  replicating the absorbed pairs skipped on the way.

Because the greedy cut is optimal for a fixed set of bytes that must be literal
and pydicom's packing is one feasible solution of that covering problem, a
compact row is never longer than the pydicom row.  Two choices are not proven
optimal in general (which side a shaved byte goes to when both sides could
take it, and which of two competing neighbours a shaved group pairs with);
the tests compare every generated row with an exact dynamic programme over all
parses and find no difference.  DCMTK folds two-byte repeats into literal runs
with a local rule and is 0.03-0.9 % larger than compact on the corpus; GDCM is
equally optimal on some images (RG1, CT_small) and larger on the others, and
it leaves out the padding byte of odd-length segments (non-conformant), so
compare segment data without padding.

Vectorisation
-------------
The encoder works on the whole frame at once: all segments' rows are stacked
into one ``(segments * rows, columns)`` byte array, runs never cross a row, so
equal-neighbour masks computed with ``np.equal`` give every group boundary.
Boolean masks and ``np.flatnonzero`` give the group and literal-run starts,
replicate control bytes are written in place over the group's first byte, the
rest of each group is dropped with one boolean compress, and literal control
bytes, segment padding and the header are inserted with one masked scatter.
The only Python loop whose trip count depends on the data is the greedy cut
of literal runs longer than 128 bytes, which runs once per 128 columns and is
vectorised over all such runs.

The decoder has to follow a chain of control bytes, which is sequential by
nature (the position of a control byte depends on every control byte before
it).  :func:`_control_positions` finds it with speculative numpy "lanes", one
per block of 512 bytes, plus an exact scalar walk that jumps a whole block as
soon as it lands on a lane that met the true chain: about one Python step per
block on replicate-dense data, one per run (few, long runs) where the lanes do
not meet the chain, never a wrong result.  Runs are then expanded per segment
either with ``np.repeat`` of the stream bytes (long replicate runs) or with a
gather through a source index built from two cumulative sums (short or
literal runs).  Frames of at most 24 kB are decoded run by run exactly like
pydicom's decoder, because for them numpy's per-call overhead exceeds the
work.  A segment that claims more output than the frame needs is cut before
anything is expanded, and one too short to fill the frame is refused before
the output is allocated (two bytes make at most 128), so memory stays
proportional to the input plus the requested output.

All index, offset and count arrays are created with an explicit dtype so the
module behaves the same under Pyodide (wasm32, where ``np.intp`` is 32 bits).
"""

from __future__ import annotations

import warnings

import numpy as np

from dicompress.rle.checks import MAX_SEGMENTS, RLEError, as_uint8, check_geometry, check_int
from dicompress.rle.frame_encoder import PACKINGS, encode_frame
from dicompress.rle.header import HEADER_SIZE, parse_header
from dicompress.rle.indexing import I64

__all__ = [
    "MAX_SEGMENTS",
    "PACKINGS",
    "RLEError",
    "decode_frame",
    "encode_frame",
]

_HEADER = HEADER_SIZE
_I64 = I64
_check_int = check_int
_check_geometry = check_geometry
_as_uint8 = as_uint8
_parse_header = parse_header


# ---------------------------------------------------------------------------
# decoder
# ---------------------------------------------------------------------------

# Bytes consumed by a run, indexed by its control byte: a literal run takes
# the control and n + 1 data bytes, a replicate run the control and one byte,
# 128 is a no-op.
_ADVANCE = bytes([c + 2 if c < 128 else (1 if c == 128 else 2) for c in range(256)])
# Bytes produced by a complete run, indexed by its control byte.
_PRODUCE = np.array([c + 1 if c < 128 else (0 if c == 128 else 257 - c) for c in range(256)], dtype=_I64)

_BLOCK_SHIFT = 9  # lanes of the control-byte search start every 512 bytes
_CHUNK = 16  # lane steps per numpy round trip
_BRIDGE_CHUNKS = 4  # bridges longer than this many chunks are left to the walk
_TAIL = (_CHUNK + 2) * 130  # lanes may overrun their block by this much


def decode_frame(
    src: bytes | bytearray | memoryview,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bytes_per_sample: int,
) -> bytearray:
    """Return a decoded DICOM RLE Lossless frame.

    The result is the same as pydicom's pure-Python decoder gives: samples in
    little-endian byte order and planar configuration 1 (all of sample 0, then
    all of sample 1, ...).  Like pydicom, a segment that decodes to more bytes
    than the frame needs is cut (with the same warning about non-conformant
    padding), and a segment that decodes to fewer is an error.

    Parameters
    ----------
    src : bytes-like
        One RLE frame: the 64-byte header and its segments.
    rows, columns, samples_per_pixel, bytes_per_sample : int
        The frame geometry; ``samples_per_pixel * bytes_per_sample`` must be
        the number of segments in the header.

    Returns
    -------
    bytearray
        ``rows * columns * samples_per_pixel * bytes_per_sample`` bytes.

    Raises
    ------
    RLEError
        If the arguments are invalid or the data is not a valid RLE frame for
        this geometry (bad header, offsets out of order or out of range,
        segments that decode to too few bytes).
    """
    rows = _check_int("rows", rows, 1)
    columns = _check_int("columns", columns, 1)
    spp = _check_int("samples_per_pixel", samples_per_pixel, 1)
    bps = _check_int("bytes_per_sample", bytes_per_sample, 1)
    buf = _as_uint8(src)
    offsets = _parse_header(buf, spp * bps, spp, bps)
    seg_size = rows * columns
    nr_segments = len(offsets)
    bounds = offsets + [buf.size]

    lengths = [bounds[s + 1] - bounds[s] for s in range(nr_segments)]
    for s, length in enumerate(lengths):
        # Two bytes make at most 128: refuse before allocating the output.
        if 64 * length < seg_size:
            raise RLEError(
                f"RLE segment {s + 1} has {length} bytes, too few for the "
                f"{seg_size} bytes of a {rows} x {columns} frame"
            )

    if buf.size <= _SMALL_FRAME:
        return _decode_small(buf, bounds, seg_size, spp, bps)

    # Copy the segments into one buffer, each at a multiple of the block size.
    block = 1 << _BLOCK_SHIFT
    starts = []
    at = 0
    for length in lengths:
        starts.append(at)
        at += -(-length // block) * block
    data = bytearray(at + _TAIL)
    arr = np.frombuffer(data, dtype=np.uint8)
    for s in range(nr_segments):
        arr[starts[s] : starts[s] + lengths[s]] = buf[bounds[s] : bounds[s + 1]]

    ctrl_pos = _control_positions(data, starts, lengths)
    out = bytearray(nr_segments * seg_size)
    if bps == 1:
        # One byte per sample: the planes are the result.
        _expand(data, ctrl_pos, starts, lengths, np.frombuffer(out, dtype=np.uint8).reshape(nr_segments, seg_size))
        return out
    planes = np.empty((nr_segments, seg_size), dtype=np.uint8)
    _expand(data, ctrl_pos, starts, lengths, planes)

    # Segment order is sample by sample, most significant byte first; the
    # result is sample by sample (planar), each sample little endian.
    planes = planes.reshape(spp, bps, seg_size)
    if bps == 2:
        # Most significant plane shifted into the high byte of little-endian words.
        words = np.frombuffer(out, dtype="<u2").reshape(spp, seg_size)
        np.left_shift(planes[:, 0], 8, out=words, dtype="<u2")
        words |= planes[:, 1]
    else:
        view = np.frombuffer(out, dtype=np.uint8).reshape(spp, seg_size, bps)
        for k in range(bps):
            view[:, :, k] = planes[:, bps - 1 - k]
    return out


_SMALL_FRAME = 24576  # frames up to this many bytes: numpy's call overhead exceeds the work


def _decode_small(buf: np.ndarray, bounds: list[int], seg_size: int, spp: int, bps: int) -> bytearray:
    """Decode a small frame run by run, exactly as pydicom's decoder does."""
    data = buf.tobytes()
    out = bytearray(seg_size * spp * bps)
    for s in range(len(bounds) - 1):
        seg = data[bounds[s] : bounds[s + 1]]
        result = bytearray()
        extend = result.extend
        pos = 0
        n = len(seg)
        while pos < n:
            c = seg[pos]
            pos += 1
            if c < 128:
                extend(seg[pos : pos + c + 1])
                pos += c + 1
            elif c > 128:
                extend(seg[pos : pos + 1] * (257 - c))
                pos += 1
            if len(result) > seg_size:
                break
        if len(result) < seg_size:
            raise RLEError(
                f"RLE segment {s + 1} decodes to {len(result)} bytes, fewer than the {seg_size} expected"
            )
        if len(result) > seg_size:
            total = len(result) + _remaining(seg, pos)
            warnings.warn(
                "The decoded RLE segment contains non-conformant padding - "
                f"{total} vs. {seg_size} bytes expected",
                stacklevel=3,
            )
        sample, byte = divmod(s, bps)
        start = sample * seg_size * bps + (bps - 1 - byte)
        out[start : start + seg_size * bps : bps] = result[:seg_size]
    return out


def _remaining(seg: bytes, pos: int) -> int:
    """Bytes the rest of a segment would decode to (for the padding warning)."""
    total = 0
    n = len(seg)
    while pos < n:
        c = seg[pos]
        pos += 1
        if c < 128:
            total += min(c + 1, n - pos)
            pos += c + 1
        elif c > 128:
            total += 257 - c if pos < n else 0
            pos += 1
    return total


def _control_positions(data: bytearray, starts: list[int], lengths: list[int]) -> np.ndarray:
    """Positions of every control byte of every segment, in order.

    Segment ``s`` is ``data[starts[s] : starts[s] + lengths[s]]``; starts are
    multiples of the block size.  The control bytes form a chain: each one
    says how far the next one is.  Finding the chain is sequential, so:

    1. *Lanes*: every block of 512 bytes gets a lane that follows the chain
       from the block's first byte as if it were a control byte, all lanes
       at once in numpy (16 steps per round trip), until each leaves its
       block.  A lane that starts on a data byte is wrong at first, but
       chains that meet stay together, and on replicate-dense data a wrong
       lane meets the true chain within a few runs.
    2. *Bridges*: every block gets a second lane from the exit of the
       previous block's lane (the true entry whenever that lane met the true
       chain), up to where it meets its block's first lane (at most 64
       steps; longer bridges are dropped).
    3. *Walk*: an exact scalar walk from each segment start.  Whenever it is
       on a node of a lane of the current block, it jumps to where that lane
       leaves the block; otherwise it steps one run.  On replicate-dense data
       this is about one step per block; where lanes do not meet the chain
       (long literal runs) it is one step per run, and those runs are long;
       on adversarial data it is one step per run, never a wrong result.

    Nodes of lanes the walk entered, from the entry point on, plus the nodes
    the walk stepped on, are the control bytes.
    """
    sh = _BLOCK_SHIFT
    B = 1 << sh
    size = len(data)
    it = np.int32 if size < 2**31 - 1 else _I64
    adv_buf = data.translate(_ADVANCE)  # a bytearray: reused as scratch at the end
    adv = np.frombuffer(adv_buf, dtype=np.uint8)

    # Blocks: (first byte, end) for every block of every segment.
    bfirst = []
    bend = []
    for s0, ln in zip(starts, lengths):
        first = np.arange(s0, s0 + ln, B, dtype=it)
        bfirst.append(first)
        bend.append(np.minimum(first + B, s0 + ln).astype(it))
    bfirst = np.concatenate(bfirst)
    bend = np.concatenate(bend)
    cells = (size - _TAIL) >> sh  # blocks of the aligned layout (some unused)
    bid = bfirst >> sh  # block index in the aligned layout
    big = np.iinfo(it).max

    # code[p]: 1 = node of its block's first lane, 2 = node of its bridge.
    code = np.zeros(size, dtype=np.uint8)
    dump = size - 1  # scratch slot for masked-out scatters

    # 1. lanes from every block's first byte.
    exit1 = np.full(cells + 1, big, dtype=it)
    lane = bid
    cur = bfirst
    end = bend
    while cur.size:
        steps = np.empty((_CHUNK + 1, cur.size), dtype=it)
        steps[0] = cur
        for k in range(_CHUNK):
            np.add(steps[k], adv.take(steps[k]), out=steps[k + 1])
        inside = steps < end
        code[np.where(inside[:-1], steps[:-1], dump)] = 1
        exit1[lane] = np.minimum(exit1[lane], np.where(inside, big, steps).min(axis=0))
        cur = steps[-1]
        alive = cur < end
        lane, cur, end = lane[alive], cur[alive], end[alive]
    code[dump] = 0

    # 2. bridges: from the previous block's exit to a first-lane node, in
    # chunks of steps; a bridge still running after a few chunks is dropped
    # (the walk will step through that block).
    exit2 = exit1.copy()
    merge2 = np.full(cells + 1, -1, dtype=_I64)  # where a bridge met the first lane
    nxt = np.ones(bid.size, dtype=bool)  # not the first block of its segment
    nxt[np.searchsorted(bfirst, np.array(starts, dtype=it))] = False
    lane = bid[nxt]
    cur = exit1[lane - 1]
    end = bend[nxt]
    go = (cur < end) & (code[np.minimum(cur, dump)] == 0)
    lane, cur, end = lane[go], cur[go], end[go]
    rows = np.arange(_CHUNK + 1, dtype=np.int16)[:, None]
    fin_chunk = np.full(cells + 1, -1, dtype=np.int16)  # chunk where the bridge stopped
    fin_row = np.zeros(cells + 1, dtype=np.int16)  # and the row of its stop
    history = []
    for c in range(_BRIDGE_CHUNKS):
        if not cur.size:
            break
        steps = np.empty((_CHUNK + 1, cur.size), dtype=it)
        steps[0] = cur
        for k in range(_CHUNK):
            np.add(steps[k], adv.take(steps[k]), out=steps[k + 1])
        history.append((lane, steps))
        out = steps >= end
        stop = out | (code.take(steps) == 1)
        stop[0] = False
        first = stop.argmax(axis=0)  # first stop, or 0 when none
        done = first > 0
        if done.any():
            d = np.flatnonzero(done)
            f = first[d]
            at = steps[f, d]
            left = out[f, d]
            exit2[lane[d[left]]] = at[left]
            merge2[lane[d[~left]]] = at[~left]
            fin_chunk[lane[d]] = c
            fin_row[lane[d]] = f
        keep = ~done
        lane, cur, end = lane[keep], steps[-1][keep], end[keep]
    bridge_nodes = []
    for c, (lane_c, steps) in enumerate(history):
        fc = fin_chunk[lane_c]
        limit = np.where(fc > c, _CHUNK + 1, np.where(fc == c, fin_row[lane_c], 0))
        bridge_nodes.append(steps[rows < limit])
    bridge_nodes = np.concatenate(bridge_nodes) if bridge_nodes else np.zeros(0, dtype=it)
    code[bridge_nodes] = 2
    code[dump] = 0

    # 3. exact walk.
    codes = memoryview(code)
    advb = memoryview(adv)
    ex1 = exit1.tolist()
    ex2 = exit2.tolist()
    entry1 = []  # (block, position) where the walk joined a first lane
    entry2 = []
    extra = []
    e1 = entry1.append
    e2 = entry2.append
    ext = extra.append
    for s0, ln in zip(starts, lengths):
        p = s0
        stop = s0 + ln
        while p < stop:
            c = codes[p]
            if c == 1:
                b = p >> sh
                e1(p)
                p = ex1[b]
            elif c == 2:
                b = p >> sh
                e2(p)
                p = ex2[b]
            else:
                ext(p)
                p += advb[p]

    # Valid nodes: per block, first-lane nodes from the entry (or from where
    # the entered bridge met the first lane), bridge nodes from the entry.
    cut1 = np.full(cells, B, dtype=np.int16)
    cut2 = np.full(cells, B, dtype=np.int16)
    if entry2:
        e = np.array(entry2, dtype=_I64)
        cut2[e >> sh] = e & (B - 1)
        met = merge2[e >> sh]
        m = met >= 0
        cut1[(e >> sh)[m]] = met[m] & (B - 1)
    if entry1:
        e = np.array(entry1, dtype=_I64)
        cut1[e >> sh] = e & (B - 1)
    # In place, in memory this function owns: code becomes the mask of valid
    # first-lane nodes, the advance array's buffer holds the offset test.
    del adv, advb
    grid = code[: cells << sh].reshape(cells, B)
    bridge_nodes = bridge_nodes[bridge_nodes >= 0]
    if entry2 and bridge_nodes.size:
        keep2 = (bridge_nodes & (B - 1)) >= cut2[bridge_nodes >> sh]
        bridge_nodes = bridge_nodes[keep2]
    else:
        bridge_nodes = bridge_nodes[:0]
    valid = grid.view(bool)
    np.equal(grid, 1, out=valid)
    ok = np.frombuffer(adv_buf, dtype=bool)[: cells << sh].reshape(cells, B)
    np.greater_equal(np.arange(B, dtype=np.int16), cut1[:, None], out=ok)
    valid &= ok
    valid = code[: cells << sh].view(bool)
    valid[bridge_nodes] = True
    if extra:
        valid[np.array(extra, dtype=_I64)] = True
    return np.flatnonzero(valid).astype(_I64, copy=False)


def _expand(data: bytearray, ctrl_pos: np.ndarray, starts: list[int], lengths: list[int], planes: np.ndarray) -> None:
    """Run the runs: segment ``s`` decoded into ``planes[s]``, exactly filling it.

    Runs follow pydicom's decoder: a literal run cut by the end of the
    segment copies what there is, a replicate run without its byte and the
    no-op control 128 produce nothing.
    """
    src = np.frombuffer(data, dtype=np.uint8)
    nr_segments, seg_size = planes.shape
    seg_first = np.searchsorted(ctrl_pos, np.array(starts, dtype=_I64))
    seg_stop = np.append(seg_first[1:], ctrl_pos.size)
    for s in range(nr_segments):
        cp = ctrl_pos[seg_first[s] : seg_stop[s]]
        ctrl = src[cp]
        produce = _PRODUCE32.take(ctrl)
        # The last run may be cut short by the end of the segment.
        stop = starts[s] + lengths[s]
        last = int(cp[-1])
        c = int(ctrl[-1])
        if c < 128:
            produce[-1] = min(c + 1, stop - last - 1)
        elif c > 128 and last + 1 >= stop:
            produce[-1] = 0
        ends = np.cumsum(produce, dtype=_I64)
        total = int(ends[-1])
        if total < seg_size:
            raise RLEError(
                f"RLE segment {s + 1} decodes to {total} bytes, fewer than the {seg_size} expected"
            )
        k = int(np.searchsorted(ends, seg_size))  # the run that completes the segment
        if total > seg_size:
            warnings.warn(
                "The decoded RLE segment contains non-conformant padding - "
                f"{total} vs. {seg_size} bytes expected",
                stacklevel=3,
            )
            produce[k] -= int(ends[k]) - seg_size
            ends[k] = seg_size
        cp, ctrl, n, ends = cp[: k + 1], ctrl[: k + 1], produce[: k + 1], ends[: k + 1]
        noops = cp[:0]
        if not n.all():
            # Drop the runs that produce nothing (control 128).
            use = n > 0
            noops = cp[~use]
            cp, ctrl, n, ends = cp[use], ctrl[use], n[use], ends[use]
        lit = ctrl < 128
        out = planes[s]
        span = int(cp[-1]) + 2 - int(cp[0])  # stream bytes of these runs
        how = _EXPAND or ("repeat" if 2 * span < seg_size else "index")
        if how == "repeat":
            # Long replicate runs: input much smaller than output.
            pos = cp + 1  # first data byte
            data_end = int(pos[-1]) + (int(n[-1]) if lit[-1] else 1)
            _expand_repeat(src[:data_end], cp, pos, n, lit, out, noops)
        else:
            _expand_index(src, cp, ctrl, n, ends, lit, out)


_PRODUCE32 = _PRODUCE.astype(np.int32)
_ADVANCE32 = np.frombuffer(_ADVANCE, dtype=np.uint8).astype(np.int32)
_EXPAND = None


_INDEX_CHUNK = 1 << 18  # output bytes per round of the index expansion (stays in cache)


def _expand_index(src, cp, ctrl, n, ends, lit, out):
    """Gather through a source index that steps by 1 in literal runs, by 0 in
    replicate runs.  Between two runs that follow each other in the stream it
    steps by 2 (over the next control byte); after no-op controls, by more.

    Built a chunk of output at a time in two reused buffers."""
    it = np.int32 if src.size < 2**31 - 1 else _I64
    first = ends - n  # output position of each run
    step = np.empty(n.size, dtype=it)  # step onto each run's first byte
    step[0] = cp[0] + 1
    step[1:] = 2
    gap = np.diff(cp) - _ADVANCE32.take(ctrl[:-1])
    if gap.any():
        step[1:] += gap.astype(it)
    change = np.zeros(n.size, dtype=np.int8)  # literal-or-not changes at run starts
    np.subtract(lit[1:], lit[:-1], out=change[1:], dtype=np.int8)
    change[0] = lit[0]
    size = out.size
    chunk = min(size, _INDEX_CHUNK)
    marks = np.empty(chunk, dtype=np.int8)
    inc = np.empty(chunk, dtype=it)
    r0 = 0  # the run holding the chunk's first byte
    for o0 in range(0, size, chunk):
        o1 = min(o0 + chunk, size)
        m = marks[: o1 - o0]
        v = inc[: o1 - o0]
        r1 = int(np.searchsorted(first, o1))  # runs starting before o1
        rs = first[r0 + 1 : r1] - o0  # later run starts in this chunk
        m[:] = 0
        m[0] = lit[r0]
        m[rs] = change[r0 + 1 : r1]
        np.cumsum(m, dtype=it, out=v)
        v[rs] = step[r0 + 1 : r1]
        v[0] = int(cp[r0]) + 1 + (o0 - int(first[r0])) * int(lit[r0])
        np.cumsum(v, out=v)
        src.take(v, out=out[o0:o1])
        r0 = int(np.searchsorted(first, o1, side="right")) - 1
    return out


def _expand_repeat(src, ctrl_pos, pos, n, lit, out, noops):
    """Repeat every input byte: control bytes 0 times, literal data once,
    replicate values as often as their run says.  `noops` are the positions
    of the no-op controls (128) left out of `ctrl_pos`; they are not data."""
    start = int(ctrl_pos[0])
    counts = np.ones(src.size - start, dtype=np.intp)
    counts[ctrl_pos - start] = 0
    counts[noops[noops > start] - start] = 0
    rep = ~lit
    counts[pos[rep] - start] = n[rep]
    out[...] = np.repeat(src[start:], counts)
