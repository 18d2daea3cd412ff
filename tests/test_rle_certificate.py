"""The certificate check, :func:`dicompress.rle.certificate.certifies`: it proves what a decode shows, never more.

* On every uncompressed image of the corpus and on generated frames (both packings), the
  encoder's certificate proves its frame, and a full decode agrees.
* Every kind of damage to the stream, the certificate or the source makes it prove
  nothing: a wrong control byte, literal byte or replicate value, a source byte changed
  inside a replicate run, a shifted, missing or extra position, another frame's
  certificate, a wrong header offset or segment count, a truncated frame.  So do two
  streams that decode to the source but break PS3.5 G.3.1: a run across two rows, a
  no-op control byte.
* Whatever random damage (hypothesis), it never proves a frame that does not decode to
  the source.
"""

import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydicom.pixels.decoders.rle import _rle_decode_frame

from dicompress.rle import RLEError, decode_frame, encode_frame
from dicompress.rle.certificate import Certificate, certifies
from tests.test_rle import UNCOMPRESSED, corpus_frames, frames, planar_little_endian


def encoded(frame: bytes, rows, columns, spp, bps, **options) -> tuple[bytes, Certificate]:
    """The frame encoded, and the encoder's certificate."""
    certificates = []
    stream = encode_frame(frame, rows, columns, spp, bps, certify=certificates.append, **options)
    (certificate,) = certificates
    return stream, certificate


def decodes_to(stream: bytes, source: bytes, rows, columns, spp, bps, **options) -> bool:
    """Whether pydicom's decoder gives `source` (planar, little endian) for `stream`."""
    expected = planar_little_endian(source, rows, columns, spp, bps, options.get("byteorder", "<"),
                                    options.get("planar_configuration", 0))
    try:
        return bytes(_rle_decode_frame(stream, rows, columns, spp, 8 * bps)) == expected
    except Exception:  # pydicom's decoder raises many types for damaged streams
        return False


# --- what it proves --------------------------------------------------------------------


@pytest.mark.parametrize("packing", ["pydicom", "compact"])
@pytest.mark.parametrize("name", [item.name for item in UNCOMPRESSED])
def test_the_encoders_certificate_proves_every_corpus_frame_and_a_decode_agrees(name, packing):
    (rows, columns, spp, bps, order, planar), sources = corpus_frames(name)
    options = dict(byteorder=order, planar_configuration=planar)
    for source in sources:
        stream, certificate = encoded(source, rows, columns, spp, bps, packing=packing, **options)
        assert certifies(stream, certificate, source, rows, columns, spp, bps, **options)
        assert decode_frame(stream, rows, columns, spp, bps) == planar_little_endian(
            source, rows, columns, spp, bps, order, planar
        )


GENERATED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(case=frames(), packing=st.sampled_from(("pydicom", "compact")))
def test_the_encoders_certificate_proves_generated_frames_and_a_decode_agrees(case, packing):
    source, rows, columns, spp, bps, order, planar = case
    options = dict(byteorder=order, planar_configuration=planar)
    stream, certificate = encoded(source, rows, columns, spp, bps, packing=packing, **options)
    assert certifies(stream, certificate, source, rows, columns, spp, bps, **options)
    assert decodes_to(stream, source, rows, columns, spp, bps, **options)


# --- damage it catches -----------------------------------------------------------------

ROWS, COLUMNS = 2, 200
# Row 0: 100 different bytes (a literal run), then 100 sevens (a replicate run).
# Row 1: 50 threes, then 150 alternating bytes (literal runs of 128 and 22); the segment
# then has an odd length: a padding byte follows, which a decoder reads as a control byte.
SOURCE = bytes(range(100)) + b"\x07" * 100 + b"\x03" * 50 + bytes([1, 2] * 75)


@pytest.fixture
def frame():
    """(stream, positions, kinds): the source encoded, its control byte positions, 'L'/'R'/'pad' per run."""
    stream, certificate = encoded(SOURCE, ROWS, COLUMNS, 1, 1)
    positions = [int(p) for p in certificate.positions]
    kinds = ["pad" if p == len(stream) - 1 else "L" if stream[p] < 128 else "R" for p in positions]
    assert kinds == ["L", "R", "R", "L", "L", "pad"]  # the layout the cases below rely on
    return bytearray(stream), positions, kinds


def proves(stream, positions, source=SOURCE, rows=ROWS, columns=COLUMNS, spp=1, bps=1) -> bool:
    return certifies(bytes(stream), Certificate(np.array(positions, dtype=np.intp)), source, rows, columns, spp, bps)


def test_the_undamaged_frame_is_proved(frame):
    stream, positions, _ = frame
    assert proves(stream, positions)


@pytest.mark.parametrize("run, new", [(0, 98), (0, 100), (1, 158), (1, 156), (1, 99), (3, 126)])
def test_a_wrong_control_byte_is_caught(frame, run, new):
    stream, positions, _ = frame
    stream[positions[run]] = new
    assert not decodes_to(stream, SOURCE, ROWS, COLUMNS, 1, 1)
    assert not proves(stream, positions)


@pytest.mark.parametrize("offset", [1, 50, 100])
def test_a_wrong_literal_byte_is_caught(frame, offset):
    stream, positions, _ = frame
    stream[positions[0] + offset] ^= 0x40
    assert not proves(stream, positions)


@pytest.mark.parametrize("run", [1, 2])
def test_a_wrong_replicate_value_is_caught(frame, run):
    stream, positions, _ = frame
    stream[positions[run] + 1] ^= 0x01
    assert not proves(stream, positions)


@pytest.mark.parametrize("at", [101, 150, 199, 201, 249])
def test_a_source_byte_changed_inside_a_replicate_run_is_caught(frame, at):
    stream, positions, _ = frame
    source = bytearray(SOURCE)
    source[at] ^= 0x10
    assert not decodes_to(stream, bytes(source), ROWS, COLUMNS, 1, 1)
    assert not proves(stream, positions, source=bytes(source))


def test_a_source_byte_changed_inside_a_literal_run_is_caught(frame):
    stream, positions, _ = frame
    source = bytearray(SOURCE)
    source[300] ^= 0x10
    assert not proves(stream, positions, source=bytes(source))


@pytest.mark.parametrize("run, by", [(0, 1), (1, 1), (1, -1), (2, 2), (3, -1), (4, 1), (5, -1)])
def test_a_shifted_position_is_caught(frame, run, by):
    stream, positions, _ = frame
    positions[run] += by
    assert not proves(stream, positions)


@pytest.mark.parametrize("run", range(6))
def test_a_missing_position_is_caught(frame, run):
    stream, positions, _ = frame
    del positions[run]
    assert not proves(stream, positions)


@pytest.mark.parametrize("extra", [64 + 30, 64 + 102, 64 + 300])
def test_an_extra_position_is_caught(frame, extra):
    stream, positions, _ = frame
    assert extra not in positions
    assert not proves(stream, sorted([*positions, extra]))


def test_another_frames_certificate_is_caught(frame):
    stream, _, _ = frame
    other = bytes(reversed(SOURCE))
    _, certificate = encoded(other, ROWS, COLUMNS, 1, 1)
    assert not proves(stream, [int(p) for p in certificate.positions])


def test_an_empty_or_two_dimensional_certificate_is_caught(frame):
    stream, positions, _ = frame
    assert not proves(stream, [])
    assert not certifies(bytes(stream), Certificate(np.array([positions])), SOURCE, ROWS, COLUMNS, 1, 1)


@pytest.fixture
def wide_frame():
    """A 16-bit frame: two segments."""
    source = np.arange(ROWS * COLUMNS, dtype="<u2").tobytes()
    stream, certificate = encoded(source, ROWS, COLUMNS, 1, 2)
    return bytearray(stream), [int(p) for p in certificate.positions], source


@pytest.mark.parametrize("by", [-2, -1, 1, 2])
def test_a_wrong_segment_offset_in_the_header_is_caught(wide_frame, by):
    stream, positions, source = wide_frame
    offset = struct.unpack_from("<L", stream, 8)[0]
    struct.pack_into("<L", stream, 8, offset + by)
    assert not proves(stream, positions, source=source, bps=2)


@pytest.mark.parametrize("count", [0, 1, 3, 15])
def test_a_wrong_segment_count_in_the_header_is_caught(wide_frame, count):
    stream, positions, source = wide_frame
    struct.pack_into("<L", stream, 0, count)
    assert not proves(stream, positions, source=source, bps=2)


@pytest.mark.parametrize("cut", [1, 2, 10, 100])
def test_a_truncated_frame_is_caught(wide_frame, cut):
    stream, positions, source = wide_frame
    assert not proves(stream[:-cut], positions, source=source, bps=2)


def _single_segment(segment: bytes) -> bytes:
    """An RLE frame of one segment."""
    return struct.pack("<16L", 1, 64, *[0] * 14) + segment


def test_a_run_across_two_rows_is_refused_though_it_decodes_to_the_source():
    # Two rows of 4 sevens as one replicate run of 8 (PS3.5 G.3.1: rows are encoded separately).
    stream = _single_segment(b"\xf9\x07")
    assert decodes_to(stream, b"\x07" * 8, 2, 4, 1, 1)
    assert not proves(stream, [64], source=b"\x07" * 8, rows=2, columns=4)
    assert proves(_single_segment(b"\xfd\x07\xfd\x07"), [64, 66], source=b"\x07" * 8, rows=2, columns=4)


def test_a_no_op_control_byte_is_refused_though_it_decodes_to_the_source():
    stream = _single_segment(b"\xfd\x07\x80\xfd\x07")
    assert decodes_to(stream, b"\x07" * 8, 2, 4, 1, 1)
    assert not proves(stream, [64, 66, 67], source=b"\x07" * 8, rows=2, columns=4)


def test_bad_arguments_raise_rle_error(frame):
    stream, positions, _ = frame
    certificate = Certificate(np.array(positions, dtype=np.intp))
    with pytest.raises(RLEError, match="source has 399 bytes"):
        certifies(bytes(stream), certificate, SOURCE[:-1], ROWS, COLUMNS, 1, 1)
    with pytest.raises(RLEError, match="byteorder"):
        certifies(bytes(stream), certificate, SOURCE, ROWS, COLUMNS, 1, 1, byteorder="=")
    with pytest.raises(RLEError, match="rows must be at least 1"):
        certifies(bytes(stream), certificate, SOURCE, 0, COLUMNS, 1, 1)


# --- it never proves what is false -------------------------------------------------------


@st.composite
def damaged(draw):
    """(stream, positions, source, geometry, options): a generated frame, its certificate, then damage."""
    source, rows, columns, spp, bps, order, planar = draw(frames())
    options = dict(byteorder=order, planar_configuration=planar)
    packing = draw(st.sampled_from(("pydicom", "compact")))
    stream, certificate = encoded(source, rows, columns, spp, bps, packing=packing, **options)
    stream, positions, source = bytearray(stream), [int(p) for p in certificate.positions], bytearray(source)
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(("stream", "position", "drop", "add", "source", "truncate")))
        if what == "stream":
            stream[draw(st.integers(0, len(stream) - 1))] = draw(st.integers(0, 255))
        elif what == "position" and positions:
            at = draw(st.integers(0, len(positions) - 1))
            positions[at] += draw(st.sampled_from((-2, -1, 1, 2)))
        elif what == "drop" and positions:
            del positions[draw(st.integers(0, len(positions) - 1))]
        elif what == "add":
            positions = sorted({*positions, draw(st.integers(0, len(stream) - 1))})
        elif what == "source":
            source[draw(st.integers(0, len(source) - 1))] ^= draw(st.integers(1, 255))
        elif what == "truncate" and len(stream) > 64:
            del stream[draw(st.integers(64, len(stream) - 1)) :]
    return bytes(stream), positions, bytes(source), (rows, columns, spp, bps), options


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damage_is_never_proved_unless_the_frame_still_decodes_to_the_source(case):
    stream, positions, source, geometry, options = case
    certificate = Certificate(np.array(positions, dtype=np.intp))
    if certifies(stream, certificate, source, *geometry, **options):
        assert decodes_to(stream, source, *geometry, **options)
