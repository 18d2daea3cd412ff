"""What a person sees of a file before and after converting it: a thumbnail and details.

Pure Python (no numpy), so the browser can show it whichever engine is loaded. Patient
identifying values are never part of the details.
"""

import math
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from operator import itemgetter
from typing import Any, Literal

from pydicom.dataset import Dataset

from dicompress import errors
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.reading.data_set_checks import count_elements
from dicompress.reading.dicom_input import Geometry, geometry, read_dataset, source_frames, transfer_syntax
from dicompress.reading.image_pixel import whole_number
from dicompress.reading.source import Readable

#: The first eight bytes of every PNG file.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Longest side of a thumbnail, in pixels.
THUMBNAIL_SIDE = 160
#: Widest range of values whose levels are looked up in a table (1 MB) rather than a dict.
_TABLE_SPAN = 1 << 20
#: Grey levels of MONOCHROME1, which shows its highest values darkest.
_INVERTED = bytes(range(255, -1, -1))

_Format = Literal["b", "h", "i", "q", "B", "H", "I", "Q"]
_SIGNED_FORMATS: dict[int, _Format] = {1: "b", 2: "h", 4: "i", 8: "q"}
_UNSIGNED_FORMATS: dict[int, _Format] = {1: "B", 2: "H", 4: "I", 8: "Q"}


@dataclass(frozen=True)
class Thumbnail:
    """A small RGBA picture of the first frame, rows top to bottom."""

    width: int
    height: int
    rgba: bytes

    def png(self) -> bytes:
        """Return the picture as a PNG file: grey, one byte a pixel, where every pixel is grey; else RGB.

        Every pixel is opaque, so the alpha channel is left out.
        """
        grey = self.rgba[0::4] == self.rgba[1::4] == self.rgba[2::4]
        channels = 1 if grey else 3
        pixels = bytearray(self.width * self.height * channels)
        for channel in range(channels):
            pixels[channel::channels] = self.rgba[channel::4]
        stride = self.width * channels
        # Each row of pixels follows its filter type, 0 (none); the fastest compression is nearly as small.
        rows = b"".join(b"\0" + pixels[top : top + stride] for top in range(0, len(pixels), stride))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 0 if grey else 2, 0, 0, 0)
        chunks = ((b"IHDR", header), (b"IDAT", zlib.compress(rows, 1)), (b"IEND", b""))
        return _PNG_SIGNATURE + b"".join(_png_chunk(kind, data) for kind, data in chunks)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


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


def describe(data: bytes | Readable, limits: Limits = DEFAULT_LIMITS) -> tuple[Details, Thumbnail]:
    """Return the details and a thumbnail of the DICOM file in `data`, reading only its head and first frame.

    Parameters
    ----------
    data : bytes or file object
        A DICOM file, uncompressed or compressed in a syntax that can be decoded here;
        a file object is read as :func:`~dicompress.reading.dicom_input.read_dataset`
        reads it (its long values stay in the file: a file of any size).
    limits : dicompress.limits.Limits, optional
        How deep sequences may nest, how far a deflated data set may inflate, how large
        a frame may be.

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
        shape = geometry(ds, limits)
        # Bit-packed frames come as one piece of them all: asked for as one frame, only the first is read.
        first = next(iter(source_frames(ds, replace(shape, frames=1) if shape.bit_packed else shape)))
        return describe_frame(ds, shape, first)


def describe_frame(ds: Dataset, shape: Geometry, frame: bytes) -> tuple[Details, Thumbnail]:
    """Return the details of a data set already read and a thumbnail of its first frame.

    The page's conversion calls this with what it has read (``inspect`` of
    :func:`dicompress.service.convert`), so a file is read and decoded once.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set, as :func:`dicompress.reading.dicom_input.read_dataset` returned it.
    shape : Geometry
        Its pixel geometry.
    frame : bytes
        Its first frame, canonical.

    Returns
    -------
    tuple of Details and Thumbnail
    """
    return details(ds, shape), thumbnail(ds, shape, frame)


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
        elements=count_elements(ds),
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
    photometric = str(ds.get("PhotometricInterpretation", ""))
    rgba = bytearray(width * height * 4)
    samples, bounds = _sampled_values(ds, shape, frame, width, height)
    if shape.samples_per_pixel == 1:
        # Grey images are windowed to the range of their values.
        if shape.keyword == "PixelData":
            low, high = bounds or (min(samples), max(samples))
            levels = _levels(samples, low, (high - low) or 1)
        else:
            levels = _float_levels(samples)
        if photometric == "MONOCHROME1":
            levels = levels.translate(_INVERTED)
        rgba[0::4] = rgba[1::4] = rgba[2::4] = levels
    else:
        # Colour keeps its values, only scaled to 8 bits, so hues stay true.
        top = (1 << whole_number(ds, "BitsStored")) - 1
        low = bounds[0] if bounds else min(samples)
        scaled = _levels([max(v, 0) for v in samples] if low < 0 else samples, 0, top)
        red, green, blue = (scaled[s::shape.samples_per_pixel] for s in range(3))
        if photometric.startswith("YBR_FULL"):
            red, green, blue = map(bytes, _ybr_to_rgb(list(red), list(green), list(blue)))
        rgba[0::4], rgba[1::4], rgba[2::4] = red, green, blue
    rgba[3::4] = b"\xff" * (width * height)
    return Thumbnail(width=width, height=height, rgba=bytes(rgba))


def _levels(values: Sequence[int], low: int, span: int) -> bytes:
    """Return `values` from `low` to ``low + span`` as levels 0 to 255 (``(v - low) * 255 // span``)."""
    if low == 0 and span == 255:
        return bytes(values)  # 8-bit values are their own levels
    high = low + span
    level: bytes | dict[int, int]
    if max(high + 1, 0) + max(-low, 0) > _TABLE_SPAN:
        # Computed once per distinct value.
        level = {v: (v - low) * 255 // span for v in set(values)}
    else:
        # The level of every value from low to high, built from its 256 runs (no Python
        # code per value), laid out so that each value is its own index: values from 0 up
        # from the start, negative values from the end (as Python indexes bytes).
        starts = [-(-k * span // 255) for k in range(256)]
        runs = b"".join(bytes((k,)) * (starts[k + 1] - starts[k]) for k in range(255)) + b"\xff"
        below = max(-low, 0)
        level = bytes(max(low, 0)) + runs[below:] + runs[:below] + bytes(max(-high - 1, 0))
    # Looked up by C code for every sample, the value itself the index (no Python code per sample).
    if len(values) == 1:
        return bytes((level[values[0]],))
    return bytes(itemgetter(*values)(level))


def _float_levels(values: Sequence[float]) -> bytes:
    """Return float samples windowed to the range of their finite values as levels 0 to 255 (NaN: 0)."""
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    low, high = min(finite), max(finite)
    span = (high - low) or 1
    return bytes(int((v - low) * 255 // span) if math.isfinite(v) else 0 for v in values)


def _sampled_values(
    ds: Dataset, shape: Geometry, frame: bytes, width: int, height: int
) -> tuple[list[Any], tuple[int, int] | None]:
    """Return the frame's sample values at a width x height grid, pixel by pixel, and their bounds if found.

    Rows and the samples of a row are picked by C code (slices, ``itemgetter``); only
    values with bits above Bits Stored are fixed one at a time. The bounds (lowest, highest)
    are found where Bits Stored needs them, so that they are not looked for twice.
    """
    if shape.bit_packed:
        return _sampled_bits(shape, frame, width, height), None
    if shape.keyword != "PixelData":  # Float or Double Float Pixel Data: no Bits Stored
        floats = memoryview(frame).cast("f" if shape.sample_width == 4 else "d")
        return _picked(shape, floats, width, height), None
    signed = whole_number(ds, "PixelRepresentation") == 1
    formats = _SIGNED_FORMATS if signed else _UNSIGNED_FORMATS
    samples = _picked(shape, memoryview(frame).cast(formats[shape.sample_width]), width, height)
    stored = whole_number(ds, "BitsStored")
    if stored >= 8 * shape.sample_width:
        return samples, None
    bounds = min(samples), max(samples)
    if not _within(*bounds, stored, signed):
        # Computed once per distinct value; looked up by C code for every sample.
        fixed = {v: _stored_value(v, stored, signed) for v in set(samples)}
        samples = list(map(fixed.__getitem__, samples))
        bounds = min(fixed.values()), max(fixed.values())
    return samples, bounds


def _within(low: int, high: int, bits_stored: int, signed: bool) -> bool:
    """Return whether samples from `low` to `high` are values of `bits_stored` bits already (nothing above them)."""
    if signed:
        return -(1 << (bits_stored - 1)) <= low and high < 1 << (bits_stored - 1)
    return 0 <= low and high < 1 << bits_stored


def _sampled_bits(shape: Geometry, frame: bytes, width: int, height: int) -> list[int]:
    """Return the bits of a 1-bit frame at a width x height grid (PS3.5 D: first pixel in the lowest bit)."""
    rows = [y * shape.rows // height for y in range(height)]
    columns = [x * shape.columns // width for x in range(width)]
    return [(frame[index >> 3] >> (index & 7)) & 1
            for row in rows for column in columns for index in [row * shape.columns + column]]


def _picked(shape: Geometry, values: "memoryview[Any]", width: int, height: int) -> list[Any]:
    """Return the `values` of a frame at a width x height grid, each pixel's samples together."""
    spp = shape.samples_per_pixel
    line = shape.columns * spp
    pick = _picker([column * spp + sample for x in range(width)
                    for column in [x * shape.columns // width] for sample in range(spp)], line)
    samples: list[Any] = []
    for y in range(height):
        start = (y * shape.rows // height) * line
        samples.extend(pick(values[start : start + line]))
    return samples


def _picker(indices: list[int], length: int) -> Callable[[memoryview], Sequence[int]]:
    """Return a function that picks `indices` from a row of `length` values."""
    if indices == list(range(length)):
        return memoryview.tolist
    if len(indices) == 1:
        return lambda row: [row[indices[0]]]
    return itemgetter(*indices)


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
