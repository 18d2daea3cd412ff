"""Decoding one frame: RLE frame in, planar little-endian samples out.

Frames of at most :data:`SMALL_FRAME` bytes are decoded run by run
(:mod:`dicompress.rle.small_frame`).  Larger ones are copied into a buffer
with every segment at a multiple of the block size, their control bytes are
found (:mod:`dicompress.rle.control_chain`) and their runs expanded
(:mod:`dicompress.rle.expansion`).  A segment too short to fill the frame is
refused before the output is allocated (two bytes make at most 128), and one
that claims more output than the frame needs is cut before anything is
expanded, so memory stays proportional to the input plus the requested output.
"""

from __future__ import annotations

import numpy as np

from dicompress.rle.checks import RLEError, as_uint8, check_dimensions
from dicompress.rle.control_chain import BLOCK_SHIFT, TAIL, control_positions
from dicompress.rle.expansion import expand_segments
from dicompress.rle.header import parse_header
from dicompress.rle.indexing import ByteArray
from dicompress.rle.small_frame import decode_small_frame

__all__ = ["SMALL_FRAME", "decode_frame"]

#: Frames up to this many bytes are decoded run by run: numpy's call overhead exceeds the work.
SMALL_FRAME = 24576


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
    rows, columns, spp, bps = check_dimensions(rows, columns, samples_per_pixel, bytes_per_sample)
    given = src if isinstance(src, bytes) else as_uint8(src)  # bytes as they are: the small frames' loop reads them
    offsets = parse_header(given, spp * bps, spp, bps)
    seg_size = rows * columns
    nr_segments = len(offsets)
    bounds = [*offsets, len(given)]
    lengths = [stop - start for start, stop in zip(bounds, bounds[1:])]
    if 64 * min(lengths) < seg_size:
        _check_segment_lengths(lengths, rows, columns)
    if len(given) <= SMALL_FRAME:
        return decode_small_frame(given if isinstance(given, bytes) else given.tobytes(), bounds, seg_size, spp, bps)

    frame = as_uint8(given) if isinstance(given, bytes) else given
    data, starts = _aligned_segments(frame, bounds, lengths)
    ctrl_pos = control_positions(data, starts, lengths)
    out = bytearray(nr_segments * seg_size)
    if bps == 1:
        # One byte per sample: the planes are the result.
        result_planes = np.frombuffer(out, dtype=np.uint8).reshape(nr_segments, seg_size)
        expand_segments(data, ctrl_pos, starts, lengths, result_planes)
        return out
    planes = np.empty((nr_segments, seg_size), dtype=np.uint8)
    expand_segments(data, ctrl_pos, starts, lengths, planes)
    _planes_to_samples(planes, out, spp, bps)
    return out


def _check_segment_lengths(lengths: list[int], rows: int, columns: int) -> None:
    """Refuse segments too short to fill the frame, before the output is allocated.

    Parameters
    ----------
    lengths : list of int
        The length of every segment.
    rows, columns : int
        The frame size.

    Raises
    ------
    RLEError
        Naming the first segment with fewer than ``rows * columns / 64`` bytes
        (two bytes make at most 128).
    """
    seg_size = rows * columns
    for s, length in enumerate(lengths):
        if 64 * length < seg_size:
            raise RLEError(
                f"RLE segment {s + 1} has {length} bytes, too few for the "
                f"{seg_size} bytes of a {rows} x {columns} frame"
            )


def _aligned_segments(frame: ByteArray, bounds: list[int], lengths: list[int]) -> tuple[bytearray, list[int]]:
    """Copy the segments into one buffer, each at a multiple of the block size.

    Parameters
    ----------
    frame : numpy.ndarray
        The whole RLE frame.
    bounds : list of int
        The segment offsets and then the size of the frame.
    lengths : list of int
        The length of every segment.

    Returns
    -------
    data : bytearray
        The buffer, zero between segments and for :data:`TAIL` bytes at the end.
    starts : list of int
        Where each segment starts in `data`.
    """
    block = 1 << BLOCK_SHIFT
    starts = []
    at = 0
    for length in lengths:
        starts.append(at)
        at += -(-length // block) * block
    data = bytearray(at + TAIL)
    buffer = np.frombuffer(data, dtype=np.uint8)
    for s, (start, length) in enumerate(zip(starts, lengths)):
        buffer[start : start + length] = frame[bounds[s] : bounds[s + 1]]
    return data, starts


def _planes_to_samples(planes: ByteArray, out: bytearray, spp: int, bps: int) -> None:
    """Write decoded segments as samples: planar, each sample little endian.

    Parameters
    ----------
    planes : numpy.ndarray
        ``(segments, seg_size)``: sample by sample, most significant byte first.
    out : bytearray
        The result, written.
    spp, bps : int
        Samples per pixel and bytes per sample (at least 2).
    """
    seg_size = planes.shape[1]
    planes = planes.reshape(spp, bps, seg_size)
    if bps == 2:
        # Most significant plane shifted into the high byte of little-endian words.
        words = np.frombuffer(out, dtype="<u2").reshape(spp, seg_size)
        np.left_shift(planes[:, 0], 8, out=words, dtype="<u2")
        words |= planes[:, 1]
    else:
        samples = np.frombuffer(out, dtype=np.uint8).reshape(spp, seg_size, bps)
        for k in range(bps):
            samples[:, :, k] = planes[:, bps - 1 - k]
