"""The page's WebAssembly codecs, as Python sees them through Pyodide's JS FFI.

The worker registers its codec bridge (``web/codecs.js``) as the JavaScript module
:data:`BRIDGE_MODULE`; each codec family (one npm package) decodes some transfer syntaxes.
A family is loaded by the worker before a file that needs it is converted (the page asks
``dicompress.browser.needs_codecs``), so decoding and encoding here are synchronous, as
pydicom's plugins are. The encoding families (:data:`ENCODING_FAMILIES`) are the same
packages' full builds, and OpenJPH's for HTJ2K.
"""

import sys
from dataclasses import dataclass
from typing import Any

from pydicom.uid import (
    JPEG2000,
    UID,
    HTJ2K,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
)

#: The name the worker registers its codec bridge under (``pyodide.registerJsModule``).
BRIDGE_MODULE = "dicompress_codecs"
#: Transfer syntax -> the codec family (``web/codecs.js``) that decodes it.
DECODING_FAMILIES: dict[UID, str] = {
    JPEG2000Lossless: "openjpeg",
    JPEG2000: "openjpeg",
    HTJ2KLossless: "openjpeg",
    HTJ2KLosslessRPCL: "openjpeg",
    HTJ2K: "openjpeg",
    JPEGLSLossless: "charls",
    JPEGLSNearLossless: "charls",
    JPEGBaseline8Bit: "libjpeg-turbo",
    JPEGExtended12Bit: "libjpeg-turbo",  # 8-bit samples only: the build is libjpeg-turbo's 8-bit one
    JPEGLossless: "jpeg-lossless",
    JPEGLosslessSV1: "jpeg-lossless",
}


#: Transfer syntax -> the codec family (``web/codecs.js``) that encodes it.
ENCODING_FAMILIES: dict[UID, str] = {
    JPEGLSLossless: "charls-encoder",
    JPEG2000Lossless: "openjpeg-encoder",
    HTJ2KLossless: "openjph",
}


class CodecError(ValueError):
    """A codec could not decode a frame; ``str(exc)`` is one line naming the family."""


@dataclass(frozen=True)
class DecodedFrame:
    """One frame as a codec returned it.

    Attributes
    ----------
    pixels : bytearray
        Little-endian samples, by pixel unless `planar`.
    width, height, components, bits_per_sample : int
        What the codestream says.
    signed : bool
        Whether the samples are signed (two's complement in their container).
    planar : bool
        Whether the samples come one plane after the other.
    """

    pixels: bytearray
    width: int
    height: int
    components: int
    bits_per_sample: int
    signed: bool
    planar: bool


def bridge() -> Any | None:
    """Return the worker's codec bridge, or ``None`` outside Pyodide or before it is registered."""
    if sys.platform != "emscripten":
        return None
    try:
        return __import__(BRIDGE_MODULE)
    except ImportError:
        return None


def family_for(syntax: str) -> str | None:
    """Return the codec family that decodes `syntax` in the page, or ``None``."""
    return DECODING_FAMILIES.get(UID(syntax))


@dataclass(frozen=True)
class FrameLayout:
    """What an encoder is told of the frame it is given (interleaved, little-endian samples).

    Attributes
    ----------
    width, height, components, bits_per_sample : int
        The image, and the precision the codestream declares.
    signed : bool
        Whether the samples are signed (two's complement in their container).
    colour_transform : bool
        Whether the reversible colour transform is asked for (HTJ2K; OpenJPEG's encoder
        applies it to every colour image).
    """

    width: int
    height: int
    components: int
    bits_per_sample: int
    signed: bool
    colour_transform: bool


def encode(family: str, src: bytes, layout: FrameLayout) -> bytes:
    """Return one frame encoded by codec `family`, which the worker has loaded.

    Raises
    ------
    CodecError
        When there is no bridge, or the codec fails (its one-line reason).
    """
    from pyodide.ffi import to_js  # only inside Pyodide

    frame = {
        "width": layout.width, "height": layout.height, "components": layout.components,
        "bitsPerSample": layout.bits_per_sample, "signed": layout.signed, "colourTransform": layout.colour_transform,
    }
    encoded = _call("encode", family, src, to_js(frame, dict_converter=_js_object()))
    return bytes(encoded.to_bytes())


def _js_object() -> Any:
    """Return JavaScript's ``Object.fromEntries`` (a dict becomes a plain object, not a Map)."""
    from js import Object  # only inside Pyodide

    return Object.fromEntries


def decode(family: str, src: bytes) -> DecodedFrame:
    """Return one frame decoded by codec `family`, which the worker has loaded.

    Raises
    ------
    CodecError
        When there is no bridge, or the codec fails (its one-line reason).
    """
    frame = _call("decode", family, src)
    # A bytearray, as pydicom's plugins return: pydicom corrects signs in place.
    pixels = bytearray(int(frame.pixels.byteLength))
    frame.pixels.assign_to(pixels)
    return DecodedFrame(
        pixels=pixels,
        width=int(frame.width),
        height=int(frame.height),
        components=int(frame.components),
        bits_per_sample=int(frame.bitsPerSample),
        signed=bool(frame.signed),
        planar=bool(frame.planar),
    )


def _call(operation: str, family: str, src: bytes, *args: Any) -> Any:
    """Return what the bridge's `operation` (``"encode"`` or ``"decode"``) of `family` gives for `src`.

    Raises
    ------
    CodecError
        When there is no bridge, or the codec fails (its one-line reason).
    """
    codecs = bridge()
    if codecs is None:
        raise CodecError(f"{family}: the page's codecs are not available here")
    from pyodide.ffi import JsException, to_js  # only inside Pyodide

    try:
        return getattr(codecs, operation)(family, to_js(memoryview(src)), *args)
    except JsException as exc:
        raise CodecError(_one_line(str(exc))) from None


def _one_line(message: str) -> str:
    """Return the last non-empty line of a JavaScript error (Pyodide prefixes the type)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    text = lines[-1] if lines else "the decoder failed"
    return text.removeprefix("Error: ")
