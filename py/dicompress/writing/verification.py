"""Checking a conversion's result before anyone gets it: every encoded frame, then the written file.

An RLE frame is checked against its source as soon as it is encoded: with the encoder's
certificate (:mod:`dicompress.rle.certificate`, a proof that needs no decoding) where
dicompress's codec made it, else by decoding the frame (pydicom's decoder framework,
the service's plugin) and comparing. A JPEG-LS, JPEG 2000 or HTJ2K frame is decoded by
pydicom's decoder for its syntax with the plugin the writer names
(:data:`dicompress.writing.lossless.CHECKING_PLUGINS`: for HTJ2K another implementation
than the encoder's, OpenJPEG checking OpenJPH), and compared with its source sample by
sample. Once the file is written, pydicom's own reader must find in it exactly those
frames: as many items as frames, each where the offset tables
say, each with the length and the Adler-32 checksum of the frame that was checked.
Native Pixel Data must be, where pydicom's reader finds it, frames of those lengths and
checksums. The written file is read back a frame at a time, never whole (a deflated one
excepted: pydicom inflates its data set whole).

Every failure raises :class:`~dicompress.errors.VerificationError`; the result is then
discarded.
"""

import struct
import zlib
from collections.abc import Sequence
from typing import Any

from pydicom import dcmread
from pydicom.encaps import encapsulate, parse_basic_offsets, parse_fragments
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from dicompress import errors
from dicompress.reading.deferred import DEFER_SIZE, StoredValue, pixel_value
from dicompress.reading.dicom_input import Geometry, decode_rle_frames
from dicompress.reading.layout import interleaved_to_planar
from dicompress.reading.source import Readable, SourceReader

__all__ = ["check_decoded_frame", "check_rle_frame", "check_written_native", "check_written_rle", "checksum"]

# (7FE0,0010) OB, undefined length, in Explicit VR Little Endian: how encapsulated Pixel Data begins.
_ENCAPSULATED_HEADER = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_OFFSET_TABLES = ["ExtendedOffsetTable", "ExtendedOffsetTableLengths"]


def checksum(data: bytes | memoryview) -> int:
    """Return the Adler-32 checksum standing in for `data` when the written file is checked."""
    return zlib.adler32(data)


def check_rle_frame(
    stream: bytes, certificate: Any, frame: bytes, shape: Geometry, options: dict[str, Any], number: int
) -> None:
    """Raise ``VerificationError`` unless the RLE frame `stream` decodes to the canonical `frame`.

    Parameters
    ----------
    stream : bytes
        The encoded frame.
    certificate : dicompress.rle.certificate.Certificate or None
        The encoder's certificate, if it gave one.
    frame : bytes
        The source: little-endian, interleaved samples.
    shape : Geometry
        The image geometry.
    options : dict
        pydicom's decoding options for one frame.
    number : int
        The frame's number (from 1), for the message.

    Raises
    ------
    dicompress.errors.VerificationError
        If the frame decodes to other pixels.
    dicompress.errors.CorruptPixelDataError
        If it cannot be decoded at all.
    """
    if certificate is not None:
        from dicompress.rle.certificate import certifies

        geometry = (shape.rows, shape.columns, shape.samples_per_pixel, shape.sample_width)
        if certifies(stream, certificate, frame, *geometry):
            return
    decoded = b"".join(decode_rle_frames(encapsulate([stream]), **options))
    if decoded != interleaved_to_planar(frame, shape.samples_per_pixel, shape.sample_width):
        raise errors.VerificationError(_not_decoding(number))


def check_decoded_frame(
    stream: bytes, syntax: UID, plugin: str, frame: bytes, options: dict[str, Any], number: int
) -> None:
    """Raise ``VerificationError`` unless the encoded frame `stream` decodes to the canonical `frame`.

    Parameters
    ----------
    stream : bytes
        One frame encoded in `syntax` (JPEG-LS, JPEG 2000 or HTJ2K).
    syntax : pydicom.uid.UID
        Its transfer syntax.
    plugin : str
        The pydicom decoding plugin that decodes it.
    frame : bytes
        The source: little-endian, interleaved samples in containers of Bits Allocated.
    options : dict
        pydicom's options for one frame, the Photometric Interpretation as written.
    number : int
        The frame's number (from 1), for the message.

    Raises
    ------
    dicompress.errors.VerificationError
        If the frame decodes to other samples, or cannot be decoded at all.
    """
    try:
        # raw: a YBR_FULL source stays YBR_FULL (the JPEG 2000 decoders undo YBR_RCT themselves).
        array, _ = get_decoder(syntax).as_array(encapsulate([stream]), raw=True, decoding_plugin=plugin, **options)
    except (ValueError, RuntimeError, TypeError, OverflowError) as exc:
        raise errors.VerificationError(
            f"frame {number} cannot be decoded again ({errors.reason(exc)}); the result was discarded"
        ) from None
    width = options["bits_allocated"] // 8
    samples = array.astype(f"<{array.dtype.kind}{width}", copy=False)
    if samples.nbytes != len(frame) or samples.tobytes() != frame:
        raise errors.VerificationError(_not_decoding(number))


def check_written_rle(output: Readable, lengths: Sequence[int], checksums: Sequence[int]) -> None:
    """Raise ``VerificationError`` unless pydicom reads frames of these lengths and checksums in `output`.

    Any encapsulated Pixel Data is checked so, whatever its syntax.

    Parameters
    ----------
    output : file object
        The written file, RLE Lossless (or another encapsulated syntax), read a frame at a time.
    lengths, checksums : sequence of int
        The length and :func:`checksum` of every frame that was checked.

    Raises
    ------
    dicompress.errors.VerificationError
        If pydicom's reader finds other frames, or cannot read the file.
    """
    # Where each item starts, from the first item after the Basic Offset Table.
    offsets = []
    end = 0
    for length in lengths:
        offsets.append(end)
        end += 8 + length + length % 2
    reader = SourceReader(output)
    try:
        # Every element is stepped over as pydicom's reader does; only the tables are kept.
        head = dcmread(reader, stop_before_pixels=True, specific_tags=_OFFSET_TABLES)
        if reader.read(len(_ENCAPSULATED_HEADER)) != _ENCAPSULATED_HEADER:
            raise ValueError("no encapsulated Pixel Data where pydicom's reader stops")
        table = parse_basic_offsets(reader)
        first = reader.tell()
        count, items = parse_fragments(reader)
    except (ValueError, EOFError, OSError, KeyError, TypeError, struct.error) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise errors.VerificationError(
            f"the written file cannot be read back ({reason}); the result was discarded"
        ) from None
    if count != len(lengths):
        raise errors.VerificationError(f"{count} of {len(lengths)} frames were written; the result was discarded")
    if table:
        tables_right = table == offsets
    else:
        item_lengths = [length + length % 2 for length in lengths]
        tables_right = (
            head.get("ExtendedOffsetTable") == struct.pack(f"<{len(offsets)}Q", *offsets)
            and head.get("ExtendedOffsetTableLengths") == struct.pack(f"<{len(lengths)}Q", *item_lengths)
        )
    if not tables_right:
        raise errors.VerificationError("the written offset table does not match the frames; the result was discarded")
    for number, (item, offset, length, expected) in enumerate(zip(items, offsets, lengths, checksums), start=1):
        last = number == len(lengths)
        end = item + 8 + length + length % 2
        ends_right = not last or (
            struct.unpack("<L", reader.read_at(item + 4, 4))[0] == length + length % 2
            and reader.read_at(end, len(_SEQUENCE_DELIMITER)) == _SEQUENCE_DELIMITER
        )
        if item != first + offset or not ends_right or checksum(reader.read_at(item + 8, length)) != expected:
            raise errors.VerificationError(_not_decoding(number))


def check_written_native(
    output: Readable, lengths: Sequence[int], checksums: Sequence[int], keyword: str = "PixelData"
) -> None:
    """Raise ``VerificationError`` unless the Pixel Data pydicom reads in `output` is frames of these checksums.

    Parameters
    ----------
    output : file object
        The written file, uncompressed (deflated or not), read a frame at a time.
    lengths, checksums : sequence of int
        The length and :func:`checksum` of every frame (or piece of bit-packed frames) that was stored.
    keyword : str, optional
        The pixel element: ``PixelData``, ``FloatPixelData`` or ``DoubleFloatPixelData``.

    Raises
    ------
    dicompress.errors.VerificationError
        If the Pixel Data pydicom reads differs from the frames.
    """
    written = dcmread(SourceReader(output), defer_size=DEFER_SIZE)
    value = pixel_value(written, keyword) if keyword in written else None
    if not isinstance(value, StoredValue):
        raise errors.VerificationError(f"the written file has no {keyword}; the result was discarded")
    start = 0
    for number, (length, expected) in enumerate(zip(lengths, checksums), start=1):
        frame = value.read_at(start, length)
        if len(frame) != length or checksum(frame) != expected:
            raise errors.VerificationError(_not_decoding(number))
        start += length


def _not_decoding(number: int) -> str:
    """Return the message for a frame that does not decode to the original pixels."""
    return f"frame {number} did not decode to the original pixels; the result was discarded"
