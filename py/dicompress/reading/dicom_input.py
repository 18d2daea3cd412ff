"""Read a DICOM file and hand out its frames in one canonical layout, one frame at a time.

The file is read through a file object (:mod:`dicompress.reading.source`): its data set
without the long values, which stay in the file (:mod:`dicompress.reading.deferred`); then
each frame from where it lies, so the pixel data is never held whole.

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
from pydicom.encaps import generate_fragmented_frames, itemize_fragment
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, RLELossless

from dicompress import errors
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.plugins.registration import add_plugins, service_plugin
from dicompress.reading import structure
from dicompress.reading.compressed_input import decoded_frames, needs_decoder
from dicompress.reading.data_set_checks import check_elements, check_stack_room, match_read_encoding
from dicompress.reading.deferred import DEFER_SIZE, StoredValue
from dicompress.reading.image_pixel import Geometry, extended_offsets, frame_options, geometry, pixel_bytes
from dicompress.reading.layout import planar_to_interleaved, swap_byte_order
from dicompress.reading.source import FileBytes, Readable, as_reader, size_of

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
#: The pixel elements (Pixel Data, Float and Double Float Pixel Data), which the service stores anew, little endian.
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)


def is_directory(data: bytes | Readable) -> bool:
    """Return whether the DICOM file `data` is a DICOMDIR (a Media Storage Directory).

    Parameters
    ----------
    data : bytes or file object
        A DICOM Part 10 file (only its file meta is read).

    Returns
    -------
    bool
        True if its Media Storage SOP Class is the Media Storage Directory's.
    """
    source = BytesIO(data) if isinstance(data, bytes) else as_reader(data)
    ds = dcmread(source, stop_before_pixels=True, specific_tags=[])
    return bool(ds.file_meta.get("MediaStorageSOPClassUID") == MEDIA_STORAGE_DIRECTORY)


def read_dataset(data: bytes | Readable, limits: Limits = DEFAULT_LIMITS) -> Dataset:
    """Return the data set of a DICOM Part 10 file, once every element has decoded.

    The file's structure is checked against `limits` first (:mod:`dicompress.reading.structure`),
    so pydicom never recurses or inflates beyond them; then every element is decoded once on
    the side (:mod:`dicompress.reading.data_set_checks`), so nothing fails later while writing.

    Parameters
    ----------
    data : bytes or file object
        The whole file, or a readable, seekable file object (only ``read``, ``seek`` and
        ``tell`` are used); values longer than :data:`~dicompress.reading.deferred.DEFER_SIZE`
        are left in it, and read from it when needed.
    limits : Limits, optional
        How deep sequences may nest and how far a deflated data set may inflate.

    Returns
    -------
    pydicom.dataset.Dataset
        The data set with its file meta information; ``ds.buffer`` is the file object its
        deferred values are read from.

    Raises
    ------
    dicompress.errors.ConversionError
        ``EmptyFileError``, ``NotDicomError``, ``TruncatedFileError``, ``DamagedFileError``
        or ``LimitExceededError``.
    """
    reader = as_reader(BytesIO(data) if isinstance(data, bytes) else data)
    if not size_of(reader):
        raise errors.EmptyFileError("the file is empty (0 bytes)")
    # In memory already: walked as bytes. Else walked as read, long values stepped over.
    walked = reader.getvalue() if isinstance(reader, BytesIO) else FileBytes(reader)
    check_stack_room(structure.check(walked, limits))
    reader.seek(0)
    try:
        ds = dcmread(reader, defer_size=DEFER_SIZE)  # Pixel Data stays in the file: see reading.deferred
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
    """Return the frames of uncompressed or RLE Lossless pixel data in the canonical layout, read one at a time.

    Where they lie is found now: the writer takes the pixel element out of `ds` meanwhile.
    """
    pixels = pixel_bytes(ds, shape.keyword)
    if syntax == RLELossless:
        return _rle_frames(ds, shape, pixels)
    big_endian = syntax == ExplicitVRBigEndian
    # 8-bit or bit-packed samples in OW words: the words were byte-swapped, an odd last one padded.
    swapped = big_endian and shape.sample_width <= 1 and ds.get_item(shape.keyword, keep_deferred=True).VR == "OW"
    return _native_frames(pixels, shape, big_endian=big_endian, swapped_words=swapped)


def _native_frames(pixels: StoredValue, shape: Geometry, *, big_endian: bool, swapped_words: bool) -> Iterator[bytes]:
    """Yield the frames of uncompressed pixel data in the canonical layout, read one at a time."""
    swapped = swapped_words
    if shape.bit_packed:
        # One piece for all frames: bit-packed frames need not end on a byte boundary.
        yield _read(pixels, 0, shape.data_length, swapped_words=swapped)
        return
    length = shape.frame_length
    for index in range(shape.frames):
        frame = _read(pixels, index * length, length, swapped_words=swapped)
        if big_endian:
            frame = swap_byte_order(frame, shape.sample_width)
        if shape.planar_configuration == 1:
            frame = planar_to_interleaved(frame, shape.samples_per_pixel, shape.sample_width)
        yield frame


def _read(pixels: StoredValue, offset: int, length: int, *, swapped_words: bool) -> bytes:
    """Return `length` bytes of native pixel data from `offset`, its 16-bit words swapped back if `swapped_words`."""
    if not swapped_words:
        return pixels.read_at(offset, length)
    start, end = offset - offset % 2, offset + length + (offset + length) % 2
    words = pixels.read_at(start, end - start)
    words += b"\0" * (len(words) % 2)
    return swap_byte_order(words, 2)[offset - start : offset - start + length]


def _rle_frames(ds: Dataset, shape: Geometry, pixels: StoredValue) -> Iterator[bytes]:
    """Return the frames of RLE Lossless pixel data in the canonical layout, each decoded from its fragment.

    :func:`~dicompress.reading.image_pixel.geometry` checked that each frame is one fragment.
    """
    options = frame_options(ds)
    fragments = generate_fragmented_frames(
        pixels.window(), number_of_frames=shape.frames, extended_offsets=extended_offsets(ds)
    )
    return _decoded_rle_frames(fragments, shape, options)


def _decoded_rle_frames(fragments: Iterator[tuple[bytes, ...]], shape: Geometry, options: dict) -> Iterator[bytes]:
    """Yield each one-fragment frame of `fragments` decoded, in the canonical layout."""
    for (fragment,) in fragments:
        # The fragment as one item after an empty Basic Offset Table, whatever its length.
        for frame in decode_rle_frames(itemize_fragment(b"") + itemize_fragment(fragment), **options):
            yield planar_to_interleaved(frame, shape.samples_per_pixel, shape.sample_width)


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
    endian, but leaves these raw binary values (LUT data, overlays, ...) as they were. The
    pixel elements are not read (they stay in the file: see :mod:`dicompress.reading.deferred`).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A data set read from an Explicit VR Big Endian file.
    """
    pending = [ds]
    while pending:
        current = pending.pop()
        for tag in list(current.keys()):
            if tag in _PIXEL_TAGS:
                continue
            element = current[tag]
            if element.VR == "SQ":
                pending.extend(element.value)
            width = _WORD_SIZES.get(element.VR)
            if width and element.value:
                element.value = swap_byte_order(element.value, width)
