"""Typed errors of the file service, each with a one-line message for a person."""

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
    """Float or Double Float Pixel Data, which RLE Lossless cannot hold."""

    code = "float-pixel-data"


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


class CorruptPixelDataError(ConversionError):
    """Compressed pixel data that cannot be decoded."""

    code = "corrupt-pixel-data"


class VerificationError(ConversionError):
    """The converted pixel data did not decode to the original pixels."""

    code = "verification-failed"
