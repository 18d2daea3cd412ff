"""The codec's error and the argument checks shared by the encoder and the decoder."""

from __future__ import annotations

import numpy as np

from dicompress.rle.indexing import ByteArray

__all__ = ["MAX_SEGMENTS", "RLEError", "as_uint8", "check_dimensions", "check_geometry", "check_int"]

#: Segments an RLE frame can have: the 64-byte header has room for 15 offsets.
MAX_SEGMENTS = 15


class RLEError(ValueError):
    """An RLE stream cannot be encoded or decoded; the message is one line."""


def check_int(name: str, value: object, minimum: int) -> int:
    """Return `value` as an ``int`` if it is an integer of at least `minimum`.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        The argument.
    minimum : int
        The smallest value allowed.

    Returns
    -------
    int
        `value`.

    Raises
    ------
    RLEError
        If `value` is not an integer (``bool`` is not) or is below `minimum`.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise RLEError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise RLEError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_dimensions(
    rows: object, columns: object, samples_per_pixel: object, bytes_per_sample: object
) -> tuple[int, int, int, int]:
    """Return the frame geometry as ints, each at least 1.

    Parameters
    ----------
    rows, columns, samples_per_pixel, bytes_per_sample : int
        The frame geometry.

    Returns
    -------
    tuple of int
        ``(rows, columns, samples_per_pixel, bytes_per_sample)``.

    Raises
    ------
    RLEError
        If one of them is not an integer of at least 1.
    """
    if type(rows) is type(columns) is type(samples_per_pixel) is type(bytes_per_sample) is int:
        if min(rows, columns, samples_per_pixel, bytes_per_sample) >= 1:  # type: ignore[type-var]
            return rows, columns, samples_per_pixel, bytes_per_sample  # type: ignore[return-value]
    return (
        check_int("rows", rows, 1),
        check_int("columns", columns, 1),
        check_int("samples_per_pixel", samples_per_pixel, 1),
        check_int("bytes_per_sample", bytes_per_sample, 1),
    )


def check_geometry(
    rows: object, columns: object, samples_per_pixel: object, bytes_per_sample: object
) -> tuple[int, int, int, int, int]:
    """Return the frame geometry as ints and the number of segments it needs.

    Parameters
    ----------
    rows, columns, samples_per_pixel, bytes_per_sample
        As for :func:`check_dimensions`.

    Returns
    -------
    tuple of int
        ``(rows, columns, samples_per_pixel, bytes_per_sample, segments)``.

    Raises
    ------
    RLEError
        If one of them is not an integer of at least 1, or the frame would need
        more than :data:`MAX_SEGMENTS` segments.
    """
    rows, columns, spp, bps = check_dimensions(rows, columns, samples_per_pixel, bytes_per_sample)
    nr_segments = spp * bps
    if nr_segments > MAX_SEGMENTS:
        raise RLEError(
            f"RLE Lossless allows at most {MAX_SEGMENTS} segments per frame, but "
            f"{spp} sample(s) of {bps} byte(s) need {nr_segments}"
        )
    return rows, columns, spp, bps, nr_segments


def as_uint8(src: bytes | bytearray | memoryview, name: str = "src") -> ByteArray:
    """Return the bytes of `src` as a contiguous ``uint8`` array (a view where possible).

    Parameters
    ----------
    src : bytes-like
        Anything that exports a buffer.
    name : str, optional
        The argument's name, for the message.

    Returns
    -------
    numpy.ndarray
        One-dimensional ``uint8``, sharing memory with `src` if it is contiguous.

    Raises
    ------
    RLEError
        If `src` is not bytes-like.
    """
    try:
        view = memoryview(src)
    except TypeError:
        raise RLEError(f"{name} must be bytes-like, got {type(src).__name__}") from None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    return np.frombuffer(view, dtype=np.uint8)
