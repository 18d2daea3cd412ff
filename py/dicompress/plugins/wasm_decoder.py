"""pydicom decoder plugin: JPEG, JPEG 2000, HTJ2K, JPEG-LS and JPEG Lossless with the page's WebAssembly codecs.

Available only inside Pyodide once the worker has registered its codec bridge
(:mod:`dicompress.plugins.wasm_codecs`). The codecs are the libraries the ``[codecs]``
extra wraps on CPython (OpenJPEG as pylibjpeg-openjpeg, CharLS as pyjpegls), so the runner
is left as those plugins leave it: containers sized by the codestream's precision, JPEG
2000's colour transform already undone, JPEG-LS by plane when its interleave mode is 0.
JPEG Baseline and 8-bit Extended go to libjpeg-turbo told the colour space by Photometric
Interpretation (:mod:`dicompress.plugins.jpeg_adobe`): YCbCr comes out as RGB, as from
DCMTK's ``dcmdjpeg``.
"""

from typing import TYPE_CHECKING

from pydicom.pixels.common import PhotometricInterpretation as PI
from pydicom.uid import (
    JPEG2000TransferSyntaxes,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSTransferSyntaxes,
    JPEGTransferSyntaxes,
)

from dicompress.plugins import wasm_codecs
from dicompress.plugins.jpeg_adobe import adobe_transform, with_adobe_transform

if TYPE_CHECKING:
    from pydicom.pixels.decoders.base import DecodeRunner

#: The JPEG end-of-image marker, and how far from the stream's end it may be (padding).
_EOI = b"\xff\xd9"
_EOI_TAIL = 16
#: Runner option: the colour transform stated for a file's JPEG frames without their own.
_TRANSFORM_OPTION = "dicompress_jpeg_transform"

DECODER_DEPENDENCIES = {
    uid: (f"the page's {family} WebAssembly codec (inside Pyodide)",)
    for uid, family in wasm_codecs.DECODING_FAMILIES.items()
}


def is_available(uid: str) -> bool:
    """Return ``True`` inside Pyodide when the page's codec bridge is there and decodes `uid`.

    Parameters
    ----------
    uid : str
        The Transfer Syntax UID the decoder is for.

    Returns
    -------
    bool
        Whether this plugin can decode `uid` here.
    """
    return wasm_codecs.family_for(uid) is not None and wasm_codecs.bridge() is not None


def decode_frame(src: bytes, runner: "DecodeRunner") -> bytearray:
    """Return one frame decoded by the page's codec for the runner's transfer syntax.

    Parameters
    ----------
    src : bytes
        One encoded frame (a codestream).
    runner : pydicom.pixels.decoders.base.DecodeRunner
        The runner with the frame's options.

    Returns
    -------
    bytearray
        Little-endian samples; the runner's options say their container and layout.

    Raises
    ------
    dicompress.plugins.wasm_codecs.CodecError
        When the codec fails, or the frame it returns disagrees with the data set.
    """
    syntax = runner.transfer_syntax
    family = wasm_codecs.family_for(syntax)
    if family is None:
        raise wasm_codecs.CodecError(f"no codec of the page decodes {syntax.name}")
    to_rgb = False
    if syntax in JPEGTransferSyntaxes:
        _check_complete(src, family)
    if syntax in (JPEGBaseline8Bit, JPEGExtended12Bit) and runner.samples_per_pixel == 3:
        src, to_rgb = _colour_told(src, runner)
    frame = wasm_codecs.decode(family, src)
    _check_geometry(frame, runner)
    if to_rgb:
        runner.set_option("photometric_interpretation", PI.RGB)
    if syntax in JPEG2000TransferSyntaxes:
        # OpenJPEG undoes the colour transform, as with pylibjpeg-openjpeg.
        if runner.photometric_interpretation in (PI.YBR_ICT, PI.YBR_RCT):
            runner.set_option("photometric_interpretation", PI.RGB)
        runner.set_option("bits_allocated", _container_bits(frame.bits_per_sample))
    elif syntax in JPEGLSTransferSyntaxes:
        if frame.components > 1:
            runner.set_option("planar_configuration", 1 if frame.planar else 0)
        runner.set_option("bits_allocated", _container_bits(frame.bits_per_sample))
    return frame.pixels


def _check_complete(src: bytes, family: str) -> None:
    """Raise :class:`~dicompress.plugins.wasm_codecs.CodecError` for a JPEG stream cut short.

    libjpeg-turbo and jpeg-lossless-decoder-js decode a cut stream without a word (the
    missing part grey, or zero). Some encoders pad after the end-of-image marker (a few
    bytes are looked at); entropy-coded data cannot hold it (a 0xFF there is stuffed).
    """
    if _EOI not in src[-_EOI_TAIL:]:
        raise wasm_codecs.CodecError(f"{family}: the JPEG stream ends before its end-of-image marker")


def _colour_told(src: bytes, runner: "DecodeRunner") -> tuple[bytes, bool]:
    """Return `src` with its colour space stated for libjpeg, and whether libjpeg converts it to RGB.

    A stream's own Adobe segment stands (pydicom's Pillow plugin honours it too); without
    one, Photometric Interpretation says: ``RGB`` is decoded as stored, anything else as
    YCbCr. The first frame's choice is kept for the others: its decoding sets the
    runner's Photometric Interpretation to ``RGB``.
    """
    transform = adobe_transform(src)
    if transform is None:
        transform = runner.get_option(_TRANSFORM_OPTION)
        if transform is None:
            transform = 0 if runner.photometric_interpretation == PI.RGB else 1
            runner.set_option(_TRANSFORM_OPTION, transform)
        src = with_adobe_transform(src, transform)
    return src, transform != 0


def _container_bits(precision: int) -> int:
    """Return the container the codecs use for samples of `precision` bits."""
    return 8 if precision <= 8 else 16 if precision <= 16 else 32


def _check_geometry(frame: wasm_codecs.DecodedFrame, runner: "DecodeRunner") -> None:
    """Raise :class:`~dicompress.plugins.wasm_codecs.CodecError` when `frame` is not the data set's image."""
    found = (frame.height, frame.width, frame.components)
    expected = (runner.rows, runner.columns, runner.samples_per_pixel)
    if found != expected:
        raise wasm_codecs.CodecError(
            "the codestream holds {} x {} pixels with {} samples, the data set says {} x {} with {}".format(
                *found, *expected
            )
        )
    width = _container_bits(frame.bits_per_sample) // 8
    if len(frame.pixels) != frame.height * frame.width * frame.components * width:
        raise wasm_codecs.CodecError(
            f"the decoder returned {len(frame.pixels)} bytes for a {frame.height} x {frame.width} "
            f"x {frame.components} image of {frame.bits_per_sample}-bit samples"
        )
