"""Hostile DICOM files built from real ones, for the service's tests, the fuzzer and the browser tests.

Each function returns the bytes of one file, built cheaply (a 6 GB deflate bomb takes a few
milliseconds and 6 MB of memory). The browser tests import them too::

    from tests.hostile_files import browser_batch, deflate_bomb, nested_sequences

    nested_sequences(1000)            # 59 kB: 1,000 nested sequences of defined length
    nested_sequences(1000, defined_length=False)
    deflate_bomb(6 * 1024**3)         # 6.4 MB: a deflated data set inflating to 6 GB
    browser_batch()                   # both between good files, with the outcome each must have
"""

import struct
import zlib

from pydicom.encaps import encapsulate_extended, generate_frames
from pydicom.uid import DeflatedExplicitVRLittleEndian

from pydicom.dataset import Dataset

from tests.dicom_files import data_set_bytes, file_bytes, file_head, read, rewritten

#: The first elements after (0008,1115) in CT_small.dcm (a private creator) and in
#: MR_small_implicit.dcm (Patient's Name): sequences are inserted before them, where tags ascend.
_AFTER_SEQUENCE = {"CT_small.dcm": struct.pack("<HH", 0x0009, 0x0010),
                   "MR_small_implicit.dcm": struct.pack("<HH", 0x0010, 0x0010)}
_ITEM, _ITEM_END, _SEQUENCE_END = 0xE000, 0xE00D, 0xE0DD
_UNDEFINED = 0xFFFFFFFF
#: Zeros are deflated in blocks of this many bytes, each block compressed once and repeated.
_ZERO_BLOCK = 1 << 20
#: The longest private element :func:`deflate_bomb` writes.
_MAX_ELEMENT = 1 << 31


def nested_sequences(depth: int, *, defined_length: bool = True, implicit: bool = False) -> bytes:
    """Return CT_small.dcm with `depth` nested Referenced Series Sequences in their place among its elements.

    Each (0008,1115) SQ holds one item that holds the next sequence; the innermost item
    holds a Referenced SOP Instance UID. 1,000 levels of defined length make a 59 kB file.

    Parameters
    ----------
    depth : int
        How many sequences are nested.
    defined_length : bool, optional
        ``True``: sequences and items of defined length; ``False``: undefined length with
        delimitation items.
    implicit : bool, optional
        ``True``: the sequences go into MR_small_implicit.dcm, encoded in implicit VR.
    """
    header = _implicit_header if implicit else _long_header
    value = b"1.2.3\0"
    inner = header(0x0008, 0x1155, b"UI", len(value)) + value if implicit else _explicit(0x0008, 0x1155, b"UI", value)
    for _ in range(depth):
        if defined_length:
            item = _item_header(_ITEM, len(inner)) + inner
            inner = header(0x0008, 0x1115, b"SQ", len(item)) + item
        else:
            item = _item_header(_ITEM, _UNDEFINED) + inner + _item_header(_ITEM_END, 0)
            inner = header(0x0008, 0x1115, b"SQ", _UNDEFINED) + item + _item_header(_SEQUENCE_END, 0)
    name = "MR_small_implicit.dcm" if implicit else "CT_small.dcm"
    data = file_bytes(name)
    at = data.index(_AFTER_SEQUENCE[name], 132)
    return data[:at] + inner + data[at:]


def deflate_bomb(zeros: int) -> bytes:
    """Return a Deflated Explicit VR Little Endian CT_small.dcm with `zeros` zero bytes appended (its padding left out).

    The zeros are the values of private OB elements (7FE1,1000), (7FE1,1001)... of at most
    2 GiB each, after the Pixel Data; the data set deflates about 1,000 to 1, so
    ``deflate_bomb(6 * 1024**3)`` is 6.3 MB.

    Parameters
    ----------
    zeros : int
        How many zero bytes the private elements hold in all (even).
    """
    data = file_bytes("CT_small.dcm")
    stream = _deflated(_unpadded(data_set_bytes(data)) + _explicit(0x7FE1, 0x0010, b"LO", b"dicompress test "))
    element = 0x1000
    while zeros:
        length = min(zeros, _MAX_ELEMENT)
        blocks, rest = divmod(length, _ZERO_BLOCK)
        stream += _deflated(_long_header(0x7FE1, element, b"OB", length) + bytes(rest))
        stream += _deflated(bytes(_ZERO_BLOCK)) * blocks
        zeros -= length
        element += 1
    stream += zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH)
    meta = read(data).file_meta
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    return file_head(meta) + stream


def browser_batch() -> list[tuple[str, bytes, str | None]]:
    """Return a batch for the page: good files around the hostile ones, in the order to add them.

    Returns
    -------
    list of (str, bytes, str or None)
        File name, bytes, and the code of the typed error its row must show (``None``: it
        converts). The hostile files are refused in about a second each, and the batch goes on.
    """
    return [
        ("CT_small.dcm", file_bytes("CT_small.dcm"), None),
        ("nested-1000.dcm", nested_sequences(1000), "limit-exceeded"),
        ("MR_small.dcm", file_bytes("MR_small.dcm"), None),
        ("deflate-bomb-6GB.dcm", deflate_bomb(6 * 1024**3), "limit-exceeded"),
        ("nested-150.dcm", nested_sequences(150), None),
        ("nested-1000-undefined.dcm", nested_sequences(1000, defined_length=False), "limit-exceeded"),
        # Sizes beyond 2 GiB that overflowed wasm32's ssize_t ("internal" before issue 18)
        ("extended-offset-2e63.dcm", extended_offsets(frame=1, offset=2**63), "corrupt-pixel-data"),
        ("extended-length-4GB.dcm", extended_offsets(frame=9, length=2**32), "corrupt-pixel-data"),
        ("item-length-4GB.dcm", lying_item_length(item=1, length=0xFFFFFFF0), "corrupt-pixel-data"),
        ("MR_small_RLE.dcm", file_bytes("MR_small_RLE.dcm"), None),
        # 100 MB of zeros after the data set: refused at the first of them (issue 18)
        ("deflated-zeros-100MB.dcm", deflated_trailing_zeros(100 * 10**6), "damaged"),
        ("rtdose.dcm", file_bytes("rtdose.dcm"), None),
    ]


def extended_offsets(
    name: str = "emri_small_RLE.dcm", *, frame: int = 0, offset: int | None = None, length: int | None = None,
    entries: int | None = None,
) -> bytes:
    """Return the RLE file `name` with an Extended Offset Table (and an empty Basic Offset Table) that may lie.

    Parameters
    ----------
    name : str
        An RLE Lossless test file.
    frame : int, optional
        The entry (0-based) that `offset` and `length` replace.
    offset, length : int, optional
        What entry `frame` says (8-byte unsigned: up to 2**64 - 1); ``None``: the truth.
    entries : int, optional
        Keep only this many entries of the Lengths (``None``: all).
    """

    def change(ds: Dataset) -> None:
        frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames") or 1)))
        pixel_data, table, lengths = encapsulate_extended(frames)
        offsets = list(struct.unpack(f"<{len(frames)}Q", table))
        sizes = list(struct.unpack(f"<{len(frames)}Q", lengths))
        offsets[frame] = offsets[frame] if offset is None else offset
        sizes[frame] = sizes[frame] if length is None else length
        sizes = sizes[:entries] if entries is not None else sizes
        ds.PixelData = pixel_data
        ds.ExtendedOffsetTable = struct.pack(f"<{len(offsets)}Q", *offsets)
        ds.ExtendedOffsetTableLengths = struct.pack(f"<{len(sizes)}Q", *sizes)

    return rewritten(name, change)


def lying_item_length(name: str = "emri_small_RLE.dcm", *, item: int = 1, length: int = 0xFFFFFFF0) -> bytes:
    """Return the RLE file `name` whose encapsulated item `item` (0: the Basic Offset Table) declares `length`."""

    def change(ds: Dataset) -> None:
        data = bytearray(ds.PixelData)
        pos = 0
        for _ in range(item):
            pos += 8 + struct.unpack_from("<L", data, pos + 4)[0]
        struct.pack_into("<L", data, pos + 4, length)
        ds.PixelData = bytes(data)

    return rewritten(name, change)


def oversized_element(length: int) -> bytes:
    """Return CT_small.dcm ending with a private OB element that declares `length` bytes (its padding left out).

    The file holds 4 bytes of its value: the declared length is larger than the file.
    """
    data = file_bytes("CT_small.dcm")
    return _unpadded(data) + _explicit(0x7FE1, 0x0010, b"LO", b"dicompress test ") + _long_header(
        0x7FE1, 0x1000, b"OB", length
    ) + b"\0" * 4


def rle_frames_lie(frames: int = 2) -> bytes:
    """Return MR_small_RLE.dcm (one RLE fragment) with Number of Frames set to `frames`."""
    return rewritten("MR_small_RLE.dcm", lambda ds: setattr(ds, "NumberOfFrames", frames))


def native_frames_unannounced() -> bytes:
    """Return rtdose.dcm without Number of Frames: its Pixel Data holds 15 frames, it declares 1."""
    return rewritten("rtdose.dcm", lambda ds: ds.__delitem__("NumberOfFrames"))


def _unpadded(data: bytes) -> bytes:
    """Return CT_small.dcm's bytes without its last element, Data Set Trailing Padding (FFFC,FFFC) OB.

    Elements ascend by tag: the private elements the builders append go before the padding,
    which they leave out.
    """
    at = data.rindex(_long_header(0xFFFC, 0xFFFC, b"OB", 0)[:8])
    assert at + 12 + struct.unpack_from("<L", data, at + 8)[0] == len(data)
    return data[:at]


def _explicit(group: int, element: int, vr: bytes, value: bytes) -> bytes:
    """Return an explicit VR little endian element with a 2-byte length."""
    return struct.pack("<HH2sH", group, element, vr, len(value)) + value


def _long_header(group: int, element: int, vr: bytes, length: int) -> bytes:
    """Return the header of an explicit VR little endian element with a 4-byte length."""
    return struct.pack("<HH2s2xL", group, element, vr, length)


def _implicit_header(group: int, element: int, vr: bytes, length: int) -> bytes:
    """Return the header of an implicit VR little endian element (`vr` is not written)."""
    del vr
    return struct.pack("<HHL", group, element, length)


def _item_header(element: int, length: int) -> bytes:
    """Return an item, item delimitation or sequence delimitation header (group FFFE)."""
    return struct.pack("<HHL", 0xFFFE, element, length)


def _deflated(data: bytes) -> bytes:
    """Return `data` as raw deflate blocks that need no history, so they can be concatenated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def deflated_trailing_zeros(zeros: int) -> bytes:
    """Return a Deflated Explicit VR Little Endian CT_small.dcm whose stream ends with `zeros` zero bytes.

    The zeros follow the data set's last element: no element holds them (each 8 of them read
    as an element (0000,0000) of length 0). 100 MB of zeros make a file of about 220 kB.
    """
    data = file_bytes("CT_small.dcm")
    blocks, rest = divmod(zeros, _ZERO_BLOCK)
    stream = _deflated(data_set_bytes(data) + bytes(rest)) + _deflated(bytes(_ZERO_BLOCK)) * blocks
    stream += zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH)
    meta = read(data).file_meta
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    return file_head(meta) + stream
