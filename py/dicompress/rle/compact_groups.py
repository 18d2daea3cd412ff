"""The compact packing's decisions about groups of equal bytes.

Which chains of pairs (groups of 2) have literal data on both sides, and
where the single last byte of a group of ``128 * k + 1`` bytes goes: see
:mod:`dicompress.rle.compact_packing` for why.  All decisions are made with
masks over the whole frame.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.indexing import I64, BoolArray, IntArray, flag_at, index_of
from dicompress.rle.pydicom_packing import Tokens

__all__ = ["Pairs", "Shaves", "find_pairs", "plan_shaves"]


class Pairs(NamedTuple):
    """The pairs (replicate tokens of 2 bytes) and the chains of consecutive pairs of a row."""

    token: IntArray  # token index of every pair
    chain_of: IntArray  # chain index of every pair
    first_token: IntArray  # token index of every chain's first pair
    last_token: IntArray  # token index of every chain's last pair
    left_ok: BoolArray  # a chain has (or gets) literal data on its left
    right_ok: BoolArray  # ... and on its right


class Shaves(NamedTuple):
    """Which long groups give their single last byte to which side."""

    left: IntArray  # tokens whose first byte joins the literal data on their left
    right: IntArray  # tokens whose last byte joins the literal data on their right
    new_literal: IntArray  # starts of new 2-byte literal tokens between two shaved groups


def find_pairs(
    replicate: BoolArray, length: IntArray, row_start: BoolArray, lit_before: BoolArray, lit_after: BoolArray
) -> Pairs:
    """Find the pairs and their chains, and which chains have literal data on each side.

    Parameters
    ----------
    replicate, length : numpy.ndarray
        Kind and length of every token.
    row_start, lit_before, lit_after : numpy.ndarray
        Per token: it starts a row; the token before it, the token after it is
        literal data of the same row.

    Returns
    -------
    Pairs
        The pairs and chains.
    """
    token = np.flatnonzero(replicate & (length == 2))
    joined = np.zeros(token.size, dtype=bool)  # pair k + 1 continues the chain of pair k
    joined[:-1] = (token[1:] == token[:-1] + 1) & ~row_start[token[1:]]
    chain_first = np.ones(token.size, dtype=bool)
    chain_first[1:] = ~joined[:-1]
    chain_of = np.cumsum(chain_first, dtype=I64) - 1
    first_token = token[chain_first]
    last_token = token[~joined]
    return Pairs(token, chain_of, first_token, last_token, lit_before[first_token], lit_after[last_token])


def plan_shaves(
    tokens: Tokens, row_start: BoolArray, lit_before: BoolArray, lit_after: BoolArray, pairs: Pairs
) -> tuple[Shaves, Pairs]:
    """Decide where the single last byte of every group of ``128 * k + 1`` bytes goes.

    A group shaves to its left if there is literal data there (or a chain of
    pairs that has literal data on its far side, which the shaved byte then
    reaches), else to its right on the same terms; two groups that can do
    neither, with nothing but pairs between them, both shave into one new
    literal run between them.

    Parameters
    ----------
    tokens : Tokens
        pydicom's tokens.
    row_start, lit_before, lit_after : numpy.ndarray
        As for :func:`find_pairs`.
    pairs : Pairs
        The pairs and chains.

    Returns
    -------
    shaves : Shaves
        The shaves.
    pairs : Pairs
        `pairs` with the chains that a shaved byte reaches marked as having
        literal data on that side.
    """
    start, replicate, length = tokens
    none = np.zeros(0, dtype=I64)
    cand = np.flatnonzero(replicate & (length > 128))
    cand = cand[(length[cand] & 127) == 1]
    if not cand.size:
        return Shaves(none, none, none), pairs
    count = start.size
    has_left = ~row_start[cand]
    has_right = (cand + 1 < count) & ~row_start[np.minimum(cand + 1, count - 1)]
    # The chain ending just before / starting just after each candidate.
    left_chain = index_of(pairs.last_token, cand - 1)
    right_chain = index_of(pairs.first_token, cand + 1)
    go_left = lit_before[cand] | (has_left & flag_at(pairs.left_ok, left_chain))
    go_right = ~go_left & (lit_after[cand] | (has_right & flag_at(pairs.right_ok, right_chain)))
    left_ok = pairs.left_ok.copy()
    right_ok = pairs.right_ok.copy()
    right_ok[left_chain[go_left & (left_chain >= 0)]] = True
    left_ok[right_chain[go_right & (right_chain >= 0)]] = True

    new_literal = none
    if cand.size > 1:
        # Neighbouring candidates that shave neither way: pair them up (every
        # other link of a chain of such links) into one new literal run.
        between = _between(cand, right_chain, row_start, pairs.last_token)
        link = ~(go_left | go_right)
        link = link[:-1] & link[1:] & (between.empty | between.chain)
        if link.any():
            at = np.arange(link.size, dtype=I64)
            last_break = np.maximum.accumulate(np.where(link, -1, at))
            take = link & ((at - last_break) % 2 == 1)
            go_right[:-1] |= take
            go_left[1:] |= take
            both = right_chain[:-1][take & between.chain]
            left_ok[both] = True
            right_ok[both] = True
            new_literal = start[cand[1:][take & between.empty]] - 1
    shave_left = cand[go_left]
    # (A right shave into a candidate that shaves left is a new literal token.)
    shave_right = cand[go_right & ~np.isin(cand + 1, shave_left)]
    return Shaves(shave_left, shave_right, new_literal), pairs._replace(left_ok=left_ok, right_ok=right_ok)


class _Between(NamedTuple):
    """What lies between consecutive candidates ``k`` and ``k + 1`` of a row."""

    empty: BoolArray  # nothing
    chain: BoolArray  # exactly one chain of pairs


def _between(cand: IntArray, right_chain: IntArray, row_start: BoolArray, last_token: IntArray) -> _Between:
    """Tell which consecutive candidates have nothing or only pairs between them.

    Parameters
    ----------
    cand : numpy.ndarray
        Token index of every candidate, increasing.
    right_chain : numpy.ndarray
        The chain starting just after each candidate, or -1.
    row_start : numpy.ndarray
        Per token: it starts a row.
    last_token : numpy.ndarray
        Token index of every chain's last pair.

    Returns
    -------
    _Between
        Masks over candidate ``k`` (all but the last candidate).
    """
    following = cand[1:]
    same_row = ~row_start[following]
    empty = (following == cand[:-1] + 1) & same_row
    chain_after = right_chain[:-1]
    chain = (chain_after >= 0) & same_row
    if last_token.size:
        chain &= last_token[np.maximum(chain_after, 0)] == following - 1
    return _Between(empty, chain)
