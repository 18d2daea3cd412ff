"""The numpy RLE codec, :mod:`dicompress.rle`, against pydicom and the peers.

* ``packing="pydicom"`` is byte-identical to pydicom's own encoder on every
  uncompressed image of pydicom's test files and pydicom-data, and on generated
  frames of every geometry and run structure (hypothesis);
* the decoder gives exactly what pydicom's decoder gives, on our streams and on
  streams written by DCMTK (``dcmcrle``) and GDCM;
* ``packing="compact"`` decodes to the same pixels and is never larger;
* bad arguments and bad streams raise :class:`~dicompress.rle.RLEError` with a
  one-line message.
"""

from functools import cache
import struct
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydicom import dcmread
from pydicom.encaps import generate_frames
from pydicom.pixels.decoders.rle import _rle_decode_frame
from pydicom.pixels.encoders.native import _encode_frame

from dicompress.rle import MAX_SEGMENTS, PACKINGS, RLEError, decode_frame, encode_frame, frame_decoder
from tests import corpus, peers


# --- references -------------------------------------------------------------------


class _Runner:
    """The little of pydicom's EncodeRunner that its native RLE encoder reads."""

    def __init__(self, samples_per_pixel: int, bytes_per_sample: int, columns: int):
        self.samples_per_pixel = samples_per_pixel
        self.bits_allocated = 8 * bytes_per_sample
        self.columns = columns

    def get_option(self, name, default=None):
        return default


def _samples(frame: bytes, rows, columns, spp, bps, byteorder="<", planar=0) -> np.ndarray:
    """The frame as an array (rows, columns, samples) of unsigned integers."""
    arr = np.frombuffer(frame, dtype=f"{byteorder}u{bps}")
    if planar:
        return arr.reshape(spp, rows, columns).transpose(1, 2, 0)
    return arr.reshape(rows, columns, spp)


def pydicom_encode(frame: bytes, rows, columns, spp, bps, byteorder="<", planar=0) -> bytes:
    """pydicom's native encoder on the frame, made little endian and interleaved first
    (the only layout pydicom's encoder handles itself)."""
    arr = _samples(frame, rows, columns, spp, bps, byteorder, planar)
    return _encode_frame(arr.astype(f"<u{bps}").tobytes(), _Runner(spp, bps, columns))


def planar_little_endian(frame: bytes, rows, columns, spp, bps, byteorder="<", planar=0) -> bytes:
    """What an RLE decoder returns: little-endian samples, one plane per sample."""
    arr = _samples(frame, rows, columns, spp, bps, byteorder, planar)
    return arr.transpose(2, 0, 1).astype(f"<u{bps}").tobytes()


# --- the corpus ---------------------------------------------------------------------

UNCOMPRESSED = corpus.images(uncompressed=True)


@cache
def corpus_frames(name: str) -> tuple[tuple, list[bytes]]:
    """((rows, columns, spp, bps, byteorder, planar), frames) of an uncompressed image."""
    item = corpus.image(name)
    data = item.read().PixelData
    size = item.frame_length
    frames = [data[i * size : (i + 1) * size] for i in range(item.frames)]
    geometry = (
        item.rows,
        item.columns,
        item.samples_per_pixel,
        item.sample_width,
        ">" if item.big_endian else "<",
        item.planar_configuration,
    )
    return geometry, frames


@cache
def corpus_encoded(name: str, packing: str) -> list[bytes]:
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    return [
        encode_frame(f, rows, columns, spp, bps, byteorder=order, planar_configuration=planar, packing=packing)
        for f in frames
    ]


def corpus_params():
    return [pytest.param(item.name, id=item.name) for item in UNCOMPRESSED]


@pytest.mark.parametrize("name", corpus_params())
def test_default_packing_is_byte_identical_to_pydicom(name):
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    expected = [pydicom_encode(f, rows, columns, spp, bps, order, planar) for f in frames]
    assert corpus_encoded(name, "pydicom") == expected


@pytest.mark.parametrize("name", corpus_params())
def test_decoding_our_stream_gives_planar_little_endian_samples(name):
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    decoded = [decode_frame(e, rows, columns, spp, bps) for e in corpus_encoded(name, "pydicom")]
    assert decoded == [planar_little_endian(f, rows, columns, spp, bps, order, planar) for f in frames]


@pytest.mark.parametrize("name", corpus_params())
def test_decoder_gives_what_pydicom_decoder_gives(name):
    (rows, columns, spp, bps, _, _), _ = corpus_frames(name)
    for encoded in corpus_encoded(name, "compact"):
        assert decode_frame(encoded, rows, columns, spp, bps) == _rle_decode_frame(
            encoded, rows, columns, spp, 8 * bps
        )


@pytest.mark.parametrize("name", corpus_params())
def test_compact_packing_decodes_to_the_same_pixels(name):
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    decoded = [decode_frame(e, rows, columns, spp, bps) for e in corpus_encoded(name, "compact")]
    assert decoded == [planar_little_endian(f, rows, columns, spp, bps, order, planar) for f in frames]


@pytest.mark.parametrize("name", corpus_params())
def test_compact_packing_is_never_larger_than_default(name):
    compact = corpus_encoded(name, "compact")
    default = corpus_encoded(name, "pydicom")
    assert all(len(c) <= len(d) for c, d in zip(compact, default))


def test_compact_packing_is_smaller_than_default_on_the_radiographs():
    for name in ("RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"):
        assert len(corpus_encoded(name, "compact")[0]) < len(corpus_encoded(name, "pydicom")[0]), name


# --- generated frames (hypothesis) ---------------------------------------------------

RUN_LENGTHS = (1, 2, 127, 128, 129, 130, 255, 256, 257)


@st.composite
def frames(draw):
    """(frame bytes, rows, columns, spp, bps, byteorder, planar): any geometry, and
    bytes made of runs of exactly 1, 2, 127, 128, 129, 130, 255, 256 and 257 bytes."""
    spp = draw(st.sampled_from((1, 3)))
    bps = draw(st.sampled_from((1, 2, 4) if spp == 3 else (1, 2, 4, 8)))
    rows = draw(st.integers(1, 4))
    columns = draw(st.one_of(st.just(1), st.integers(1, 300), st.sampled_from((127, 128, 129, 257, 511))))
    size = rows * columns * spp * bps
    runs = draw(
        st.lists(
            st.tuples(st.integers(0, 3), st.sampled_from(RUN_LENGTHS)),
            min_size=1,
            max_size=40,
        )
    )
    data = bytearray()
    while len(data) < size:
        for value, length in runs:
            data += bytes([value]) * length
    return (
        bytes(data[:size]),
        rows,
        columns,
        spp,
        bps,
        draw(st.sampled_from("<>")),
        draw(st.sampled_from((0, 1))),
    )


HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@HYPOTHESIS
@given(frames())
def test_generated_default_packing_is_byte_identical_to_pydicom(case):
    frame, rows, columns, spp, bps, order, planar = case
    ours = encode_frame(frame, rows, columns, spp, bps, byteorder=order, planar_configuration=planar)
    assert ours == pydicom_encode(frame, rows, columns, spp, bps, order, planar)


@pytest.fixture(params=["numpy", "python"])
def decoder_path(request, monkeypatch):
    """The numpy decoder (large frames) or the run-by-run one (small frames)."""
    monkeypatch.setattr(frame_decoder, "SMALL_FRAME", -1 if request.param == "numpy" else 1 << 40)
    return request.param


@HYPOTHESIS
@given(case=frames(), packing=st.sampled_from(PACKINGS))
def test_generated_frames_decode_to_planar_little_endian_samples(decoder_path, case, packing):
    frame, rows, columns, spp, bps, order, planar = case
    encoded = encode_frame(
        frame, rows, columns, spp, bps, byteorder=order, planar_configuration=planar, packing=packing
    )
    expected = planar_little_endian(frame, rows, columns, spp, bps, order, planar)
    assert decode_frame(encoded, rows, columns, spp, bps) == expected


@HYPOTHESIS
@given(frames())
def test_generated_compact_packing_is_never_larger(case):
    frame, rows, columns, spp, bps, order, planar = case
    kwargs = dict(byteorder=order, planar_configuration=planar)
    compact = encode_frame(frame, rows, columns, spp, bps, packing="compact", **kwargs)
    default = encode_frame(frame, rows, columns, spp, bps, **kwargs)
    assert len(compact) <= len(default)


@HYPOTHESIS
@given(data=st.binary(min_size=1, max_size=2000), columns=st.integers(1, 60))
def test_random_bytes_decode_as_pydicom_decodes_them(decoder_path, data, columns):
    rows = -(-len(data) // columns)
    frame = data.ljust(rows * columns, b"\x00")
    encoded = encode_frame(frame, rows, columns, 1, 1, packing="compact")
    assert decode_frame(encoded, rows, columns, 1, 1) == _rle_decode_frame(encoded, rows, columns, 1, 8)


# --- frame layout ---------------------------------------------------------------------


def test_header_lists_one_segment_per_byte_of_each_sample():
    encoded = encode_frame(bytes(range(24)), 2, 2, 3, 2)
    count, *offsets = struct.unpack("<16L", encoded[:64])
    assert count == 6
    assert offsets[0] == 64
    assert offsets[6:] == [0] * 9


def test_segments_are_padded_to_even_length():
    encoded = encode_frame(b"\x01\x02\x03", 1, 3, 1, 1)  # literal run: 4 bytes, no pad
    assert encoded[64:] == b"\x02\x01\x02\x03"
    encoded = encode_frame(b"\x01\x02", 1, 2, 1, 1)  # literal run: 3 bytes + pad
    assert encoded[64:] == b"\x01\x01\x02\x00"


def test_segment_order_is_most_significant_byte_first():
    encoded = encode_frame(b"\x34\x12", 1, 1, 1, 2)
    count, first, second = struct.unpack("<3L", encoded[:12])
    assert encoded[first : first + 2] == b"\x00\x12"
    assert encoded[second : second + 2] == b"\x00\x34"


def test_rows_are_encoded_separately():
    # Two rows of four equal bytes: one replicate run each, not one run of eight.
    encoded = encode_frame(b"\x07" * 8, 2, 4, 1, 1)
    assert encoded[64:] == b"\xfd\x07\xfd\x07"


def test_default_packing_makes_a_two_byte_repeat_a_replicate_run():
    row = b"\x01\x02\x05\x05\x03\x04"
    assert encode_frame(row, 1, 6, 1, 1)[64:] == b"\x01\x01\x02\xff\x05\x01\x03\x04"


def test_compact_folds_a_two_byte_repeat_into_the_literal_run():
    row = b"\x01\x02\x05\x05\x03\x04"
    assert encode_frame(row, 1, 6, 1, 1, packing="compact")[64:] == b"\x05\x01\x02\x05\x05\x03\x04\x00"


def test_compact_moves_the_odd_byte_of_a_129_byte_run_into_the_literal_run():
    row = b"\x01\x02" + b"\x09" * 129
    assert encode_frame(row, 1, len(row), 1, 1)[64:] == b"\x01\x01\x02\x81\x09\x00\x09\x00"
    assert encode_frame(row, 1, len(row), 1, 1, packing="compact")[64:] == b"\x02\x01\x02\x09\x81\x09"


# --- errors ---------------------------------------------------------------------------


def test_more_than_15_segments_is_refused_with_a_message_naming_15():
    with pytest.raises(RLEError, match=r"\b15\b"):
        encode_frame(bytes(4 * 2 * 2), 2, 2, 4, 4)


def test_15_segments_are_fine():
    frame = bytes(range(15)) * 4
    encoded = encode_frame(frame, 2, 2, 15, 1)
    assert struct.unpack("<L", encoded[:4])[0] == MAX_SEGMENTS
    assert decode_frame(encoded, 2, 2, 15, 1) == _rle_decode_frame(encoded, 2, 2, 15, 8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rows=0), "rows"),
        (dict(columns=-1), "columns"),
        (dict(samples_per_pixel=0), "samples_per_pixel"),
        (dict(bytes_per_sample=1.5), "bytes_per_sample"),
        (dict(byteorder="="), "byteorder"),
        (dict(planar_configuration=2), "planar_configuration"),
        (dict(packing="best"), "packing"),
        (dict(src=bytes(5)), "expected 4 bytes"),
        (dict(src=None), "bytes-like"),
    ],
)
def test_bad_encode_arguments_raise_rle_error(kwargs, message):
    args = dict(src=bytes(4), rows=2, columns=2, samples_per_pixel=1, bytes_per_sample=1)
    args.update(kwargs)
    with pytest.raises(RLEError, match=message):
        encode_frame(**args)


def test_rle_error_is_a_value_error():
    assert issubclass(RLEError, ValueError)


def _frame(segments: list[bytes], count: int | None = None, offsets: list[int] | None = None) -> bytes:
    if offsets is None:
        offsets = []
        at = 64
        for seg in segments:
            offsets.append(at)
            at += len(seg)
    count = len(segments) if count is None else count
    header = struct.pack(f"<{1 + len(offsets)}L", count, *offsets).ljust(64, b"\x00")
    return header + b"".join(segments)


@pytest.mark.parametrize(
    "frame, geometry, message",
    [
        (b"\x01\x00\x00\x00", (2, 2, 1, 1), "shorter than its 64-byte header"),
        (_frame([b"\x00\x05"], count=16), (2, 2, 1, 1), "16 segments, more than the 15 allowed"),
        (_frame([b"\x00\x05", b"\x00\x05"]), (1, 1, 1, 1), r"2 segment\(s\), but 1 sample\(s\) of 1 byte\(s\) need 1"),
        (_frame([b"\x00\x05"], offsets=[60]), (1, 1, 1, 1), "offset 60 is inside the 64-byte header"),
        (_frame([b"\x00\x05"], offsets=[6400]), (1, 1, 1, 1), "offset 6400 is beyond the end of the data"),
        (_frame([b"\x00\x05", b"\x00\x05"], offsets=[66, 64]), (1, 1, 2, 1), "segment 2 offset 64 is not after"),
        (_frame([b"\xfe\x05"]), (2, 2, 1, 1), "decodes to 3 bytes, fewer than the 4 expected"),
        (_frame([b"\x02\x05\x06"]), (2, 2, 1, 1), "decodes to 2 bytes, fewer than the 4 expected"),
    ],
    ids=["short", "16 segments", "wrong count", "offset in header", "offset beyond", "offsets out of order",
         "too few bytes", "literal cut short"],
)
def test_bad_streams_raise_rle_error(decoder_path, frame, geometry, message):
    with pytest.raises(RLEError, match=message):
        decode_frame(frame, *geometry)


def test_rle_error_messages_are_one_line():
    with pytest.raises(RLEError) as info:
        decode_frame(_frame([b"\xfe\x05"]), 2, 2, 1, 1)
    assert "\n" not in str(info.value)


def test_a_segment_decoding_to_too_many_bytes_is_cut_like_pydicom_with_a_warning(decoder_path):
    frame = _frame([b"\xfa\x05\x00\x09"])  # 7 + 1 bytes for a 2 x 2 frame
    with pytest.warns(UserWarning, match="non-conformant padding"):
        ours = decode_frame(frame, 2, 2, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours == _rle_decode_frame(frame, 2, 2, 1, 8)
    assert ours == b"\x05" * 4


def test_a_literal_run_cut_short_by_the_end_of_the_segment_copies_what_is_there(decoder_path):
    frame = _frame([b"\x05\x01\x02\x03\x04"])  # says 6 bytes, has 4
    assert decode_frame(frame, 2, 2, 1, 1) == _rle_decode_frame(frame, 2, 2, 1, 8) == b"\x01\x02\x03\x04"


def test_no_op_control_128_and_a_trailing_replicate_control_produce_nothing(decoder_path):
    frame = _frame([b"\x80\x03\x01\x02\x03\x04\x80\xfe"])
    assert decode_frame(frame, 2, 2, 1, 1) == _rle_decode_frame(frame, 2, 2, 1, 8) == b"\x01\x02\x03\x04"


def test_a_no_op_control_between_long_replicate_runs_produces_nothing(decoder_path):
    # Few stream bytes for many output bytes: the numpy decoder repeats the stream bytes.
    frame = _frame([b"\xfa\x05\x80\xfa\x06"])
    assert decode_frame(frame, 2, 7, 1, 1) == _rle_decode_frame(frame, 2, 7, 1, 8) == b"\x05" * 7 + b"\x06" * 7


def test_a_huge_geometry_with_a_small_stream_is_refused_before_allocating():
    frame = encode_frame(bytes(4), 2, 2, 1, 1)
    with pytest.raises(RLEError, match="too few"):
        decode_frame(frame, 60000, 60000, 1, 1)


# --- streams written by the peers ------------------------------------------------------

PEER_FILES = [
    "CT_small.dcm", "MR_small.dcm", "US1_UNCR.dcm", "SC_rgb.dcm", "SC_rgb_16bit.dcm", "MR2_UNCR.dcm", "rtdose.dcm",
]


def _peer_frames(path, item) -> list[bytes]:
    ds = dcmread(path)
    return list(generate_frames(ds.PixelData, number_of_frames=item.frames))


def _check_peer_stream(path, name):
    item = corpus.image(name)
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    encoded = _peer_frames(path, item)
    assert len(encoded) == len(frames)
    for enc, frame in zip(encoded, frames):
        assert decode_frame(enc, rows, columns, spp, bps) == planar_little_endian(
            frame, rows, columns, spp, bps, order, planar
        )


@pytest.mark.peers
@pytest.mark.parametrize("name", PEER_FILES)
def test_streams_written_by_dcmtk_decode_to_the_original_pixels(name, tmp_path):
    peers.require_dcmtk()
    out = peers.dcmcrle(corpus.path(name), tmp_path / "dcmtk.dcm")
    _check_peer_stream(out, name)


@pytest.mark.peers
@pytest.mark.parametrize("name", PEER_FILES)
def test_streams_written_by_gdcm_decode_to_the_original_pixels(name, tmp_path):
    peers.require_gdcm()
    out = peers.gdcm_encode_rle(corpus.path(name), tmp_path / "gdcm.dcm")
    _check_peer_stream(out, name)
