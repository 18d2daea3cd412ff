"""Corrupt RLE streams: :func:`dicompress.rle.decode_frame` never misbehaves.

Whatever the bytes, the decoder either returns exactly ``rows * columns *
samples * bytes`` bytes -- the same bytes pydicom's own decoder returns -- or
raises :class:`~dicompress.rle.RLEError`; nothing else.  It never hangs, and it
never allocates much more than its input and the output it was asked for, even
when the stream claims a huge output.

The only inputs where it refuses what pydicom accepts are headers whose segment
offsets point into the header, out of order or past the end of the data: pydicom
reads whatever those slices hold, this decoder calls them corrupt.
"""

import struct
import time
import tracemalloc
import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydicom.pixels.decoders.rle import _rle_decode_frame

from dicompress.rle import RLEError, decode_frame, encode_frame, frame_decoder


@pytest.fixture(autouse=True, params=["numpy", "python"])
def decoder_path(request, monkeypatch):
    """Run every test with both decoders: numpy (large frames) and run-by-run (small)."""
    monkeypatch.setattr(frame_decoder, "SMALL_FRAME", -1 if request.param == "numpy" else 1 << 40)
    return request.param


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))

#: CPU seconds one decode of a few kilobytes may take (it takes about a millisecond;
#: CPU time, so a busy machine does not make the test flaky).
TIME_LIMIT = 2.0


@st.composite
def geometries(draw):
    spp = draw(st.sampled_from((1, 3)))
    bps = draw(st.sampled_from((1, 2, 4)))
    return draw(st.integers(1, 8)), draw(st.integers(1, 40)), spp, bps


@st.composite
def valid_streams(draw):
    """(stream, geometry): a frame encoded by this module."""
    rows, columns, spp, bps = geometry = draw(geometries())
    size = rows * columns * spp * bps
    alphabet = draw(st.sampled_from((b"\x00", b"\x00\x01", b"\x00\x01\x80\xff", bytes(range(256)))))
    runs = draw(st.lists(st.tuples(st.sampled_from(alphabet), st.integers(1, 300)), min_size=1, max_size=30))
    data = bytearray()
    while len(data) < size:
        for value, length in runs:
            data += bytes([value]) * length
    packing = draw(st.sampled_from(("pydicom", "compact")))
    return encode_frame(bytes(data[:size]), rows, columns, spp, bps, packing=packing), geometry


SPECIAL_U32 = (0, 1, 2, 15, 16, 63, 64, 65, 255, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@st.composite
def mutated(draw, stream: bytes) -> bytes:
    data = bytearray(stream)
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(("flip", "truncate", "append", "insert", "count", "offset", "delete")))
        if what == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        elif what == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif what == "append":
            data += draw(st.binary(max_size=300))
        elif what == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif what == "delete" and len(data) > 64:
            at = draw(st.integers(64, len(data) - 1))
            del data[at : at + draw(st.integers(1, 40))]
        elif what in ("count", "offset") and len(data) >= 64:
            field = 0 if what == "count" else draw(st.integers(1, 15))
            value = draw(st.one_of(st.sampled_from(SPECIAL_U32), st.integers(0, len(data) + 10)))
            struct.pack_into("<L", data, 4 * field, value)
    return bytes(data)


@st.composite
def random_streams(draw):
    """A header with any count and offsets, then any bytes."""
    count = draw(st.sampled_from((0, 1, 2, 3, 6, 12, 15, 16, 17, 0xFFFFFFFF)))
    body = draw(st.binary(max_size=600))
    offset = st.one_of(st.sampled_from(SPECIAL_U32), st.integers(0, 64 + len(body) + 5))
    offsets = draw(st.lists(offset, min_size=15, max_size=15))
    return struct.pack("<16L", count, *offsets) + body


def _header_is_valid(stream: bytes, expected_segments: int) -> bool:
    """Our header rules: the right count, offsets >= 64, increasing, inside the data."""
    if len(stream) < 64:
        return False
    count, *offsets = struct.unpack("<16L", stream[:64])
    if count != expected_segments:
        return False
    previous = 63
    for off in offsets[:count]:
        if off <= previous or off >= len(stream):
            return False
        previous = off
    return True


def check(stream: bytes, rows: int, columns: int, spp: int, bps: int) -> None:
    expected = rows * columns * spp * bps
    tracemalloc.start()
    started = time.process_time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = decode_frame(stream, rows, columns, spp, bps)
    except RLEError as exc:
        ours = exc
    finally:
        elapsed = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < TIME_LIMIT
    # The output, plus working arrays proportional to the input.
    assert peak <= 8 * expected + 64 * len(stream) + 2_000_000

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _rle_decode_frame(stream, rows, columns, spp, 8 * bps)
    except ValueError as exc:
        theirs = exc

    if isinstance(ours, RLEError):
        assert "\n" not in str(ours)
        if not isinstance(theirs, Exception):
            # Only our stricter header rules may refuse what pydicom decodes.
            assert not _header_is_valid(stream, spp * bps)
    else:
        assert isinstance(ours, bytearray)
        assert len(ours) == expected
        assert ours == theirs


@FUZZ
@given(st.data())
def test_mutated_streams_decode_like_pydicom_or_raise_rle_error(data):
    stream, geometry = data.draw(valid_streams())
    check(data.draw(mutated(stream)), *geometry)


@FUZZ
@given(st.data())
def test_streams_decoded_with_the_wrong_geometry_decode_like_pydicom_or_raise_rle_error(data):
    stream, _ = data.draw(valid_streams())
    check(stream, *data.draw(geometries()))


@FUZZ
@given(random_streams(), geometries())
def test_random_headers_and_bytes_decode_like_pydicom_or_raise_rle_error(stream, geometry):
    check(stream, *geometry)


@FUZZ
@given(st.binary(max_size=200), geometries())
def test_any_short_bytes_decode_like_pydicom_or_raise_rle_error(stream, geometry):
    check(stream, *geometry)


def test_a_stream_claiming_a_huge_output_is_cut_without_allocating_it():
    # 100 000 replicate runs of 128 bytes: 12.8 MB claimed, 4 bytes wanted.
    stream = struct.pack("<2L", 1, 64).ljust(64, b"\x00") + b"\x81\x07" * 100_000
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert decode_frame(stream, 2, 2, 1, 1) == b"\x07" * 4
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * len(stream)
    assert peak < 12_800_000


def test_a_huge_geometry_is_refused_without_allocating_it():
    stream = encode_frame(bytes(4 * 4 * 3 * 4), 4, 4, 3, 4)
    tracemalloc.start()
    try:
        decode_frame(stream, 65535, 65535, 3, 4)
    except RLEError as exc:
        assert "too few" in str(exc)
    else:
        raise AssertionError("a 65535 x 65535 frame from a few bytes was accepted")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 1_000_000


def test_an_adversarial_chain_of_no_op_controls_decodes_in_linear_time():
    # 0x80 is a one-byte no-op: one run per byte, the worst case for the walk.
    body = b"\x80" * 400_000 + b"\xfd\x09"
    stream = struct.pack("<2L", 1, 64).ljust(64, b"\x00") + body
    started = time.process_time()
    assert decode_frame(stream, 1, 4, 1, 1) == b"\x09" * 4
    assert time.process_time() - started < 5.0


def test_a_stream_that_defeats_the_speculative_lanes_still_decodes_exactly():
    # Two-byte literal runs whose data bytes are themselves 0x01: a lane that
    # starts on a data byte never meets the true chain.
    body = b"\x01\x01\x01" * 20_000
    stream = struct.pack("<2L", 1, 64).ljust(64, b"\x00") + body
    assert decode_frame(stream, 200, 200, 1, 1) == b"\x01" * 40_000
