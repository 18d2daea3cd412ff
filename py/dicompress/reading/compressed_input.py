"""Compressed sources: whether their pixel data can be decoded here, and their decoded frames.

JPEG, JPEG-LS, JPEG 2000 and HTJ2K pixel data are decoded by pydicom's decoders with
whichever of their plugins are installed: ``pip install "dicompress[codecs]"`` brings
pylibjpeg (with pylibjpeg-libjpeg and pylibjpeg-openjpeg) and pyjpegls; Pillow and GDCM
are used too when present; in the page, dicompress's plugin over the page's WebAssembly
codecs (:mod:`dicompress.plugins.wasm_decoder`). The frames come out in the canonical
layout of :mod:`dicompress.reading.dicom_input`, and the data set's Image Pixel
description is updated to describe them:

* Photometric Interpretation as decoded: JPEG ``YBR_FULL``/``YBR_FULL_422`` and JPEG 2000
  ``YBR_ICT``/``YBR_RCT`` become ``RGB`` (pydicom's decoders convert them by default, as
  DCMTK's ``dcmdjpeg`` and GDCM do for JPEG 2000; RLE cannot hold ``YBR_FULL_422``);
* Samples per Pixel, Bits Stored (High Bit with it) and Pixel Representation as the
  decoder reports them; Bits Allocated stays, the samples widened to it where a plugin
  returns a narrower container; Planar Configuration is the service's (it writes);
* Lossy Image Compression as :mod:`dicompress.reading.lossy` says.
"""

from collections.abc import Iterator
from io import BytesIO
from typing import Any

from pydicom import dcmread
from pydicom.filereader import read_partial
from pydicom.tag import BaseTag
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import get_decoder
from pydicom.uid import UID, JPEGExtended12Bit, RLELossless

from dicompress import errors
from dicompress.plugins import wasm_codecs
from dicompress.plugins.registration import PLUGIN_LABEL, add_plugins
from dicompress.reading import lossy
from dicompress.reading.image_pixel import Geometry, extended_offsets, frame_options, pixel_bytes

#: The command that installs the decoders, named in messages.
CODECS_INSTALL = 'pip install "dicompress[codecs]"'
#: pydicom's decoding plugins in the order they are tried; any other plugin comes after.
PREFERRED_PLUGINS = ("pyjpegls", "pylibjpeg", "pillow", "gdcm")
#: Plugins that decode JPEG Extended with 8-bit samples only.
_EIGHT_BIT_JPEG = ("pillow", PLUGIN_LABEL)
_IMAGE_PIXEL = (
    ("PhotometricInterpretation", "photometric_interpretation"),
    ("SamplesPerPixel", "samples_per_pixel"),
    ("BitsStored", "bits_stored"),
    ("PixelRepresentation", "pixel_representation"),
)


def needs_decoder(syntax: UID) -> bool:
    """Return whether pixel data in `syntax` is compressed with anything but RLE Lossless."""
    return syntax != RLELossless and syntax.is_transfer_syntax and syntax.is_compressed


def decoding_plugins(syntax: UID, bits_stored: int = 8) -> list[str]:
    """Return the installed pydicom plugins that decode `syntax`, in the order they are tried.

    Parameters
    ----------
    syntax : pydicom.uid.UID
        A compressed transfer syntax.
    bits_stored : int, optional
        Bits Stored of the image (Pillow and the page decode 8-bit JPEG Extended only).

    Returns
    -------
    list of str
        Plugin labels, :data:`PREFERRED_PLUGINS` first.

    Raises
    ------
    dicompress.errors.AlreadyCompressedError
        When pydicom has no decoder for `syntax` at all (video, JPIP, ...).
    dicompress.errors.DecoderMissingError
        When none of the plugins of its decoder is installed.
    """
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        raise errors.AlreadyCompressedError(
            f"the pixel data is compressed as {syntax.name}, which pydicom has no decoder for; "
            "only uncompressed, RLE Lossless, JPEG, JPEG-LS and JPEG 2000 files can be converted"
        ) from None
    available = [label for label in decoder.available_plugins if _decodes(label, syntax, bits_stored)]
    plugins = [label for label in PREFERRED_PLUGINS if label in available]
    plugins += [label for label in available if label not in PREFERRED_PLUGINS]
    if not plugins:
        # Where only the 12-bit form lacks a decoder (the page), the message says so.
        name = f"12-bit {syntax.name}" if syntax == JPEGExtended12Bit and bits_stored > 8 else syntax.name
        raise errors.DecoderMissingError(
            f"the pixel data is compressed as {name}, and the decoders it needs are not "
            f"installed: {CODECS_INSTALL}",
            syntax=name,
        )
    return plugins


def _decodes(plugin: str, syntax: UID, bits_stored: int) -> bool:
    """Return whether an available `plugin` decodes images of `bits_stored` bits in `syntax`."""
    return not (plugin in _EIGHT_BIT_JPEG and syntax == JPEGExtended12Bit and bits_stored > 8)


def decoded_frames(ds: Dataset, shape: Geometry) -> Iterator[bytes]:
    """Decode the first frame of `ds` now, describe the decoded pixels in `ds`, return every frame.

    The first plugin of :func:`decoding_plugins` that decodes the first frame decodes
    them all (one decoder per file, so frames never differ by decoder). Each frame is
    read from the file (:mod:`dicompress.reading.deferred`) when its turn comes. Before this
    returns, the Image Pixel module and Lossy Image Compression of `ds` are updated in
    place to describe the decoded pixels (see the module's description).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set whose transfer syntax :func:`needs_decoder`.
    shape : dicompress.reading.image_pixel.Geometry
        Its geometry.

    Returns
    -------
    iterator of bytes
        Every frame, in order, in the canonical layout; decoded one at a time.

    Raises
    ------
    dicompress.errors.ConversionError
        ``AlreadyCompressedError``, ``DecoderMissingError``, ``CorruptPixelDataError``
        (also while iterating) or ``GeometryError``.
    """
    syntax = UID(ds.file_meta.TransferSyntaxUID)
    plugins = decoding_plugins(syntax, int(ds.get("BitsStored") or shape.bits_allocated))
    options = frame_options(ds)
    encoded = _encoded_frames(ds, shape, syntax)
    first, properties, plugin = _decode_first(next(encoded, None), syntax, plugins, options)
    _describe(ds, properties)
    if not lossy.is_lossy(ds) and (method := _lossy_method(ds, shape, syntax)):
        lossy.record(ds, method, shape.frame_length * shape.frames / len(pixel_bytes(ds)))
    return _canonical_frames(first, encoded, shape, syntax, lambda frame: _decode(frame, syntax, plugin, options))


def _encoded_frames(ds: Dataset, shape: Geometry, syntax: UID) -> Iterator[bytes]:
    """Yield the encoded frames of `ds`, each read from the file as pydicom's parser splits them."""
    frames = generate_frames(
        pixel_bytes(ds).window(), number_of_frames=shape.frames, extended_offsets=extended_offsets(ds)
    )
    count = 0
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except MemoryError:
            raise
        except Exception as exc:  # the frames cannot be told apart; the decoder would fail too
            raise _undecodable(syntax, f"frame {count + 1}: {_reason(exc)}") from None
        count += 1
        yield frame


def _lossy_method(ds: Dataset, shape: Geometry, syntax: UID) -> str | None:
    """Return :func:`dicompress.reading.lossy.lossy_method` of the encoded frames of `ds`."""
    return lossy.lossy_method(syntax, _encoded_frames(ds, shape, syntax))


def _decode(frame: bytes, syntax: UID, plugin: str, options: dict[str, Any]) -> tuple[Any, dict]:
    """Return one encoded frame decoded by `plugin`, with the decoder's properties."""
    return get_decoder(syntax).as_array(encapsulate([frame]), decoding_plugin=plugin, **options)


def _decode_first(
    frame: bytes | None, syntax: UID, plugins: list[str], options: dict[str, Any]
) -> tuple[Any, dict, str]:
    """Return the first frame decoded by the first plugin that can, its properties, and that plugin."""
    if frame is None:
        raise _undecodable(syntax, "; ".join(f"{plugin}: no frames" for plugin in plugins))
    reasons = []
    for plugin in plugins:
        try:
            return (*_decode(frame, syntax, plugin, options), plugin)
        except MemoryError:
            raise
        except Exception as exc:  # plugins raise many types for damaged streams
            reasons.append(_reason(exc))
    raise _undecodable(syntax, "; ".join(dict.fromkeys(reasons)))


def _canonical_frames(
    first: Any, rest: Iterator[bytes], shape: Geometry, syntax: UID, decode: Any
) -> Iterator[bytes]:
    """Yield `first` and the next ``shape.frames - 1`` frames of `rest`, decoded, in the canonical layout."""
    yield _canonical(first, shape)
    count = 1
    while count < shape.frames:
        frame = next(rest, None)
        if frame is None:
            raise _undecodable(syntax, f"it holds {count} of {shape.frames} frames")
        try:
            array, _ = decode(frame)
        except MemoryError:
            raise
        except Exception as exc:
            raise _undecodable(syntax, f"frame {count + 1}: {_reason(exc)}") from None
        count += 1
        yield _canonical(array, shape)


def _canonical(array: Any, shape: Geometry) -> bytes:
    """Return one decoded frame (rows, columns[, samples]) as little-endian containers of Bits Allocated."""
    if array.dtype.itemsize > shape.sample_width:
        raise errors.GeometryError(
            f"the decoder returned {8 * array.dtype.itemsize}-bit samples, "
            f"more than Bits Allocated ({shape.bits_allocated})"
        )
    return bytes(array.astype(f"<{array.dtype.kind}{shape.sample_width}", copy=False).tobytes())


def _describe(ds: Dataset, properties: dict) -> None:
    """Set the Image Pixel values of `ds` that differ from the decoder's `properties`."""
    bits_stored = ds.get("BitsStored")
    for keyword, key in _IMAGE_PIXEL:
        if key in properties and ds.get(keyword) != properties[key]:
            setattr(ds, keyword, properties[key])
    if ds.get("BitsStored") != bits_stored:
        ds.HighBit = int(ds.BitsStored) - 1


def _reason(exc: BaseException) -> str:
    """Return the last line of an exception's message (pydicom's names the plugin)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _undecodable(syntax: UID, reason: str) -> errors.CorruptPixelDataError:
    """Return the error for pixel data in `syntax` that cannot be decoded, for `reason`."""
    return errors.CorruptPixelDataError(f"the {syntax.name} pixel data cannot be decoded: {reason}")


def codec_families(data: bytes) -> list[str]:
    """Return the page's codec families (``web/codecs.js``) the DICOM file in `data` needs.

    For the page, which loads each family the first time a file needs it, before
    converting that file. Only the header is read; bytes that are not DICOM, and files
    any installed plugin decodes already, give ``[]``.

    Parameters
    ----------
    data : bytes
        The whole file (the part up to Pixel Data is read).
    """
    try:
        # The page asks for every file: the file meta is read first, and the data set (only
        # the one element needed kept, the others stepped over) only for a syntax the page decodes.
        syntax = UID(read_partial(BytesIO(data), stop_when=_after_file_meta).file_meta.TransferSyntaxUID)
        family = wasm_codecs.family_for(syntax)
        if not family:
            return []
        ds = dcmread(BytesIO(data), stop_before_pixels=True, specific_tags=["BitsStored"])
        bits_stored = int(ds.get("BitsStored") or 8)
    except Exception:  # not DICOM or damaged: the conversion itself says why
        return []
    return [family] if _decodes(PLUGIN_LABEL, syntax, bits_stored) else []


def _after_file_meta(tag: BaseTag, vr: str | None, length: int) -> bool:
    """Whether `tag` is past the file meta (group 0002): where :func:`codec_families` stops first."""
    return tag.group > 0x0002


def enable_codecs() -> list[str]:
    """Add dicompress's plugins now that the page's codec bridge is registered.

    pydicom asks each plugin whether it is available once, when it is added: the
    worker registers the bridge first, then calls this.

    Returns
    -------
    list of str
        The transfer syntax UIDs the page's codecs now decode.
    """
    add_plugins()
    return [str(uid) for uid in wasm_codecs.DECODING_FAMILIES if PLUGIN_LABEL in get_decoder(uid).available_plugins]
