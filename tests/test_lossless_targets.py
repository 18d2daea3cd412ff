"""The targets jpeg-ls, j2k and htj2k: every corpus image written, decoded again by peers, or refused in one line.

Each uncompressed image of pydicom's test files and pydicom-data is converted to JPEG-LS
Lossless, JPEG 2000 Lossless and HTJ2K Lossless through the service (the one path the
command line takes). A result must hold the source's pixel values as pydicom reads both
files, describe what it holds (Photometric Interpretation, Planar Configuration, Bits
Stored, Lossy Image Compression untouched) and keep every other element; and peers
must decode it to the same values: DCMTK's ``dcmdjpls`` the JPEG-LS files,
pylibjpeg-libjpeg the JPEG-LS codestreams, pylibjpeg-openjpeg the JPEG 2000 and HTJ2K
codestreams (both called directly), OpenJPH's
``ojph_expand`` the HTJ2K codestreams. An image a syntax cannot hold fails with
``unsupported`` and one line that says why.
"""

import subprocess
import sys
from functools import cache
from io import BytesIO

import libjpeg
import numpy as np
import openjpeg
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array
from pydicom.uid import UID, HTJ2KLossless, JPEG2000Lossless, JPEGLSLossless

import dicompress
from dicompress import errors
from dicompress.plugins import htj2k_encoder
from dicompress.reading.dicom_input import geometry, source_frames
from dicompress.service import Conversion, convert
from dicompress.writing import lossless
from dicompress.writing.verification import check_decoded_frame
from tests import corpus, peers
from tests.dicom_files import differing_elements, rewritten

SYNTAXES = {"jpeg-ls": JPEGLSLossless, "j2k": JPEG2000Lossless, "htj2k": HTJ2KLossless}
IMAGES = corpus.images(uncompressed=True)
NAMES = [image.name for image in IMAGES]

# What the syntaxes cannot hold: 32 bits per sample (PS3.5 8.2.3 stops JPEG-LS at 16 bits;
# pylibjpeg-openjpeg writes up to 24, OpenJPH as imagecodecs drives it up to 16).
THIRTY_TWO_BITS = {"SC_rgb_32bit.dcm", "SC_rgb_32bit_2frame.dcm", "SC_rgb_expb_32bit.dcm",
                   "SC_rgb_expb_32bit_2frame.dcm", "rtdose.dcm", "rtdose_1frame.dcm", "rtdose_expb.dcm",
                   "rtdose_expb_1frame.dcm"}
# A 3 x 3 RGB image: CharLS 2 (pyjpegls 1.5.1) finds its output buffer too small, and
# OpenJPEG cannot make 6 resolutions of 3 pixels; OpenJPH writes it.
TINY = {"SC_rgb_small_odd.dcm", "SC_rgb_small_odd_big_endian.dcm"}
REFUSED = {"jpeg-ls": THIRTY_TWO_BITS | TINY, "j2k": THIRTY_TWO_BITS | TINY, "htj2k": THIRTY_TWO_BITS}


@cache
def converted(name: str, target: str) -> Conversion | errors.ConversionError:
    """Return the conversion of corpus image `name` to `target`, or the error it fails with."""
    try:
        return convert(corpus.path(name).read_bytes(), target)
    except errors.ConversionError as exc:
        return exc


def written(name: str, target: str) -> Dataset:
    """Return the data set of a conversion that succeeded."""
    result = converted(name, target)
    assert isinstance(result, Conversion), f"{name} -> {target}: {result}"
    return dcmread(BytesIO(result.data))


def done(target: str) -> list[str]:
    """Return the corpus images `target` can hold."""
    return [name for name in NAMES if name not in REFUSED[target]]


#: (image, target) for every image a target can hold.
WRITTEN = [(name, target) for target in SYNTAXES for name in done(target)]


def values(ds: Dataset) -> np.ndarray:
    """Return the pixel values of `ds`, every frame, as pydicom reads them (colour as RGB)."""
    return ds.pixel_array


@pytest.mark.parametrize("target", SYNTAXES)
@pytest.mark.parametrize("name", NAMES)
def test_every_corpus_image_is_written_with_its_pixel_values_or_refused_in_one_line(name, target):
    result = converted(name, target)
    if name in REFUSED[target]:
        assert isinstance(result, errors.UnsupportedImageError), result
        assert "\n" not in str(result) and str(result).startswith(
            ("cannot encode frame 1 as", f"{SYNTAXES[target].name} cannot hold this image"))
        return
    assert isinstance(result, Conversion), result
    source, ours = corpus.image(name).read(), dcmread(BytesIO(result.data))
    assert ours.file_meta.TransferSyntaxUID == SYNTAXES[target]
    assert np.array_equal(values(ours), values(source))
    assert result.report.verified and result.report.target_syntax == SYNTAXES[target].name


@pytest.mark.parametrize(("name", "target"), WRITTEN)
def test_the_data_set_describes_what_was_written_and_keeps_everything_else(name, target):
    source, ours = corpus.image(name).read(), written(name, target)
    colour = int(source.get("SamplesPerPixel", 1)) > 1
    expected = source.PhotometricInterpretation
    if target != "jpeg-ls" and expected == "RGB":
        expected = "YBR_RCT"  # the reversible colour transform (PS3.5 8.2.4)
    assert ours.PhotometricInterpretation == expected
    assert ours.get("PlanarConfiguration") == (0 if colour else source.get("PlanarConfiguration"))
    assert (ours.BitsAllocated, ours.BitsStored, ours.HighBit, ours.PixelRepresentation) == (
        source.BitsAllocated, source.BitsStored, source.HighBit, source.PixelRepresentation)
    assert ours.get("LossyImageCompression") == source.get("LossyImageCompression")
    # The same elements as the RLE Lossless result (which tests/test_service.py checks), but what the codec changed.
    assert differing_elements(written(name, "rle"), ours) == (
        ["PhotometricInterpretation"] if expected != source.PhotometricInterpretation else [])


def colour_transform(codestream: bytes) -> int:
    """Return the multiple component transform flag of a JPEG 2000 codestream's COD marker (1: RCT)."""
    cod = codestream.index(b"\xff\x52")
    return codestream[cod + 8]  # marker, Lcod, Scod, then SGcod: progression order, layers (2), MCT


@pytest.mark.parametrize("target", ["j2k", "htj2k"])
@pytest.mark.parametrize(("name", "transform"), [
    ("US1_UNCR.dcm", 1), ("SC_rgb_16bit.dcm", 1), ("SC_ybr_full_uncompressed.dcm", 0), ("MR2_UNCR.dcm", 0)])
def test_the_codestream_uses_the_colour_transform_the_data_set_names(name, transform, target):
    ds = written(name, target)
    assert colour_transform(next(generate_frames(ds.PixelData, number_of_frames=1))) == transform
    assert (ds.PhotometricInterpretation == "YBR_RCT") == bool(transform)


@pytest.mark.parametrize("target", SYNTAXES)
def test_a_multi_frame_image_keeps_every_frame(target):
    ours = written("emri_small.dcm", target)
    assert int(ours.NumberOfFrames) == 10
    assert len(list(generate_frames(ours.PixelData, number_of_frames=10))) == 10
    assert np.array_equal(values(ours), values(corpus.image("emri_small.dcm").read()))


@pytest.mark.parametrize("target", SYNTAXES)
def test_signed_samples_stored_without_sign_extension_keep_their_values(target):
    # mlut_18.dcm: 12 of 16 bits, signed; some negative samples have the bits above High Bit clear,
    # others set (sign-extended): both are the same values.
    raw = np.frombuffer(corpus.image("mlut_18.dcm").read().PixelData, dtype="<u2")
    assert ((raw >= 0x800) & (raw < 0x1000)).any() and (raw >= 0xF800).any()
    assert np.array_equal(values(written("mlut_18.dcm", target)), values(corpus.image("mlut_18.dcm").read()))


@pytest.mark.parametrize("target", SYNTAXES)
def test_bits_set_above_bits_stored_are_refused_in_one_line(target):
    def overlay_bit(ds: Dataset) -> None:
        pixels = np.frombuffer(ds.PixelData, dtype="<u2").copy()
        pixels[0] |= 0x8000  # MR_small: 16 of 16 bits; say 12, and the top bit is not a pixel value
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
        ds.PixelData = pixels.tobytes()

    data = rewritten("MR_small.dcm", overlay_bit)
    with pytest.raises(errors.UnsupportedImageError) as raised:
        convert(data, target)
    assert str(raised.value) == (
        f"frame 1 has bits set above its 12 bits stored, which {SYNTAXES[target].name} would not keep; "
        "RLE Lossless (--syntax rle) keeps them")
    assert convert(data, "rle").report.verified


@pytest.mark.parametrize("target", SYNTAXES)
def test_a_one_bit_image_is_refused_in_one_line_naming_the_target(target):
    # A kept file (frontend.KEPT_CODES): the study keeps it unchanged.
    with pytest.raises(errors.BitPackedPixelDataError) as raised:
        convert(corpus.path("liver_1frame.dcm").read_bytes(), target)
    assert str(raised.value) == (
        f"the image has 1-bit pixels (Bits Allocated 1), which {SYNTAXES[target].name} cannot hold")


def test_thirty_two_bit_samples_are_refused_with_the_image_described():
    with pytest.raises(errors.UnsupportedImageError) as raised:
        convert(corpus.path("rtdose.dcm").read_bytes(), "j2k")
    assert str(raised.value) == (
        "JPEG 2000 Image Compression (Lossless Only) cannot hold this image (MONOCHROME2, 1 sample(s) per pixel, "
        "32 of 32 bits, unsigned); RLE Lossless (--syntax rle) can")


@pytest.mark.parametrize("target", SYNTAXES)
def test_a_frame_that_decodes_to_other_samples_fails_verification(target):
    ds = corpus.image("MR_small.dcm").read()
    shape = geometry(ds)
    plan = lossless.plan(ds, shape, SYNTAXES[target])
    frame = next(iter(source_frames(ds, shape)))
    stream = lossless.encode(frame, plan, 1)
    check_decoded_frame(stream, plan.syntax, plan.checker, frame, plan.options, 1)
    other = bytearray(frame)
    other[0] ^= 1
    with pytest.raises(errors.VerificationError, match="^frame 1 did not decode to the original pixels"):
        check_decoded_frame(stream, plan.syntax, plan.checker, bytes(other), plan.options, 1)


# --- peers decode our results ------------------------------------------------------------


@pytest.mark.peers
@pytest.mark.parametrize("name", done("jpeg-ls"))
def test_dcmtk_decodes_our_jpeg_ls_to_the_source(name, tmp_path):
    peers.require_tools("dcmdjpls")
    ours = tmp_path / "jls.dcm"
    ours.write_bytes(converted(name, "jpeg-ls").data)
    theirs = dcmread(peers.dcmdjpls(ours, tmp_path / "plain.dcm"))
    assert np.array_equal(values(theirs), values(corpus.image(name).read()))


@pytest.mark.peers
@pytest.mark.parametrize("name", done("jpeg-ls"))
def test_libjpeg_decodes_our_jpeg_ls_to_the_source(name):
    # The service checks JPEG-LS with CharLS, which wrote it (and DCMTK's decoder descends
    # from CharLS too): libjpeg is an implementation of its own.
    for frame, codestream in zip(frames_of(name), codestreams(name, "jpeg-ls"), strict=True):
        decoded = libjpeg.decode(codestream)
        signed = corpus.image(name).pixel_representation == 1
        bits = corpus.image(name).bits_stored
        if signed and decoded.dtype.kind == "u":  # JPEG-LS has no sign: libjpeg returns the stored bits
            decoded = decoded.astype(np.int64)
            decoded = np.where(decoded >= 1 << (bits - 1), decoded - (1 << bits), decoded)
        assert np.array_equal(decoded, frame)


def codestreams(name: str, target: str) -> list[bytes]:
    """Return the codestream of every frame of a result."""
    ds = written(name, target)
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))


def frames_of(name: str) -> list[np.ndarray]:
    """Return the source's pixel values frame by frame, colour as stored (YBR_FULL stays YBR_FULL)."""
    source = corpus.image(name).read()
    pixels = pixel_array(source, raw=True)
    return list(pixels) if int(source.get("NumberOfFrames", 1)) > 1 else [pixels]


@pytest.mark.peers
@pytest.mark.parametrize(("name", "target"), [(name, target) for name, target in WRITTEN if target != "jpeg-ls"])
def test_pylibjpeg_openjpeg_decodes_our_codestreams_to_the_source(name, target):
    for frame, codestream in zip(frames_of(name), codestreams(name, target), strict=True):
        assert np.array_equal(openjpeg.decode(codestream), frame)


def non_negative(name: str) -> bool:
    """Return whether every sample of corpus image `name` is 0 or more (ojph_expand writes no negatives)."""
    return int(values(corpus.image(name).read()).min()) >= 0


# Debian's ojph_expand (OpenJPH 0.9.0) decodes a 3 x 3 image as one flat colour, its own
# ojph_compress output of that image too; imagecodecs' OpenJPH 0.26 and OpenJPEG decode ours right.
@pytest.mark.peers
@pytest.mark.parametrize("name", [name for name in done("htj2k") if non_negative(name) and name not in TINY])
def test_openjph_decodes_our_htj2k_to_the_source(name, tmp_path):
    peers.require_tools("ojph_expand")
    for number, (frame, codestream) in enumerate(zip(frames_of(name), codestreams(name, "htj2k"), strict=True)):
        path = tmp_path / f"{number}.j2c"
        path.write_bytes(codestream)
        expanded = peers.ojph_expand(path, tmp_path / f"{number}.{'ppm' if frame.ndim == 3 else 'pgm'}")
        assert np.array_equal(peers.read_netpbm(expanded), frame)


# --- the HTJ2K plugin in pydicom ------------------------------------------------------------


def test_the_htj2k_plugin_serves_pydicoms_own_compress(tmp_path):
    dicompress.register()
    ds = corpus.image("US1_UNCR.dcm").read()
    source = values(ds)
    ds.compress(HTJ2KLossless, photometric_interpretation="YBR_RCT")
    assert ds.file_meta.TransferSyntaxUID == HTJ2KLossless
    ds.save_as(tmp_path / "htj2k.dcm")
    assert np.array_equal(values(dcmread(tmp_path / "htj2k.dcm")), source)


def test_the_htj2k_plugin_says_what_it_needs_and_serves_htj2k_lossless_only():
    assert htj2k_encoder.ENCODER_DEPENDENCIES == {HTJ2KLossless: ("numpy", "imagecodecs>=2026.3.6")}
    assert htj2k_encoder.is_available(HTJ2KLossless)
    assert not htj2k_encoder.is_available(UID("1.2.840.10008.1.2.4.202"))


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("target", SYNTAXES)
def test_the_command_line_writes_each_target(target, tmp_path):
    done_run = subprocess.run(
        [sys.executable, "-m", "dicompress", str(corpus.path("MR2_UNCR.dcm")), "-o", str(tmp_path),
         "--syntax", target], capture_output=True, text=True, timeout=300, check=False)
    assert done_run.returncode == 0, done_run.stdout + done_run.stderr
    ours = dcmread(tmp_path / "MR2_UNCR.dcm")
    assert ours.file_meta.TransferSyntaxUID == SYNTAXES[target]
    assert np.array_equal(values(ours), values(corpus.image("MR2_UNCR.dcm").read()))
