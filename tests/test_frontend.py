"""The front-end policy the command line and the page share: targets, names, skips, messages."""

import json
import subprocess
from pathlib import Path

import pytest
from pydicom.uid import UID

from dicompress import frontend, service
from tests.dicom_files import file_bytes

ROOT = Path(__file__).resolve().parent.parent


def test_targets_are_rle_explicit_deflate_and_three_smaller_lossless_syntaxes_with_pydicoms_names():
    assert frontend.target_names() == ["rle", "explicit", "deflate", "jpeg-ls", "j2k", "htj2k"]
    assert frontend.DEFAULT_TARGET == "rle"
    for target in frontend.TARGETS:
        assert target.label == UID(target.syntax).name
        assert UID(target.syntax).is_transfer_syntax
    assert [frontend.target(name).syntax for name in ("jpeg-ls", "j2k", "htj2k")] == [
        "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201"]


def test_the_page_and_the_command_line_write_every_target():
    assert {t.name: t.surfaces for t in frontend.TARGETS} == {
        "rle": ("cli", "page"), "explicit": ("cli", "page"), "deflate": ("cli", "page"),
        "jpeg-ls": ("cli", "page"), "j2k": ("cli", "page"), "htj2k": ("cli", "page"),
    }
    assert all(set(t.surfaces) <= set(frontend.SURFACES) for t in frontend.TARGETS)
    assert frontend.message("browser_target_missing", names="jpeg-ls|j2k") == (
        'The page cannot write the greyed-out targets yet; the dicompress command line does: pip install '
        '"dicompress[codecs]", then dicompress FILE -o OUT/ --syntax jpeg-ls|j2k')


def test_the_service_takes_its_targets_and_packings_from_the_policy():
    assert {name: str(uid) for name, uid in service.TARGETS.items()} == {
        t.name: t.syntax for t in frontend.TARGETS
    }
    assert service.PACKINGS == ("pydicom", "compact")


@pytest.mark.parametrize("names, expected", [
    (["x.dcm"], ["x.dcm"]),
    (["IM0001", "IM0001"], ["IM0001", "IM0001 (2)"]),
    (["a/x.dcm", "b/x.dcm", "a/x.dcm", "a/X.DCM"], ["a/x.dcm", "b/x.dcm", "a/x (2).dcm", "a/X (3).DCM"]),
    (["x.dcm", "x (2).dcm", "x.dcm"], ["x.dcm", "x (2).dcm", "x (3).dcm"]),
    (["x.dcm", "x.dcm", "x (2).dcm"], ["x.dcm", "x (2).dcm", "x (2) (2).dcm"]),
    (["scan.tar.gz", "scan.tar.gz"], ["scan.tar.gz", "scan.tar (2).gz"]),
])
def test_output_names_keep_the_input_name_and_number_only_collisions(names, expected):
    allocator = frontend.OutputNames()
    assert [allocator.take(name) for name in names] == expected


def test_a_reserved_name_is_numbered_like_a_name_handed_out():
    allocator = frontend.OutputNames()
    allocator.reserve("series2/X.dcm")  # an input already in the output folder
    assert [allocator.take(n) for n in ["series2/x.dcm", "x.dcm"]] == ["series2/x (2).dcm", "x.dcm"]


def test_files_without_pixel_data_are_copied_and_every_outcome_has_a_word():
    assert frontend.COPIED_CODES == ("no-pixel-data",)
    assert frontend.STATUSES == ("converted", "copied", "kept", "up to date", "skipped", "failed")
    assert frontend.message("copied") == "no Pixel Data: copied unchanged"


@pytest.mark.parametrize("code, status, strict_status", [
    ("no-pixel-data", "copied", "copied"),
    ("float-pixel-data", "kept", "failed"),
    ("bit-packed-pixel-data", "kept", "failed"),
    ("already-compressed", "kept", "failed"),  # video, JPIP: pydicom has no decoder
    ("unsupported", "kept", "failed"),
    ("decoder-missing", "failed", "failed"),  # installing the codecs converts it
    ("truncated", "failed", "failed"),
    ("not-dicom", "failed", "failed"),
    ("geometry", "failed", "failed"),
])
def test_valid_files_that_cannot_be_converted_are_kept_unless_strict(code, status, strict_status):
    assert frontend.unconverted_status(code) == status
    assert frontend.unconverted_status(code, strict=True) == strict_status
    assert frontend.message("kept", reason="why") == "kept unchanged: why"


def test_only_native_targets_hold_1_bit_and_float_pixels():
    assert frontend.NATIVE_TARGETS == ("explicit", "deflate")
    assert set(frontend.NATIVE_TARGETS) < set(frontend.target_names())


def test_the_command_line_s_manifest_is_left_out_of_folders_like_clutter():
    assert frontend.is_clutter("cli-out/.dicompress-manifest.jsonl")


def test_output_names_of_page_paths_stay_relative_and_inside():
    paths = ["study/a.dcm", "../../etc/a.dcm", "C:\\Users\\me\\a.dcm", "", "./study/A.dcm"]
    assert frontend.output_names(paths) == [
        "study/a.dcm", "etc/a.dcm", "Users/me/a.dcm", "file.dcm", "study/A (2).dcm"
    ]


@pytest.mark.parametrize("path, expected", [
    ("a\x00b.dcm", "ab.dcm"),
    ("study\x00/x\x01\x1f\x7f.dcm", "study/x.dcm"),
    ("\x00/\x00\x00/..\x00", "file.dcm"),  # nothing is left but what was dropped
    ("C:\\Users\\me\\x.dcm", "Users/me/x.dcm"),
    ("c:x.dcm", "x.dcm"),  # drive-relative
    ("//server/share/x.dcm", "server/share/x.dcm"),
    ("study/C:x.dcm", "study/C:x.dcm"),  # a drive is only a prefix
])
def test_safe_names_drop_nul_control_characters_and_drive_prefixes(path, expected):
    assert frontend.safe_name(path) == expected


def test_a_name_part_longer_than_255_bytes_is_cut_before_its_suffix():
    name = frontend.safe_name("study/" + "x" * 300 + ".dcm")
    assert name == "study/" + "x" * 251 + ".dcm"
    assert frontend.safe_name("y" * 300) == "y" * 255


def test_a_long_name_is_cut_at_a_whole_character():
    name = frontend.safe_name("é" * 200 + ".dcm")  # 2 bytes a character
    assert name == "é" * 125 + ".dcm" and len(name.encode("utf-8")) == 254


def test_a_long_suffix_is_cut_with_the_name():
    name = frontend.safe_name("scan." + "z" * 300)
    assert name == ("scan." + "z" * 300)[:255]


def test_a_numbered_long_name_stays_within_255_bytes_and_keeps_its_number():
    names = frontend.output_names(["x" * 300 + ".dcm"] * 3)
    assert names == ["x" * 251 + ".dcm", "x" * 247 + " (2).dcm", "x" * 247 + " (3).dcm"]
    assert all(len(name.encode("utf-8")) <= frontend.MAX_NAME_BYTES for name in names)


def test_a_named_file_is_never_skipped_whatever_it_holds():
    assert frontend.skip_reason(b"hello", in_folder=False) is None
    assert frontend.skip_reason(b"", in_folder=False) is None


def test_a_file_found_in_a_folder_is_skipped_without_the_dicm_marker():
    assert frontend.skip_reason(b"\x89PNG\r\n\x1a\n" + bytes(200), in_folder=True) == (
        "not a DICOM file: no 'DICM' marker after the 128-byte preamble"
    )
    assert frontend.skip_reason(b"", in_folder=True) is not None
    assert frontend.skip_reason(file_bytes("CT_small.dcm")[: frontend.HEAD_BYTES], in_folder=True) is None
    assert frontend.skip_reason(file_bytes("JPEG-lossy.dcm"), in_folder=True) is None  # fails later


@pytest.mark.parametrize("name, clutter", [
    (".DS_Store", True), ("study/Thumbs.db", True), ("a\\desktop.ini", True), ("x/._IM0001", True),
    ("IM0001", False), ("study/.hidden.dcm", False), ("DS_Store", False),
])
def test_operating_system_clutter(name, clutter):
    assert frontend.is_clutter(name) is clutter


def test_messages_are_one_line_and_name_the_command_line_where_the_page_cannot_help():
    for key in frontend.MESSAGES:
        text = frontend.message(key, error="RangeError", size="1.2 GB", limit="613.6 MB", syntax="JPEG 2000",
                                count=3, file="IM1", fate="failed", reason="why", names="jpeg-ls")
        assert "\n" not in text and "{" not in text
    for key in ("out_of_memory", "unreadable_memory", "frame_too_large", "storage_full", "converter_restarted",
                "browser_decoder_missing", "browser_target_missing"):
        assert "dicompress command line" in frontend.message(
            key, error="e", size="s", limit="l", syntax="x", names="z")
    assert frontend.message("out_of_memory").endswith("dicompress FILE -o OUT/")


def test_one_line_folds_white_space():
    assert frontend.one_line("line one\n  line two\t") == "line one line two"
    assert frontend.one_line(" \n") == "The file could not be converted."


def test_the_browser_frame_limit_leaves_room_for_five_copies_of_a_frame_in_4_gib():
    assert frontend.BROWSER_MAX_FRAME_BYTES == 4 * 1024**3 // 5


SIZES = [0, 999, 1000, 9_994, 39_112, 999_949, 1_070_000, 859_000_000, 2_700_000_000, 5 * 10**12]


def test_sizes_are_written_for_people_as_the_page_writes_them():
    script = ("import { formatBytes } from './web/format.js';"
              f"console.log(JSON.stringify({SIZES}.map(formatBytes)));")
    page = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    assert [frontend.size_text(n) for n in SIZES] == json.loads(page.stdout)
    assert [frontend.size_text(n) for n in (999, 39_112, 2_700_000_000)] == ["999 bytes", "39.1 kB", "2.70 GB"]
