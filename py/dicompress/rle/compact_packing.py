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

import numpy as np

from dicompress.rle.compact_groups import Shaves, find_pairs, plan_shaves
from dicompress.rle.indexing import BoolArray, IntArray
from dicompress.rle.literal_cut import cut_long_literals
from dicompress.rle.pydicom_packing import Tokens, token_lengths

__all__ = ["compact_tokens"]


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

    pairs = find_pairs(replicate, length, row_start, lit_before, lit_after)
    shaves, pairs = plan_shaves(tokens, row_start, lit_before, lit_after, pairs)

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


def _move_shaved_bytes(
    start: IntArray, replicate: BoolArray, row_start: BoolArray, shaves: Shaves
) -> tuple[IntArray, BoolArray, BoolArray]:
    """Move token starts by the shaved bytes and insert the new literal tokens.

    Parameters
    ----------
    start, replicate, row_start : numpy.ndarray
        Per token: start, kind, starts a row.
    shaves : Shaves
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
