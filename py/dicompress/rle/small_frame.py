"""Decoding a small frame run by run, exactly as pydicom's decoder does.

For frames of a few kilobytes numpy's per-call overhead exceeds the work, so
:func:`dicompress.rle.frame_decoder.decode_frame` hands them to this plain
Python loop.
"""

from __future__ import annotations

from dicompress.rle.indexing import ByteArray
from dicompress.rle.runs import segment_too_short, warn_padding

__all__ = ["decode_small_frame"]


def decode_small_frame(frame: ByteArray, bounds: list[int], seg_size: int, spp: int, bps: int) -> bytearray:
    """Return the decoded frame: planar, each sample little endian.

    Parameters
    ----------
    frame : numpy.ndarray
        The whole RLE frame, ``uint8``.
    bounds : list of int
        The segment offsets and then the size of the frame.
    seg_size : int
        The bytes each segment decodes to (``rows * columns``).
    spp, bps : int
        Samples per pixel and bytes per sample.

    Returns
    -------
    bytearray
        ``seg_size * spp * bps`` bytes.

    Raises
    ------
    RLEError
        If a segment decodes to fewer than `seg_size` bytes.
    """
    data = frame.tobytes()
    out = bytearray(seg_size * spp * bps)
    for s in range(len(bounds) - 1):
        segment = data[bounds[s] : bounds[s + 1]]
        decoded, stop = _decode_runs(segment, seg_size)
        if len(decoded) < seg_size:
            raise segment_too_short(s, len(decoded), seg_size)
        if len(decoded) > seg_size:
            warn_padding(len(decoded) + _remaining(segment, stop), seg_size, stacklevel=3)
        sample, byte = divmod(s, bps)
        first = sample * seg_size * bps + (bps - 1 - byte)
        out[first : first + seg_size * bps : bps] = decoded[:seg_size]
    return out


def _decode_runs(segment: bytes, seg_size: int) -> tuple[bytearray, int]:
    """Decode the runs of `segment` until it ends or more than `seg_size` bytes are out.

    Parameters
    ----------
    segment : bytes
        One segment.
    seg_size : int
        The bytes the segment should decode to.

    Returns
    -------
    decoded : bytearray
        The decoded bytes (more than `seg_size` if the segment has too many).
    stop : int
        Where decoding stopped in `segment`.
    """
    decoded = bytearray()
    extend = decoded.extend
    pos = 0
    size = len(segment)
    while pos < size:
        ctrl = segment[pos]
        pos += 1
        if ctrl < 128:
            extend(segment[pos : pos + ctrl + 1])
            pos += ctrl + 1
        elif ctrl > 128:
            extend(segment[pos : pos + 1] * (257 - ctrl))
            pos += 1
        if len(decoded) > seg_size:
            break
    return decoded, pos


def _remaining(segment: bytes, pos: int) -> int:
    """Return the bytes the rest of a segment would decode to (for the padding warning).

    Parameters
    ----------
    segment : bytes
        One segment.
    pos : int
        Where the rest starts: a control byte.

    Returns
    -------
    int
        The bytes decoded from `pos` to the end.
    """
    total = 0
    size = len(segment)
    while pos < size:
        ctrl = segment[pos]
        pos += 1
        if ctrl < 128:
            total += min(ctrl + 1, size - pos)
            pos += ctrl + 1
        elif ctrl > 128:
            total += 257 - ctrl if pos < size else 0
            pos += 1
    return total
