"""Typed errors of the file service, each with a one-line message for a person."""

from collections.abc import Iterator
from contextlib import contextmanager

#: The message for bytes without the 'DICM' marker of a DICOM Part 10 file.
NO_DICM_MARKER = "not a DICOM file: no 'DICM' marker after the 128-byte preamble"


class ConversionError(Exception):
    """A file could not be converted; ``str(exc)`` is a one-line message for a person.

    Attributes
    ----------
    code : str
        A short, stable slug naming the kind of failure (for programs and tests).
    """

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class EmptyFileError(ConversionError):
    """The input has no bytes at all."""

    code = "empty"


class NotDicomError(ConversionError):
    """The input is not a DICOM Part 10 file."""

    code = "not-dicom"


class TruncatedFileError(ConversionError):
    """The input ends before the data set it announces is complete."""

    code = "truncated"


class NoPixelDataError(ConversionError):
    """The data set has no Pixel Data to convert."""

    code = "no-pixel-data"


class FloatPixelDataError(ConversionError):
    """Float or Double Float Pixel Data, which the target (RLE Lossless, say) cannot hold."""

    code = "float-pixel-data"


class BitPackedPixelDataError(ConversionError):
    """1-bit (bit-packed) Pixel Data, which the target (RLE Lossless, say) cannot hold."""

    code = "bit-packed-pixel-data"


class AlreadyCompressedError(ConversionError):
    """The pixel data uses a compressed transfer syntax this tool does not decode."""

    code = "already-compressed"


class DecoderMissingError(AlreadyCompressedError):
    """The pixel data could be decoded with pydicom's plugins, but none for its syntax is installed.

    Attributes
    ----------
    syntax : str
        The name of the transfer syntax, e.g. ``"JPEG 2000 Image Compression"``.
    """

    code = "decoder-missing"

    def __init__(self, message: str, syntax: str) -> None:
        super().__init__(message)
        self.syntax = syntax


class GeometryError(ConversionError):
    """Rows, Columns, Samples, Bits Allocated and Frames do not match the pixel data."""

    code = "geometry"


class UnsupportedImageError(ConversionError):
    """The image is valid DICOM but cannot be written with the chosen transfer syntax."""

    code = "unsupported"


class EncoderMissingError(UnsupportedImageError):
    """The target's encoder plugins are not installed (the ``[codecs]`` extra is missing).

    Attributes
    ----------
    syntax : str
        The name of the target transfer syntax, e.g. ``"JPEG-LS Lossless Image Compression"``.
    """

    code = "encoder-missing"

    def __init__(self, message: str, syntax: str) -> None:
        super().__init__(message)
        self.syntax = syntax


class CorruptPixelDataError(ConversionError):
    """Compressed pixel data that cannot be decoded."""

    code = "corrupt-pixel-data"


class VerificationError(ConversionError):
    """The converted pixel data did not decode to the original pixels."""

    code = "verification-failed"


class DamagedFileError(ConversionError):
    """The file's structure or values cannot be decoded (a damaged deflate stream, an unknown VR...)."""

    code = "damaged"


class IncompleteDataSetError(ConversionError):
    """The data set lacks an element every DICOM file needs (SOP Class UID, SOP Instance UID)."""

    code = "incomplete"


class LimitExceededError(ConversionError):
    """The file exceeds a limit that protects memory and the stack (see :mod:`dicompress.limits`)."""

    code = "limit-exceeded"


class FrameTooLargeError(LimitExceededError):
    """One frame of the file is larger than the limit ``max_frame_bytes`` allows.

    Attributes
    ----------
    frame_bytes : int
        The bytes of one uncompressed frame.
    limit : int
        The limit it is over.
    """

    code = "frame-too-large"

    def __init__(self, message: str, frame_bytes: int, limit: int) -> None:
        super().__init__(message)
        self.frame_bytes = frame_bytes
        self.limit = limit


class InternalError(ConversionError):
    """An unexpected failure, a bug in this tool or a library: the file was not converted."""

    code = "internal"


#: The longest :func:`reason` (libraries quote whole values in their messages).
REASON_LENGTH = 160


def reason(exc: BaseException) -> str:
    """Return the gist of `exc` on one line: its last line of text, else its type's name.

    Libraries put the cause last in multi-line messages (pydicom's lists of failed
    plugins, tracebacks). Longer than :data:`REASON_LENGTH`, it is cut with an ellipsis.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


@contextmanager
def typed_failures() -> Iterator[None]:
    """Turn every failure inside the block into a :class:`ConversionError`; for the service's entries.

    ``MemoryError`` is left as it is: callers word it for their setting (the browser's tab,
    the command line's machine).
    """
    try:
        yield
    except (ConversionError, MemoryError):
        raise
    except RecursionError:
        raise LimitExceededError(
            "sequences are nested too deeply for Python to read this file (RecursionError)"
        ) from None
    except Exception as exc:
        raise InternalError(
            f"unexpected {type(exc).__name__} ({reason(exc)}); the file was not converted"
        ) from exc
