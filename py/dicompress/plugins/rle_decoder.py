"""pydicom decoder plugin: RLE Lossless with dicompress's numpy codec."""

from typing import TYPE_CHECKING

from pydicom.uid import RLELossless

from dicompress.plugins.dependencies import numpy_available

if TYPE_CHECKING:
    from pydicom.pixels.decoders.base import DecodeRunner

DECODER_DEPENDENCIES = {RLELossless: ("numpy",)}


def is_available(uid: str) -> bool:
    """Return ``True`` if `uid` is RLE Lossless and numpy can be imported.

    Parameters
    ----------
    uid : str
        The Transfer Syntax UID the decoder is for.

    Returns
    -------
    bool
        Whether this plugin can decode `uid` here.
    """
    return uid in DECODER_DEPENDENCIES and numpy_available()


def decode_frame(src: bytes, runner: "DecodeRunner") -> bytearray:
    """Return one RLE Lossless frame decoded, as pydicom's own RLE decoder does.

    Parameters
    ----------
    src : bytes
        One RLE frame (header and segments).
    runner : pydicom.pixels.decoders.base.DecodeRunner
        The runner with the frame's options.

    Returns
    -------
    bytearray
        Little-endian samples in Planar Configuration 1 order.
    """
    from dicompress import rle

    if runner.get_option("rle_segment_order", ">") != ">":
        raise ValueError("only the standard most-significant-byte-first segment order is supported")
    if runner.bits_allocated % 8:
        raise ValueError(f"RLE decoding of {runner.bits_allocated}-bit samples is not supported")
    frame = rle.decode_frame(
        src, runner.rows, runner.columns, runner.samples_per_pixel, runner.bits_allocated // 8
    )
    # Only after success: the planes come out one after the other.
    runner.set_option("planar_configuration", 1)
    return frame
