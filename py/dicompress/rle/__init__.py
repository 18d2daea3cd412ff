"""DICOM RLE Lossless (PS3.5 Annex G) encoder and decoder written with numpy only.

This package is the codec: pure functions from bytes to bytes.  It knows
nothing about pydicom, datasets or files.

A frame is a 64-byte header (the number of segments and up to 15 segment
offsets) followed by the segments: one per byte of each sample, most
significant byte first.  Every image row of a segment is PackBits-encoded on
its own and each segment is padded to an even length.

Modules, one idea each:

* :mod:`~dicompress.rle.checks`, :mod:`~dicompress.rle.header`,
  :mod:`~dicompress.rle.indexing`: argument checks and :class:`RLEError`, the
  64-byte header, index dtypes that behave the same under Pyodide (wasm32);
* encoder: :mod:`~dicompress.rle.frame_encoder` (:func:`encode_frame`),
  :mod:`~dicompress.rle.pydicom_packing` (tokens, byte-identical to pydicom),
  :mod:`~dicompress.rle.compact_packing` (the optimal packing and why),
  :mod:`~dicompress.rle.compact_groups`, :mod:`~dicompress.rle.literal_cut`,
  :mod:`~dicompress.rle.frame_writer` and :mod:`~dicompress.rle.frame_gather`
  (tokens to frame bytes);
* decoder: :mod:`~dicompress.rle.frame_decoder` (:func:`decode_frame`),
  :mod:`~dicompress.rle.small_frame` (run by run),
  :mod:`~dicompress.rle.control_chain` and :mod:`~dicompress.rle.chain_lanes`
  (finding the control bytes), :mod:`~dicompress.rle.expansion` (runs to
  bytes), :mod:`~dicompress.rle.runs` (run arithmetic).
"""

from __future__ import annotations

from dicompress.rle.checks import MAX_SEGMENTS, RLEError
from dicompress.rle.frame_decoder import decode_frame
from dicompress.rle.frame_encoder import PACKINGS, encode_frame

__all__ = [
    "MAX_SEGMENTS",
    "PACKINGS",
    "RLEError",
    "decode_frame",
    "encode_frame",
]
