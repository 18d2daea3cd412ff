"""The Image Pixel module of a data set: its geometry, and whether the pixel data holds what it declares.

Every check raises a :class:`~dicompress.errors.ConversionError` with a one-line message that
says what is wrong and, where a person can fix the file, how.
"""

import sys
from dataclasses import dataclass, replace
from struct import error as StructError
from typing import Any

from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragmented_frames
from pydicom.pixels import as_pixel_options
from pydicom.pixels.decoders.base import DecodeRunner
from pydicom.uid import UID, RLELossless

from dicompress import errors, frontend
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.reading.deferred import StoredValue, pixel_value
from dicompress.reading.fragments import check_items

#: The float pixel elements and the Bits Allocated of each (PS3.3 C.7.6.24).
_FLOAT_KEYWORDS = {"FloatPixelData": 32, "DoubleFloatPixelData": 64}
_PIXEL_KEYWORDS = ("PixelData", *_FLOAT_KEYWORDS)
_NAMES = {
    "PixelData": "Pixel Data (7FE0,0010)",
    "FloatPixelData": "Float Pixel Data (7FE0,0008)",
    "DoubleFloatPixelData": "Double Float Pixel Data (7FE0,0009)",
    "Rows": "Rows (0028,0010)",
    "Columns": "Columns (0028,0011)",
    "SamplesPerPixel": "Samples per Pixel (0028,0002)",
    "BitsAllocated": "Bits Allocated (0028,0100)",
    "BitsStored": "Bits Stored (0028,0101)",
    "NumberOfFrames": "Number of Frames (0028,0008)",
    "PlanarConfiguration": "Planar Configuration (0028,0006)",
    "PixelRepresentation": "Pixel Representation (0028,0103)",
}
#: RLE Lossless packs at most 128 equal bytes into 2 (PS3.5 G.3.1).
RLE_MAX_RATIO = 64


@dataclass(frozen=True)
class Geometry:
    """The shape of a data set's pixel data, from its Image Pixel module."""

    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    frames: int
    planar_configuration: int
    #: The element holding the pixels: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.
    keyword: str = "PixelData"

    @property
    def sample_width(self) -> int:
        """Bytes per sample container (0 for bit-packed 1-bit samples)."""
        return self.bits_allocated // 8

    @property
    def frame_length(self) -> int:
        """Bytes in one uncompressed frame (0 for bit-packed frames: see :attr:`data_length`)."""
        return self.rows * self.columns * self.samples_per_pixel * self.sample_width

    @property
    def bit_packed(self) -> bool:
        """Whether samples are single bits, packed eight to a byte (PS3.5 D), frames not byte-aligned."""
        return self.bits_allocated == 1

    @property
    def frame_bits(self) -> int:
        """Bits in one uncompressed frame."""
        return self.rows * self.columns * self.samples_per_pixel * self.bits_allocated

    @property
    def data_length(self) -> int:
        """Bytes of all frames uncompressed, without padding."""
        return -(-self.frame_bits * self.frames // 8)

    @property
    def pieces(self) -> int:
        """How many pieces the canonical frames come in: one per frame, one in all when bit-packed."""
        return 1 if self.bit_packed else self.frames

    def describe(self, frames: int) -> str:
        """Return `frames` frames of this geometry in words, for messages."""
        return (
            f"{frames} frame(s) of {self.rows} x {self.columns} x {self.samples_per_pixel} "
            f"samples of {self.bits_allocated} bits"
        )


def geometry(ds: Dataset, limits: Limits = DEFAULT_LIMITS) -> Geometry:
    """Return the pixel geometry of `ds`, after checking the pixel data can be converted.

    Everything is checked before anything is decoded or written: the Image Pixel module
    (whole numbers, values pydicom's decoders accept) and that the Pixel Data holds exactly
    the frames it declares.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read by :func:`dicompress.reading.dicom_input.read_dataset`.
    limits : dicompress.limits.Limits, optional
        Its ``max_frame_bytes`` is checked before the pixel data is looked at.

    Returns
    -------
    Geometry
        Rows, columns, samples, bits allocated, frames and planar configuration.

    Raises
    ------
    dicompress.errors.ConversionError
        ``NoPixelDataError``, ``UnsupportedImageError``, ``GeometryError``, ``FrameTooLargeError``,
        ``DamagedFileError`` or ``CorruptPixelDataError``.
    """
    keyword = _pixel_keyword(ds)
    syntax = UID(ds.file_meta.TransferSyntaxUID)
    shape = Geometry(
        rows=whole_number(ds, "Rows"),
        columns=whole_number(ds, "Columns"),
        samples_per_pixel=whole_number(ds, "SamplesPerPixel"),
        bits_allocated=whole_number(ds, "BitsAllocated"),
        frames=whole_number(ds, "NumberOfFrames", 1),
        planar_configuration=whole_number(ds, "PlanarConfiguration", 0),
        keyword=keyword,
    )
    if shape.bits_allocated != 1 and (shape.bits_allocated < 8 or shape.bits_allocated % 8):
        raise errors.GeometryError(
            f"Bits Allocated {shape.bits_allocated} is neither 1 nor a multiple of 8 (PS3.5 8.1.1)"
        )
    if shape.bits_allocated not in (1, 8, 16, 32, 64):
        raise errors.UnsupportedImageError(
            f"Bits Allocated {shape.bits_allocated} is not supported (1, 8, 16, 32 or 64 only)"
        )
    if keyword in _FLOAT_KEYWORDS and shape.bits_allocated != _FLOAT_KEYWORDS[keyword]:
        raise errors.GeometryError(
            f"{_NAMES[keyword]} needs Bits Allocated {_FLOAT_KEYWORDS[keyword]}, not {shape.bits_allocated}"
        )
    if keyword in _FLOAT_KEYWORDS and syntax.is_compressed:
        raise errors.GeometryError(f"{_NAMES[keyword]} cannot be in a compressed transfer syntax ({syntax.name})")
    if min(shape.rows, shape.columns, shape.samples_per_pixel, shape.frames) < 1:
        raise errors.GeometryError(
            f"the image has {shape.rows} rows, {shape.columns} columns, "
            f"{shape.samples_per_pixel} samples and {shape.frames} frames: nothing to convert"
        )
    if shape.bit_packed and syntax.is_compressed:
        raise errors.UnsupportedImageError(
            f"1-bit pixel data compressed as {syntax.name} cannot be decoded here"
        )
    _check_frame_fits(shape, limits)
    pixels = pixel_bytes(ds, keyword)
    fragments = check_items(pixels, ds) if syntax.is_compressed else 0
    if syntax.is_compressed and syntax != RLELossless:
        return shape  # other compressed data: its decoder checks it (dicompress.reading.compressed_input)
    if syntax == RLELossless:
        _check_rle_frames(pixels, fragments, shape, ds)
    else:
        _check_native_length(pixels.length, shape, ds)
    _check_decodable(ds, shape, pixels)
    return shape


def _check_frame_fits(shape: Geometry, limits: Limits) -> None:
    """Refuse pixel data one of whose frames is larger than `limits` allow.

    Raises
    ------
    dicompress.errors.FrameTooLargeError
        With the frame's size and the limit (``max_frame_bytes``).
    """
    limit = limits.max_frame_bytes
    frame_bytes = -(-shape.frame_bits // 8)  # bit-packed frames too
    if limit is not None and frame_bytes > limit:
        raise errors.FrameTooLargeError(
            f"one frame of this file is {frontend.size_text(frame_bytes)}, over the limit of "
            f"{frontend.size_text(limit)} (max_frame_bytes)",
            frame_bytes,
            limit,
        )


def pixel_bytes(ds: Dataset, keyword: str = "PixelData") -> StoredValue:
    """Return the value of the pixel element `keyword`, refusing one that holds no bytes.

    The value stays in the file (:mod:`dicompress.reading.deferred`): it is read a frame at a time.

    Raises
    ------
    dicompress.errors.ConversionError
        ``DamagedFileError`` for a value that is no bytes, ``NoPixelDataError`` for none.
    """
    pixels = pixel_value(ds, keyword)
    if not pixels:
        raise errors.NoPixelDataError(f"the {_NAMES[keyword]} is empty: nothing to convert")
    if not isinstance(pixels, StoredValue):
        vr = ds.get_item(keyword, keep_deferred=True).VR
        raise errors.DamagedFileError(f"the {_NAMES[keyword]} holds no bytes (VR {vr})")
    return pixels


def _pixel_keyword(ds: Dataset) -> str:
    """Return which pixel element `ds` has: Pixel Data, Float Pixel Data or Double Float Pixel Data.

    Raises
    ------
    dicompress.errors.ConversionError
        ``NoPixelDataError`` for none, ``GeometryError`` for more than one.
    """
    present = [keyword for keyword in _PIXEL_KEYWORDS if keyword in ds]
    if not present:
        raise errors.NoPixelDataError("the file has no Pixel Data (7FE0,0010): nothing to convert")
    if len(present) > 1:
        raise errors.GeometryError(f"the file has both {_NAMES[present[0]]} and {_NAMES[present[1]]}")
    return present[0]


def _check_decodable(ds: Dataset, shape: Geometry, pixel_data: StoredValue) -> None:
    """Raise ``GeometryError`` unless pydicom's decoders accept the Image Pixel module of `ds`.

    A result is only useful if it can be decoded: pydicom checks Bits Stored, Pixel
    Representation, Photometric Interpretation, Samples per Pixel, Planar Configuration and
    the dimensions before it decodes anything. Called after the length checks, whose
    messages say more.
    """
    numbers = {"rows": shape.rows, "columns": shape.columns, "samples_per_pixel": shape.samples_per_pixel,
               "bits_allocated": shape.bits_allocated, "number_of_frames": shape.frames,
               "planar_configuration": shape.planar_configuration}
    if pixel_data.length > sys.maxsize:  # wasm32: pydicom's len() fails from 2 GiB; the length was checked above
        numbers["number_of_frames"] = 1
        pixel_data = replace(pixel_data, length=min(pixel_data.length, shape.frame_length))
    runner = DecodeRunner(UID(ds.file_meta.TransferSyntaxUID))
    try:
        options = as_pixel_options(ds)
        options.update({name: value for name, value in numbers.items() if options.get(name) is not None})
        for name, keyword in (("bits_stored", "BitsStored"), ("pixel_representation", "PixelRepresentation")):
            if options.get(name) is not None:
                options[name] = whole_number(ds, keyword)
        runner.set_options(**options)
        runner.set_option("pixel_keyword", shape.keyword)
        runner.set_source(pixel_data)  # type: ignore[arg-type]  # pydicom checks its length, reads nothing
        runner.validate()
    except (AttributeError, ValueError, TypeError, KeyError) as exc:
        raise errors.GeometryError(f"the image cannot be decoded as described: {errors.reason(exc)}") from None


def whole_number(ds: Dataset, keyword: str, default: int | None = None) -> int:
    """Return the Image Pixel value `keyword` of `ds` as an int, `default` if absent or empty.

    Raises
    ------
    dicompress.errors.GeometryError
        When the value is missing without a default, or is not a whole number.
    """
    value = ds.get(keyword)
    name = _NAMES.get(keyword, keyword)
    if value is None or value == "":
        if default is None:
            raise errors.GeometryError(f"the Image Pixel module is incomplete: it has no {name}")
        return default
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise errors.GeometryError(f"{name} is {_shown(value)}, not a whole number") from None
    return number


def _check_native_length(length: int, shape: Geometry, ds: Dataset) -> None:
    """Raise ``GeometryError`` unless `length` bytes of native Pixel Data hold exactly the declared frames.

    Shorter is damage. Longer by less than a frame is padding (pydicom drops it too); by a
    whole frame or more, frames would be lost without a word. Bit-packed frames are
    counted in bits: they need not end on a byte boundary.
    """
    needed = shape.data_length
    if length < needed:
        raise errors.GeometryError(
            f"the Pixel Data holds {length} bytes, but {shape.describe(shape.frames)} need {needed}"
        )
    if 8 * length - shape.frame_bits * shape.frames >= shape.frame_bits and length > needed + needed % 2:
        found = 8 * length // shape.frame_bits
        raise errors.GeometryError(
            f"the Pixel Data holds {length} bytes, {shape.describe(found)}, but {_declared(ds, shape)}; "
            f"converting would lose frames. {_advice(found)}"
        )


def _check_rle_frames(pixel_data: StoredValue, fragments: int, shape: Geometry, ds: Dataset) -> None:
    """Raise unless encapsulated RLE `pixel_data` (`fragments` checked items) holds the declared frames.

    RLE keeps each frame in one fragment (PS3.5 A.4.2), and pydicom splits the fragments
    into frames by the Extended or Basic Offset Table: both counts must be the declared one.

    Raises
    ------
    dicompress.errors.ConversionError
        ``GeometryError`` when the fragments are not the declared frames, or too small for
        them even at RLE's best ratio; ``CorruptPixelDataError`` when an offset table splits
        them otherwise (:func:`~dicompress.reading.fragments.check_items` checked the items).
    """
    try:
        frames = generate_fragmented_frames(
            pixel_data.window(), number_of_frames=shape.frames, extended_offsets=extended_offsets(ds)
        )
        split = sum(1 for _ in frames)
    except (ValueError, StructError) as exc:
        raise errors.CorruptPixelDataError(f"the RLE pixel data cannot be decoded: {errors.reason(exc)}") from None
    if not fragments:
        raise errors.CorruptPixelDataError("the RLE Pixel Data holds no frames")
    if fragments != shape.frames:
        raise errors.GeometryError(
            f"the RLE Pixel Data holds {fragments} frame(s), but {_declared(ds, shape)}. {_advice(fragments)}"
        )
    if split != shape.frames:
        raise errors.CorruptPixelDataError(
            f"the RLE Pixel Data holds {fragments} frames, but its offset table splits them into {split}"
        )
    needed = shape.frame_length * shape.frames
    if needed > RLE_MAX_RATIO * pixel_data.length:
        raise errors.GeometryError(
            f"the RLE Pixel Data ({pixel_data.length} bytes) cannot hold {shape.describe(shape.frames)} "
            f"({needed} bytes): RLE compresses {RLE_MAX_RATIO} to 1 at most"
        )


def frame_options(ds: Dataset) -> dict[str, Any]:
    """Return pydicom's decoding options for one encoded frame of `ds` on its own (no offset tables)."""
    options = {**as_pixel_options(ds), "number_of_frames": 1}
    options.pop("extended_offsets", None)
    return options


def extended_offsets(ds: Dataset) -> tuple[bytes, bytes] | None:
    """Return the Extended Offset Table of `ds` and its Lengths, as pydicom's frame parsers take them, if both exist."""
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        return ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths
    return None


def _declared(ds: Dataset, shape: Geometry) -> str:
    """Return what the file declares about its frames, in words."""
    if "NumberOfFrames" in ds:
        return f"Number of Frames (0028,0008) says {shape.frames}"
    return "the file declares 1 frame (it has no Number of Frames (0028,0008))"


def _advice(frames: int) -> str:
    """Return how a person can make the file consistent."""
    return (
        f"If the data is right, set Number of Frames to {frames} "
        f'(e.g. dcmodify -i "(0028,0008)={frames}" FILE) and convert again'
    )


def _shown(value: Any) -> str:
    """Return `value` for a message, at most 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
