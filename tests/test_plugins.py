"""dicompress's encoder and decoder honour pydicom's plugin contract, on real images.

The reference for "correct" is pydicom's own RLE plugin where it is right (little
endian, Planar Configuration 0, *Bits Stored* filling *Bits Allocated*'s byte count,
8 or 16 bits), and a real decoder (pydicom, DCMTK's ``dcmdrle``) everywhere else.
"""

import struct

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.pixels.encoders.base import ENCODING_PROFILES
from pydicom.uid import RLELossless

from tests import corpus
from tests import peers

LABEL = "dicompress"


# --- helpers --------------------------------------------------------------------------


def encoded_frames(ds) -> list[bytes]:
    """Return every encapsulated frame of a compressed data set."""
    count = int(ds.get("NumberOfFrames") or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=count))


def compressed(item: corpus.Image, plugin: str, **options):
    """Return `item` read and compressed as RLE Lossless by `plugin`."""
    ds = item.read()
    ds.compress(RLELossless, encoding_plugin=plugin, generate_instance_uid=False, **options)
    return ds


def stored_values(ds) -> np.ndarray:
    """Return the stored pixel values of `ds` (no colour or modality processing)."""
    return pixel_array(ds, raw=True)


def decoded_by_dcmdrle(ds, tmp_path) -> np.ndarray:
    """Write the compressed `ds`, decode it with DCMTK's dcmdrle, return its stored values."""
    peers.require_dcmtk()
    source = tmp_path / "ours_rle.dcm"
    ds.save_as(source, enforce_file_format=True)
    result = peers.dcmdrle(source, tmp_path / "dcmdrle.dcm")
    return pixel_array(result, raw=True)


def segment_counts(ds) -> list[int]:
    """Return the number of segments announced by each RLE frame's header."""
    return [struct.unpack_from("<L", frame)[0] for frame in encoded_frames(ds)]


class Recorder:
    """Replaces every plugin function of a coder with one that records its label and fails.

    pydicom tries the available plugins in order and collects their failures, so after
    one encode or decode attempt ``calls`` is the order in which plugins are tried.
    """

    def __init__(self, coder, monkeypatch):
        self.calls: list[str] = []
        for label in list(coder._available):
            monkeypatch.setitem(coder._available, label, self._failing(label))

    def _failing(self, label):
        def plugin(src, runner):
            self.calls.append(label)
            raise RuntimeError(f"{label} refused on purpose")

        return plugin


def try_encode_ct_small() -> None:
    """Encode CT_small with no plugin named (every plugin is expected to fail)."""
    ds = corpus.image("CT_small.dcm").read()
    with pytest.raises(RuntimeError, match="exceptions were raised by all available plugins"):
        RLELosslessEncoder.encode(ds)


def try_decode_mr_small_rle() -> None:
    """Decode MR_small_RLE with no plugin named (every plugin is expected to fail)."""
    with pytest.raises(RuntimeError, match="exceptions were raised by all available plugins"):
        pixel_array(corpus.path("MR_small_RLE.dcm"))


# --- registration ---------------------------------------------------------------------


def test_register_adds_the_encoder_plugin(pristine_plugins):
    import dicompress

    dicompress.register()

    assert LABEL in RLELosslessEncoder.available_plugins


def test_register_adds_the_decoder_plugin(pristine_plugins):
    import dicompress

    dicompress.register()

    assert LABEL in RLELosslessDecoder.available_plugins


def test_register_twice_changes_nothing(pristine_plugins):
    import dicompress

    dicompress.register()
    first = (
        list(RLELosslessEncoder._available),
        list(RLELosslessDecoder._available),
        list(ENCODING_PROFILES[RLELossless]),
    )
    dicompress.register()
    second = (
        list(RLELosslessEncoder._available),
        list(RLELosslessDecoder._available),
        list(ENCODING_PROFILES[RLELossless]),
    )

    assert second == first


def test_register_adds_each_wide_profile_once(pristine_plugins):
    import dicompress

    before = len(ENCODING_PROFILES[RLELossless])
    dicompress.register()
    dicompress.register(prefer=False)
    dicompress.register()

    # MONOCHROME1 and MONOCHROME2 at 32/64 bits, RGB at 32 bits.
    assert len(ENCODING_PROFILES[RLELossless]) == before + 3


def test_prefer_true_encoder_tries_dicompress_first(pristine_plugins, monkeypatch):
    import dicompress

    dicompress.register(prefer=True)
    recorder = Recorder(RLELosslessEncoder, monkeypatch)
    try_encode_ct_small()

    assert recorder.calls[0] == LABEL
    assert recorder.calls.count(LABEL) == 1


def test_prefer_false_encoder_tries_dicompress_last(pristine_plugins, monkeypatch):
    import dicompress

    dicompress.register(prefer=False)
    recorder = Recorder(RLELosslessEncoder, monkeypatch)
    try_encode_ct_small()

    assert recorder.calls[-1] == LABEL
    assert recorder.calls.count(LABEL) == 1
    assert len(recorder.calls) > 1


def test_prefer_true_decoder_tries_dicompress_first(pristine_plugins, monkeypatch):
    import dicompress

    dicompress.register(prefer=True)
    recorder = Recorder(RLELosslessDecoder, monkeypatch)
    try_decode_mr_small_rle()

    assert recorder.calls[0] == LABEL


def test_prefer_false_decoder_tries_dicompress_last(pristine_plugins, monkeypatch):
    import dicompress

    dicompress.register(prefer=False)
    recorder = Recorder(RLELosslessDecoder, monkeypatch)
    try_decode_mr_small_rle()

    assert recorder.calls[-1] == LABEL
    assert len(recorder.calls) > 1


def test_register_prefer_false_after_prefer_true_moves_the_plugins_last(pristine_plugins):
    import dicompress

    dicompress.register(prefer=True)
    dicompress.register(prefer=False)

    assert list(RLELosslessEncoder._available)[-1] == LABEL
    assert list(RLELosslessDecoder._available)[-1] == LABEL


def test_preferred_plugin_encodes_when_none_is_named(registered):
    # "compact" packing is an option only dicompress knows; its stream is smaller than
    # pydicom's, GDCM's or pylibjpeg's, so the bytes tell which plugin ran.
    item = corpus.image("CT_small.dcm")
    unnamed = item.read()
    unnamed.compress(RLELossless, rle_packing="compact", generate_instance_uid=False)
    ours = compressed(item, LABEL, rle_packing="compact")
    theirs = compressed(item, "pydicom")

    assert encoded_frames(unnamed) == encoded_frames(ours)
    assert encoded_frames(ours) != encoded_frames(theirs)


def test_plugin_is_unknown_to_pydicom_before_register(pristine_plugins):
    ds = corpus.image("CT_small.dcm").read()

    with pytest.raises(ValueError, match="No plugin named 'dicompress' has been added"):
        ds.compress(RLELossless, encoding_plugin=LABEL)


# --- byte-identical to pydicom's plugin where pydicom's plugin is right ---------------


def _pydicom_plugin_is_right(item: corpus.Image) -> bool:
    in_profile = any(
        item.photometric_interpretation == pi
        and item.samples_per_pixel == spp
        and item.pixel_representation in pr
        and item.bits_allocated in ba
        and item.bits_stored in bs
        for pi, spp, pr, ba, bs in ENCODING_PROFILES[RLELossless]
    )
    return (
        in_profile
        and not item.big_endian
        and (item.samples_per_pixel == 1 or item.planar_configuration == 0)
        and item.bits_allocated in (8, 16)
        and item.stored_width == item.sample_width
    )


REFERENCE_IMAGES = corpus.images(uncompressed=True, where=_pydicom_plugin_is_right)


def test_reference_corpus_is_the_expected_size():
    # Guards the parametrisation below against a silently empty or shrunken corpus.
    names = {item.name for item in REFERENCE_IMAGES}
    assert {"CT_small.dcm", "MR_small.dcm", "US1_UNCR.dcm", "RG1_UNCR.dcm", "SC_rgb.dcm"} <= names
    assert len(REFERENCE_IMAGES) >= 30


@pytest.mark.parametrize("item", REFERENCE_IMAGES, ids=str)
def test_stream_is_byte_identical_to_pydicoms_plugin(registered, item):
    ours = compressed(item, LABEL)
    theirs = compressed(item, "pydicom")

    assert encoded_frames(ours) == encoded_frames(theirs)


# --- Planar Configuration 1 -----------------------------------------------------------


def _planar_copy(name: str):
    """Return `name` read, its pixel data rewritten as Planar Configuration 1."""
    ds = corpus.image(name).read()
    values = stored_values(ds)  # (..., rows, columns, samples)
    planes = np.ascontiguousarray(np.moveaxis(values, -1, -3))
    ds.PixelData = planes.astype(planes.dtype.newbyteorder("<")).tobytes()
    ds.PlanarConfiguration = 1
    return ds


PLANAR_SOURCES = {
    "color-pl.dcm": lambda: corpus.image("color-pl.dcm").read(),  # a real PC 1 file
    "US1_UNCR-as-planar": lambda: _planar_copy("US1_UNCR.dcm"),
    "SC_rgb_16bit-as-planar": lambda: _planar_copy("SC_rgb_16bit.dcm"),
    "SC_rgb_32bit_2frame-as-planar": lambda: _planar_copy("SC_rgb_32bit_2frame.dcm"),
}


def test_planar_sources_really_are_planar():
    for make in PLANAR_SOURCES.values():
        ds = make()
        assert ds.PlanarConfiguration == 1
        assert ds.SamplesPerPixel == 3


@pytest.mark.parametrize("source", PLANAR_SOURCES, ids=str)
def test_planar_source_decodes_to_original_pixels_with_pydicom(registered, source):
    ds = PLANAR_SOURCES[source]()
    original = stored_values(ds)
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(stored_values(ds), original)


@pytest.mark.peers
@pytest.mark.parametrize("source", PLANAR_SOURCES, ids=str)
def test_planar_source_decodes_to_original_pixels_with_dcmdrle(registered, source, tmp_path):
    ds = PLANAR_SOURCES[source]()
    original = stored_values(ds)
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(decoded_by_dcmdrle(ds, tmp_path), original)


@pytest.mark.parametrize("source", PLANAR_SOURCES, ids=str)
def test_pydicoms_plugin_scrambles_planar_sources(registered, source):
    # Why the plugin exists: pydicom's own reads every source as interleaved.
    ds = PLANAR_SOURCES[source]()
    original = stored_values(ds)
    ds.compress(RLELossless, encoding_plugin="pydicom", generate_instance_uid=False)

    assert not np.array_equal(stored_values(ds), original)


def test_array_source_is_interleaved_whatever_the_data_set_says(registered):
    # pydicom hands an ndarray over as (rows, columns, samples), even when the data set
    # it came with says Planar Configuration 1.
    ds = PLANAR_SOURCES["color-pl.dcm"]()
    values = stored_values(ds)
    ds.compress(RLELossless, values, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(stored_values(ds), values)


# --- Bits Stored smaller than the container -------------------------------------------


def _narrow_copy(bits_allocated: int, bits_stored: int, signed: bool):
    """Return CT_small with its values rewritten to fit `bits_stored`, and those values.

    Unsigned: the CT values scaled to 0 .. 2**bits_stored - 1. Signed: the CT values
    shifted down so that about half are negative, clipped to the signed range.
    """
    ds = corpus.image("CT_small.dcm").read()
    ct = stored_values(ds).astype(np.int64)
    if signed:
        low, high = -(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1
        values = np.clip(ct - int(np.median(ct)), low, high)
        assert (values < 0).any()
    else:
        high = 2**bits_stored - 1
        values = (ct - ct.min()) * high // (ct.max() - ct.min())
    assert len(np.unique(values)) > 100  # still a real image
    dtype = f"<{'i' if signed else 'u'}{bits_allocated // 8}"
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    for keyword in ("SmallestImagePixelValue", "LargestImagePixelValue"):
        if keyword in ds:
            del ds[keyword]
    ds.PixelData = values.astype(dtype).tobytes()
    return ds, values


NARROW_CASES = {
    "BA16-BS8-unsigned": (16, 8, False),
    "BA32-BS12-signed": (32, 12, True),
    "BA16-BS12-signed": (16, 12, True),
    "BA16-BS8-signed": (16, 8, True),
    "BA32-BS16-unsigned": (32, 16, False),
    "BA32-BS8-unsigned": (32, 8, False),
    "BA64-BS12-signed": (64, 12, True),
}


@pytest.mark.parametrize("case", NARROW_CASES, ids=str)
def test_narrow_samples_decode_to_their_values_with_pydicom(registered, case):
    ds, values = _narrow_copy(*NARROW_CASES[case])
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(stored_values(ds), values)


@pytest.mark.peers
@pytest.mark.parametrize("case", NARROW_CASES, ids=str)
def test_narrow_samples_decode_to_their_values_with_dcmdrle(registered, case, tmp_path):
    ds, values = _narrow_copy(*NARROW_CASES[case])
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(decoded_by_dcmdrle(ds, tmp_path), values)


@pytest.mark.parametrize("case", NARROW_CASES, ids=str)
def test_narrow_samples_get_one_segment_per_allocated_byte(registered, case):
    bits_allocated, _, _ = NARROW_CASES[case]
    ds, _ = _narrow_copy(*NARROW_CASES[case])
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert segment_counts(ds) == [bits_allocated // 8 * ds.SamplesPerPixel]


# --- 32-bit RT Dose -------------------------------------------------------------------


def test_rtdose_is_refused_by_pydicoms_profiles_without_register(pristine_plugins):
    ds = corpus.image("rtdose.dcm").read()

    with pytest.raises(ValueError, match="is not valid for pixel data encoded with 'RLE Lossless'"):
        ds.compress(RLELossless, encoding_plugin="pydicom")


def test_rtdose_compresses_after_register(registered):
    ds = corpus.image("rtdose.dcm").read()
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert segment_counts(ds) == [4] * 15


@pytest.mark.peers
def test_rtdose_decodes_to_original_pixels_with_dcmdrle(registered, tmp_path):
    ds = corpus.image("rtdose.dcm").read()
    original = stored_values(ds)
    ds.compress(RLELossless, encoding_plugin=LABEL, generate_instance_uid=False)

    assert np.array_equal(decoded_by_dcmdrle(ds, tmp_path), original)


# --- big-endian sources ---------------------------------------------------------------

#: (big-endian file, the same image little endian). The big-endian files of the
#: SC_rgb_*bit family are not here: their values (0, 0x8080.., 0xFFFF..) read the same
#: in both byte orders.
BIG_ENDIAN_PAIRS = [
    ("MR_small_expb.dcm", "MR_small.dcm"),
    ("emri_small_big_endian.dcm", "emri_small.dcm"),
    ("rtdose_expb.dcm", "rtdose.dcm"),
    ("gdcm-US-ALOKA-16_big.dcm", "gdcm-US-ALOKA-16.dcm"),
]


def _wide_rgb(bits: int):
    """Return US1_UNCR widened to `bits`-bit RGB samples whose bytes all differ."""
    ds = corpus.image("US1_UNCR.dcm").read()
    v = stored_values(ds).astype(np.uint64)
    if bits == 16:
        values = (v << 8) | (255 - v)
    else:
        values = (v << 24) | ((255 - v) << 16) | ((v // 2) << 8) | (v // 3 + 7)
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    return ds, values.astype(f"u{bits // 8}")


@pytest.mark.parametrize("bits", [16, 32])
def test_big_endian_rgb_gives_the_little_endian_stream(registered, bits):
    ds, values = _wide_rgb(bits)
    big = values.astype(values.dtype.newbyteorder(">")).tobytes()
    little = values.astype(values.dtype.newbyteorder("<")).tobytes()

    from_big = _encode_every_frame(big, ds, LABEL, byteorder=">")
    from_little = _encode_every_frame(little, ds, LABEL)

    assert from_big == from_little


def _encode_options(ds) -> dict:
    return {
        "rows": ds.Rows,
        "columns": ds.Columns,
        "samples_per_pixel": ds.SamplesPerPixel,
        "number_of_frames": int(ds.get("NumberOfFrames") or 1),
        "bits_allocated": ds.BitsAllocated,
        "bits_stored": ds.BitsStored,
        "pixel_representation": ds.PixelRepresentation,
        "photometric_interpretation": ds.PhotometricInterpretation,
        "planar_configuration": int(ds.get("PlanarConfiguration") or 0),
    }


def _encode_every_frame(src: bytes, ds, plugin: str, **options) -> list[bytes]:
    settings = _encode_options(ds)
    count = settings["number_of_frames"]
    return [
        RLELosslessEncoder.encode(
            src, index=index if count > 1 else None, encoding_plugin=plugin,
            **settings, **options,
        )
        for index in range(count)
    ]


@pytest.mark.parametrize("big, little", BIG_ENDIAN_PAIRS, ids=[b for b, _ in BIG_ENDIAN_PAIRS])
def test_big_endian_source_gives_the_little_endian_stream(registered, big, little):
    big_ds, little_ds = corpus.image(big).read(), corpus.image(little).read()
    assert big_ds.PixelData != little_ds.PixelData  # really the raw big-endian bytes

    from_big = _encode_every_frame(big_ds.PixelData, big_ds, LABEL, byteorder=">")
    from_little = _encode_every_frame(little_ds.PixelData, little_ds, LABEL)

    assert from_big == from_little


def test_pydicoms_plugin_refuses_big_endian_sources(registered):
    ds = corpus.image("MR_small_expb.dcm").read()

    with pytest.raises(RuntimeError, match="Unsupported option \"byteorder = '>'\""):
        _encode_every_frame(ds.PixelData, ds, "pydicom", byteorder=">")


# --- decoder --------------------------------------------------------------------------

RLE_FILES = corpus.images(rle=True)


def test_rle_corpus_is_the_expected_size():
    assert len(RLE_FILES) >= 12


@pytest.mark.parametrize("item", RLE_FILES, ids=str)
def test_decoder_matches_pydicoms_decoder(registered, item):
    ours = pixel_array(item.path, decoding_plugin=LABEL, raw=True)
    theirs = pixel_array(item.path, decoding_plugin="pydicom", raw=True)

    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("item", RLE_FILES, ids=str)
def test_decompress_with_decoder_matches_pydicoms_decoder(registered, item):
    # Dataset.decompress() relies on the plugin reporting the planar configuration it
    # produced: the rewritten Pixel Data must come out the same as with pydicom's decoder.
    ours, theirs = item.read(), item.read()
    ours.decompress(decoding_plugin=LABEL, generate_instance_uid=False)
    theirs.decompress(decoding_plugin="pydicom", generate_instance_uid=False)

    assert ours.PixelData == theirs.PixelData
    assert ours.get("PlanarConfiguration") == theirs.get("PlanarConfiguration")


def test_decoder_is_used_by_dataset_pixel_array(registered):
    ds = dcmread(corpus.path("emri_small_RLE.dcm"))
    ds.pixel_array_options(decoding_plugin=LABEL)

    assert np.array_equal(ds.pixel_array, pixel_array(corpus.path("emri_small.dcm")))


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201"])
def test_the_page_encoder_is_on_each_smaller_syntax_and_unavailable_outside_pyodide(syntax):
    from pydicom.pixels import get_encoder

    from dicompress.plugins import wasm_encoder
    from dicompress.plugins.registration import PAGE_LABEL, add_plugins

    add_plugins()
    encoder = get_encoder(syntax)
    assert PAGE_LABEL not in encoder.available_plugins
    assert f"{PAGE_LABEL} - requires {wasm_encoder.ENCODER_DEPENDENCIES[syntax][0]}" in encoder.missing_dependencies
    assert not wasm_encoder.is_available(syntax)
