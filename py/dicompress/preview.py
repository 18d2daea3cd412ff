"""What a person sees of a file before and after converting it: a thumbnail and details.

Pure Python (no numpy), so the browser can show it whichever engine is loaded. Patient
identifying values are never part of the details.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from pydicom.dataset import Dataset

from dicompress import errors
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.reading.dicom_input import Geometry, geometry, read_dataset, source_frames, transfer_syntax
from dicompress.reading.image_pixel import whole_number

#: Longest side of a thumbnail, in pixels.
THUMBNAIL_SIDE = 160

_Format = Literal["b", "h", "i", "q", "B", "H", "I", "Q"]
_SIGNED_FORMATS: dict[int, _Format] = {1: "b", 2: "h", 4: "i", 8: "q"}
_UNSIGNED_FORMATS: dict[int, _Format] = {1: "B", 2: "H", 4: "I", 8: "Q"}


@dataclass(frozen=True)
class Thumbnail:
    """A small RGBA picture of the first frame, rows top to bottom."""

    width: int
    height: int
    rgba: bytes


@dataclass(frozen=True)
class Details:
    """Facts about an image that identify nobody."""

    modality: str
    rows: int
    columns: int
    frames: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    photometric_interpretation: str
    transfer_syntax: str
    elements: int

    def as_dict(self) -> dict:
        """Return the details as a JSON-safe dict."""
        return asdict(self)


def describe(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Details, Thumbnail]:
    """Return the details and a thumbnail of the DICOM file in `data`.

    Parameters
    ----------
    data : bytes
        A DICOM file, uncompressed or RLE Lossless.
    limits : dicompress.limits.Limits, optional
        How deep sequences may nest and how far a deflated data set may inflate.

    Returns
    -------
    tuple of Details and Thumbnail

    Raises
    ------
    dicompress.errors.ConversionError
        When the file cannot be read or has no usable pixel data.
    MemoryError
        When the machine runs out of memory.
    """
    with errors.typed_failures():
        ds = read_dataset(data, limits)
        shape = geometry(ds)
        first = next(iter(source_frames(ds, shape)))
        return details(ds, shape), thumbnail(ds, shape, first)


def details(ds: Dataset, shape: Geometry) -> Details:
    """Return the non-identifying details of `ds`.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set.
    shape : Geometry
        Its pixel geometry.

    Returns
    -------
    Details
    """
    return Details(
        modality=str(ds.get("Modality", "")),
        rows=shape.rows,
        columns=shape.columns,
        frames=shape.frames,
        samples_per_pixel=shape.samples_per_pixel,
        bits_allocated=shape.bits_allocated,
        bits_stored=whole_number(ds, "BitsStored", shape.bits_allocated),  # float pixels have none
        photometric_interpretation=str(ds.get("PhotometricInterpretation", "")),
        transfer_syntax=transfer_syntax(ds).name,
        elements=sum(1 for _ in ds.iterall()),
    )


def thumbnail(ds: Dataset, shape: Geometry, frame: bytes, side: int = THUMBNAIL_SIDE) -> Thumbnail:
    """Return a thumbnail of one canonical frame, windowed to its range of values.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set (for Bits Stored, Pixel Representation and Photometric Interpretation).
    shape : Geometry
        Its pixel geometry.
    frame : bytes
        One frame in the canonical layout of :mod:`dicompress.reading.dicom_input`.
    side : int, optional
        The longest side of the thumbnail.

    Returns
    -------
    Thumbnail
        Nearest-neighbour samples; grey for one sample per pixel, colour for three.
    """
    scale = min(1.0, side / max(shape.rows, shape.columns))
    width = max(1, round(shape.columns * scale))
    height = max(1, round(shape.rows * scale))
    samples = _sampled_values(ds, shape, frame, width, height)
    photometric = str(ds.get("PhotometricInterpretation", ""))
    rgba = bytearray(width * height * 4)
    if shape.samples_per_pixel == 1:
        # Grey images are windowed to the range of their values.
        finite = [v for v in samples if math.isfinite(v)] or [0]  # float pixels may hold NaN
        low, high = min(finite), max(finite)
        span = (high - low) or 1
        levels = bytes(int((v - low) * 255 // span) if math.isfinite(v) else 0 for v in samples)
        if photometric == "MONOCHROME1":
            levels = bytes(255 - v for v in levels)
        rgba[0::4] = rgba[1::4] = rgba[2::4] = levels
    else:
        # Colour keeps its values, only scaled to 8 bits, so hues stay true.
        top = (1 << whole_number(ds, "BitsStored")) - 1
        scaled = [int(max(v, 0) * 255 // top) for v in samples]
        red, green, blue = (scaled[s::shape.samples_per_pixel] for s in range(3))
        if photometric.startswith("YBR_FULL"):
            red, green, blue = _ybr_to_rgb(red, green, blue)
        rgba[0::4], rgba[1::4], rgba[2::4] = bytes(red), bytes(green), bytes(blue)
    rgba[3::4] = b"\xff" * (width * height)
    return Thumbnail(width=width, height=height, rgba=bytes(rgba))


def _sampled_values(ds: Dataset, shape: Geometry, frame: bytes, width: int, height: int) -> list[float]:
    """Return the frame's sample values at a width x height grid, pixel by pixel."""
    value = _sample_reader(ds, shape, frame)
    spp = shape.samples_per_pixel
    rows = [y * shape.rows // height for y in range(height)]
    columns = [x * shape.columns // width for x in range(width)]
    return [value((row * shape.columns + column) * spp + sample)
            for row in rows for column in columns for sample in range(spp)]


def _sample_reader(ds: Dataset, shape: Geometry, frame: bytes) -> Callable[[int], float]:
    """Return a function giving the value of the frame's sample number `index`."""
    if shape.bit_packed:  # PS3.5 D: the first sample in the lowest bit of the first byte
        return lambda index: (frame[index >> 3] >> (index & 7)) & 1
    if shape.keyword != "PixelData":
        floats = memoryview(frame).cast("f" if shape.sample_width == 4 else "d")
        return lambda index: floats[index]
    signed = whole_number(ds, "PixelRepresentation") == 1
    formats = _SIGNED_FORMATS if signed else _UNSIGNED_FORMATS
    values = memoryview(frame).cast(formats[shape.sample_width])
    stored = whole_number(ds, "BitsStored")
    return lambda index: _stored_value(values[index], stored, signed)


def _stored_value(value: int, bits_stored: int, signed: bool) -> int:
    """Return `value` limited to its Bits Stored, sign-extended when signed."""
    value &= (1 << bits_stored) - 1
    if signed and value >> (bits_stored - 1):
        value -= 1 << bits_stored
    return value


def _ybr_to_rgb(y: list[int], cb: list[int], cr: list[int]) -> tuple[list[int], list[int], list[int]]:
    """Return YBR_FULL levels as RGB levels (PS3.3 C.7.6.3.1.2)."""
    def clip(v: float) -> int:
        return 0 if v < 0 else 255 if v > 255 else int(v)

    red = [clip(a + 1.402 * (c - 128)) for a, c in zip(y, cr)]
    green = [clip(a - 0.344136 * (b - 128) - 0.714136 * (c - 128)) for a, b, c in zip(y, cb, cr)]
    blue = [clip(a + 1.772 * (b - 128)) for a, b in zip(y, cb)]
    return red, green, blue
