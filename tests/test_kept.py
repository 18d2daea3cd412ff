"""A study stays whole: every object converted, or kept unchanged with the reason (issue 22).

Explicit VR Little Endian and Deflated hold everything native pixel data holds (1-bit,
Float and Double Float Pixel Data, big-endian sources), so those convert and decode to
the source's pixels; RLE Lossless holds neither, and video nothing here decodes: those
files are *kept* byte for byte, and ``--strict`` fails them.
"""

import json
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, RLELossless

from dicompress import errors, frontend
from dicompress.cli.main import main
from dicompress.service import convert
from tests import peers
from tests.cli_helpers import digests, totals_line, tree
from tests.kept_files import (
    KEPT_FOR_EXPLICIT,
    KEPT_FOR_RLE,
    float_image,
    float_values,
    make_mixed_study,
    mpeg2_video,
    one_bit,
)

SYNTAXES = {"explicit": ExplicitVRLittleEndian, "deflate": DeflatedExplicitVRLittleEndian}


def _read(data: bytes):
    return dcmread(BytesIO(data))


# --------------------------------------------------------------- the service


@pytest.mark.parametrize("target", ["explicit", "deflate"])
@pytest.mark.parametrize("name", ["liver.dcm", "liver_expb.dcm"])
def test_1_bit_segmentations_convert_to_native_targets(name, target):
    source = dcmread(get_testdata_file(name))
    result = convert(open(get_testdata_file(name), "rb").read(), target)
    written = _read(result.data)
    assert written.file_meta.TransferSyntaxUID == SYNTAXES[target]
    assert (written.BitsAllocated, written["PixelData"].VR, result.report.frames) == (1, "OB", 3)
    assert np.array_equal(written.pixel_array, source.pixel_array)


@pytest.mark.parametrize("big_endian, vr", [(False, "OB"), (False, "OW"), (True, "OB"), (True, "OW")])
@pytest.mark.parametrize("rows, columns, frames", [(7, 5, 3), (1, 1, 1), (3, 3, 9), (16, 16, 2)])
def test_1_bit_frames_not_ending_on_a_byte_boundary(rows, columns, frames, big_endian, vr):
    data, pixels = one_bit(rows, columns, frames, big_endian=big_endian, vr=vr)
    written = _read(convert(data, "explicit").data)
    packed = -(-rows * columns * frames // 8)
    assert len(written.PixelData) == packed + packed % 2
    assert np.array_equal(written.pixel_array.reshape(pixels.shape), pixels)


def test_big_endian_1_bit_in_ow_words_converts_as_dcmtk_converts_it(tmp_path):
    peers.require_tools("dcmconv")
    data, pixels = one_bit(7, 5, 3, big_endian=True, vr="OW")
    (tmp_path / "be.dcm").write_bytes(data)
    theirs = dcmread(peers.dcmconv(tmp_path / "be.dcm", tmp_path / "le.dcm", "+te"))
    ours = _read(convert(data, "explicit").data)
    assert ours.PixelData[:14] == theirs.PixelData[:14]  # 105 bits; what follows is padding
    assert np.array_equal(ours.pixel_array, pixels)
    assert np.array_equal(theirs.pixel_array, pixels)


@pytest.mark.parametrize("target", ["explicit", "deflate"])
@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("keyword, vr", [("FloatPixelData", "OF"), ("DoubleFloatPixelData", "OD")])
def test_float_pixels_convert_to_native_targets(keyword, vr, big_endian, target):
    data = float_image(keyword, big_endian=big_endian)
    written = _read(convert(data, target).data)
    assert written.file_meta.TransferSyntaxUID == SYNTAXES[target]
    assert (keyword in written, "PixelData" in written, written[keyword].VR) == (True, False, vr)
    assert np.array_equal(written.pixel_array, _read(data).pixel_array)
    assert np.array_equal(written.pixel_array, float_values().astype(written.pixel_array.dtype))


def test_writing_the_wrong_float_bytes_fails_verification(monkeypatch):
    from dicompress.writing import verification

    real = verification.check_written_native

    def damaged(output, lengths, checksums, keyword="PixelData"):
        return real(output, lengths, [c ^ 1 for c in checksums], keyword)

    monkeypatch.setattr("dicompress.service.check_written_native", damaged)
    with pytest.raises(errors.VerificationError, match="frame 1 did not decode"):
        convert(float_image(), "explicit")


@pytest.mark.parametrize("make, error, text", [
    (lambda: open(get_testdata_file("liver.dcm"), "rb").read(), errors.BitPackedPixelDataError,
     "the image has 1-bit pixels (Bits Allocated 1), which RLE Lossless cannot hold"),
    (float_image, errors.FloatPixelDataError,
     "the image is stored as Float Pixel Data, which RLE Lossless cannot hold"),
    (lambda: float_image("DoubleFloatPixelData"), errors.FloatPixelDataError,
     "the image is stored as Double Float Pixel Data, which RLE Lossless cannot hold"),
    (mpeg2_video, errors.AlreadyCompressedError,
     "the pixel data is compressed as MPEG2 Main Profile / Main Level, which pydicom has no decoder for"),
])
def test_what_rle_cannot_hold_raises_a_kept_error_naming_the_cause_and_the_target(make, error, text):
    with pytest.raises(error) as info:
        convert(make(), "rle")
    assert str(info.value).startswith(text)
    assert frontend.unconverted_status(info.value.code) == "kept"
    assert frontend.unconverted_status(info.value.code, strict=True) == "failed"


def test_broken_files_stay_failures():
    data = open(get_testdata_file("liver.dcm"), "rb").read()
    with pytest.raises(errors.ConversionError) as info:
        convert(data[: len(data) - 5000], "explicit")
    assert frontend.unconverted_status(info.value.code) == "failed"


# --------------------------------------------------------------- the command line


@pytest.fixture
def study(tmp_path):
    return make_mixed_study(tmp_path / "study")


@pytest.mark.parametrize("syntax, kept", [("rle", KEPT_FOR_RLE), ("explicit", KEPT_FOR_EXPLICIT)])
def test_the_whole_study_is_in_the_output(study, tmp_path, capsys, syntax, kept):
    out = tmp_path / "out"
    assert main([str(study), "-o", str(out), "--syntax", syntax, "--report", str(tmp_path / "r.json")]) == 0
    stdout = capsys.readouterr().out
    counts = f"{6 - len(kept)} converted, 0 copied, {len(kept)} kept, 0 up to date, 0 skipped, 0 failed"
    assert totals_line(stdout) == f"6 files: {counts}"
    assert tree(out) == [".dicompress-manifest.jsonl", *tree(study)]
    before, after = digests(study), digests(out)
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}
    for name in kept:
        line = next(line for line in stdout.splitlines() if name in line)
        assert "kept unchanged: " in line
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["totals"]["kept"] == len(kept)
    records = {r["file"].removeprefix(str(study) + "/"): r for r in report["files"]}
    assert {name for name, r in records.items() if r["status"] == "kept"} == set(kept)
    assert records["ES/video.dcm"]["code"] == "already-compressed"
    if syntax == "explicit":  # the 1-bit and float objects converted, to their source pixels
        for name in ("SEG/liver.dcm", "SEG/liver_expb.dcm", "MR/float.dcm"):
            written = dcmread(out / name)
            assert written.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
            assert np.array_equal(written.pixel_array, dcmread(study / name).pixel_array), name


def test_a_rerun_finds_kept_files_up_to_date(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    assert totals_line(capsys.readouterr().out) == "6 files: 0 converted, 0 copied, 6 up to date, 0 skipped, 0 failed"


def test_strict_fails_the_files_it_would_keep_and_names_them(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out"), "--strict"]) == 1
    stdout = capsys.readouterr().out
    assert totals_line(stdout) == "6 files: 2 converted, 0 copied, 0 up to date, 0 skipped, 4 failed"
    rows = [line.split() for line in stdout.splitlines() if line.startswith(str(study))]
    failed = [row[0] for row in rows if row[1] == "failed"]
    assert sorted(failed) == sorted(str(study / name) for name in KEPT_FOR_RLE)
    assert "which RLE Lossless cannot hold" in stdout and "kept unchanged" not in stdout
    assert tree(tmp_path / "out") == [".dicompress-manifest.jsonl", "CT/CT_small.dcm", "MR/MR_small.dcm"]


def test_strict_after_a_run_that_kept_files_does_not_call_them_up_to_date(study, tmp_path, capsys):
    assert main([str(study), "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert main([str(study), "-o", str(tmp_path / "out"), "--strict"]) == 1
    stdout = capsys.readouterr().out
    assert totals_line(stdout) == "6 files: 0 converted, 0 copied, 2 up to date, 0 skipped, 4 failed"
    assert "was kept unchanged by an earlier run, not converted (--strict)" in stdout


def test_a_dicomdir_lists_kept_files_as_they_are(tmp_path, capsys):
    from pydicom.fileset import FileSet

    study = make_mixed_study(tmp_path / "study")
    file_set = FileSet()
    for path in sorted(study.rglob("*.dcm")):
        if path.name != "video.dcm":  # pydicom's FileSet has no record type for it
            file_set.add(dcmread(path))
    file_set.write(tmp_path / "fs")
    assert main([str(tmp_path / "fs"), "-o", str(tmp_path / "out")]) == 0
    stdout = capsys.readouterr().out
    assert "DICOMDIR: copied, with the new transfer syntax of the 2 files converted" in stdout
    before, after = FileSet(), FileSet()
    before.load(tmp_path / "fs" / "DICOMDIR", raise_orphans=True)
    after.load(tmp_path / "out" / "DICOMDIR", raise_orphans=True)
    expected = {}
    for instance in before:
        ds = dcmread(instance.path)
        kept = ds.BitsAllocated == 1 or "FloatPixelData" in ds
        expected[Path(instance.path).relative_to(tmp_path / "fs")] = instance.TransferSyntaxUID if kept else RLELossless
    # liver.dcm and liver_expb.dcm are one SOP Instance: the file-set holds it once.
    assert sum(syntax != RLELossless for syntax in expected.values()) == 2
    assert {Path(i.path).relative_to(tmp_path / "out"): i.TransferSyntaxUID for i in after} == expected
