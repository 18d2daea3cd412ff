"""Cutting the compact packing's literal data into runs of at most 128 bytes.

Literal data of a row mixes bytes that must be literal with absorbed pairs
(two equal bytes that are literal only to merge two literal runs).  The greedy
rule is optimal for covering the must-be-literal bytes with intervals of 128:
a literal run starts at a byte that must be literal and takes 128 bytes, but
never ends inside an absorbed pair (it ends one byte earlier); the absorbed
pairs met at its end are replicated again and the next run starts at the next
byte that must be literal.

This is the only loop of the encoder whose trip count depends on the data: it
runs once per 128 bytes of the longest literal token, vectorised over all
tokens.  Literal tokens without absorbed pairs are cut every 128 bytes when
the frame is written, which is the same thing.
"""

from __future__ import annotations

import numpy as np

from dicompress.rle.indexing import BoolArray, IntArray, repeat_ranks
from dicompress.rle.pydicom_packing import Tokens, token_lengths

__all__ = ["cut_long_literals"]


def cut_long_literals(tokens: Tokens, absorbed_pos: IntArray, absorbed_chain_end: IntArray, total: int) -> Tokens:
    """Split the literal tokens longer than 128 bytes that contain absorbed pairs.

    Parameters
    ----------
    tokens : Tokens
        The compact tokens, consecutive literal tokens merged.
    absorbed_pos : numpy.ndarray
        The position of every absorbed pair, increasing.
    absorbed_chain_end : numpy.ndarray
        For every absorbed pair, the byte after its chain of pairs.
    total : int
        The size of the stacked segments.

    Returns
    -------
    Tokens
        `tokens` with every long literal token that contains absorbed pairs
        split into literal tokens (each cut into runs of 128 bytes by the
        writer) and the replicated pairs between them.
    """
    start, replicate, length = tokens
    long_ = np.flatnonzero(~replicate & (length > 128))
    if not long_.size or not absorbed_pos.size:
        return tokens
    first_pair = np.searchsorted(absorbed_pos, start[long_])
    end_pair = np.searchsorted(absorbed_pos, start[long_] + length[long_])
    long_ = long_[end_pair > first_pair]
    if not long_.size:
        return tokens

    sub_start, sub_replicate, sub_owner = _greedy_runs(start, length, long_, absorbed_pos, absorbed_chain_end)
    order = np.argsort(sub_start, kind="stable")
    sub_start = sub_start[order]
    sub_replicate = sub_replicate[order]
    sub_owner = sub_owner[order]
    # The first sub-token of a token is the token itself; splice in the rest.
    extra = np.ones(sub_owner.size, dtype=bool)
    extra[np.searchsorted(sub_owner, long_)] = False
    new_start = np.insert(start, sub_owner[extra] + 1, sub_start[extra])
    new_replicate = np.insert(replicate, sub_owner[extra] + 1, sub_replicate[extra])
    return Tokens(new_start, new_replicate, token_lengths(new_start, total))


def _greedy_runs(
    start: IntArray, length: IntArray, long_: IntArray, absorbed_pos: IntArray, absorbed_chain_end: IntArray
) -> tuple[IntArray, BoolArray, IntArray]:
    """Walk the long literal tokens 128 bytes at a time, all tokens at once.

    Parameters
    ----------
    start, length : numpy.ndarray
        Start and length of every token.
    long_ : numpy.ndarray
        The long literal tokens to cut.
    absorbed_pos, absorbed_chain_end : numpy.ndarray
        As for :func:`cut_long_literals`.

    Returns
    -------
    sub_start : numpy.ndarray
        The start of every sub-token (the tokens' own starts included).
    sub_replicate : numpy.ndarray
        True for the replicated pairs, False for the literal runs.
    sub_owner : numpy.ndarray
        The token every sub-token belongs to.
    """
    cur = start[long_]
    end = cur + length[long_]
    owner = long_
    sub_start = [cur]
    sub_replicate = [np.zeros(cur.size, dtype=bool)]
    sub_owner = [owner]
    while cur.size:
        run_end = cur + 128
        k = np.searchsorted(absorbed_pos, run_end, side="right") - 1  # the last pair before run_end
        kc = np.maximum(k, 0)
        inside = (k >= 0) & (run_end - absorbed_pos[kc] <= 1) & (run_end < end)
        nxt = np.where(inside, absorbed_chain_end[kc], run_end)
        if inside.any():
            # Replicate the absorbed pairs from the one at run_end (or run_end - 1) to the chain end.
            pair = kc[inside]
            owner_of, rank = repeat_ranks(np.searchsorted(absorbed_pos, absorbed_chain_end[pair]) - pair)
            sub_start.append(absorbed_pos[pair[owner_of] + rank])
            sub_replicate.append(np.ones(owner_of.size, dtype=bool))
            sub_owner.append(owner[inside][owner_of])
        go = nxt < end
        cur, end, owner = nxt[go], end[go], owner[go]
        if cur.size:
            sub_start.append(cur)
            sub_replicate.append(np.zeros(cur.size, dtype=bool))
            sub_owner.append(owner)
    return np.concatenate(sub_start), np.concatenate(sub_replicate), np.concatenate(sub_owner)
