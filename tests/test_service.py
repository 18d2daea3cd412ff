"""The file service: one DICOM file's bytes in, converted bytes and a report out."""

import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    RLELossless,
)

from pydicom.dataelem import RawDataElement

from dicompress import errors
from dicompress.reading.data_set_checks import count_elements
from dicompress.reading.dicom_input import read_dataset
from dicompress.service import convert, engine_name
from tests import peers
from tests.dicom_files import corrupt_rle_file, differing_elements, file_bytes, pixels, read, rewritten

SOURCES = [
    "CT_small.dcm",            # explicit VR little endian, 16-bit signed
    "MR_small_implicit.dcm",   # implicit VR little endian
    "MR_small_bigendian.dcm",  # explicit VR big endian
    "image_dfl.dcm",           # deflated explicit VR little endian
    "US1_UNCR.dcm",            # RGB
    "rtdose.dcm",              # 32-bit, 15 frames
    "SC_rgb_expb_16bit.dcm",   # 16-bit RGB, big endian
]


@pytest.mark.parametrize("name", SOURCES)
def test_rle_result_has_the_original_pixels_and_elements(name):
    data = file_bytes(name)
    result = convert(data, "rle")
    original, converted = read(data), read(result.data)
    assert converted.file_meta.TransferSyntaxUID == RLELossless
    assert (pixels(converted) == pixels(original)).all()
    assert differing_elements(original, converted) == []


def test_rle_result_keeps_the_sop_instance_uid():
    data = file_bytes("CT_small.dcm")
    converted = read(convert(data).data)
    assert converted.SOPInstanceUID == read(data).SOPInstanceUID
    assert converted.file_meta.MediaStorageSOPInstanceUID == read(data).SOPInstanceUID


def test_colour_rle_result_is_planar_configuration_1():
    converted = read(convert(file_bytes("US1_UNCR.dcm")).data)
    assert converted.PlanarConfiguration == 1


def test_report_describes_the_conversion():
    data = file_bytes("rtdose.dcm")
    result = convert(data)
    report = result.report.as_dict()
    assert report["source_syntax"] == "Implicit VR Little Endian"
    assert report["target_syntax"] == "RLE Lossless"
    assert report["input_bytes"] == len(data)
    assert report["output_bytes"] == len(result.data)
    assert report["ratio"] == pytest.approx(len(data) / len(result.data))
    assert report["frames"] == 15
    assert report["elements"] == len(list(read(result.data).iterall()))
    assert report["plugin"] == "dicompress"
    assert report["verified"] is True
    assert report["seconds"] > 0


def test_progress_is_reported_after_every_frame():
    calls = []
    convert(file_bytes("rtdose.dcm"), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 15) for n in range(1, 16)]


def test_inspect_sees_the_data_set_and_the_first_frame_once_before_it_is_encoded():
    data = file_bytes("rtdose.dcm")
    seen = []
    result = convert(data, inspect=lambda ds, shape, frame: seen.append((ds.Modality, shape.frames, frame)),
                     progress=lambda done, total: seen.append(done))
    frames = pixels(read(data))
    assert [s for s in seen if not isinstance(s, int)] == [("RTDOSE", 15, frames[0].tobytes())]
    assert seen[:2] == [seen[0], 1] and isinstance(seen[0], tuple)  # before the first frame was done
    assert (pixels(read(result.data)) == frames).all()


@pytest.mark.parametrize("name", [*SOURCES, "rtplan.dcm", "UN_sequence.dcm", "nested_priv_SQ.dcm", "priv_SQ.dcm"])
def test_elements_are_counted_as_iterall_does_without_decoding_them(name):
    data = file_bytes(name)
    ds = read_dataset(data)
    raw_before = sum(isinstance(ds.get_item(tag, keep_deferred=True), RawDataElement) for tag in ds.keys())
    assert count_elements(ds) == len(list(read_dataset(data).iterall()))
    assert sum(isinstance(ds.get_item(tag, keep_deferred=True), RawDataElement) for tag in ds.keys()) == raw_before


def test_engine_name_names_numpy():
    assert engine_name().startswith("dicompress (numpy ")


@pytest.mark.parametrize("rle_name, plain_name", [
    ("MR_small_RLE.dcm", "MR_small.dcm"),
    ("emri_small_RLE.dcm", "emri_small.dcm"),
])
def test_explicit_target_decompresses_rle(rle_name, plain_name):
    result = convert(file_bytes(rle_name), "explicit")
    converted = read(result.data)
    assert converted.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert (pixels(converted) == pixels(read(file_bytes(plain_name)))).all()
    assert differing_elements(read(file_bytes(rle_name)), converted) == []


def test_decompressed_colour_is_interleaved():
    rle = convert(file_bytes("US1_UNCR.dcm")).data
    converted = read(convert(rle, "explicit").data)
    assert converted.PlanarConfiguration == 0
    assert (pixels(converted) == pixels(read(file_bytes("US1_UNCR.dcm")))).all()


def test_deflate_target_writes_deflated_explicit_vr():
    data = file_bytes("CT_small.dcm")
    result = convert(data, "deflate")
    converted = read(result.data)
    assert converted.file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    assert (pixels(converted) == pixels(read(data))).all()
    assert len(result.data) < len(data)


def test_rle_input_can_be_repacked_compact():
    default = convert(file_bytes("US1_UNCR.dcm")).data
    compact = convert(default, "rle", packing="compact")
    assert len(compact.data) <= len(default)
    assert (pixels(read(compact.data)) == pixels(read(default))).all()


def test_verification_rejects_a_wrong_stream(monkeypatch):
    from dicompress import rle

    real_encode = rle.encode_frame

    def corrupt_encode(*args, **kwargs):
        stream = bytearray(real_encode(*args, **kwargs))
        stream[-2] ^= 0x01  # the last data byte of the last segment (before padding)
        return bytes(stream)

    monkeypatch.setattr(rle, "encode_frame", corrupt_encode)
    with pytest.raises(errors.VerificationError, match="did not decode to the original pixels"):
        convert(file_bytes("CT_small.dcm"))


def _float_pixels(ds):
    ds.FloatPixelData = ds.PixelData
    del ds.PixelData


BAD_INPUTS = {
    "empty": (lambda: b"", errors.EmptyFileError, "empty"),
    "png": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(300), errors.NotDicomError, "not a DICOM file"),
    "truncated": (lambda: file_bytes("CT_small.dcm")[:20000], errors.TruncatedFileError,
                  "cut short: Pixel Data (7FE0,0010) should hold 32768 bytes but only"),
    "jpeg": (lambda: file_bytes("JPEG-lossy.dcm"), errors.CorruptPixelDataError,
             "the JPEG Extended (Process 2 and 4) pixel data cannot be decoded"),
    "no pixel data": (lambda: file_bytes("rtplan.dcm"), errors.NoPixelDataError,
                      "no Pixel Data"),
    "16-bit float": (lambda: rewritten("CT_small.dcm", _float_pixels), errors.GeometryError,
                     "Float Pixel Data (7FE0,0008) needs Bits Allocated 32, not 16"),
    "geometry": (lambda: rewritten("CT_small.dcm", lambda ds: setattr(ds, "Rows", 1000)),
                 errors.GeometryError, "holds 32768 bytes, but 1 frame(s) of 1000 x 128"),
    "huge": (lambda: rewritten("CT_small.dcm", lambda ds: ds.update(
        {"Rows": 65535, "Columns": 65535, "NumberOfFrames": 10000})),
        errors.GeometryError, "need 85896724500000"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_bad_input_raises_a_typed_one_line_error(case, target):
    make, error, text = BAD_INPUTS[case]
    with pytest.raises(error) as info:
        convert(make(), target)
    assert text in str(info.value)
    assert "\n" not in str(info.value)


def test_corrupt_rle_input_raises_a_typed_error():
    def damage(ds):
        stream = bytearray(ds.PixelData)
        stream[200:] = b"\xff" * (len(stream) - 200)
        ds.PixelData = bytes(stream)

    with pytest.raises(errors.CorruptPixelDataError, match="cannot be decoded"):
        convert(rewritten("MR_small_RLE.dcm", damage), "explicit")


@pytest.mark.parametrize("argument", [{"target": "jpeg"}, {"packing": "tight"}])
def test_unknown_options_are_programming_errors(argument):
    with pytest.raises(ValueError, match="unknown"):
        convert(file_bytes("CT_small.dcm"), **argument)


def test_convert_keeps_a_callers_plugin_order():
    from pydicom.pixels.encoders import RLELosslessEncoder

    from dicompress import register

    register(prefer=False)
    try:
        convert(file_bytes("CT_small.dcm"))
        # pydicom tries plugins in the order of its (private) dict of available ones.
        assert list(RLELosslessEncoder._available)[-1] == "dicompress"
    finally:
        register(prefer=True)


def test_convert_adds_missing_plugins_last_without_reordering(pristine_plugins):
    from pydicom.pixels.decoders import RLELosslessDecoder
    from pydicom.pixels.encoders import RLELosslessEncoder

    coders = (RLELosslessEncoder, RLELosslessDecoder)
    before = [list(coder._available) for coder in coders]
    convert(convert(file_bytes("CT_small.dcm")).data, "explicit")
    assert [list(coder._available) for coder in coders] == [order + ["dicompress"] for order in before]


@pytest.mark.parametrize("target", ["explicit", "rle"])
def test_a_frame_our_decoder_refuses_is_never_handed_to_another_plugin(target):
    # pydicom tries pylibjpeg-rle first when no plugin is named; it panics on this frame.
    peers.require_pylibjpeg_rle()
    with pytest.raises(errors.CorruptPixelDataError, match="cannot be decoded"):
        convert(corrupt_rle_file(), target)


@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_an_extended_offset_table_of_the_source_is_not_carried_over(target):
    from pydicom.encaps import encapsulate_extended, generate_frames

    def extended(ds):
        frames = list(generate_frames(ds.PixelData, number_of_frames=1))
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)

    converted = read(convert(rewritten("MR_small_RLE.dcm", extended), target).data)
    assert "ExtendedOffsetTable" not in converted and "ExtendedOffsetTableLengths" not in converted


# --- verification: certificates, the written file, memory ---------------------------------

CERTIFIED = ["CT_small.dcm", "US1_UNCR.dcm", "rtdose.dcm", "SC_rgb_expb_16bit.dcm", "MR_small_bigendian.dcm"]


@pytest.mark.parametrize("name", CERTIFIED)
def test_frames_proved_by_their_certificates_are_not_decoded(monkeypatch, name):
    from dicompress.writing import verification

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(verification, "decode_rle_frames", no_decoding)
    assert convert(file_bytes(name)).report.verified


def test_a_certificate_that_proves_nothing_falls_back_to_decoding(monkeypatch):
    from dicompress import rle
    from dicompress.rle.certificate import Certificate
    from dicompress.writing import verification

    real_encode, real_decode = rle.encode_frame, verification.decode_rle_frames
    decoded = []

    def shifted_certificate(*args, certify=None, **kwargs):
        return real_encode(*args, certify=lambda c: certify(Certificate(c.positions + 1)), **kwargs)

    def counted(*args, **kwargs):
        decoded.append(1)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(rle, "encode_frame", shifted_certificate)
    monkeypatch.setattr(verification, "decode_rle_frames", counted)
    data = file_bytes("rtdose.dcm")
    assert (pixels(read(convert(data).data)) == pixels(read(data))).all()
    assert len(decoded) == 15


def test_a_frame_changed_while_the_file_is_written_is_caught(monkeypatch):
    from dicompress.writing.file_writer import FileWriter

    real_add = FileWriter.add

    def damaging_add(self, data):
        return real_add(self, data[:-1] + bytes([data[-1] ^ 1]) if len(data) > 100 else data)

    monkeypatch.setattr(FileWriter, "add", damaging_add)
    with pytest.raises(errors.VerificationError, match="frame 1 did not decode to the original pixels"):
        convert(file_bytes("CT_small.dcm"))


def test_a_frame_missing_from_the_written_file_is_caught(monkeypatch):
    from dicompress.writing.file_writer import FileWriter

    real_add = FileWriter.add
    added = []

    def losing_the_last(self, data):
        added.append(data)
        return None if len(added) == 15 else real_add(self, data)

    monkeypatch.setattr(FileWriter, "add", losing_the_last)
    with pytest.raises(errors.VerificationError, match="14 of 15 frames were written"):
        convert(file_bytes("rtdose.dcm"))


def _rewritten_by_pydicom(output: bytes) -> bytes:
    """Return `output` read and written again by pydicom, Pixel Data encapsulated by pydicom's own encapsulate."""
    from io import BytesIO

    from pydicom.encaps import encapsulate, generate_frames

    ds = read(output)
    if ds.file_meta.TransferSyntaxUID == RLELossless:
        frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames") or 1)))
        ds.PixelData = encapsulate(frames)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("target", ["rle", "explicit", "deflate"])
@pytest.mark.parametrize("name", SOURCES)
def test_the_result_is_byte_for_byte_what_pydicom_writes(name, target):
    output = convert(file_bytes(name), target).data
    assert output == _rewritten_by_pydicom(output)


def test_the_extended_offset_table_is_used_when_the_basic_one_cannot_hold_the_offsets(monkeypatch):
    from io import BytesIO

    from pydicom.encaps import encapsulate_extended, generate_frames

    from dicompress.writing import file_writer

    monkeypatch.setattr(file_writer, "BASIC_OFFSET_LIMIT", 1000)
    data = file_bytes("rtdose.dcm")
    output = convert(data).data
    ds = read(output)
    assert (pixels(ds) == pixels(read(data))).all()
    frames = list(generate_frames(ds.PixelData, number_of_frames=15))
    ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(frames)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    assert output == buffer.getvalue()


def test_pixel_data_cut_short_in_a_large_file_is_reported():
    # Pixel Data this large is left in the input bytes when read: the check counts what is there.
    from io import BytesIO

    from pydicom import dcmread

    data = file_bytes("MR2_UNCR.dcm")
    start = dcmread(BytesIO(data), defer_size=1024).get_item("PixelData", keep_deferred=True).value_tell
    cut_short = r"Pixel Data \(7FE0,0010\) should hold 2097152 bytes but only 1048576 are"
    with pytest.raises(errors.TruncatedFileError, match=cut_short):
        convert(data[: start + 1048576])


def test_a_bytearray_input_is_left_as_it_was():
    data = bytearray(file_bytes("US1_UNCR.dcm"))
    before = bytes(data)
    assert convert(data).data == convert(before).data
    assert data == before


@pytest.mark.parametrize("syntax", [RLELossless, DeflatedExplicitVRLittleEndian])
def test_the_head_is_byte_for_byte_what_dcmwrite_writes_for_every_corpus_image(syntax):
    # writing.head writes the elements pydicom never decoded itself, as pydicom would write them.
    import zlib
    from io import BytesIO

    from pydicom import dcmwrite

    from dicompress.reading.data_set_checks import check_writable
    from dicompress.writing.head import head_parts
    from tests.corpus import all_images

    def head_of(data):  # as the service hands it to the writer
        ds = read_dataset(data)
        check_writable(ds)
        for tag in [tag for tag in ds.keys() if tag >= 0x7FE00008]:
            del ds[tag]
        ds.file_meta.TransferSyntaxUID = syntax
        return ds

    kinds = set()
    for image in all_images():
        data = image.path.read_bytes()
        try:
            expected = BytesIO()
            dcmwrite(expected, head_of(data), enforce_file_format=True)
        except errors.ConversionError:
            continue
        ds = head_of(data)
        kinds.add((ds.original_encoding, any(isinstance(e, RawDataElement) for e in ds.values())))
        meta, elements = head_parts(ds, syntax)
        if syntax == DeflatedExplicitVRLittleEndian:
            deflating = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            elements = deflating.compress(elements) + deflating.flush()
            elements += b"\0" * (len(elements) % 2)
        assert meta + elements == expected.getvalue(), image.name
    # Both paths were taken: raw elements written here, and whole heads written by pydicom.
    assert {((False, True), True), ((True, True), True), ((False, False), True)} <= kinds
