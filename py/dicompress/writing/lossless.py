"""Frames encoded as JPEG-LS, JPEG 2000 or HTJ2K Lossless, by pydicom's encoders.

The service writes these targets through pydicom's encoder framework, naming one plugin
per syntax: pyjpegls for JPEG-LS Lossless and pylibjpeg (pylibjpeg-openjpeg) for JPEG
2000 Lossless, as pydicom ships them, and dicompress's own plugin over OpenJPH for HTJ2K
Lossless (:mod:`dicompress.plugins.htj2k_encoder`). All come with
``pip install "dicompress[codecs]"``; without them the file fails with that command. In
the page (Pyodide), where none of them is, the plugin is the page's WebAssembly encoders
of the same libraries (:mod:`dicompress.plugins.wasm_encoder`), and each frame is checked
by the page's decoders: the same path, another plugin.

What is written, and what the data set then says (:func:`describe`):

* every sample's value at the precision of Bits Stored (HTJ2K: of its 8- or 16-bit
  container), signed or not as Pixel Representation says (:func:`stored_values`); bits
  set above Bits Stored are refused, as these codecs would not keep them (RLE keeps
  whole containers);
* colour (RGB) in JPEG 2000 and HTJ2K through the reversible colour transform, so the
  Photometric Interpretation becomes ``YBR_RCT`` (PS3.5 8.2.4); JPEG-LS has no colour
  transform in DICOM and keeps ``RGB``; ``YBR_FULL`` and ``PALETTE COLOR`` are kept as
  they are, untransformed;
* Planar Configuration 0 for colour, as PS3.5 8.2.3 and 8.2.4 ask (the codestream says
  how samples are laid out);
* Lossy Image Compression is left as it is: these are lossless.

An image a syntax cannot hold (1-bit, more than 16 bits in JPEG-LS or HTJ2K, more than
24 in JPEG 2000, two samples...) is refused in one line before anything is encoded.
"""

from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder, get_encoder
from pydicom.pixels.encoders.base import ENCODING_PROFILES
from pydicom.uid import UID, HTJ2KLossless, JPEG2000Lossless, JPEGLSLossless

from dicompress import errors
from dicompress.frontend import TARGETS
from dicompress.plugins import wasm_codecs, wasm_encoder
from dicompress.plugins.registration import PAGE_LABEL, PLUGIN_LABEL, add_plugins
from dicompress.reading.compressed_input import CODECS_INSTALL
from dicompress.reading.image_pixel import Geometry, whole_number

__all__ = ["SYNTAXES", "Plan", "describe", "encode", "page_codecs", "plan", "stored_values"]

#: The plugins that can encode each syntax, the first available one named: the command
#: line's (the ``[codecs]`` extra), then the page's (available inside Pyodide only).
SYNTAXES: dict[UID, tuple[str, ...]] = {
    JPEGLSLossless: ("pyjpegls", PAGE_LABEL),
    JPEG2000Lossless: ("pylibjpeg", PAGE_LABEL),
    HTJ2KLossless: (PLUGIN_LABEL, PAGE_LABEL),
}
#: The decoding plugins that check each syntax's frames, the first available one used:
#: OpenJPEG for JPEG 2000 and, independent of the encoder (OpenJPH), for HTJ2K; CharLS
#: (pyjpegls) for JPEG-LS, as libjpeg's JPEG-LS decoder made a verified conversion of
#: RG1_UNCR 3.4 times slower (3.4 s against 1.0 s); the tests decode our JPEG-LS with
#: libjpeg and DCMTK as well. In the page: its decoders of the same libraries
#: (:mod:`dicompress.plugins.wasm_decoder`, another instance than the encoder's).
CHECKING_PLUGINS: dict[UID, tuple[str, ...]] = {
    JPEGLSLossless: ("pyjpegls", "pylibjpeg", PLUGIN_LABEL),
    JPEG2000Lossless: ("pylibjpeg", PLUGIN_LABEL),
    HTJ2KLossless: ("pylibjpeg", PLUGIN_LABEL),
}
#: The command line's names of the syntaxes (``--syntax``), for messages.
_TARGET_NAMES = {UID(target.syntax): target.name for target in TARGETS}
#: Colour through the reversible colour transform, in the JPEG 2000 family.
_RCT_SYNTAXES = (JPEG2000Lossless, HTJ2KLossless)
#: The most bits per sample each plugin writes (pylibjpeg-openjpeg: 24; the others 16).
_MOST_BITS = {JPEGLSLossless: 16, JPEG2000Lossless: 24, HTJ2KLossless: 16}


@dataclass(frozen=True)
class Plan:
    """How the frames of one image are encoded: the syntax, its plugin and pydicom's options."""

    syntax: UID
    plugin: str
    options: dict[str, Any]  #: pydicom's encoding (and decoding) options for one frame
    checker: str  #: the decoding plugin that checks each encoded frame (:data:`CHECKING_PLUGINS`)

    @property
    def photometric_interpretation(self) -> str:
        """The Photometric Interpretation of the encoded frames."""
        return str(self.options["photometric_interpretation"])


def plan(ds: Dataset, shape: Geometry, syntax: UID) -> Plan:
    """Return how the canonical frames of `ds` are encoded in `syntax`, after checking they can be.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set, its Image Pixel module describing the canonical frames.
    shape : dicompress.reading.image_pixel.Geometry
        Its geometry.
    syntax : pydicom.uid.UID
        One of :data:`SYNTAXES`.

    Raises
    ------
    dicompress.errors.EncoderMissingError
        When the plugin is not installed (the message names the ``pip install``).
    dicompress.errors.UnsupportedImageError
        When the syntax cannot hold the image.
    """
    add_plugins()
    plugins = [label for label in SYNTAXES[syntax] if label in get_encoder(syntax).available_plugins]
    checkers = [label for label in CHECKING_PLUGINS[syntax] if label in get_decoder(syntax).available_plugins]
    if not plugins or not checkers:
        raise errors.EncoderMissingError(
            f"writing {syntax.name} needs encoders that are not installed: {CODECS_INSTALL}", syntax=syntax.name
        )
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if syntax in _RCT_SYNTAXES and photometric == "RGB" and shape.samples_per_pixel == 3:
        photometric = "YBR_RCT"
    options = {
        "rows": shape.rows,
        "columns": shape.columns,
        "samples_per_pixel": shape.samples_per_pixel,
        "number_of_frames": 1,
        "bits_allocated": shape.bits_allocated,
        "bits_stored": whole_number(ds, "BitsStored", shape.bits_allocated),
        "pixel_representation": whole_number(ds, "PixelRepresentation", 0),
        "photometric_interpretation": photometric,
        "planar_configuration": 0,
    }
    _check_profile(syntax, options, str(ds.get("PhotometricInterpretation", "")))
    if plugins[0] == PAGE_LABEL and (reason := wasm_encoder.unsupported(syntax, options)):
        raise errors.UnsupportedImageError(f"{reason}; the command line (--syntax {_TARGET_NAMES[syntax]}) writes it")
    return Plan(syntax, plugins[0], options, checkers[0])


def page_codecs(target: str) -> list[str]:
    """Return the page's codec families writing to `target` needs: its encoder and the decoder that checks it.

    Parameters
    ----------
    target : str
        A target's name (:data:`dicompress.frontend.TARGETS`); the others than these
        syntaxes need none.
    """
    syntax = next((UID(t.syntax) for t in TARGETS if t.name == target), None)
    if syntax not in SYNTAXES:
        return []
    return [wasm_codecs.ENCODING_FAMILIES[syntax], wasm_codecs.DECODING_FAMILIES[syntax]]


def _check_profile(syntax: UID, options: dict[str, Any], photometric: str) -> None:
    """Raise ``UnsupportedImageError`` unless PS3.5 8.2 (and the plugin) let `syntax` hold the image."""
    values = (
        options["photometric_interpretation"], options["samples_per_pixel"], options["pixel_representation"],
        options["bits_allocated"], options["bits_stored"],
    )
    held = any(
        values[0] == pi and values[1] == spp and values[2] in pr and values[3] in ba and values[4] in bs
        for pi, spp, pr, ba, bs in ENCODING_PROFILES[syntax]
    )
    if not held or values[4] > _MOST_BITS[syntax]:
        signed = "signed" if values[2] else "unsigned"
        raise errors.UnsupportedImageError(
            f"{syntax.name} cannot hold this image ({photometric}, {values[1]} sample(s) per pixel, "
            f"{values[4]} of {values[3]} bits, {signed}); RLE Lossless (--syntax rle) can"
        )


def stored_values(frame: bytes, plan: Plan, number: int) -> bytes:
    """Return the pixel values of a canonical frame as the codecs take them, in the same containers.

    Where Bits Stored fills the container the frame is returned as it is. Otherwise signed
    samples are sign-extended from their top stored bit, as pydicom reads them: PS3.5
    leaves the bits above High Bit to the writer, and either extension is the same value.

    Parameters
    ----------
    frame : bytes
        Little-endian, interleaved samples in containers of Bits Allocated.
    plan : Plan
        From :func:`plan`.
    number : int
        The frame's number (from 1), for messages.

    Raises
    ------
    dicompress.errors.UnsupportedImageError
        When bits above Bits Stored hold anything else (overlays, noise): these codecs
        keep the pixel values only, and RLE Lossless keeps whole containers.
    """
    import numpy as np

    bits, signed = plan.options["bits_stored"], bool(plan.options["pixel_representation"])
    width = plan.options["bits_allocated"] // 8
    if bits == 8 * width:
        return frame
    raw = np.frombuffer(frame, dtype=f"<u{width}")
    low = raw & np.array(2**bits - 1, dtype=raw.dtype)
    if not signed:
        if np.array_equal(low, raw):
            return frame
    else:
        negative = (low >> np.array(bits - 1, dtype=raw.dtype)).astype(bool)
        extended = np.where(negative, low | np.array(2 ** (8 * width) - 2**bits, dtype=raw.dtype), low)
        if np.array_equal(np.where(negative & (raw == low), extended, raw), extended):
            return bytes(extended.tobytes())
    raise errors.UnsupportedImageError(
        f"frame {number} has bits set above its {bits} bits stored, which {plan.syntax.name} would not "
        "keep; RLE Lossless (--syntax rle) keeps them"
    )


def encode(values: bytes, plan: Plan, number: int) -> bytes:
    """Return one frame of :func:`stored_values` encoded by the plan's plugin.

    Raises
    ------
    dicompress.errors.UnsupportedImageError
        When the plugin refuses the frame (its reason on one line).
    """
    try:
        return bytes(get_encoder(plan.syntax).encode(values, encoding_plugin=plan.plugin, **plan.options))
    except (ValueError, RuntimeError) as exc:
        raise errors.UnsupportedImageError(
            f"cannot encode frame {number} as {plan.syntax.name}: {errors.reason(exc)}"
        ) from None


def describe(ds: Dataset, plan: Plan) -> None:
    """Make the Image Pixel module of `ds` describe the encoded frames (see the module's description)."""
    ds.PhotometricInterpretation = plan.photometric_interpretation
    if plan.options["samples_per_pixel"] > 1:
        ds.PlanarConfiguration = 0
