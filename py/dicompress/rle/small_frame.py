"""Decoding a small frame run by run, exactly as pydicom's decoder does.

For frames of a few kilobytes numpy's per-call overhead exceeds the work, so
:func:`dicompress.rle.frame_decoder.decode_frame` hands them to this plain
Python loop.  It is pydicom's own loop, with fewer operations per run.
"""

from __future__ import annotations

from dicompress.rle.runs import segment_too_short, warn_padding

__all__ = ["decode_small_frame"]

#: Segments up to this long are decoded without a length check (64 times this is little).
_UNCHECKED = 1 << 15
#: Every replicate run's possible bytes, by value: a run is a slice of one of these.
_REPEATED = [bytes([value]) * 128 for value in range(256)]


def decode_small_frame(data: bytes, bounds: list[int], seg_size: int, spp: int, bps: int) -> bytearray:
    """Return the decoded frame: planar, each sample little endian.

    Parameters
    ----------
    data : bytes
        The whole RLE frame.
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
    planes = bytearray()
    for s in range(spp * bps):
        _decode_segment(planes, data[bounds[s] : bounds[s + 1]], seg_size, s)
    if bps == 1:
        return planes  # one byte per sample: the planes one after the other are the frame
    out = bytearray(seg_size * spp * bps)
    view = memoryview(planes)
    stride = seg_size * bps
    for s in range(spp * bps):
        sample, byte = divmod(s, bps)
        first = sample * stride + (bps - 1 - byte)  # segments are most significant byte first
        out[first : first + stride : bps] = view[s * seg_size : (s + 1) * seg_size]
    return out


def _decode_segment(decoded: bytearray, segment: bytes, seg_size: int, index: int) -> None:
    """Append the `seg_size` bytes `segment` decodes to to `decoded`, as pydicom's decoder reads it.

    The loop ends where the segment does (an ``IndexError``, as in pydicom's own loop:
    it costs nothing per run).  A segment of ``n`` bytes decodes to at most ``64 * n``;
    only in a segment longer than the small frames this module is for does a
    replicate run check the length so far, so that one claiming far more than
    `seg_size` stops soon after it.

    Parameters
    ----------
    decoded : bytearray
        The output so far, extended by the segment's bytes: cut to `seg_size` (with
        pydicom's warning) if it holds more.
    segment : bytes
        One segment.
    seg_size : int
        The bytes it should decode to.
    index : int
        The segment's index, for the messages.

    Raises
    ------
    RLEError
        If the segment decodes to fewer than `seg_size` bytes.
    """
    first = len(decoded)
    seg_end = first + seg_size
    extend = decoded.extend
    repeated = _REPEATED
    check = len(segment) > _UNCHECKED
    pos = 0
    try:
        while True:
            ctrl = segment[pos]
            if ctrl < 128:
                start = pos + 1
                pos = start + ctrl + 1
                extend(segment[start:pos])
            elif ctrl > 128:
                extend(repeated[segment[pos + 1]][: 257 - ctrl])
                pos += 2
                if check and len(decoded) > seg_end:
                    break
            else:
                pos += 1
    except IndexError:  # the end of the segment; a replicate run without its byte makes nothing
        pos = len(segment)
    produced = len(decoded) - first
    if produced < seg_size:
        raise segment_too_short(index, produced, seg_size)
    if produced > seg_size:
        warn_padding(produced + _remaining(segment, pos), seg_size, stacklevel=4)
        del decoded[seg_end:]


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
