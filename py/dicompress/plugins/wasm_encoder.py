"""pydicom encoder plugin: JPEG-LS, JPEG 2000 and HTJ2K Lossless with the page's WebAssembly codecs.

Available only inside Pyodide once the worker has registered its codec bridge
(:mod:`dicompress.plugins.wasm_codecs`). The codecs are the libraries the command line
writes these syntaxes with: CharLS (pyjpegls on CPython), OpenJPEG (pylibjpeg-openjpeg)
and OpenJPH (imagecodecs, :mod:`dicompress.plugins.htj2k_encoder`), each driven with the
parameters of its CPython counterpart, so the page and the command line write the same
kind of codestream: JPEG-LS and JPEG 2000 at the precision of Bits Stored, HTJ2K at the
precision of its 8- or 16-bit container, colour in JPEG 2000 and HTJ2K through the
reversible colour transform (Photometric Interpretation ``YBR_RCT``).

The WebAssembly builds take less than their CPython counterparts (:func:`unsupported`
says what, in one line, before any frame is encoded): OpenJPEG's and OpenJPH's read
colour samples of 8 bits only and signed samples of more than 8 bits only, and OpenJPEG's
applies the colour transform to every colour image, so other colour images are left to
the command line.
"""

from typing import TYPE_CHECKING, Any

from pydicom.uid import UID, HTJ2KLossless, JPEG2000Lossless

from dicompress.plugins import wasm_codecs

if TYPE_CHECKING:
    from pydicom.pixels.encoders.base import EncodeRunner

ENCODER_DEPENDENCIES = {
    uid: (f"the page's {family} WebAssembly codec (inside Pyodide)",)
    for uid, family in wasm_codecs.ENCODING_FAMILIES.items()
}
#: The Photometric Interpretation that asks for the reversible colour transform.
RCT = "YBR_RCT"
#: The syntaxes whose encoder here reads colour of 8 bits only, with the colour transform only.
_J2K_FAMILY = (JPEG2000Lossless, HTJ2KLossless)


def is_available(uid: str) -> bool:
    """Return ``True`` inside Pyodide when the page's codec bridge is there and encodes `uid`.

    Parameters
    ----------
    uid : str
        The Transfer Syntax UID the encoder is for.

    Returns
    -------
    bool
        Whether this plugin can encode `uid` here.
    """
    return UID(uid) in wasm_codecs.ENCODING_FAMILIES and wasm_codecs.bridge() is not None


def unsupported(syntax: UID, options: dict[str, Any]) -> str | None:
    """Return why the page's encoder of `syntax` cannot write the image `options` describe, or ``None``.

    Parameters
    ----------
    syntax : pydicom.uid.UID
        JPEG-LS, JPEG 2000 or HTJ2K Lossless.
    options : dict
        pydicom's encoding options (``samples_per_pixel``, ``bits_allocated``,
        ``pixel_representation``, ``photometric_interpretation``).
    """
    if syntax not in _J2K_FAMILY:
        return None
    name = "JPEG 2000" if syntax == JPEG2000Lossless else "HTJ2K"
    if options["samples_per_pixel"] > 1:
        if options["bits_allocated"] > 8:
            return f"the page's {name} encoder writes colour samples of 8 bits only"
        if options["photometric_interpretation"] != RCT:
            return (f"the page's {name} encoder writes colour through the reversible colour transform only "
                    f"(YBR_RCT, from RGB), not {options['photometric_interpretation']}")
    elif options["pixel_representation"] and options["bits_allocated"] == 8:
        return f"the page's {name} encoder writes signed samples of more than 8 bits only"
    return None


def encode_frame(src: bytes, runner: "EncodeRunner") -> bytes:
    """Return one frame encoded by the page's codec for the runner's transfer syntax.

    Parameters
    ----------
    src : bytes
        One frame as pydicom's runner hands it: little-endian samples in containers of
        Bits Allocated, interleaved (Planar Configuration 0).
    runner : pydicom.pixels.encoders.base.EncodeRunner
        The runner with the frame's options.

    Returns
    -------
    bytes
        The codestream.

    Raises
    ------
    ValueError
        When the image is one the encoder cannot write (:func:`unsupported`), or the
        codec fails (:class:`~dicompress.plugins.wasm_codecs.CodecError`, one line).
    """
    syntax = UID(runner.transfer_syntax)
    reason = unsupported(syntax, dict(runner.options))
    if reason:
        raise ValueError(reason)
    if runner.samples_per_pixel > 1 and runner.planar_configuration != 0:
        raise ValueError("the page's encoders take colour samples by pixel (Planar Configuration 0) only")
    return wasm_codecs.encode(wasm_codecs.ENCODING_FAMILIES[syntax], src, frame_layout(syntax, dict(runner.options)))


def frame_layout(syntax: UID, options: dict[str, Any]) -> wasm_codecs.FrameLayout:
    """Return what the encoder of `syntax` is told of a frame pydicom's `options` describe.

    Parameters
    ----------
    syntax : pydicom.uid.UID
        JPEG-LS, JPEG 2000 or HTJ2K Lossless.
    options : dict
        pydicom's encoding options (``rows``, ``columns``, ``samples_per_pixel``,
        ``bits_allocated``, ``bits_stored``, ``pixel_representation``,
        ``photometric_interpretation``).
    """
    precision = options["bits_stored"]
    if syntax == HTJ2KLossless:
        precision = options["bits_allocated"]  # as the command line's plugin over imagecodecs writes it
    return wasm_codecs.FrameLayout(
        width=options["columns"],
        height=options["rows"],
        components=options["samples_per_pixel"],
        bits_per_sample=precision,
        signed=bool(options["pixel_representation"]),
        colour_transform=options["samples_per_pixel"] == 3 and options["photometric_interpretation"] == RCT,
    )
