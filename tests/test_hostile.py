"""Hostile and broken input: every failure is a typed, one-line error, and limits hold (issue 10).

Nested sequences and deflate bombs are refused before pydicom recurses or inflates; frame
counts that disagree with the pixel data are errors that say how to proceed; every kind of
exception the service and the preview used to raise is now a typed error.
"""

import re
import statistics
import struct
import time
import tracemalloc
import warnings
import zlib

import numpy as np
import pytest
from pydicom.dataelem import DataElement
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.uid import ExplicitVRLittleEndian

from dicompress import errors
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.preview import describe
from dicompress.reading import structure
from dicompress.reading.dicom_input import read_dataset
from dicompress.service import convert
from tests import hostile_files
from tests.dicom_files import data_set_bytes, file_bytes, file_head, read, rewritten

TARGETS = ["rle", "explicit", "deflate"]


def _with_meta(name, change):
    """Return test file `name` with its data set unchanged and its file meta after `change(meta)`."""
    data = file_bytes(name)
    meta = read(data).file_meta
    change(meta)
    return file_head(meta) + data_set_bytes(data)


def _error(data, target="rle", **options):
    """Return the typed error converting `data` raises, after checking it is one short line."""
    with pytest.raises(errors.ConversionError) as info:
        convert(data, target, **options)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message and len(message) < 400
    return info.value


def _same_pixels(result, source):
    original, converted = read(source), read(result)
    return np.array_equal(original.pixel_array, converted.pixel_array)


# --- 1. nested sequences ------------------------------------------------------


@pytest.mark.parametrize("defined_length", [True, False], ids=["defined", "undefined"])
@pytest.mark.parametrize("target", TARGETS)
def test_1000_nested_sequences_are_refused_before_pydicom_reads_them(defined_length, target):
    error = _error(hostile_files.nested_sequences(1000, defined_length=defined_length), target)
    assert isinstance(error, errors.LimitExceededError)
    assert str(error) == ("sequences are nested more than 150 levels deep; real files nest a few levels "
                          "(limit max_sequence_depth)")


@pytest.mark.parametrize("defined_length", [True, False], ids=["defined", "undefined"])
@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_150_nested_sequences_convert_and_stay_nested(defined_length, implicit):
    source = hostile_files.nested_sequences(150, defined_length=defined_length, implicit=implicit)
    result = convert(source, "rle").data
    assert structure.check(result, DEFAULT_LIMITS) == 150
    assert _same_pixels(result, source)


def test_the_preview_refuses_deep_nesting_too():
    with pytest.raises(errors.LimitExceededError, match="nested more than 150 levels"):
        describe(hostile_files.nested_sequences(1000))


def test_the_depth_limit_can_be_lowered_and_raised():
    source = hostile_files.nested_sequences(151)
    with pytest.raises(errors.LimitExceededError, match="more than 150 levels"):
        convert(source)
    assert convert(source, limits=Limits(max_sequence_depth=151)).report.frames == 1
    with pytest.raises(errors.LimitExceededError, match="more than 10 levels"):
        convert(hostile_files.nested_sequences(11), limits=Limits(max_sequence_depth=10))


def test_nesting_deeper_than_pythons_stack_is_refused_whatever_the_limit():
    error = _error(hostile_files.nested_sequences(1000), limits=Limits(max_sequence_depth=5000))
    assert isinstance(error, errors.LimitExceededError)
    assert str(error).startswith("sequences are nested 1000 levels deep, more than Python's stack holds here")


# --- 2. frame counts that disagree with the pixel data ----------------------


@pytest.mark.parametrize("target", TARGETS)
def test_rle_frames_fewer_than_number_of_frames_are_an_error_with_advice(target):
    error = _error(hostile_files.rle_frames_lie(2), target)
    assert isinstance(error, errors.GeometryError)
    assert str(error) == (
        "the RLE Pixel Data holds 1 frame(s), but Number of Frames (0028,0008) says 2. If the data is "
        'right, set Number of Frames to 1 (e.g. dcmodify -i "(0028,0008)=1" FILE) and convert again'
    )


@pytest.mark.parametrize("target", TARGETS)
def test_native_frames_without_number_of_frames_are_an_error_with_advice(target):
    error = _error(hostile_files.native_frames_unannounced(), target)
    assert isinstance(error, errors.GeometryError)
    assert str(error) == (
        "the Pixel Data holds 6000 bytes, 15 frame(s) of 10 x 10 x 1 samples of 32 bits, but the file "
        "declares 1 frame (it has no Number of Frames (0028,0008)); converting would lose frames. If "
        'the data is right, set Number of Frames to 15 (e.g. dcmodify -i "(0028,0008)=15" FILE) and '
        "convert again"
    )


def test_following_the_advice_converts_every_frame():
    fixed = rewritten("rtdose.dcm", lambda ds: setattr(ds, "NumberOfFrames", 15))
    assert convert(fixed).report.frames == 15
    with pytest.raises(errors.GeometryError):
        convert(rewritten("rtdose.dcm", lambda ds: setattr(ds, "NumberOfFrames", 14)))


def test_padding_shorter_than_a_frame_is_dropped_as_pydicom_drops_it():
    source = rewritten("CT_small.dcm", lambda ds: setattr(ds, "PixelData", ds.PixelData + bytes(100)))
    assert _same_pixels(convert(source, "explicit").data, source)


def test_an_rle_file_too_small_for_its_geometry_is_refused_before_decoding():
    source = rewritten("MR_small_RLE.dcm", lambda ds: ds.update({"Rows": 65535, "Columns": 65535}))
    error = _error(source, "explicit")
    assert isinstance(error, errors.GeometryError)
    assert "RLE compresses 64 to 1 at most" in str(error)


# --- 3. every other exception is a typed error ------------------------------


def _rows_as(vr, value):
    return rewritten("CT_small.dcm", lambda ds: ds.__setitem__(0x00280010, DataElement(0x00280010, vr, value)))


@pytest.mark.parametrize("make, error, message", [
    (lambda: _rows_as("FD", float("inf")), errors.GeometryError, "Rows (0028,0010) is inf, not a whole number"),
    (lambda: _rows_as("DS", "1e400"), errors.GeometryError, "Rows (0028,0010) is '1e400', not a whole number"),
    (lambda: _rows_as("FD", 2.5), errors.GeometryError, "Rows (0028,0010) is 2.5, not a whole number"),
    (lambda: _rows_as("US", [64, 64]), errors.GeometryError, "Rows (0028,0010) is [64, 64], not a whole number"),
    (lambda: _with_meta("CT_small.dcm", lambda m: setattr(m, "TransferSyntaxUID", "1.2.3")),
     errors.NotDicomError, "not a DICOM file: its Transfer Syntax UID '1.2.3' names no transfer syntax"),
    (lambda: _with_meta("CT_small.dcm", lambda m: setattr(m, "TransferSyntaxUID", "")),
     errors.NotDicomError, "not a DICOM file: the file meta has no Transfer Syntax UID"),
    (lambda: rewritten("CT_small.dcm", lambda ds: setattr(ds, "PixelData", b"")),
     errors.NoPixelDataError, "the Pixel Data (7FE0,0010) is empty: nothing to convert"),
    (lambda: rewritten("CT_small.dcm", lambda ds: setattr(ds, "BitsStored", 0)), errors.GeometryError,
     "the image cannot be decoded as described: A (0028,0101) 'Bits Stored' value of '0' is invalid"),
    (lambda: rewritten("CT_small.dcm", lambda ds: setattr(ds, "SamplesPerPixel", 2)), errors.GeometryError,
     "the Pixel Data holds 32768 bytes, but 1 frame(s) of 128 x 128 x 2 samples of 16 bits need 65536"),
])
@pytest.mark.parametrize("target", TARGETS)
def test_values_pydicom_cannot_take_are_typed_errors(make, error, message, target):
    assert isinstance(found := _error(make(), target), error)
    assert str(found).startswith(message)


def _unknown_vr():
    data = bytearray(file_bytes("CT_small.dcm"))
    at = data.index(b"\x08\x00\x60\x00CS")  # Modality
    data[at + 4 : at + 6] = b"ZZ"
    return bytes(data)


def test_an_unknown_vr_is_a_damaged_file_before_anything_is_written():
    error = _error(_unknown_vr())
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ("Modality (0008,0060) cannot be decoded: Unknown Value Representation 'ZZ' "
                          "in tag (0008,0060)")


def test_a_damaged_deflate_stream_is_a_damaged_file():
    data = bytearray(file_bytes("image_dfl.dcm"))
    data[400:464] = b"\xff" * 64  # the first block's code lengths
    error = _error(bytes(data))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ("the deflated data set is damaged "
                          "(Error -3 while decompressing data: invalid bit length repeat)")


def test_a_cut_deflate_stream_is_a_truncated_file():
    error = _error(file_bytes("image_dfl.dcm")[:-1000])
    assert isinstance(error, errors.TruncatedFileError)
    assert str(error) == "the file is cut short: its deflated data set is incomplete"


def test_a_file_without_sop_uids_is_incomplete():
    def strip(ds):
        del ds.SOPClassUID, ds.SOPInstanceUID
        del ds.file_meta.MediaStorageSOPClassUID

    error = _error(rewritten("CT_small.dcm", strip))
    assert isinstance(error, errors.IncompleteDataSetError)
    assert str(error) == ("the file has no SOP Class UID (0008,0016), in its data set or its file meta, "
                          "and a DICOM file needs one")


def test_missing_media_storage_uids_are_taken_from_the_data_set():
    source = _with_meta("CT_small.dcm", lambda m: m.__delitem__("MediaStorageSOPInstanceUID"))
    converted = read(convert(source).data)
    assert converted.file_meta.MediaStorageSOPInstanceUID == converted.SOPInstanceUID


def _vr_replaced(data, header, vr):
    """Return `data` with the VR in the element header `header` (tag and VR) replaced by `vr`."""
    at = data.index(header)
    return data[: at + 4] + vr + data[at + 6 :]


def test_a_file_meta_element_of_another_vr_is_a_damaged_file():
    source = _vr_replaced(file_bytes("rtdose.dcm"), b"\x02\x00\x02\x00UI", b"US")
    error = _error(source)
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == "the file meta is damaged: Media Storage SOP Class UID (0002,0002) has VR US, not UI"


def test_a_sop_class_uid_of_another_vr_is_a_damaged_file():
    source = _vr_replaced(file_bytes("CT_small.dcm"), b"\x08\x00\x16\x00UI", b"SH")
    error = _error(source)
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == "the data set is damaged: SOP Class UID (0008,0016) has VR SH, not UI"


def test_rle_fragments_more_than_the_declared_frames_are_an_error_with_advice():
    source = rewritten("emri_small_RLE.dcm", lambda ds: ds.__delitem__("NumberOfFrames"))
    error = _error(source, "explicit")
    assert isinstance(error, errors.GeometryError)
    assert str(error).startswith("the RLE Pixel Data holds 10 frame(s), but the file declares 1 frame")


def test_an_offset_table_that_splits_the_fragments_otherwise_is_corrupt_pixel_data():
    def lying_table(ds):
        frames = list(generate_frames(ds.PixelData, number_of_frames=10))
        table = bytearray(encapsulate(frames, has_bot=True))
        table[12:16] = struct.pack("<L", 0xFFFFFFF0)  # the second frame's offset, beyond every fragment
        ds.PixelData = bytes(table)

    error = _error(rewritten("emri_small_RLE.dcm", lying_table), "explicit")
    assert isinstance(error, errors.CorruptPixelDataError)
    assert str(error) == "the RLE Pixel Data holds 10 frames, but its offset table splits them into 1"


def test_file_meta_elements_inside_the_data_set_are_a_damaged_file():
    data = bytearray(file_bytes("CT_small.dcm"))
    at = data.index(b"\x08\x00\x60\x00CS")  # Modality, after the data set's first elements
    data[at : at + 2] = b"\x02\x00"
    error = _error(bytes(data))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == "the file meta is damaged: its element (0002,0060) is in the data set"


@pytest.mark.parametrize("name, syntax", [
    ("MR_small_implicit.dcm", ExplicitVRLittleEndian),  # implicit VR data set labelled explicit
    ("MR_small.dcm", "1.2.840.10008.1.2"),  # explicit VR data set labelled implicit
])
@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_a_data_set_in_another_vr_encoding_than_its_label_converts(name, syntax, target):
    source = _with_meta(name, lambda m: setattr(m, "TransferSyntaxUID", syntax))
    assert _same_pixels(convert(source, target).data, file_bytes(name))


def test_an_element_without_a_valid_vr_in_an_explicit_data_set_converts():
    data = bytearray(file_bytes("CT_small.dcm"))
    at = data.index(b"\x08\x00\x60\x00CS")  # Modality, 2-byte length 2: "CT"
    data[at + 4 : at + 8] = struct.pack("<L", 2)  # as pydicom reads an invalid VR: implicit
    converted = read(convert(bytes(data), "explicit").data)
    assert converted.Modality == "CT" and converted["Modality"].VR == "CS"


def _pixel_data_without_vr(change):
    """Return CT_small.dcm after `change(ds)`, its Pixel Data header written without a VR."""
    data = rewritten("CT_small.dcm", change)
    at = data.index(b"\xe0\x7f\x10\x00OW\x00\x00")
    return data[:at + 4] + data[at + 8:]  # the length that follows reads as an invalid VR


def test_pixel_data_without_a_vr_converts_with_the_vr_pydicom_resolves():
    source = _pixel_data_without_vr(lambda ds: None)
    assert _same_pixels(convert(source, "explicit").data, file_bytes("CT_small.dcm"))


def test_pixel_data_whose_vr_cannot_be_resolved_is_a_damaged_file():
    error = _error(_pixel_data_without_vr(lambda ds: ds.__delitem__("BitsAllocated")))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ("Pixel Data (7FE0,0010) cannot be decoded: Failed to resolve ambiguous VR for tag "
                          "(7FE0,0010): 'FileDataset' object has no attribute 'BitsAllocated'")


def test_an_unexpected_failure_is_an_internal_error_with_its_cause(monkeypatch):
    import dicompress.service

    def broken(*args, **kwargs):
        raise ValueError("first line\nTraceback (most recent call last):\n  the gist")

    monkeypatch.setattr(dicompress.service, "read_dataset", broken)
    error = _error(file_bytes("CT_small.dcm"))
    assert isinstance(error, errors.InternalError)
    assert str(error) == "unexpected ValueError (the gist); the file was not converted"
    assert isinstance(error.__cause__, ValueError)


def test_running_out_of_memory_is_left_to_the_caller(monkeypatch):
    import dicompress.service

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(dicompress.service, "read_dataset", exhausted)
    with pytest.raises(MemoryError):
        convert(file_bytes("CT_small.dcm"))


@pytest.mark.parametrize("change, message", [
    (lambda ds: setattr(ds, "BitsStored", 0), "A (0028,0101) 'Bits Stored' value of '0' is invalid"),
    (lambda ds: ds.update({"SamplesPerPixel": 2, "PlanarConfiguration": 0, "Rows": 64}),
     "A (0028,0002) 'Samples per Pixel' value of '2' is invalid, it must be 1 or 3"),
    (lambda ds: setattr(ds, "PixelRepresentation", 48), "'Pixel Representation' value of '48' is invalid"),
])
def test_the_preview_raises_only_typed_errors(change, message):
    with pytest.raises(errors.GeometryError, match=re.escape(message)):
        describe(rewritten("CT_small.dcm", change))


def test_the_preview_turns_an_unexpected_failure_into_an_internal_error(monkeypatch):
    import dicompress.preview

    monkeypatch.setattr(dicompress.preview, "thumbnail", lambda *args: 1 / 0)
    with pytest.raises(errors.InternalError, match="unexpected ZeroDivisionError"):
        describe(file_bytes("CT_small.dcm"))


def test_long_library_messages_are_cut_to_one_short_line():
    exc = ValueError("Expected total bytes to be an even multiple\n" + "x" * 1000)
    assert errors.reason(exc) == "x" * (errors.REASON_LENGTH - 1) + "…"
    assert str(errors.DamagedFileError("a\n  b\tc")) == "a b c"


# --- 4. deflate bombs and huge elements ---------------------------------------


def test_a_6_gb_deflate_bomb_is_refused_without_holding_what_it_inflates_to():
    bomb = hostile_files.deflate_bomb(6 * 1024**3)
    tracemalloc.start()
    try:
        error = _error(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, errors.LimitExceededError)
    assert str(error) == ("the deflated data set inflates to more than 639.6 MB, over 100 times its 6.40 MB: "
                          "refused as a likely deflate bomb (limit max_inflation)")
    assert peak < 3 * len(bomb) + 64 * 1024**2


def test_a_small_file_that_inflates_beyond_the_ratio_but_within_the_floor_converts():
    source = hostile_files.deflate_bomb(10 * 1024**2)
    assert len(source) * DEFAULT_LIMITS.max_inflation < 10 * 1024**2 < DEFAULT_LIMITS.min_inflation_budget
    converted = read(convert(source, "explicit").data)
    assert converted[0x7FE11000].value == bytes(10 * 1024**2)


def test_the_inflation_limits_can_be_lowered_and_raised():
    source = hostile_files.deflate_bomb(20 * 1024**2)
    strict = Limits(min_inflation_budget=1024**2)
    with pytest.raises(errors.LimitExceededError, match="over 100 times its"):
        convert(source, limits=strict)
    assert convert(source, limits=Limits(min_inflation_budget=1024**2, max_inflation=2000)).data


def test_a_frame_over_the_frame_limit_is_refused_before_its_pixels_are_read():
    def huge(ds):
        ds.Rows = ds.Columns = 30000  # 30000 x 30000 x 3 samples of 8 bits: 2.7 GB in one frame
    source = rewritten("SC_rgb_rle.dcm", huge)  # 30000 x 30000 declared, the same small RLE frames held
    error = _error(source, limits=Limits(max_frame_bytes=1024**3))
    assert isinstance(error, errors.FrameTooLargeError)
    assert (error.code, error.frame_bytes, error.limit) == ("frame-too-large", 30000 * 30000 * 3, 1024**3)
    assert str(error) == "one frame of this file is 2.70 GB, over the limit of 1.07 GB (max_frame_bytes)"


def test_frames_are_not_limited_by_default_and_a_frame_at_the_limit_converts():
    source = file_bytes("CT_small.dcm")  # 128 x 128 x 16 bits: 32,768 bytes a frame
    assert DEFAULT_LIMITS.max_frame_bytes is None
    assert convert(source, limits=Limits(max_frame_bytes=128 * 128 * 2)).report.frames == 1
    assert isinstance(_error(source, limits=Limits(max_frame_bytes=128 * 128 * 2 - 1)), errors.FrameTooLargeError)


def test_an_element_longer_than_the_file_is_refused_before_it_is_read():
    error = _error(hostile_files.oversized_element(0xFFFFFFF0))
    assert isinstance(error, errors.TruncatedFileError)
    assert str(error) == "the file is cut short: (7FE1,1000) should hold 4294967280 bytes but only 4 are present"


# --- 7. the RLE decoder on overrunning segments ------------------------------


def test_an_overrunning_segment_with_0x80_bytes_decodes_as_pydicom_decodes_it():
    # The frame of issue 10, item 7: rle.decode_frame raised a plain ValueError on it.
    from dicompress import rle

    frame = struct.pack("<16L", 1, 64, *[0] * 14) + b"\x80\x81\x07" * 8200
    options = {"rows": 512, "columns": 512, "samples_per_pixel": 1, "bits_allocated": 8, "bits_stored": 8,
               "pixel_representation": 0, "photometric_interpretation": "MONOCHROME2", "number_of_frames": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = rle.decode_frame(frame, 512, 512, 1, 1)
        theirs = RLELosslessDecoder.as_buffer(encapsulate([frame]), decoding_plugin="pydicom", **options)[0]
    assert bytes(ours) == bytes(theirs)


def test_the_inflated_size_check_reads_what_zlib_reads():
    stream = zlib.compress(b"abc" * 1000)[2:-4]  # raw deflate
    assert structure.inflate(stream + b"trailing", DEFAULT_LIMITS) == b"abc" * 1000


# --- the batch the browser tests add to the page -----------------------------


BROWSER_BATCH = hostile_files.browser_batch()


@pytest.mark.parametrize("name, data, code", BROWSER_BATCH, ids=[name for name, _, _ in BROWSER_BATCH])
def test_the_browser_batch_ends_as_it_declares_on_cpython(name, data, code):
    if code is None:
        assert convert(data).data
    else:
        assert _error(data).code == code


# --- 8. bounded work: the walk stops at the first element a data set cannot hold ------

#: 100 MB of zero bytes after CT_small.dcm's data set: 13 million elements (0000,0000) of length 0.
ZEROS = 100 * 10**6
ZEROS_REFUSED = "the data set holds the command element (0000,0000), which a DICOM file cannot hold"
#: Refusing the zeros may take this many times converting the same data set without them.
ZEROS_RATIO = 3


def test_100_mb_of_deflated_zeros_after_the_data_set_are_refused_at_the_first_of_them():
    error = _error(hostile_files.deflated_trailing_zeros(ZEROS))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ZEROS_REFUSED


def test_zeros_after_the_data_set_of_a_plain_file_are_refused_at_the_first_of_them():
    error = _error(file_bytes("MR_small.dcm") + bytes(1 << 20))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ZEROS_REFUSED


def test_refusing_100_mb_of_deflated_zeros_takes_a_small_multiple_of_converting_the_data_set():
    # A ratio against the same data set without the zeros, measured in the same run, not a wall clock.
    zeros, ordinary = hostile_files.deflated_trailing_zeros(ZEROS), hostile_files.deflated_trailing_zeros(0)
    assert convert(ordinary).data

    def seconds(data):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            try:
                convert(data)
            except errors.DamagedFileError:
                pass
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    ratio = seconds(zeros) / seconds(ordinary)
    print(f"\nrefusing 100 MB of deflated zeros / converting the same data set: {ratio:.2f}")
    assert ratio < ZEROS_RATIO


def test_an_element_whose_tag_descends_is_refused_where_it_stands():
    data = bytearray(file_bytes("CT_small.dcm"))
    at = data.index(b"\x08\x00\x60\x00CS")  # Modality (0008,0060), after Accession Number (0008,0050)
    data[at : at + 4] = struct.pack("<HH", 0x0008, 0x0020)  # Study Date, which came before
    error = _error(bytes(data))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == (f"the data set is damaged: Study Date (0008,0020) at the file's byte {at} follows "
                          "Accession Number (0008,0050), but the elements of a data set ascend by tag")


def test_every_corpus_image_holds_its_elements_in_order(corpus_images):
    refused = []
    for image in corpus_images:
        try:
            structure.check(image.path.read_bytes(), DEFAULT_LIMITS)
        except errors.DamagedFileError as exc:
            refused.append(f"{image.path.name}: {exc}")
        except errors.ConversionError:
            pass  # a file the walk refused before the order rule (one of pydicom's, cut short)
    assert not refused, "\n".join(refused)


# --- 9. sizes a file declares, checked before pydicom seeks by them (wasm32's ssize_t) ---
# Each of these was an "internal" OverflowError (or TypeError) inside Pyodide before issue 18.


@pytest.mark.parametrize(("change", "message"), [
    ({"frame": 1, "offset": 2**31}, "puts frame 2 at byte 2147483648 with 4742 bytes, where the Pixel Data holds no "
                                    "fragment"),
    ({"frame": 1, "offset": 2**63}, "puts frame 2 at byte 9223372036854775808 with 4742 bytes, where the Pixel "
                                    "Data holds no fragment"),
    ({"frame": 9, "length": 2**32}, "puts frame 10 at byte 41880 with 4294967296 bytes, where the Pixel Data holds "
                                    "a fragment of 4742 bytes"),
    ({"frame": 0, "length": 2**64 - 1}, "puts frame 1 at byte 0 with 18446744073709551615 bytes, where the Pixel "
                                        "Data holds a fragment of 4958 bytes"),
    ({"entries": 0}, "(80 bytes) and the Extended Offset Table Lengths (7FE0,0002) (0 bytes) are not the same "
                     "number of 8-byte entries"),
], ids=["offset-2GiB", "offset-2e63", "length-4GiB", "length-2e64", "no-lengths"])
@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_an_extended_offset_table_that_lies_is_corrupt_pixel_data(change, message, target):
    error = _error(hostile_files.extended_offsets(**change), target)
    assert isinstance(error, errors.CorruptPixelDataError)
    assert str(error) == f"the Extended Offset Table (7FE0,0001) {message}"


def test_a_true_extended_offset_table_converts():
    source = hostile_files.extended_offsets()
    assert _same_pixels(convert(source, "explicit").data, source)


@pytest.mark.parametrize(("item", "length", "message"), [
    (0, 0x7FFFFFFC, "item 1 of the encapsulated Pixel Data declares 2147483644 bytes, but 46670 remain"),
    (1, 0xFFFFFFF0, "item 2 of the encapsulated Pixel Data declares 4294967280 bytes, but 46622 remain"),
    (10, 0x80000000, "item 11 of the encapsulated Pixel Data declares 2147483648 bytes, but 4742 remain"),
    (10, 0xFFFFFFFF, "item 11 of the encapsulated Pixel Data declares an undefined length, but 4742 remain"),
], ids=["table-2GiB", "first-4GiB", "last-2GiB", "last-undefined"])
def test_an_item_longer_than_the_pixel_data_is_corrupt_pixel_data(item, length, message):
    error = _error(hostile_files.lying_item_length(item=item, length=length))
    assert isinstance(error, errors.CorruptPixelDataError)
    assert str(error) == message


def test_an_element_longer_than_its_sequence_is_refused_as_on_wasm32():
    # The 20,000-case wasm32 fuzz run found it: pydicom read less on CPython, overflowed in wasm32.
    data = bytearray(file_bytes("rtdose.dcm"))  # implicit VR: the tag, then a 4-byte length
    at = data.index(struct.pack("<HH", 0x300C, 0x0004))
    data[at + 4 : at + 8] = struct.pack("<L", 0xB7000012)
    error = _error(bytes(data), "explicit")
    assert isinstance(error, errors.DamagedFileError)
    assert str(error) == ("the data set is damaged: Referenced Beam Sequence (300C,0004) should hold 3070230546 "
                          "bytes but only 28 remain in its sequence")


def test_an_element_known_to_decode_is_decoded_again_under_another_vr():
    # CT_small's elements decode (and are remembered); the same Modality bytes as FD do not.
    assert read_dataset(file_bytes("CT_small.dcm")).Modality == "CT"
    data = bytearray(file_bytes("CT_small.dcm"))
    at = data.index(b"\x08\x00\x60\x00CS")  # Modality, "CT": 2 bytes, not a multiple of 8
    data[at + 4 : at + 6] = b"FD"
    error = _error(bytes(data))
    assert isinstance(error, errors.DamagedFileError)
    assert str(error).startswith("Modality (0008,0060) cannot be decoded: ")
