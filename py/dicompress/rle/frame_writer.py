"""Writing the RLE frame for a token list: runs, control bytes, padding and header.

Replicate control bytes are written into the stacked segments in place of
the first byte of each piece, so every token's output bytes are a contiguous
slice of the segments: 2 per replicate piece (control and value), the data of
literal runs.  The frame is then one gather from the segments
(:mod:`dicompress.rle.frame_gather`) plus a scatter of the literal control
bytes, the padding (a ``0x00`` that makes each segment's length even) and the
header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from dicompress.rle.certificate import Certificate
from dicompress.rle.frame_gather import gather_frame
from dicompress.rle.header import HEADER_SIZE, header_bytes
from dicompress.rle.indexing import I64, BoolArray, ByteArray, IntArray, repeat_ranks
from dicompress.rle.pydicom_packing import Tokens

__all__ = ["write_frame"]


class _Layout(NamedTuple):
    """Where the tokens and segments go in the frame (all ``int64``)."""

    #: Output position of every token's first byte.
    token_pos: IntArray
    #: Offset of every segment, then the size of the frame.
    seg_offset: IntArray
    #: Output position of every padding byte.
    pad_pos: IntArray


class _LiteralControls(NamedTuple):
    """The control bytes of the literal runs and where they go."""

    #: Position of the first run's control byte of every literal token.
    first_pos: IntArray
    first_ctrl: ByteArray
    #: Positions of the control bytes of the second and later runs of long literal tokens.
    more_pos: IntArray
    more_ctrl: ByteArray


def write_frame(
    segments: ByteArray, tokens: Tokens, nr_segments: int, seg_size: int, *, compact: bool,
    certify: Callable[[Certificate], None] | None = None,
) -> ByteArray:
    """Return the RLE frame for `tokens`.

    Parameters
    ----------
    segments : numpy.ndarray
        The stacked segments the tokens tile; modified in place (replicate
        control bytes are written over the first byte of every piece).
    tokens : Tokens
        The parse: every token is written as runs of at most 128 bytes. Handed
        over: its arrays are let go as soon as they are used.
    nr_segments, seg_size : int
        The number of segments and the size of each.
    compact : bool
        How a replicate token of ``128 * k + 1`` bytes ends: as in the compact
        packing (runs of 127 and 2) if True, as in pydicom's (a one-byte
        literal run) if False.
    certify : callable, optional
        Called with the frame's :class:`~dicompress.rle.certificate.Certificate`.

    Returns
    -------
    numpy.ndarray
        The frame, ``uint8``: header, then the padded segments.
    """
    start, replicate, length = tokens
    del tokens  # each token array is let go once used: together they are larger than the frame
    runs = length + 127
    runs >>= 7  # replicate pieces or literal runs of every token
    # Output bytes: 2 per replicate piece, the data and one control byte per literal run.
    out_len = length + runs
    rep_index = np.flatnonzero(replicate)
    out_len[rep_index] = 2 * runs[rep_index]

    dropped = _write_replicate_controls(segments, start[rep_index], length[rep_index], runs[rep_index], compact)
    layout = _layout(start, out_len, nr_segments, seg_size)
    del start, out_len
    literal = _literal_controls(layout.token_pos, replicate, length, runs)
    del length
    jump_at, jump_by = _source_jumps(layout.token_pos, replicate, rep_index, dropped)
    del rep_index, dropped

    pauses = (literal.first_pos, literal.more_pos, layout.pad_pos)
    out = gather_frame(segments, int(layout.seg_offset[-1]), pauses, jump_at, jump_by)
    out[literal.first_pos] = literal.first_ctrl
    if literal.more_pos.size:
        out[literal.more_pos] = literal.more_ctrl
    out[layout.pad_pos] = 0
    out[:HEADER_SIZE] = header_bytes(layout.seg_offset[:-1])
    del literal, pauses, jump_at, jump_by
    if certify is not None:
        certify(Certificate(_control_positions(layout, replicate, runs)))
    return out


def _write_replicate_controls(
    segments: ByteArray, rep_start: IntArray, rep_length: IntArray, rep_runs: IntArray, compact: bool
) -> IntArray:
    """Write the control byte of every replicate piece over the piece's first byte.

    Parameters
    ----------
    segments : numpy.ndarray
        The stacked segments, modified in place.
    rep_start, rep_length, rep_runs : numpy.ndarray
        Start, length and number of pieces of every replicate token.
    compact : bool
        Which packing's rule ends a token of ``128 * k + 1`` bytes.

    Returns
    -------
    numpy.ndarray
        The bytes of every replicate token that are not written (each piece keeps 2).
    """
    segments[rep_start] = (257 - rep_length).astype(np.uint8)  # long tokens are rewritten below
    dropped = rep_length - 2
    long_ = np.flatnonzero(rep_length > 128)
    if long_.size:
        long_runs = rep_runs[long_]
        _write_long_replicate_controls(segments, rep_start[long_], rep_length[long_], long_runs, compact)
        dropped[long_] = rep_length[long_] - 2 * long_runs
    return dropped


def _write_long_replicate_controls(
    segments: ByteArray, start: IntArray, length: IntArray, runs: IntArray, compact: bool
) -> None:
    """Write the control bytes of replicate tokens longer than 128 bytes.

    Pieces of 128 bytes (control 129), the remainder last.  A remainder of one
    byte becomes a one-byte literal run (control 0) in pydicom's packing, and
    runs of 127 and 2 bytes in place of the last 128 and 1 in the compact
    packing.

    Parameters
    ----------
    segments : numpy.ndarray
        The stacked segments, modified in place.
    start, length, runs : numpy.ndarray
        Start, length and number of pieces of every long replicate token.
    compact : bool
        Use the compact packing's rule for a remainder of one byte.
    """
    owner, rank = repeat_ranks(runs)
    last = (length - 128 * (runs - 1))[owner]  # bytes in the token's last piece
    runs_after = runs[owner] - 1 - rank
    ctrl = np.full(owner.size, 129, dtype=I64)
    final = runs_after == 0
    if compact:
        ctrl[final] = np.where(last[final] == 1, 255, 257 - last[final])
        ctrl[(runs_after == 1) & (last == 1)] = 130
    else:
        ctrl[final] = np.where(last[final] == 1, 0, 257 - last[final])
    segments[start[owner] + 2 * rank] = ctrl.astype(np.uint8)


def _layout(start: IntArray, out_len: IntArray, nr_segments: int, seg_size: int) -> _Layout:
    """Place the tokens in the frame, after the header, with each segment padded to even length.

    Parameters
    ----------
    start, out_len : numpy.ndarray
        Start of every token in the stacked segments and its output bytes.
    nr_segments, seg_size : int
        The number of segments and the size of each.

    Returns
    -------
    _Layout
        Token positions, segment offsets and padding positions.
    """
    seg_first_token = np.searchsorted(start, np.arange(nr_segments + 1, dtype=I64) * seg_size)
    pos = np.empty(start.size + 1, dtype=I64)
    pos[0] = 0
    pos[1:] = out_len
    np.cumsum(pos[1:], out=pos[1:])  # in place: a cumsum that casts makes a copy as large
    seg_begin = pos[seg_first_token[:-1]]
    seg_len = pos[seg_first_token[1:]] - seg_begin
    pad = seg_len & 1
    seg_offset = np.empty(nr_segments + 1, dtype=I64)
    seg_offset[0] = HEADER_SIZE
    np.cumsum(seg_len + pad, dtype=I64, out=seg_offset[1:])
    seg_offset[1:] += HEADER_SIZE
    shift = seg_offset[:-1] - seg_begin
    for s in range(nr_segments):
        pos[seg_first_token[s] : seg_first_token[s + 1]] += shift[s]
    pad_pos = (seg_offset[1:] - 1)[pad.astype(bool)]
    return _Layout(pos[:-1], seg_offset, pad_pos)


def _literal_controls(token_pos: IntArray, replicate: BoolArray, length: IntArray, runs: IntArray) -> _LiteralControls:
    """Return the control byte before each literal run of at most 128 bytes, and its position.

    Parameters
    ----------
    token_pos : numpy.ndarray
        Output position of every token.
    replicate, length, runs : numpy.ndarray
        Kind, length and number of runs of every token.

    Returns
    -------
    _LiteralControls
        Every literal token's first control byte; the runs after the first of
        long tokens are 129 bytes apart and 128 bytes long except the last.
    """
    lit_index = np.flatnonzero(~replicate)
    first_pos = token_pos[lit_index]
    lit_length = length[lit_index]
    first_ctrl = (lit_length - 1).astype(np.uint8)  # wraps for long tokens, fixed below
    long_ = np.flatnonzero(lit_length > 128)
    if not long_.size:
        return _LiteralControls(first_pos, first_ctrl, np.zeros(0, dtype=I64), np.zeros(0, dtype=np.uint8))
    first_ctrl[long_] = 127
    which, rank = repeat_ranks(runs[lit_index[long_]] - 1)
    rank += 1  # runs 2, 3, ... of their token
    owner = long_[which]
    more_pos = first_pos[owner] + 129 * rank
    more_ctrl = (np.minimum(lit_length[owner] - 128 * rank, 128) - 1).astype(np.uint8)
    return _LiteralControls(first_pos, first_ctrl, more_pos, more_ctrl)


def _control_positions(layout: _Layout, replicate: BoolArray, runs: IntArray) -> IntArray:
    """Return the position of every control byte of the frame, the padding bytes included, in order.

    Every token's first control byte is at its position; the runs after the
    first of a long token follow every 2 bytes (replicate pieces) or every 129
    (literal runs of 128 bytes).

    Parameters
    ----------
    layout : _Layout
        Token and padding positions.
    replicate, runs : numpy.ndarray
        Kind and number of runs of every token.

    Returns
    -------
    numpy.ndarray
        Positions, increasing: ``int32`` when the frame allows, else ``int64``.
    """
    several = np.flatnonzero(runs > 1)
    owner, rank = repeat_ranks(runs[several] - 1)
    rank += 1
    stride = np.where(replicate[several], 2, 129)[owner]
    more = np.concatenate((layout.token_pos[several][owner] + stride * rank, layout.pad_pos))
    more.sort()
    positions = np.insert(layout.token_pos, np.searchsorted(layout.token_pos, more), more)
    return positions.astype(np.intp, copy=False)


def _source_jumps(
    token_pos: IntArray, replicate: BoolArray, rep_index: IntArray, dropped: IntArray
) -> tuple[IntArray, IntArray]:
    """Return where the gather's source index jumps over dropped bytes, and by how much.

    Parameters
    ----------
    token_pos, replicate : numpy.ndarray
        Output position and kind of every token.
    rep_index, dropped : numpy.ndarray
        Index of every replicate token and the bytes it drops.

    Returns
    -------
    jump_at : numpy.ndarray
        The first output byte of each token after a replicate token that
        dropped bytes (its first data byte for a literal token).
    jump_by : numpy.ndarray
        The source step there: the dropped bytes plus one.
    """
    drops = np.flatnonzero(dropped)
    after = rep_index[drops] + 1
    jump_by = dropped[drops] + 1
    if after.size and after[-1] == token_pos.size:  # the frame's last token
        after, jump_by = after[:-1], jump_by[:-1]
    jump_at = token_pos[after] + ~replicate[after]
    return jump_at, jump_by
