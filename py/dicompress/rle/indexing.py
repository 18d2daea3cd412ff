"""Index arrays that behave the same on 64-bit CPython and on wasm32 Pyodide.

Pyodide is wasm32, where ``np.intp`` (the default of ``np.arange``,
``np.cumsum`` of small integers, ``np.flatnonzero`` ...) is 32 bits.  Every
array of positions, offsets, counts or cumulative sums in this package is
therefore created with an explicit dtype: ``int32`` where the values are known
to fit (half the memory traffic), ``int64`` otherwise.  Arrays returned by
``np.flatnonzero`` and ``np.searchsorted`` are only used to index arrays that
exist, so their ``np.intp`` always suffices.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "I64", "BoolArray", "ByteArray", "IndexDtype", "IntArray", "flag_at", "index_dtype", "index_of", "repeat_ranks",
]

I64 = np.int64

#: Bytes of a frame, a segment or a stream.
ByteArray: TypeAlias = npt.NDArray[np.uint8]
#: A mask.
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: Positions, lengths, counts: ``int32`` or ``int64`` (see :func:`index_dtype`), or ``np.intp`` from numpy.
IntArray: TypeAlias = npt.NDArray[np.signedinteger[Any]]
#: The dtype of such arrays.
IndexDtype: TypeAlias = np.dtype[np.signedinteger[Any]]

_INT32: IndexDtype = np.dtype(np.int32)
_INT64: IndexDtype = np.dtype(np.int64)


def index_dtype(largest: int, headroom: int = 1) -> IndexDtype:
    """Return the narrowest dtype for positions up to `largest`.

    Parameters
    ----------
    largest : int
        The largest position (or size) the array will hold.
    headroom : int, optional
        How far arithmetic on the array may go beyond `largest` (default 1).

    Returns
    -------
    numpy.dtype
        ``int32`` if ``largest + headroom`` stays below ``2**31``, else ``int64``.
    """
    return _INT32 if largest + headroom < 2**31 else _INT64


def repeat_ranks(counts: IntArray) -> tuple[IntArray, IntArray]:
    """Number the items of groups given by their sizes.

    Parameters
    ----------
    counts : numpy.ndarray
        The size of every group (``int32`` or ``np.intp``: ``np.repeat`` takes
        its counts as ``np.intp``, and an ``int64`` array cannot be cast to a
        32-bit ``np.intp`` under Pyodide).

    Returns
    -------
    owner : numpy.ndarray
        ``int64``: for every item, the index of its group.
    rank : numpy.ndarray
        ``int64``: for every item, its index within its group.

    Examples
    --------
    >>> repeat_ranks(np.array([2, 0, 3], dtype=np.int32))
    (array([0, 0, 2, 2, 2]), array([0, 1, 0, 1, 2]))
    """
    owner = np.repeat(np.arange(counts.size, dtype=I64), counts)
    rank = np.arange(owner.size, dtype=I64) - (np.cumsum(counts, dtype=I64) - counts)[owner]
    return owner, rank


def flag_at(flags: BoolArray, index: IntArray) -> BoolArray:
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


def index_of(sorted_values: IntArray, values: IntArray) -> IntArray:
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
