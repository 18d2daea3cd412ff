"""Read the bytes of a DICOM file and hand out its frames in one canonical layout.

Canonical frames are little-endian, interleaved (Planar Configuration 0), one
*Bits Allocated* container per sample, exactly as many bytes as the geometry says.
Every check raises a :class:`~dicompress.errors.ConversionError` with a one-line message.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any, cast

from pydicom import dcmread
from pydicom.datadict import dictionary_description, dictionary_has_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, RLELossless

from dicompress import errors
from dicompress.deferred import DEFER_SIZE, deferred_length, pixel_value
from dicompress.layout import planar_to_interleaved, swap_byte_order
from dicompress.registration import add_plugins, service_plugin

_FLOAT_KEYWORDS = ("FloatPixelData", "DoubleFloatPixelData")
# Binary VRs whose values pydicom keeps as raw bytes, with their word sizes.
_WORD_SIZES = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


@dataclass(frozen=True)
class Geometry:
    """The shape of a data set's pixel data, from its Image Pixel module."""

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    frames: int
    planar_configuration: int

    @property
    def sample_width(self) -> int:
        """Bytes per sample container."""
        return self.bits_allocated // 8

    @property
    def frame_length(self) -> int:
        """Bytes in one uncompressed frame."""
        return self.rows * self.columns * self.samples_per_pixel * self.sample_width


def read_dataset(data: bytes) -> Dataset:
    """Return the data set in the bytes of a DICOM Part 10 file.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    pydicom.dataset.Dataset
        The data set with its file meta information.

    Raises
    ------
    dicompress.errors.ConversionError
        ``EmptyFileError``, ``NotDicomError`` or ``TruncatedFileError``.
    """
    if not data:
        raise errors.EmptyFileError("the file is empty (0 bytes)")
    try:
        ds = dcmread(BytesIO(data), defer_size=DEFER_SIZE)  # Pixel Data stays in `data`: see dicompress.deferred
    except InvalidDicomError:
        raise errors.NotDicomError(errors.NO_DICM_MARKER) from None
    except (EOFError, OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise errors.TruncatedFileError(f"the file is cut short or damaged ({exc})") from None
    if "TransferSyntaxUID" not in ds.file_meta:
        raise errors.NotDicomError("not a DICOM file: the file meta has no Transfer Syntax UID")
    _check_last_element_complete(ds)
    return ds


def _check_last_element_complete(ds: Dataset) -> None:
    """Raise ``TruncatedFileError`` if the file ends inside its last element's value.

    pydicom reads what is there without complaint; the raw element still carries the
    length its header announced.
    """
    if not ds:
        return
    last = ds.get_item(max(ds.keys()), keep_deferred=True)
    declared = getattr(last, "length", None)
    if declared is None or declared == 0xFFFFFFFF:
        return
    present = len(last.value) if last.value is not None else deferred_length(ds, cast(RawDataElement, last))
    if present < declared:
        name = dictionary_description(last.tag) if dictionary_has_tag(last.tag) else str(last.tag)
        raise errors.TruncatedFileError(
            f"the file is cut short: {name} should hold {declared} bytes "
            f"but only {present} are present"
        )


def transfer_syntax(ds: Dataset) -> UID:
    """Return the transfer syntax of a data set read by :func:`read_dataset`."""
    return ds.file_meta.TransferSyntaxUID


def geometry(ds: Dataset) -> Geometry:
    """Return the pixel geometry of `ds`, after checking it can be converted.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read by :func:`read_dataset`.

    Returns
    -------
    Geometry
        Rows, columns, samples, bits allocated, frames and planar configuration.

    Raises
    ------
    dicompress.errors.ConversionError
        ``FloatPixelDataError``, ``NoPixelDataError``, ``UnsupportedImageError``
        or ``GeometryError``.
    """
    for keyword in _FLOAT_KEYWORDS:
        if keyword in ds:
            name = "Float" if keyword == "FloatPixelData" else "Double Float"
            raise errors.FloatPixelDataError(
                f"the image is stored as {name} Pixel Data, which RLE Lossless cannot hold"
            )
    if "PixelData" not in ds:
        raise errors.NoPixelDataError("the file has no Pixel Data (7FE0,0010): nothing to compress")
    try:
        shape = Geometry(
            rows=int(ds.Rows),
            columns=int(ds.Columns),
            samples_per_pixel=int(ds.SamplesPerPixel),
            bits_allocated=int(ds.BitsAllocated),
            frames=int(ds.get("NumberOfFrames") or 1),
            planar_configuration=int(ds.get("PlanarConfiguration") or 0),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise errors.GeometryError(f"the Image Pixel module is incomplete ({exc})") from None
    if shape.bits_allocated not in (8, 16, 32, 64):
        raise errors.UnsupportedImageError(
            f"Bits Allocated {shape.bits_allocated} is not supported (8, 16, 32 or 64 only)"
        )
    if min(shape.rows, shape.columns, shape.samples_per_pixel, shape.frames) < 1:
        raise errors.GeometryError(
            f"the image has {shape.rows} rows, {shape.columns} columns, "
            f"{shape.samples_per_pixel} samples and {shape.frames} frames: nothing to encode"
        )
    return shape


def source_frames(ds: Dataset, shape: Geometry) -> Iterator[bytes]:
    """Yield every frame of `ds` in the canonical layout.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read by :func:`read_dataset`.
    shape : Geometry
        Its geometry, from :func:`geometry`.

    Yields
    ------
    bytes
        One frame: little-endian, interleaved, one container per sample.

    Raises
    ------
    dicompress.errors.ConversionError
        ``AlreadyCompressedError``, ``GeometryError`` or ``CorruptPixelDataError``.
    """
    syntax = transfer_syntax(ds)
    if syntax == RLELossless:
        for frame in decode_rle_frames(ds):
            yield planar_to_interleaved(frame, shape.samples_per_pixel, shape.sample_width)
        return
    if syntax.is_compressed:
        raise errors.AlreadyCompressedError(
            f"the pixel data is already compressed as {syntax.name}; "
            "only uncompressed or RLE Lossless files can be converted"
        )
    pixels = pixel_value(ds)
    big_endian = syntax == ExplicitVRBigEndian
    if big_endian and shape.sample_width == 1 and ds.get_item("PixelData", keep_deferred=True).VR == "OW":
        # 8-bit samples in OW words: the words were byte-swapped, an odd last one padded.
        pixels = swap_byte_order(bytes(pixels) + b"\0" * (len(pixels) % 2), 2)
    yield from _native_frames(pixels, shape, big_endian=big_endian)


def _native_frames(pixels: bytes | memoryview, shape: Geometry, *, big_endian: bool) -> Iterator[bytes]:
    """Yield the frames of uncompressed pixel data in the canonical layout."""
    length = shape.frame_length
    needed = length * shape.frames
    # Longer is fine: like pydicom, trailing bytes are padding and are dropped.
    if len(pixels) < needed:
        raise errors.GeometryError(
            f"the Pixel Data holds {len(pixels)} bytes, but {shape.frames} frame(s) of "
            f"{shape.rows} x {shape.columns} x {shape.samples_per_pixel} samples of "
            f"{shape.bits_allocated} bits need {needed}"
        )
    view = memoryview(pixels)
    for index in range(shape.frames):
        frame = bytes(view[index * length : (index + 1) * length])
        if big_endian:
            frame = swap_byte_order(frame, shape.sample_width)
        if shape.planar_configuration == 1:
            frame = planar_to_interleaved(frame, shape.samples_per_pixel, shape.sample_width)
        yield frame


def decode_rle_frames(src: Dataset | bytes, **options: Any) -> Iterator[bytes]:
    """Yield the decoded frames of RLE Lossless pixel data, Planar Configuration 1 order.

    Names its plugin (:func:`~dicompress.registration.service_plugin`: dicompress's with
    numpy, else pydicom's), so a frame our decoder refuses is never handed on to
    another installed plugin, and pydicom's plugin order is left as it is.

    Parameters
    ----------
    src : pydicom.dataset.Dataset or bytes
        A data set whose transfer syntax is RLE Lossless, or encapsulated RLE frames.
    **options
        For encapsulated bytes, pydicom's decoding options (rows, columns,
        samples_per_pixel, bits_allocated, bits_stored, number_of_frames, ...).

    Yields
    ------
    bytes
        One little-endian frame, one plane per sample.

    Raises
    ------
    dicompress.errors.CorruptPixelDataError
        When a frame cannot be decoded.
    """
    add_plugins()
    frames = get_decoder(RLELossless).iter_buffer(src, decoding_plugin=service_plugin(), **options)
    while True:
        try:
            frame, _ = next(frames)
        except StopIteration:
            return
        except Exception as exc:  # pydicom raises many types for damaged streams
            message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise errors.CorruptPixelDataError(
                f"the RLE pixel data cannot be decoded: {message}"
            ) from None
        yield bytes(frame)


def swap_binary_values(ds: Dataset) -> None:
    """Byte-swap, in place, every OW/OF/OL/OD/OV value of a big-endian data set but Pixel Data.

    pydicom re-encodes numbers and text when a big-endian data set is written as little
    endian, but leaves these raw binary values (LUT data, overlays, ...) as they were.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read from an Explicit VR Big Endian file.
    """
    for element in ds.iterall():
        width = _WORD_SIZES.get(element.VR)
        if width and element.keyword != "PixelData" and element.value:
            element.value = swap_byte_order(element.value, width)
