"""The ``"compact"`` packing: an optimal parse of every row under the PackBits cost model.

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
  that is optimal for covering points with intervals of length 128 (see
  :mod:`dicompress.rle.literal_cut`).

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

The parse starts from pydicom's tokens (:mod:`dicompress.rle.pydicom_packing`)
and moves token boundaries with masks: every step below is vectorised over the
whole frame.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.indexing import I64, BoolArray, IntArray
from dicompress.rle.literal_cut import cut_long_literals
from dicompress.rle.pydicom_packing import Tokens, token_lengths

__all__ = ["compact_tokens"]


class _Pairs(NamedTuple):
    """The pairs (replicate tokens of 2 bytes) and the chains of consecutive pairs of a row."""

    token: IntArray  # token index of every pair
    chain_of: IntArray  # chain index of every pair
    first_token: IntArray  # token index of every chain's first pair
    last_token: IntArray  # token index of every chain's last pair
    left_ok: BoolArray  # a chain has (or gets) literal data on its left
    right_ok: BoolArray  # ... and on its right


class _Shaves(NamedTuple):
    """Which long groups give their single last byte to which side."""

    left: IntArray  # tokens whose first byte joins the literal data on their left
    right: IntArray  # tokens whose last byte joins the literal data on their right
    new_literal: IntArray  # starts of new 2-byte literal tokens between two shaved groups


def compact_tokens(tokens: Tokens, columns: int, total: int) -> Tokens:
    """Turn pydicom's tokens into the compact packing's tokens.

    Parameters
    ----------
    tokens : Tokens
        The tokens of :func:`~dicompress.rle.pydicom_packing.group_tokens`.
    columns : int
        The length of a row.
    total : int
        The size of the stacked segments.

    Returns
    -------
    Tokens
        New arrays; the tokens still tile every row.
    """
    start, replicate, length = tokens
    count = start.size
    # Every row starts a token: find those tokens with one search per row.
    row_start = np.zeros(count, dtype=bool)
    row_start[np.searchsorted(start, np.arange(0, total, columns, dtype=start.dtype))] = True
    lit_before = np.zeros(count, dtype=bool)  # token t - 1 is literal, same row
    lit_before[1:] = ~replicate[:-1] & ~row_start[1:]
    lit_after = np.zeros(count, dtype=bool)  # token t + 1 is literal, same row
    lit_after[:-1] = ~replicate[1:] & ~row_start[1:]

    pairs = _pairs(replicate, length, row_start, lit_before, lit_after)
    shaves, pairs = _shaves(tokens, row_start, lit_before, lit_after, pairs)

    # Absorb the chains with literal data on both sides.
    absorbed = (pairs.left_ok & pairs.right_ok)[pairs.chain_of]
    replicate = replicate.copy()
    replicate[pairs.token[absorbed]] = False
    absorbed_pos = start[pairs.token[absorbed]]  # byte position of each absorbed pair
    absorbed_chain_end = (start[pairs.last_token] + 2)[pairs.chain_of[absorbed]]  # byte after its chain

    start, replicate, row_start = _move_shaved_bytes(start, replicate, row_start, shaves)
    # Merge consecutive literal tokens of a row.  (Shaving never moves a row's
    # first token, so the row starts found above still hold.)
    first = np.ones(start.size, dtype=bool)
    first[1:] = replicate[1:] | replicate[:-1] | row_start[1:]
    if not first.all():
        start = start[first]
        replicate = replicate[first]
    merged = Tokens(start, replicate, token_lengths(start, total))
    return cut_long_literals(merged, absorbed_pos, absorbed_chain_end, total)


def _pairs(
    replicate: BoolArray, length: IntArray, row_start: BoolArray, lit_before: BoolArray, lit_after: BoolArray
) -> _Pairs:
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
    _Pairs
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
    return _Pairs(token, chain_of, first_token, last_token, lit_before[first_token], lit_after[last_token])


def _shaves(
    tokens: Tokens, row_start: BoolArray, lit_before: BoolArray, lit_after: BoolArray, pairs: _Pairs
) -> tuple[_Shaves, _Pairs]:
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
        As for :func:`_pairs`.
    pairs : _Pairs
        The pairs and chains.

    Returns
    -------
    shaves : _Shaves
        The shaves.
    pairs : _Pairs
        `pairs` with the chains that a shaved byte reaches marked as having
        literal data on that side.
    """
    start, replicate, length = tokens
    none = np.zeros(0, dtype=I64)
    cand = np.flatnonzero(replicate & (length > 128))
    cand = cand[(length[cand] & 127) == 1]
    if not cand.size:
        return _Shaves(none, none, none), pairs
    count = start.size
    has_left = ~row_start[cand]
    has_right = (cand + 1 < count) & ~row_start[np.minimum(cand + 1, count - 1)]
    # The chain ending just before / starting just after each candidate.
    left_chain = _index_of(pairs.last_token, cand - 1)
    right_chain = _index_of(pairs.first_token, cand + 1)
    go_left = lit_before[cand] | (has_left & _flag(pairs.left_ok, left_chain))
    go_right = ~go_left & (lit_after[cand] | (has_right & _flag(pairs.right_ok, right_chain)))
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
    return _Shaves(shave_left, shave_right, new_literal), pairs._replace(left_ok=left_ok, right_ok=right_ok)


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


def _move_shaved_bytes(
    start: IntArray, replicate: BoolArray, row_start: BoolArray, shaves: _Shaves
) -> tuple[IntArray, BoolArray, BoolArray]:
    """Move token starts by the shaved bytes and insert the new literal tokens.

    Parameters
    ----------
    start, replicate, row_start : numpy.ndarray
        Per token: start, kind, starts a row.
    shaves : _Shaves
        The shaves.

    Returns
    -------
    tuple of numpy.ndarray
        New `start`, `replicate` and `row_start`.
    """
    start = start.copy()
    start[shaves.left] += 1
    start[shaves.right + 1] -= 1
    if shaves.new_literal.size:
        # new_literal + 1 is the start of a group that shaves left (now new_literal + 2).
        at = np.searchsorted(start, shaves.new_literal + 2)
        start = np.insert(start, at, shaves.new_literal)
        replicate = np.insert(replicate, at, False)
        row_start = np.insert(row_start, at, False)
    return start, replicate, row_start


def _flag(flags: BoolArray, index: IntArray) -> BoolArray:
    """Return ``flags[index]`` where ``index >= 0``, False elsewhere.

    Parameters
    ----------
    flags : numpy.ndarray
        The flags.
    index : numpy.ndarray
        Indices into `flags`, or -1.

    Returns
    -------
    numpy.ndarray
        A mask the size of `index`.
    """
    if not flags.size:
        return np.zeros(index.size, dtype=bool)
    return (index >= 0) & flags[np.maximum(index, 0)]


def _index_of(sorted_values: IntArray, values: IntArray) -> IntArray:
    """Return the index of each of `values` in `sorted_values`, or -1 when absent.

    Parameters
    ----------
    sorted_values : numpy.ndarray
        Increasing values.
    values : numpy.ndarray
        The values to look up.

    Returns
    -------
    numpy.ndarray
        ``int64`` indices or -1.
    """
    if not sorted_values.size:
        return np.full(values.size, -1, dtype=I64)
    k = np.minimum(np.searchsorted(sorted_values, values), sorted_values.size - 1)
    return np.where(sorted_values[k] == values, k, -1).astype(I64)
