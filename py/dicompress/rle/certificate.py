"""Proving that an RLE frame decodes to its source, without decoding it: the certificate check.

The encoder hands over a :class:`Certificate` with every frame: the position of
every byte it wrote as a control byte (the padding byte of an odd segment
included, which a decoder reads as one).  :func:`certifies` checks the frame
against the source samples with it.  It trusts nothing the encoder says: a
wrong certificate, a wrong stream or a wrong source makes it return ``False``
(the caller then decodes the frame in full and compares), never ``True``.  It
shares no code with the encoder: it reads the stream as the decoder does.

Why ``True`` proves that :func:`~dicompress.rle.decode_frame` (and pydicom's
decoder, whose runs it follows) returns exactly the source, byte for byte:

1. *Header.*  The header is parsed by the decoder's own
   :func:`~dicompress.rle.header.parse_header`: the segment count the geometry
   needs, offsets in order and inside the frame.  Segment ``s`` is the bytes
   ``[a, b)`` between its offset and the next one (or the end of the frame);
   its source bytes are one byte of one sample of every pixel, most
   significant first, located independently of the encoder (``base`` and
   ``stride`` below).
2. *The control bytes are the decoder's.*  A decoder reads segment ``s`` from
   ``a``: the byte at a run's start is its control byte ``c``, and the next run
   starts ``ADVANCE[c]`` bytes later (``c + 2`` for a literal run, 2 for a
   replicate run, 1 for the no-op 128), until the segment ends.  The check
   requires the first position of the segment to be ``a``, every following
   one to be exactly its predecessor plus ``ADVANCE`` of the stream byte there,
   all of them before ``b``, and the last one's run to reach ``b``.  By
   induction the positions are exactly the run starts the decoder visits, in
   order, none missing, none extra.  Each run's length then follows from its
   control byte, the last run cut by the segment's end as the decoder cuts it.
3. *Lengths.*  A run producing nothing (no-op, padding) may only end a
   segment; the runs add up to exactly ``rows * columns`` bytes (so the decoder
   neither stops short nor discards anything, and warns about nothing); every
   row starts a run (so no run crosses a row, as PS3.5 G.3.1 requires).  With
   the output offset ``o`` of every run from the lengths, the decoder's output
   is ``stream[p + 1 + k]`` at ``o + k`` for a literal run at ``p`` and
   ``stream[p + 1]`` at ``o .. o + n - 1`` for a replicate run of ``n`` bytes.
4. *Data bytes.*  Every stream byte that is not a control byte must be the
   source byte at the output offset where the decoder puts it (the first one,
   for a replicate value).  So every literal byte, and the first byte of every
   replicate run, is the source's.
5. *Replicate runs are constant.*  Count the neighbouring source bytes of a
   segment that differ.  Every neighbouring pair lies across two runs, inside a
   literal run or inside a replicate run.  The differing pairs across runs are
   counted from the source byte before each run and the run's first byte; the
   differing pairs inside literal runs are, by 4, the differing neighbouring
   stream bytes that touch no control byte.  If those two counts make up the
   total (all segments together: no count is negative), no pair inside a
   replicate run differs: every replicate run is constant, equal to its first
   byte, which is the replicate value by 4.

By 3, 4 and 5 every output byte of the decoder is the source byte at its place,
and there are exactly as many: the frame decodes to the source.

Steps 2 to 5 run segment by segment, a chunk of stream bytes at a time
(:func:`~dicompress.rle.certificate_data.check_segment`): a handful of numpy
operations on arrays the size of the runs and of the stream; nothing is
expanded to the size of the output.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dicompress.rle.certificate_data import check_segment
from dicompress.rle.checks import RLEError, as_uint8, check_geometry
from dicompress.rle.header import parse_header
from dicompress.rle.indexing import ByteArray, IntArray

__all__ = ["Certificate", "certifies"]

_PAIR_BLOCK = 1 << 18  # source bytes compared at once


class Certificate(NamedTuple):
    """What the encoder says about a frame it wrote, for :func:`certifies` to check."""

    #: Position in the frame of every control byte, padding bytes included, increasing.
    positions: IntArray


def certifies(
    frame: bytes | bytearray | memoryview, certificate: Certificate, source: bytes | bytearray | memoryview,
    rows: int, columns: int, samples_per_pixel: int, bytes_per_sample: int,
    *, byteorder: str = "<", planar_configuration: int = 0,
) -> bool:
    """Return whether `certificate` proves that `frame` decodes to exactly `source`.

    Parameters
    ----------
    frame : bytes-like
        One RLE frame.
    certificate : Certificate
        The encoder's certificate for it.
    source : bytes-like
        The samples the frame should decode to, as given to
        :func:`~dicompress.rle.encode_frame`.
    rows, columns, samples_per_pixel, bytes_per_sample : int
        The frame geometry.
    byteorder : str, optional
        ``"<"`` (default) or ``">"``: the byte order of the source samples.
    planar_configuration : int, optional
        0 (default, interleaved) or 1 (one plane per sample): the source layout.

    Returns
    -------
    bool
        ``True`` only if the checks in this module's docstring all hold; ``False``
        means nothing about the frame, only that the certificate proves nothing.

    Raises
    ------
    RLEError
        If an argument is invalid or `source` does not have the geometry's size.
    """
    rows, columns, spp, bps, nr_segments = check_geometry(rows, columns, samples_per_pixel, bytes_per_sample)
    if byteorder not in ("<", ">") or planar_configuration not in (0, 1):
        raise RLEError(f"byteorder must be '<' or '>' and planar_configuration 0 or 1, "
                       f"got {byteorder!r} and {planar_configuration!r}")
    stream = as_uint8(frame, "frame")
    pixels = as_uint8(source, "source")
    seg_size = rows * columns
    if pixels.size != seg_size * nr_segments:
        raise RLEError(f"source has {pixels.size} bytes, the geometry needs {seg_size * nr_segments}")
    try:
        offsets = parse_header(stream, nr_segments, spp, bps)
    except RLEError:
        return False
    positions = np.asarray(certificate.positions)
    if positions.ndim != 1 or positions.dtype.kind not in "iu":
        return False
    bounds = [*offsets, stream.size]
    firsts = [*positions.searchsorted(np.array(offsets, dtype=positions.dtype)).tolist(), positions.size]
    differing = _differing_pairs(pixels, seg_size, spp, planar_configuration)
    for s in range(nr_segments):
        sample, byte = divmod(s, bps)
        byte_offset = bps - 1 - byte if byteorder == "<" else byte
        if planar_configuration == 0:
            base, stride = sample * bps + byte_offset, spp * bps
        else:
            base, stride = sample * seg_size * bps + byte_offset, bps
        here = positions[firsts[s] : firsts[s + 1]]
        counted = check_segment(stream, here, bounds[s], bounds[s + 1], pixels, base, stride, rows, columns)
        if counted is None:
            return False
        differing -= counted
    return bool(differing == 0)


def _differing_pairs(pixels: ByteArray, seg_size: int, spp: int, planar_configuration: int) -> int:
    """Return how many neighbouring source bytes of the same segment differ (step 5, the source's side).

    Parameters
    ----------
    pixels : numpy.ndarray
        The source samples.
    seg_size : int
        The bytes of every segment.
    spp : int
        Samples per pixel.
    planar_configuration : int
        The source layout.

    Returns
    -------
    int
        The count: a segment's bytes are one column of the source seen as one
        row per pixel (one such table per plane if planar), so the pairs are
        the neighbouring rows; counted a block of rows at a time.
    """
    planes = pixels.reshape(spp if planar_configuration else 1, seg_size, -1)
    block = max(1, _PAIR_BLOCK // planes.shape[2])
    differing = 0
    for plane in planes:
        for first in range(0, seg_size - 1, block):
            rows = plane[first : first + block + 1]
            differing += np.count_nonzero(rows[1:] != rows[:-1])
    return differing
