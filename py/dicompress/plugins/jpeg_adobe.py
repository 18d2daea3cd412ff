"""The APP14 "Adobe" segment of a JPEG stream: the one word on whether its 3 components are YCbCr.

libjpeg (and libjpeg-turbo) honours the segment's colour transform (0: RGB, else YCbCr),
and without one guesses from other markers. DICOM says instead, in Photometric
Interpretation; a stream handed to libjpeg-turbo with the segment added decodes as pydicom's
other JPEG plugins decode it.
"""

import struct

#: The markers without a length (SOI, TEM, RST0-7) and those that end the header (SOS, EOI).
_NO_LENGTH = {0xD8, 0x01, *range(0xD0, 0xD8)}
_HEADER_END = {0xDA, 0xD9}
#: libjpeg reads an Adobe segment only when its data has at least this many bytes.
_ADOBE_DATA = 12


def adobe_transform(stream: bytes) -> int | None:
    """Return the colour transform of the last Adobe segment libjpeg honours before the scan, or ``None``.

    Parameters
    ----------
    stream : bytes
        A JPEG stream (SOI first); a damaged header ends the search early.
    """
    transform = None
    position = 2
    while position + 4 <= len(stream) and stream[position] == 0xFF:
        marker = stream[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _HEADER_END:
            break
        if marker in _NO_LENGTH:
            position += 2
            continue
        (length,) = struct.unpack_from(">H", stream, position + 2)
        data = stream[position + 4 : position + 2 + length]
        if marker == 0xEE and len(data) >= _ADOBE_DATA and data.startswith(b"Adobe"):
            transform = data[11]
        position += 2 + length
    return transform


def with_adobe_transform(stream: bytes, transform: int) -> bytes:
    """Return `stream` with an Adobe segment saying `transform` right after its SOI marker."""
    segment = b"\xff\xee" + struct.pack(">H5sHHHB", 14, b"Adobe", 100, 0, 0, transform)
    return stream[:2] + segment + stream[2:]
