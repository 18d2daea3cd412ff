"""Seeded mutations of real DICOM files: the cases of the file fuzzer (tests/test_fuzz_files.py).

Every case is one damaged or hostile file, built from one of pydicom's test files by one kind
of mutation, and a target to convert it to. The same seed always gives the same cases.

Kinds
-----
truncation, byte-flip
    Cut the file anywhere; change a few bytes, mostly before the pixel data.
lying-value
    An Image Pixel value (Rows, Columns, Bits, Samples, Frames...) that is wrong, out of
    range, not a number, of another VR (FD inf, DS 1e400) or multi-valued.
pixel-length, huge-length
    Native Pixel Data longer or shorter than the image (odd, empty, 15 frames undeclared);
    a Pixel Data element declaring more bytes than the file holds.
rle-table
    RLE frames whose header (segment count, offsets) or Basic Offset Table lies, or whose
    item lengths are wrong; Number of Frames against the fragments.
rle-items, extended-offsets
    :mod:`tests.hostile_files`: an encapsulated item (the Basic Offset Table or a fragment)
    that declares more bytes than remain, up to 4 GiB; an Extended Offset Table whose offsets
    or lengths lie, up to 2**64 - 1, or whose Lengths has fewer entries (sizes beyond 2 GiB
    overflow a C ``ssize_t`` in wasm32).
unknown-vr
    An element whose explicit VR is no VR.
nesting, deflate-bomb
    :mod:`tests.hostile_files`: sequences nested around and far beyond the limit, defined and
    undefined length, explicit and implicit VR; deflated data sets inflating 1,000 to 1.
lying-meta
    File meta that lies: another or no transfer syntax, a UID that names none, a wrong
    group length, no SOP Class or Instance UID, implicit VR meta.
"""

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEGBaseline8Bit, RLELossless

from tests import hostile_files
from tests.dicom_files import data_set_bytes, file_bytes, file_head, read, rewritten

#: Source files: explicit and implicit VR, big endian, deflated, RLE, RGB, multi-frame.
SOURCES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "US1_UNCR.dcm",
    "rtdose.dcm",
    "image_dfl.dcm",
    "emri_small_RLE.dcm",
    "SC_rgb_small_odd.dcm",
]
RLE_SOURCES = ["MR_small_RLE.dcm", "emri_small_RLE.dcm"]
NATIVE_SOURCES = [name for name in SOURCES if name not in RLE_SOURCES and name != "image_dfl.dcm"]
TARGETS = ["rle", "explicit", "deflate"]

_IMAGE_PIXEL = ["Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "HighBit",
                "NumberOfFrames", "PixelRepresentation", "PlanarConfiguration"]
_TAGS = {"Rows": 0x00280010, "Columns": 0x00280011, "SamplesPerPixel": 0x00280002,
         "BitsAllocated": 0x00280100, "BitsStored": 0x00280101, "HighBit": 0x00280102,
         "NumberOfFrames": 0x00280008, "PixelRepresentation": 0x00280103,
         "PlanarConfiguration": 0x00280006}
#: Hostile values, each with a VR that can hold it.
_VALUES = [("US", 0), ("US", 1), ("US", 2), ("US", 3), ("US", 7), ("US", 12), ("US", 24), ("US", 48),
           ("US", 255), ("US", 65535), ("UL", 2**31 - 1), ("UL", 2**32 - 1), ("SS", -1), ("IS", "15"),
           ("IS", "-3"), ("LO", "abc"), ("FD", float("inf")), ("FD", float("nan")), ("FD", 2.5),
           ("DS", "1e400"), ("US", [2, 2]), ("US", None)]
_PIXEL_TAG_EXPLICIT = struct.pack("<HH", 0x7FE0, 0x0010)
_TRANSFER_SYNTAXES = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                      "1.2.840.10008.1.2.1.99", RLELossless, JPEGBaseline8Bit, "1.2.3", "", None]


@dataclass(frozen=True)
class Case:
    """One fuzz case: a file, what was done to it, and the target to convert it to."""

    name: str
    kind: str
    data: bytes
    target: str


Mutation = Callable[[random.Random, str], bytes]


def cases(seed: int) -> list[Case]:
    """Return the fuzz cases for `seed`: about 640, every kind of mutation."""
    rng = random.Random(seed)
    plan: list[tuple[str, Mutation, int, list[str]]] = [
        ("truncation", _truncation, 60, SOURCES),
        ("byte-flip", _byte_flip, 140, SOURCES),
        ("lying-value", _lying_value, 120, SOURCES),
        ("pixel-length", _pixel_length, 40, NATIVE_SOURCES),
        ("huge-length", _huge_length, 14, NATIVE_SOURCES),
        ("rle-table", _rle_table, 80, RLE_SOURCES),
        ("rle-items", _rle_items, 30, RLE_SOURCES),
        ("extended-offsets", _extended_offsets, 40, RLE_SOURCES),
        ("unknown-vr", _unknown_vr, 20, ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm"]),
        ("lying-meta", _lying_meta, 70, SOURCES),
    ]
    found = []
    for kind, mutate, count, sources in plan:
        for number in range(count):
            source = sources[number % len(sources)]
            data = mutate(rng, source)
            found.append(Case(f"{kind}-{number:03d}-{source}", kind, data, rng.choice(TARGETS)))
    for depth in (2, 60, 149, 150, 151, 1000):
        for defined in (True, False):
            for implicit in (False, True):
                label = f"{depth}-{'defined' if defined else 'undefined'}-{'implicit' if implicit else 'explicit'}"
                data = hostile_files.nested_sequences(depth, defined_length=defined, implicit=implicit)
                found.append(Case(f"nesting-{label}", "nesting", data, rng.choice(TARGETS)))
    found += [Case(f"deflate-bomb-{zeros}", "deflate-bomb", hostile_files.deflate_bomb(zeros), rng.choice(TARGETS))
              for zeros in (1 << 20, 50 << 20, 6 << 30)]
    return found


def _truncation(rng: random.Random, source: str) -> bytes:
    data = file_bytes(source)
    cut = rng.choice([0, 1, 127, 131, 132, 140, rng.randrange(len(data)), rng.randrange(len(data)),
                      len(data) - 1, len(data) - 2])
    return data[:cut]


def _byte_flip(rng: random.Random, source: str) -> bytes:
    data = bytearray(file_bytes(source))
    header_end = min(len(data), _pixel_data_offset(bytes(data)) + 16)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(132, header_end) if rng.random() < 0.8 else rng.randrange(len(data))
        data[at] ^= rng.randint(1, 255)
    return bytes(data)


def _lying_value(rng: random.Random, source: str) -> bytes:
    keyword = rng.choice(_IMAGE_PIXEL)
    vr, value = rng.choice(_VALUES)

    def change(ds: Dataset) -> None:
        ds[_TAGS[keyword]] = DataElement(_TAGS[keyword], vr, value)

    return rewritten(source, change)


def _pixel_length(rng: random.Random, source: str) -> bytes:
    def change(ds: Dataset) -> None:
        pixels = ds.PixelData
        frame = len(pixels) // int(ds.get("NumberOfFrames") or 1)
        ds.PixelData = rng.choice([
            pixels + b"\0", pixels + bytes(frame // 2), pixels + bytes(frame), pixels * 15,
            pixels[:-1], pixels[:-2], pixels[: len(pixels) // 2], b"", b"\0",
        ])
        if rng.random() < 0.3 and "NumberOfFrames" in ds:
            del ds.NumberOfFrames

    return rewritten(source, change)


def _huge_length(rng: random.Random, source: str) -> bytes:
    data = bytearray(file_bytes(source))
    at = _pixel_data_offset(bytes(data))
    explicit = data[at + 4 : at + 6] in (b"OB", b"OW")
    field = at + 8 if explicit else at + 4
    big = source == "MR_small_bigendian.dcm"
    length = rng.choice([0xFFFFFFF0, 0x7FFFFFFE, len(data) * 4])
    data[field : field + 4] = struct.pack(">L" if big else "<L", length)
    return bytes(data)


def _rle_table(rng: random.Random, source: str) -> bytes:
    def change(ds: Dataset) -> None:
        count = int(ds.get("NumberOfFrames") or 1)
        frames = [bytearray(f) for f in generate_frames(ds.PixelData, number_of_frames=count)]
        frame = rng.choice(frames)
        how = rng.randrange(7)
        if how == 0:  # segment count
            frame[0:4] = struct.pack("<L", rng.choice([0, 1, 3, 15, 16, 17, 0xFFFFFFFF]))
        elif how == 1:  # one offset anywhere
            slot = rng.randrange(1, 16)
            frame[slot * 4 : slot * 4 + 4] = struct.pack(
                "<L", rng.choice([0, 1, 63, 64, len(frame) - 1, len(frame) + 1000, 0xFFFFFFFF]))
        elif how == 2:  # the frame cut short
            del frame[rng.randrange(1, len(frame)) :]
        elif how == 3:  # bytes inside the segments
            for _ in range(rng.randint(1, 6)):
                frame[rng.randrange(64, len(frame))] = rng.choice([0x80, 0x81, 0x7F, 0x00, 0xFF])
        elif how == 4:  # Number of Frames against the fragments
            ds.NumberOfFrames = rng.choice([0, 2, len(frames) + 1, max(1, len(frames) - 1)])
        elif how == 5:  # the offsets swapped
            frame[4:8], frame[8:12] = frame[8:12], frame[4:8]
        else:  # a Basic Offset Table that lies
            ds.PixelData = encapsulate([bytes(f) for f in frames], has_bot=True)
            table = bytearray(ds.PixelData)
            table[8:12] = struct.pack("<L", rng.choice([1, 7, 0xFFFFFFF0]))
            ds.PixelData = bytes(table)
            return
        ds.PixelData = encapsulate([bytes(f) for f in frames])

    return rewritten(source, change)


#: Sizes a file may declare: around 2 GiB (a wasm32 ssize_t's limit), 4 GiB and 2**64.
_HUGE = [2**31 - 2, 2**31, 2**32 - 16, 2**32, 2**63, 2**64 - 1]


def _rle_items(rng: random.Random, source: str) -> bytes:
    frames = 10 if source == "emri_small_RLE.dcm" else 1
    length = rng.choice([0xFFFFFFF0, 0xFFFFFFFF, 0x7FFFFFFE, 0x80000000, 0x80000004, 1 << 20])
    return hostile_files.lying_item_length(source, item=rng.randrange(frames + 1), length=length)


def _extended_offsets(rng: random.Random, source: str) -> bytes:
    frames = 10 if source == "emri_small_RLE.dcm" else 1
    frame = rng.randrange(frames)
    how = rng.randrange(4)
    if how == 0:
        return hostile_files.extended_offsets(source, frame=frame, offset=rng.choice([*_HUGE, 1, 8]))
    if how == 1:
        return hostile_files.extended_offsets(source, frame=frame, length=rng.choice([*_HUGE, 0, 1]))
    if how == 2:
        return hostile_files.extended_offsets(source, entries=rng.randrange(frames))
    return hostile_files.extended_offsets(source, frame=frame, offset=rng.choice(_HUGE), length=rng.choice(_HUGE))


def _unknown_vr(rng: random.Random, source: str) -> bytes:
    data = bytearray(file_bytes(source))
    header = range(132, _pixel_data_offset(bytes(data)))
    positions = [i for i in header if data[i : i + 2] in (b"CS", b"DA", b"US", b"LO")]
    at = rng.choice(positions)
    data[at : at + 2] = rng.choice([b"ZZ", b"\0\0", b"Q1", b"sq"])
    return bytes(data)


def _lying_meta(rng: random.Random, source: str) -> bytes:
    data = file_bytes(source)
    meta = read(data).file_meta
    how = rng.randrange(4)
    if how == 0:
        syntax = rng.choice(_TRANSFER_SYNTAXES)
        if syntax is None:
            del meta.TransferSyntaxUID
        else:
            meta.TransferSyntaxUID = syntax
    elif how == 1:
        for keyword in rng.choice([["MediaStorageSOPClassUID"], ["MediaStorageSOPInstanceUID"],
                                   ["MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID"]]):
            del meta[keyword]
        if rng.random() < 0.5:
            return _without_sop_uids(data, meta)
    written = bytearray(file_head(meta))
    if how == 2:  # a group length that lies
        written[140:144] = struct.pack("<L", rng.choice([0, 2, 10_000, 0xFFFFFFFF]))
    elif how == 3:  # the meta without its group length
        written = written[:132] + written[144:]
    return bytes(written) + data_set_bytes(data)


def _without_sop_uids(data: bytes, meta: Dataset) -> bytes:
    """Return the file without SOP Class and Instance UIDs anywhere."""
    ds = read(data)
    del ds.SOPClassUID, ds.SOPInstanceUID
    ds.file_meta = meta
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


def _pixel_data_offset(data: bytes) -> int:
    """Return where the Pixel Data element starts (its tag), in either byte order."""
    for tag in (_PIXEL_TAG_EXPLICIT, struct.pack(">HH", 0x7FE0, 0x0010)):
        found = data.rfind(tag)
        if found >= 0:
            return found
    return len(data)
