"""dicompress.browser, the page worker's adapter, on CPython: plain values in, plain values out."""

import base64
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from pydicom.uid import ExplicitVRLittleEndian, RLELossless

from dicompress import browser
from dicompress.preview import describe
from tests.dicom_files import file_bytes, read

PY_SOURCE = Path(__file__).resolve().parents[1] / "py"


class FakeJsProxy:
    """Stands in for Pyodide's JsProxy of a Uint8Array: only ``to_bytes()``."""

    def __init__(self, data: bytes):
        self._data = data

    def to_bytes(self) -> bytes:
        return self._data


def _one_line(message: str) -> bool:
    return bool(message) and "\n" not in message


def test_importing_it_imports_neither_pydicom_nor_numpy():
    script = ("import sys, dicompress.browser; "
              "print(sorted(m for m in sys.modules if m.startswith(('pydicom', 'numpy'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(PY_SOURCE)})
    assert done.stdout.strip() == "[]"


def test_convert_returns_bytes_and_the_service_report():
    source = file_bytes("CT_small.dcm")
    result = browser.convert(memoryview(source), "explicit")
    assert result["ok"] is True
    assert read(result["data"]).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    report = result["report"]
    assert report["input_bytes"] == len(source) and report["output_bytes"] == len(result["data"])
    assert report["verified"] is True
    assert report["elements"] == len(list(read(result["data"]).iterall()))


def test_convert_takes_a_js_proxy_and_defaults_to_rle():
    result = browser.convert(FakeJsProxy(file_bytes("CT_small.dcm")))
    assert read(result["data"]).file_meta.TransferSyntaxUID == RLELossless


def test_convert_offers_the_compact_packing():
    source = file_bytes("US1_UNCR.dcm")
    default = browser.convert(source, "rle")["data"]
    compact = browser.convert(source, "rle", packing="compact")["data"]
    assert len(compact) < len(default)


def test_conversion_errors_become_one_line_messages():
    result = browser.convert(b"", "rle")
    assert result == {"ok": False, "skipped": False, "code": "empty", "message": "the file is empty (0 bytes)",
                      "warnings": []}


def test_a_non_dicom_file_added_fails_and_one_found_in_a_folder_is_skipped():
    png = b"\x89PNG\r\n\x1a\n" + bytes(300)
    message = "not a DICOM file: no 'DICM' marker after the 128-byte preamble"
    assert browser.convert(png) == {"ok": False, "skipped": False, "code": "not-dicom", "message": message,
                                    "warnings": []}
    assert browser.convert(png, in_folder=True) == {"ok": False, "skipped": True, "code": "not-dicom",
                                                    "message": message, "warnings": []}
    failed = browser.convert(file_bytes("JPEG-lossy.dcm"), in_folder=True)
    assert (failed["skipped"], failed["code"]) == (False, "corrupt-pixel-data")


def test_warnings_about_the_file_come_with_the_result_one_line_each():
    result = browser.convert(file_bytes("rtdose.dcm"))  # a UID with a 0-led component, twice
    assert result["ok"] is True
    assert result["warnings"] == [
        "Invalid value for VR UI: '1.2.123.456.78.9.0123.4567.89012345678901'. Please see "
        "<https://dicom.nema.org/medical/dicom/current/output/html/part05.html#table_6.2-1> for allowed "
        "values for each VR."]


def test_a_file_without_pixel_data_is_copied_as_the_command_line_copies_it():
    result = browser.convert(file_bytes("rtplan.dcm"))
    assert result == {"ok": False, "skipped": False, "copied": True, "code": "no-pixel-data",
                      "message": "no Pixel Data: copied unchanged", "warnings": []}


def test_a_file_the_target_cannot_hold_is_kept_unless_strict():
    from tests.kept_files import float_image, mpeg2_video

    result = browser.convert(float_image(), "rle")
    assert result == {"ok": False, "skipped": False, "kept": True, "code": "float-pixel-data", "warnings": [],
                      "message": "kept unchanged: the image is stored as Float Pixel Data, which RLE Lossless "
                                 "cannot hold"}
    assert browser.convert(mpeg2_video(), "explicit")["kept"] is True
    strict = browser.convert(float_image(), "rle", strict=True)
    assert (strict["ok"], "kept" in strict, strict["message"]) == (
        False, False, "the image is stored as Float Pixel Data, which RLE Lossless cannot hold")
    converted = browser.convert(float_image(), "explicit", strict=True)
    assert converted["ok"] and read(converted["data"]).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


def test_a_dicomdir_is_left_out_with_the_reason():
    result = browser.convert(file_bytes("DICOMDIR"), in_folder=True)
    assert result["skipped"] is True and result["code"] == "dicomdir-left-out"
    assert result["message"].startswith("DICOMDIR left out: it would name the old transfer syntax")


def test_unexpected_exceptions_name_their_type_without_a_traceback(monkeypatch, capsys):
    import dicompress.service

    def broken(*args, **kwargs):
        raise KeyError("line one\nline two")

    monkeypatch.setattr(dicompress.service, "convert", broken)
    result = browser.convert(b"DICM", "rle")
    assert result == {"ok": False, "skipped": False, "code": "unexpected",
                      "message": "Unexpected error (KeyError); the file was not converted.", "warnings": []}
    assert "Traceback" in capsys.readouterr().err  # for developers, in the console only


def test_out_of_memory_suggests_the_command_line(monkeypatch):
    import dicompress.service

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(dicompress.service, "convert", exhausted)
    result = browser.convert(b"DICM", "rle")
    assert result["code"] == "out-of-memory"
    assert result["message"] == (
        "Not enough memory to convert this file in the browser; "
        "use the dicompress command line on your computer instead: dicompress FILE -o OUT/"
    )


def test_convert_reports_progress_per_frame():
    calls = []
    browser.convert(file_bytes("rtdose.dcm"), "rle", lambda done, total: calls.append((done, total)))
    assert calls == [(n, 15) for n in range(1, 16)]


def test_zip_names_keep_numbers_collisions_and_stay_inside_the_archive():
    assert browser.zip_names(["a/x.dcm", "a/X.dcm", "../../etc/x.dcm", "", "IM0001"]) == [
        "a/x.dcm", "a/X (2).dcm", "etc/x.dcm", "file.dcm", "IM0001"]


def test_the_zip_names_its_entries_by_the_command_lines_rule():
    assert browser.zip_names(["study/x.dcm", "x.dcm", "study/X.dcm", "IM1"]) == [
        "study/x.dcm", "x.dcm", "study/X (2).dcm", "IM1"]


def test_targets_for_the_page():
    page = ["cli", "page"]
    assert browser.targets() == [
        {"name": "rle", "label": "RLE Lossless", "syntax": "1.2.840.10008.1.2.5", "hint": "compress",
         "surfaces": page, "default": True},
        {"name": "explicit", "label": "Explicit VR Little Endian", "syntax": "1.2.840.10008.1.2.1",
         "hint": "decompress", "surfaces": page, "default": False},
        {"name": "deflate", "label": "Deflated Explicit VR Little Endian", "syntax": "1.2.840.10008.1.2.1.99",
         "hint": "deflate the whole file", "surfaces": page, "default": False},
        {"name": "jpeg-ls", "label": "JPEG-LS Lossless Image Compression", "syntax": "1.2.840.10008.1.2.4.80",
         "hint": "smaller", "surfaces": page, "default": False},
        {"name": "j2k", "label": "JPEG 2000 Image Compression (Lossless Only)", "syntax": "1.2.840.10008.1.2.4.90",
         "hint": "smaller", "surfaces": page, "default": False},
        {"name": "htj2k", "label": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
         "syntax": "1.2.840.10008.1.2.4.201", "hint": "smaller", "surfaces": page,
         "default": False},
    ]


def test_policy_is_json_safe_and_complete():
    policy = json.loads(json.dumps(browser.policy()))
    assert policy["targets"] == browser.targets()
    assert [p["name"] for p in policy["packings"]] == ["pydicom", "compact"]
    assert policy["packings"][0]["default"] is True
    assert policy["messages"] == browser.messages()
    assert "{size}" in policy["messages"]["frame_too_large"]
    assert policy["clutter"] == {"names": [".DS_Store", "Thumbs.db", "desktop.ini", ".dicompress-manifest.jsonl"],
                                 "prefixes": ["._"]}
    assert policy["memory_budget_bytes"] == 4 * 1024**3 // 5
    assert policy["statuses"] == ["converted", "copied", "kept", "up to date", "skipped", "failed"]
    assert policy["copied_codes"] == ["no-pixel-data"]
    assert policy["kept_codes"] == ["float-pixel-data", "bit-packed-pixel-data", "already-compressed", "unsupported"]


def test_engine_names_the_plugin_and_numpy():
    import numpy

    assert browser.engine() == {"name": f"dicompress (numpy {numpy.__version__})", "plugin": "dicompress",
                                "numpy": numpy.__version__}


def test_as_bytes_of_a_buffer_and_of_a_js_proxy():
    assert browser.as_bytes(memoryview(b"ab")) == browser.as_bytes(FakeJsProxy(b"ab")) == b"ab"


def test_convert_sends_the_preview_of_what_it_read_once():
    source = file_bytes("US1_UNCR.dcm")
    sent = []
    result = browser.convert(memoryview(source), "rle", preview=sent.append)
    assert result["ok"] is True
    details, thumbnail = describe(source)
    url = "data:image/png;base64," + base64.b64encode(thumbnail.png()).decode()
    assert sent == [{"ok": True, "details": details.as_dict(), "thumbnail": {"width": 160, "height": 120, "url": url}}]


def test_a_kept_file_gets_its_preview_though_its_frames_are_never_converted():
    source = file_bytes("liver.dcm")  # 1-bit segmentation: RLE cannot hold it
    sent = []
    result = browser.convert(source, "rle", preview=sent.append)
    assert (result["ok"], result["kept"], result["code"]) == (False, True, "bit-packed-pixel-data")
    details, thumbnail = describe(source)
    url = "data:image/png;base64," + base64.b64encode(thumbnail.png()).decode()
    assert sent == [{"ok": True, "details": details.as_dict(),
                     "thumbnail": {"width": thumbnail.width, "height": thumbnail.height, "url": url}}]


def test_a_file_that_cannot_be_read_gets_no_preview():
    sent = []
    result = browser.convert(b"not a DICOM file at all", preview=sent.append)
    assert (result["ok"], result["code"], sent) == (False, "not-dicom", [])


def test_a_failed_preview_is_a_one_line_failure_and_the_conversion_goes_on(monkeypatch, capsys):
    import dicompress.preview

    def broken(ds, shape, frame):
        raise ZeroDivisionError("no\nway")

    monkeypatch.setattr(dicompress.preview, "describe_frame", broken)
    sent = []
    result = browser.convert(file_bytes("CT_small.dcm"), preview=sent.append)
    assert result["ok"] is True
    assert sent == [{"ok": False, "skipped": False, "code": "unexpected", "message": "No preview (ZeroDivisionError)."}]
    assert "Traceback" in capsys.readouterr().err


def test_a_preview_the_page_cannot_take_does_not_fail_the_conversion(capsys):
    def refuse(preview):
        raise RuntimeError("DataCloneError")

    result = browser.convert(file_bytes("CT_small.dcm"), preview=refuse)
    assert result["ok"] is True
    assert "DataCloneError" in capsys.readouterr().err


def test_every_file_gets_its_warnings_however_many_share_them():
    # The elements of a file that warned are decoded again for the next one (data_set_checks).
    first, second = (browser.convert(file_bytes("rtdose.dcm"))["warnings"] for _ in range(2))
    assert first == second and len(first) == 1, (first, second)
