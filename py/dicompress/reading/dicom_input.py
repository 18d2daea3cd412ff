"""Read the bytes of a DICOM file and hand out its frames in one canonical layout.

Canonical frames are little-endian, interleaved (Planar Configuration 0), one
*Bits Allocated* container per sample, exactly as many bytes as the geometry says;
bit-packed (1-bit) frames come as one piece, as they are packed one after the other.
Every check raises a :class:`~dicompress.errors.ConversionError` with a one-line message.
"""

from collections.abc import Iterator
from io import BytesIO
from struct import error as StructError
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, RLELossless

from dicompress import errors
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.plugins.registration import add_plugins, service_plugin
from dicompress.reading import structure
from dicompress.reading.compressed_input import decoded_frames, needs_decoder
from dicompress.reading.data_set_checks import check_elements, check_stack_room, match_read_encoding
from dicompress.reading.deferred import DEFER_SIZE
from dicompress.reading.image_pixel import Geometry, geometry, pixel_bytes
from dicompress.reading.layout import planar_to_interleaved, swap_byte_order

__all__ = [
    "Geometry",
    "decode_rle_frames",
    "geometry",
    "is_directory",
    "read_dataset",
    "source_frames",
    "swap_binary_values",
    "transfer_syntax",
]

#: The SOP Class of a DICOMDIR.
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"

# Binary VRs whose values pydicom keeps as raw bytes, with their word sizes.
_WORD_SIZES = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
#: The pixel elements, which the service stores anew, little endian.
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def is_directory(data: bytes) -> bool:
    """Return whether the DICOM file `data` is a DICOMDIR (a Media Storage Directory).

    Parameters
    ----------
    data : bytes
        A DICOM Part 10 file.

    Returns
    -------
    bool
        True if its Media Storage SOP Class is the Media Storage Directory's.
    """
    ds = dcmread(BytesIO(data), stop_before_pixels=True, specific_tags=[])
    return bool(ds.file_meta.get("MediaStorageSOPClassUID") == MEDIA_STORAGE_DIRECTORY)


def read_dataset(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Dataset:
    """Return the data set in the bytes of a DICOM Part 10 file, once every element has decoded.

    The file's structure is checked against `limits` first (:mod:`dicompress.reading.structure`),
    so pydicom never recurses or inflates beyond them; then every element is decoded once on
    the side (:mod:`dicompress.reading.data_set_checks`), so nothing fails later while writing.

    Parameters
    ----------
    data : bytes
        The whole file.
    limits : Limits, optional
        How deep sequences may nest and how far a deflated data set may inflate.

    Returns
    -------
    pydicom.dataset.Dataset
        The data set with its file meta information.

    Raises
    ------
    dicompress.errors.ConversionError
        ``EmptyFileError``, ``NotDicomError``, ``TruncatedFileError``, ``DamagedFileError``
        or ``LimitExceededError``.
    """
    if not data:
        raise errors.EmptyFileError("the file is empty (0 bytes)")
    check_stack_room(structure.check(data, limits))
    try:
        ds = dcmread(BytesIO(data), defer_size=DEFER_SIZE)  # Pixel Data stays in `data`: see reading.deferred
    except InvalidDicomError:
        raise errors.NotDicomError(errors.NO_DICM_MARKER) from None
    except (EOFError, OSError, ValueError, KeyError, TypeError, OverflowError, NotImplementedError,
            StructError, BytesLengthException) as exc:
        raise errors.TruncatedFileError(f"the file is cut short or damaged ({errors.reason(exc)})") from None
    check_elements(ds)
    transfer_syntax(ds)
    match_read_encoding(ds)
    return ds


def transfer_syntax(ds: Dataset) -> UID:
    """Return the transfer syntax of a data set read by :func:`read_dataset`.

    Raises
    ------
    dicompress.errors.NotDicomError
        When the file meta has no Transfer Syntax UID, or one that names no transfer syntax.
    """
    syntax = ds.file_meta.get("TransferSyntaxUID")
    if not syntax:
        raise errors.NotDicomError("not a DICOM file: the file meta has no Transfer Syntax UID")
    if not isinstance(syntax, str):
        raise errors.NotDicomError("not a DICOM file: the file meta's Transfer Syntax UID is not text")
    syntax = UID(syntax)
    if not syntax.is_transfer_syntax:
        raise errors.NotDicomError(
            f"not a DICOM file: its Transfer Syntax UID {str(syntax)[:64]!r} names no transfer syntax"
        )
    return syntax


def source_frames(ds: Dataset, shape: Geometry) -> Iterator[bytes]:
    """Return every frame of `ds` in the canonical layout, one at a time.

    Bit-packed (1-bit) pixels come as one piece holding every frame (see :attr:`Geometry.pieces`),
    the bits in PS3.5 D's little-endian order, padding after the last frame cut off.

    Compressed pixel data other than RLE Lossless is decoded by
    :func:`~dicompress.reading.compressed_input.decoded_frames`: its first frame at once, so that
    the Image Pixel description of `ds` fits the decoded pixels before anything is written.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read by :func:`read_dataset`.
    shape : Geometry
        Its geometry, from :func:`geometry` (which checks the pixel data against it).

    Returns
    -------
    iterator of bytes
        Each frame: little-endian, interleaved, one container per sample.

    Raises
    ------
    dicompress.errors.ConversionError
        ``AlreadyCompressedError`` (``DecoderMissingError``) for a compressed syntax that
        cannot be decoded here, ``CorruptPixelDataError`` when a frame cannot be decoded.
    """
    syntax = transfer_syntax(ds)
    if needs_decoder(syntax):
        return decoded_frames(ds, shape)
    return _stored_frames(ds, shape, syntax)


def _stored_frames(ds: Dataset, shape: Geometry, syntax: UID) -> Iterator[bytes]:
    """Yield the frames of uncompressed or RLE Lossless pixel data in the canonical layout."""
    if syntax == RLELossless:
        for frame in decode_rle_frames(ds):
            yield planar_to_interleaved(frame, shape.samples_per_pixel, shape.sample_width)
        return
    pixels = pixel_bytes(ds, shape.keyword)
    big_endian = syntax == ExplicitVRBigEndian
    if big_endian and shape.sample_width <= 1 and ds.get_item(shape.keyword, keep_deferred=True).VR == "OW":
        # 8-bit or bit-packed samples in OW words: the words were byte-swapped, an odd last one padded.
        pixels = swap_byte_order(bytes(pixels) + b"\0" * (len(pixels) % 2), 2)
    if shape.bit_packed:
        # One piece for all frames: bit-packed frames need not end on a byte boundary.
        yield bytes(memoryview(pixels)[: shape.data_length])
        return
    yield from _native_frames(pixels, shape, big_endian=big_endian)


def _native_frames(pixels: bytes | memoryview, shape: Geometry, *, big_endian: bool) -> Iterator[bytes]:
    """Yield the frames of uncompressed pixel data in the canonical layout."""
    length = shape.frame_length
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

    Names its plugin (:func:`~dicompress.plugins.registration.service_plugin`: dicompress's with
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
            raise errors.CorruptPixelDataError(
                f"the RLE pixel data cannot be decoded: {errors.reason(exc)}"
            ) from None
        yield bytes(frame)


def swap_binary_values(ds: Dataset) -> None:
    """Byte-swap, in place, every OW/OF/OL/OD/OV value of a big-endian data set but the pixels.

    pydicom re-encodes numbers and text when a big-endian data set is written as little
    endian, but leaves these raw binary values (LUT data, overlays, ...) as they were.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read from an Explicit VR Big Endian file.
    """
    for element in ds.iterall():
        width = _WORD_SIZES.get(element.VR)
        if width and element.keyword not in _PIXEL_KEYWORDS and element.value:
            element.value = swap_byte_order(element.value, width)
