"""Our RLE Lossless files against the real peers: pylibjpeg-rle, GDCM and DCMTK.

* Files written by ``dicompress.service.convert(data, "rle")`` (both packings) decode to
  the original pixels with pylibjpeg-rle, python-gdcm (in a child interpreter) and
  DCMTK's ``dcmdrle``, and keep every other element of the source.
* Our decoder reads the RLE files DCMTK's ``dcmcrle`` and GDCM write.
* Sources that need care when read (8-bit OW pixels in big-endian files, excess Pixel
  Data padding) convert as faithfully as the peers convert them.
* "compact" packing is never larger than DCMTK's stream.

What GDCM itself cannot do (whoever encoded the stream) is a strict xfail, each proven to
be GDCM's own limit on a stream made by DCMTK or pydicom.

"Original pixels" are the stored values pydicom reads from the uncompressed source.
"""

from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, RLELossless

from dicompress.service import convert
from tests import corpus, peers

LABEL = "dicompress"
PACKINGS = ("pydicom", "compact")

#: The images every peer sees: the brief's list first, then more that are quick.
PEER_IMAGES = [
    "CT_small.dcm",  # 16-bit signed
    "MR_small.dcm",
    "US1_UNCR.dcm",  # RGB ultrasound
    "RG1_UNCR.dcm",  # 7 MB radiograph, Bits Stored 15
    "RG3_UNCR.dcm",  # Bits Stored 10
    "MR2_UNCR.dcm",  # Bits Stored 12
    "SC_rgb.dcm",
    "SC_rgb_16bit.dcm",
    "rtdose.dcm",  # 32-bit, 15 frames
    "OBXXXX1A.dcm",  # palette colour
    "emri_small.dcm",  # 10 frames
    # more, each adding something the ones above lack
    "color-pl.dcm",  # Planar Configuration 1
    "ExplVR_BigEnd.dcm",  # big endian and Planar Configuration 1
    "emri_small_big_endian.dcm",  # big endian, 16-bit, multi-frame
    "MR_small_implicit.dcm",  # Implicit VR
    "image_dfl.dcm",  # Deflated Explicit VR
    "SC_rgb_32bit_2frame.dcm",  # 12 segments per frame
    "SC_rgb_small_odd.dcm",  # 3 x 3, odd segment lengths
    "SC_ybr_full_uncompressed.dcm",
    "693_UNCR.dcm",  # signed, Bits Stored 14
    "mlut_18.dcm",  # signed, Bits Stored 12
    "gdcm-US-ALOKA-16.dcm",  # 16-bit palette colour
    "eCT_Supplemental.dcm",  # 2 frames of 512 x 512
]

#: Images python-gdcm 3.2.6 cannot *decode* correctly whoever encoded them; each is
#: shown to be GDCM's own limit by test_gdcm_decode_limit_is_gdcms_own (on DCMTK's or
#: pydicom's stream of the same image). Strict xfails, so a fixed GDCM shows up.
GDCM_CANNOT_DECODE = {
    "SC_rgb_16bit.dcm": "GDCM mis-decodes 16-bit RGB RLE (pixels come out wrong)",
    "SC_rgb_32bit_2frame.dcm": "GDCM cannot write multi-frame 32-bit RGB",
    "SC_rgb_small_odd.dcm": "GDCM refuses to decode this 3 x 3 RGB RLE frame",
}
#: Images python-gdcm 3.2.6 cannot *encode* as RLE (from the uncompressed source).
GDCM_CANNOT_ENCODE = {
    "SC_rgb_32bit_2frame.dcm": "GDCM cannot write multi-frame 32-bit RGB",
    "SC_rgb_small_odd.dcm": "GDCM aborts: gdcmRLECodec.cxx 'image_len % MaxNumSegments == 0'",
}
#: For each GDCM_CANNOT_DECODE image, an RLE file of it made by someone else.
_OTHER_RLE_OF = {
    "SC_rgb_16bit.dcm": ("pydicom", "SC_rgb_rle_16bit.dcm"),
    "SC_rgb_32bit_2frame.dcm": ("pydicom", "SC_rgb_rle_32bit_2frame.dcm"),
    "SC_rgb_small_odd.dcm": ("dcmcrle", "SC_rgb_small_odd.dcm"),
}


def _with_gdcm_limits(names, limits: dict[str, str]) -> list:
    """Return `names` as parameters, the ones in `limits` as strict xfails."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                raises=(peers.PeerError, AssertionError), strict=True, reason=limits[name]
            ),
        )
        if name in limits
        else name
        for name in names
    ]


_BINARY_WORDS = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}


# --- cached inputs and outputs ---------------------------------------------------------


@pytest.fixture(scope="module")
def original():
    """Return the stored pixel values of an uncompressed corpus image, by name."""
    cache: dict[str, np.ndarray] = {}

    def values(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = stored(corpus.path(name))
        return cache[name]

    return values


@pytest.fixture(scope="module")
def ours(module_tmp):
    """Return the path of our RLE conversion of an image, by name and packing."""
    cache: dict[tuple[str, str], Path] = {}

    def converted(name: str, packing: str) -> Path:
        if (name, packing) not in cache:
            result = convert(corpus.path(name).read_bytes(), "rle", packing=packing)
            path = module_tmp / f"ours-{packing}-{name}"
            path.write_bytes(result.data)
            cache[name, packing] = path
        return cache[name, packing]

    return converted


def _peer_output(kind: str, name: str, module_tmp: Path) -> Path:
    path = module_tmp / f"{kind}-{name}"
    if not path.exists():
        if kind == "dcmcrle":
            peers.dcmcrle(corpus.path(name), path)
        else:
            peers.gdcm_encode_rle(corpus.path(name), path)
    return path


def stored(src: "Path | Dataset", **options) -> np.ndarray:
    """Return the stored pixel values of a data set or of the file at a path.

    A file is read first: ``pixel_array(path)`` itself finds no Pixel Data in a
    Deflated Explicit VR file (pydicom 3.0.2).
    """
    ds = src if isinstance(src, Dataset) else dcmread(src)
    return pixel_array(ds, raw=True, **options)


# --- element comparison --------------------------------------------------------------


def _comparable(ds: Dataset, *, big_endian: bool) -> dict:
    """Return {tag: value} for every element a conversion must keep, recursively.

    Left out: the file meta (group 0002), Pixel Data and Planar Configuration, and the
    retired group length elements (gggg,0000), which pydicom drops on writing (they
    would be wrong anyway once Pixel Data changes length). Raw binary values (OW, OF,
    ...) of a big-endian source are byte-swapped to little endian first, as a
    little-endian file must hold them. VRs are not compared (an Implicit VR source has
    ambiguous ones that an explicit file resolves).
    """
    values = {}
    for element in ds:
        if (
            element.tag.group == 0x0002
            or element.tag.element == 0x0000
            or element.keyword in ("PixelData", "PlanarConfiguration")
        ):
            continue
        value = element.value
        if element.VR == "SQ":
            value = [_comparable(item, big_endian=big_endian) for item in value]
        elif big_endian and element.VR in _BINARY_WORDS and value:
            value = np.frombuffer(value, dtype=f">u{_BINARY_WORDS[element.VR]}").astype(
                f"<u{_BINARY_WORDS[element.VR]}").tobytes()
        values[element.tag] = value
    return values


# --- our files, decoded by the peers -------------------------------------------------


@pytest.mark.peers
@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_pylibjpeg_rle_decodes_our_file(name, packing, ours, original):
    peers.require_pylibjpeg_rle()

    assert np.array_equal(stored(ours(name, packing), decoding_plugin="pylibjpeg"), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("name", _with_gdcm_limits(PEER_IMAGES, GDCM_CANNOT_DECODE))
def test_gdcm_decodes_our_file(name, packing, ours, original, tmp_path):
    peers.require_gdcm()
    decoded = peers.gdcm_decode(ours(name, packing), tmp_path / "gdcm.dcm")

    assert dcmread(decoded).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert np.array_equal(stored(decoded), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_dcmdrle_decodes_our_file(name, packing, ours, original, tmp_path):
    peers.require_dcmtk()
    decoded = peers.dcmdrle(ours(name, packing), tmp_path / "dcmdrle.dcm")

    assert dcmread(decoded).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert np.array_equal(stored(decoded), original(name))


# --- our files keep everything but the pixel encoding --------------------------------


@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_our_file_is_rle_lossless(name, packing, ours):
    assert dcmread(ours(name, packing)).file_meta.TransferSyntaxUID == RLELossless


@pytest.mark.parametrize("packing", PACKINGS)
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_our_file_keeps_every_other_element(name, packing, ours):
    source = dcmread(corpus.path(name))
    big_endian = source.file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    result = dcmread(ours(name, packing))

    assert _comparable(result, big_endian=False) == _comparable(source, big_endian=big_endian)


@pytest.mark.parametrize("name", PEER_IMAGES)
def test_our_file_keeps_the_sop_instance_uid(name, ours):
    source = dcmread(corpus.path(name))
    result = dcmread(ours(name, "pydicom"))

    assert result.SOPInstanceUID == source.SOPInstanceUID


@pytest.mark.parametrize("name", PEER_IMAGES)
def test_our_file_meta_names_the_sop_instance(name, ours):
    # PS3.10 7.1: Media Storage SOP Instance UID is the data set's SOP Instance UID. The
    # source's own meta may disagree (rtdose.dcm: 1.2.999... vs 1.9.999...); ours may not.
    source = dcmread(corpus.path(name))
    result = dcmread(ours(name, "pydicom"))

    assert result.file_meta.MediaStorageSOPInstanceUID == source.SOPInstanceUID


# --- the peers' files, decoded by us --------------------------------------------------


@pytest.mark.peers
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_our_decoder_reads_dcmcrle_files(name, registered, original, module_tmp):
    peers.require_dcmtk()
    theirs = _peer_output("dcmcrle", name, module_tmp)
    assert dcmread(theirs).file_meta.TransferSyntaxUID == RLELossless

    assert np.array_equal(stored(theirs, decoding_plugin=LABEL), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_service_decompresses_dcmcrle_files(name, original, module_tmp):
    peers.require_dcmtk()
    theirs = _peer_output("dcmcrle", name, module_tmp)
    result = convert(theirs.read_bytes(), "explicit")

    assert np.array_equal(stored(dcmread_bytes(result.data)), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("name", _with_gdcm_limits(PEER_IMAGES, GDCM_CANNOT_ENCODE))
def test_our_decoder_reads_gdcm_files(name, registered, original, module_tmp):
    peers.require_gdcm()
    theirs = _peer_output("gdcm", name, module_tmp)
    assert dcmread(theirs).file_meta.TransferSyntaxUID == RLELossless

    assert np.array_equal(stored(theirs, decoding_plugin=LABEL), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("name", _with_gdcm_limits(PEER_IMAGES, GDCM_CANNOT_ENCODE))
def test_service_decompresses_gdcm_files(name, original, module_tmp):
    peers.require_gdcm()
    theirs = _peer_output("gdcm", name, module_tmp)
    result = convert(theirs.read_bytes(), "explicit")

    assert np.array_equal(stored(dcmread_bytes(result.data)), original(name))


@pytest.mark.peers
@pytest.mark.parametrize("name", sorted(GDCM_CANNOT_DECODE))
def test_gdcm_decode_limit_is_gdcms_own(name, original, module_tmp, tmp_path):
    # The same image encoded by pydicom (its own test file) or by DCMTK fails in GDCM too.
    peers.require_gdcm()
    maker, other = _OTHER_RLE_OF[name]
    rle = corpus.path(other) if maker == "pydicom" else _peer_output("dcmcrle", other, module_tmp)
    assert np.array_equal(stored(rle), original(name))  # a good stream (pydicom decodes it)
    try:
        decoded = stored(peers.gdcm_decode(rle, tmp_path / "gdcm.dcm"))
    except peers.PeerError:
        return
    assert not np.array_equal(decoded, original(name))


# --- sources that need care when read -------------------------------------------------

#: 8-bit pixel data stored with VR OW in Explicit VR Big Endian files, and the same image
#: little endian. OW values are 16-bit words, byte-swapped in a big-endian file, so each
#: pair of 8-bit samples is stored swapped (pydicom, DCMTK and GDCM all read it so).
BIG_ENDIAN_8BIT_OW = [
    ("OBXXXX1A_expb.dcm", "OBXXXX1A.dcm"),
    ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm"),  # 27 bytes: odd
]


@pytest.mark.peers
@pytest.mark.parametrize("name, twin", BIG_ENDIAN_8BIT_OW)
def test_dcmdrle_decodes_our_file_of_big_endian_8bit_ow_pixels(name, twin, ours, original, tmp_path):
    peers.require_dcmtk()
    source = dcmread(corpus.path(name))
    assert (source["PixelData"].VR, source.BitsAllocated) == ("OW", 8)
    assert np.array_equal(original(name), original(twin))  # pydicom reads it right
    decoded = peers.dcmdrle(ours(name, "pydicom"), tmp_path / "dcmdrle.dcm")

    assert np.array_equal(stored(decoded), original(twin))


@pytest.mark.peers
def test_excess_pixel_data_padding_is_ignored_as_dcmtk_and_pydicom_do(ours, original, tmp_path):
    # MR_small_padded.dcm: 8320 bytes of Pixel Data for 8192 bytes of pixels. pydicom
    # decodes it ("128 bytes of excess padding to be removed"), dcmcrle compresses it.
    peers.require_dcmtk()
    name = "MR_small_padded.dcm"
    assert len(dcmread(corpus.path(name)).PixelData) == 8192 + 128
    peers.dcmcrle(corpus.path(name), tmp_path / "dcmcrle.dcm")
    decoded = peers.dcmdrle(ours(name, "pydicom"), tmp_path / "dcmdrle.dcm")

    assert np.array_equal(stored(decoded), original(name))


def _frame_lengths(path: Path) -> list[int]:
    ds = dcmread(path)
    count = int(ds.get("NumberOfFrames") or 1)
    return [len(frame) for frame in generate_frames(ds.PixelData, number_of_frames=count)]


@pytest.mark.peers
@pytest.mark.parametrize("name", PEER_IMAGES)
def test_compact_frames_are_no_larger_than_dcmcrles(name, ours, module_tmp):
    # DCMTK folds 2-byte repeats into literals, beating pydicom's packing by 1-7 %;
    # "compact" must do at least as well on every frame. (GDCM is not compared: it
    # leaves segments odd-length, which PS3.5 G.3 forbids, so it saves a byte here and
    # there.)
    peers.require_dcmtk()
    theirs = _frame_lengths(_peer_output("dcmcrle", name, module_tmp))
    compact = _frame_lengths(ours(name, "compact"))

    assert len(compact) == len(theirs)
    assert all(mine <= other for mine, other in zip(compact, theirs))


def dcmread_bytes(data: bytes) -> Dataset:
    """Return the data set in the bytes of a DICOM file."""
    return dcmread(BytesIO(data))
