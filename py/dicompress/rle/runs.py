"""What a PackBits run consumes and produces, and the decoders' shared messages.

A control byte ``c`` starts a literal run of ``c + 1`` bytes (``c < 128``), a
replicate run of one byte repeated ``257 - c`` times (``c > 128``) or does
nothing (``c == 128``).  Both decoders follow pydicom's: a literal run cut by
the end of the segment copies what there is, a replicate run without its byte
produces nothing.
"""

from __future__ import annotations

import warnings

import numpy as np

from dicompress.rle.checks import RLEError

__all__ = ["ADVANCE", "ADVANCE32", "PRODUCE32", "segment_too_short", "warn_padding"]

#: Bytes consumed by a run, indexed by its control byte: a literal run takes the
#: control and ``n + 1`` data bytes, a replicate run the control and one byte,
#: 128 is a no-op.  A ``bytes`` object, for ``bytearray.translate``.
ADVANCE = bytes([c + 2 if c < 128 else (1 if c == 128 else 2) for c in range(256)])
#: :data:`ADVANCE` as ``int32``.
ADVANCE32 = np.frombuffer(ADVANCE, dtype=np.uint8).astype(np.int32)
#: Bytes produced by a complete run, indexed by its control byte (``int32``).
PRODUCE32 = np.array([c + 1 if c < 128 else (0 if c == 128 else 257 - c) for c in range(256)], dtype=np.int32)


def segment_too_short(index: int, produced: int, seg_size: int) -> RLEError:
    """Return the error for a segment that decodes to fewer bytes than the frame needs.

    Parameters
    ----------
    index : int
        The segment's index (0 for the first).
    produced : int
        The bytes it decodes to.
    seg_size : int
        The bytes it should decode to.

    Returns
    -------
    RLEError
        The error, for the caller to raise.
    """
    return RLEError(f"RLE segment {index + 1} decodes to {produced} bytes, fewer than the {seg_size} expected")


def warn_padding(produced: int, seg_size: int, stacklevel: int) -> None:
    """Warn, like pydicom does, that a segment decodes to more bytes than the frame needs.

    Parameters
    ----------
    produced : int
        The bytes the whole segment decodes to.
    seg_size : int
        The bytes it should decode to.
    stacklevel : int
        As for :func:`warnings.warn`, counted from the caller of this function.
    """
    warnings.warn(
        f"The decoded RLE segment contains non-conformant padding - {produced} vs. {seg_size} bytes expected",
        stacklevel=stacklevel + 1,
    )
