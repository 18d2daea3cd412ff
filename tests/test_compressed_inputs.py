"""Compressed inputs (JPEG, JPEG-LS, JPEG 2000, HTJ2K) converted with the codecs extra installed.

Every compressed file of pydicom's test files and pydicom-data goes through the service to
each target; the results hold exactly the pixels pydicom's decoder gives (YCbCr as RGB),
describe them correctly, and keep every other element.
"""

import shutil

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import (
    JPEG2000,
    MPEG2MPML,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEGLSNearLossless,
    RLELossless,
)

from dicompress import errors
from dicompress.cli.main import main
from dicompress.service import convert
from tests import corpus
from tests.cli_helpers import totals_line
from tests.compressed_files import (
    decodable_images,
    edited,
    frames_of,
    params,
    reference_frames,
    relabelled,
)
from tests.dicom_files import differing_elements, file_bytes, read

TARGETS = {"rle": RLELossless, "explicit": ExplicitVRLittleEndian, "deflate": DeflatedExplicitVRLittleEndian}
#: What converting a compressed source may change beyond what any conversion changes.
DESCRIBED_AGAIN = {"PhotometricInterpretation", "LossyImageCompression", "LossyImageCompressionMethod",
                   "LossyImageCompressionRatio"}
LOSSY_KEYWORDS = ("LossyImageCompression", "LossyImageCompressionMethod", "LossyImageCompressionRatio")


@pytest.fixture(scope="module")
def converted():
    """Return a cached ``(source bytes, result) `` for (file name, target)."""
    cache = {}

    def get(item: corpus.Image, target: str = "rle"):
        key = (item.name, target)
        if key not in cache:
            data = item.path.read_bytes()
            cache[key] = data, convert(data, target)
        return cache[key]

    return get


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("item", params(decodable_images()))
def test_result_holds_exactly_the_decoders_pixels(item, target, converted):
    data, result = converted(item, target)
    written = read(result.data)
    assert written.file_meta.TransferSyntaxUID == TARGETS[target]
    assert result.report.verified is True
    expected = reference_frames(read(data))
    actual = frames_of(written)
    assert len(actual) == len(expected) == item.frames
    for got, want in zip(actual, expected):
        assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize("item", params(decodable_images()))
def test_every_other_element_and_the_sop_instance_uid_are_kept(item, converted):
    data, result = converted(item)
    original, written = read(data), read(result.data)
    # pydicom writes no group lengths (gggg,0000), retired by PS3.5 7.2, whatever the source.
    group_lengths = {str(element.tag) for element in original if element.tag.element == 0}
    assert set(differing_elements(original, written)) - group_lengths <= DESCRIBED_AGAIN
    assert written.SOPInstanceUID == original.SOPInstanceUID
    assert written.file_meta.MediaStorageSOPInstanceUID == original.SOPInstanceUID


@pytest.mark.parametrize("item", params(decodable_images()))
def test_image_pixel_module_describes_the_written_pixels(item, converted):
    data, result = converted(item)
    original, written = read(data), read(result.data)
    colour = item.samples_per_pixel == 3
    assert written.PhotometricInterpretation == ("RGB" if colour else item.photometric_interpretation)
    assert written.SamplesPerPixel == item.samples_per_pixel
    assert written.get("PlanarConfiguration") == (1 if colour else original.get("PlanarConfiguration"))
    assert (written.BitsAllocated, written.BitsStored, written.HighBit, written.PixelRepresentation) == (
        original.BitsAllocated, original.BitsStored, original.HighBit, original.PixelRepresentation)


@pytest.mark.parametrize("name", ["examples_ybr_color.dcm", "color3d_jpeg_baseline.dcm"])
def test_ybr_full_422_jpeg_is_written_as_interleaved_rgb_when_decompressed(name, converted):
    item = corpus.image(name)
    assert item.photometric_interpretation == "YBR_FULL_422"
    written = read(converted(item, "explicit")[1].data)
    assert (written.PhotometricInterpretation, written.PlanarConfiguration, written.SamplesPerPixel) == ("RGB", 0, 3)
    assert len(written.PixelData) == item.rows * item.columns * 3 * item.frames


@pytest.mark.parametrize("name", ["US1_J2KR.dcm", "US1_J2KI.dcm"])
def test_jpeg_2000_colour_transforms_are_written_as_rgb(name, converted):
    item = corpus.image(name)
    assert item.photometric_interpretation in ("YBR_RCT", "YBR_ICT")
    assert read(converted(item)[1].data).PhotometricInterpretation == "RGB"


@pytest.mark.parametrize("name", ["examples_ybr_color.dcm", "emri_small_jpeg_2k_lossless.dcm",
                                  "emri_small_jpeg_ls_lossless.dcm"])
def test_multi_frame_files_keep_their_frame_order(name, converted):
    item = corpus.image(name)
    data, result = converted(item)
    expected = reference_frames(read(data))
    written = frames_of(read(result.data))
    assert len({frame.tobytes() for frame in expected}) > 1  # so that order shows
    assert [frame.tobytes() for frame in written] == [frame.tobytes() for frame in expected]


def test_progress_counts_the_decoded_frames():
    calls = []
    convert(corpus.path("emri_small_jpeg_ls_lossless.dcm").read_bytes(), progress=lambda *c: calls.append(c))
    assert calls == [(n, 10) for n in range(1, 11)]


# --- Lossy Image Compression (PS3.3 C.7.6.1.1.5) ---------------------------------------


def _lossy(data: bytes) -> tuple:
    ds = read(data)
    return tuple(ds.get(keyword) for keyword in LOSSY_KEYWORDS)


@pytest.mark.parametrize("name", ["SC_rgb_dcmtk_+eb+cy+np.dcm", "JPGExtended.dcm", "US1_J2KI.dcm",
                                  "SC_jpeg_no_color_transform.dcm"])
def test_a_source_that_says_it_is_lossy_keeps_its_record_as_it_is(name, converted):
    data, result = converted(corpus.image(name))
    assert _lossy(data)[0] == "01"
    assert _lossy(result.data) == _lossy(data)
    assert result.report.lossy_source is True


@pytest.mark.parametrize("target", TARGETS)
def test_a_lossy_stream_without_a_record_gets_01_its_method_and_ratio(target):
    data = file_bytes("JPEGLSNearLossless_08.dcm")  # NEAR = 2, no Lossy Image Compression
    assert _lossy(data) == (None, None, None)
    result = convert(data, target)
    source = read(data)
    ratio = source.Rows * source.Columns / len(source.PixelData)
    assert _lossy(result.data) == ("01", "ISO_14495_1", f"{ratio:.2f}")
    assert result.report.lossy_source is True


def test_an_irreversible_jpeg_2000_stream_without_a_record_is_marked_lossy():
    data = edited("MR2_J2KI.dcm", lambda ds: [ds.pop(k, None) for k in LOSSY_KEYWORDS])
    result = convert(data)
    written = read(result.data)
    assert (written.LossyImageCompression, written.LossyImageCompressionMethod) == ("01", "ISO_15444_1")
    assert float(written.LossyImageCompressionRatio) > 1
    assert result.report.lossy_source is True


@pytest.mark.parametrize("name, syntax", [
    ("MR2_J2KR.dcm", JPEG2000),                               # reversible 5-3 wavelet
    ("GDCMJ2K_TextGBR.dcm", JPEG2000),                        # the same, inside a JP2 file
    ("MR_small_jpeg_ls_lossless.dcm", JPEGLSNearLossless),    # NEAR = 0
])
def test_a_lossless_stream_in_a_syntax_that_allows_loss_is_not_marked_lossy(name, syntax):
    result = convert(relabelled(name, syntax, drop=LOSSY_KEYWORDS))
    assert _lossy(result.data) == (None, None, None)
    assert result.report.lossy_source is False


@pytest.mark.parametrize("name", ["MR2_J2KR.dcm", "JPEG-LL.dcm", "MR_small_jp2klossless.dcm"])
def test_a_lossless_source_keeps_its_record_as_it_is(name, converted):
    data, result = converted(corpus.image(name))
    assert _lossy(result.data) == _lossy(data)
    assert result.report.lossy_source is False


def test_an_uncompressed_file_that_says_it_was_lossy_is_reported_as_a_lossy_source():
    data = edited("CT_small.dcm", lambda ds: setattr(ds, "LossyImageCompression", "01"))
    assert convert(data).report.lossy_source is True
    assert convert(file_bytes("CT_small.dcm")).report.lossy_source is False


# --- what cannot be converted ------------------------------------------------------------


def test_a_syntax_pydicom_has_no_decoder_for_is_refused_with_its_name():
    with pytest.raises(errors.AlreadyCompressedError) as info:
        convert(relabelled("JPGExtended.dcm", MPEG2MPML))
    assert str(info.value) == (
        "the pixel data is compressed as MPEG2 Main Profile / Main Level, which pydicom has no decoder for; "
        "only uncompressed, RLE Lossless, JPEG, JPEG-LS and JPEG 2000 files can be converted"
    )
    assert info.value.code == "already-compressed"


def _garbled_codestream(ds: Dataset) -> None:
    """Keep the JPEG 2000 codestream's first marker and zero the rest."""
    (frame,) = generate_frames(ds.PixelData, number_of_frames=1)
    ds.PixelData = encapsulate([frame[:4] + bytes(len(frame) - 4)])


def test_a_stream_no_installed_decoder_reads_is_corrupt_pixel_data():
    with pytest.raises(errors.CorruptPixelDataError) as info:
        convert(edited("MR_small_jp2klossless.dcm", _garbled_codestream))
    message = str(info.value)
    syntax = "JPEG 2000 Image Compression (Lossless Only)"
    assert message.startswith(f"the {syntax} pixel data cannot be decoded: pylibjpeg: ")
    assert "\n" not in message


def test_a_jpeg_stream_libjpeg_refuses_names_libjpegs_reason():
    with pytest.raises(errors.CorruptPixelDataError, match="pylibjpeg: libjpeg error code '-1038'.*misplaced marker"):
        convert(file_bytes("JPEG-lossy.dcm"))


def test_missing_frames_are_reported_with_their_count():
    data = edited("examples_ybr_color.dcm", lambda ds: setattr(ds, "NumberOfFrames", 31))
    with pytest.raises(errors.CorruptPixelDataError, match="it holds 30 of 31 frames"):
        convert(data)


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_converts_compressed_files(tmp_path, capsys):
    names = ["US1_J2KR.dcm", "examples_ybr_color.dcm", "JPEGLSNearLossless_16.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm"]
    for name in names:
        shutil.copy(corpus.path(name), tmp_path / name)
    assert main([*(str(tmp_path / name) for name in names), "-o", str(tmp_path / "out")]) == 0
    for name in names:
        assert read((tmp_path / "out" / name).read_bytes()).file_meta.TransferSyntaxUID == RLELossless
    expected = f"{len(names)} files: {len(names)} converted, 0 copied, 0 up to date, 0 skipped, 0 failed"
    assert totals_line(capsys.readouterr().out) == expected


def test_the_command_line_keeps_a_file_nothing_here_decodes_and_names_why(tmp_path, capsys):
    source = tmp_path / "video.dcm"
    source.write_bytes(relabelled("JPGExtended.dcm", MPEG2MPML))
    why = "compressed as MPEG2 Main Profile / Main Level, which pydicom has no decoder for"
    assert main([str(source), "-o", str(tmp_path / "out")]) == 0
    assert f"kept unchanged: the pixel data is {why}" in capsys.readouterr().out
    assert (tmp_path / "out" / "video.dcm").read_bytes() == source.read_bytes()
    assert main([str(source), "-o", str(tmp_path / "strict"), "--strict"]) == 1
    assert why in capsys.readouterr().out

