"""web/bridge.py, the worker's adapter to dicompress.service, run on CPython."""

import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRLittleEndian

from .conftest import ROOT


@pytest.fixture(scope="module")
def bridge():
    spec = importlib.util.spec_from_file_location("dicompress_web_bridge", ROOT / "web" / "bridge.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_convert_returns_bytes_and_the_service_report(bridge):
    source = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    result = bridge.convert(memoryview(source), "explicit")
    assert result["ok"] is True
    assert dcmread(io.BytesIO(result["data"])).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    report = result["report"]
    assert report["input_bytes"] == len(source) and report["output_bytes"] == len(result["data"])
    assert report["verified"] is True


def test_conversion_errors_become_one_line_messages(bridge):
    result = bridge.convert(b"", "rle")
    assert result["ok"] is False and result["code"] == "empty"
    assert result["message"] and "\n" not in result["message"]


def test_unexpected_exceptions_name_their_type_without_a_traceback(bridge, monkeypatch, capsys):
    import dicompress.service

    def broken(*args, **kwargs):
        raise KeyError("line one\nline two")

    monkeypatch.setattr(dicompress.service, "convert", broken)
    result = bridge.convert(b"DICM", "rle")
    assert result == {"ok": False, "code": "unexpected",
                      "message": "Unexpected error (KeyError); the file was not converted."}
    assert "Traceback" in capsys.readouterr().err  # for developers, in the console only


def test_zip_names_are_unique_and_stay_inside_the_archive(bridge):
    data = bridge.make_zip([("a/x-rle.dcm", b"1"), ("a/X-rle.dcm", b"2"), ("../../etc/x.dcm", b"3"), ("", b"4")])
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["a/x-rle.dcm", "a/X-rle (2).dcm", "etc/x.dcm", "file.dcm"]


def test_sha256_hex(bridge):
    assert bridge.sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_preview_gives_details_and_an_rgba_thumbnail(bridge):
    source = Path(get_testdata_file("US1_UNCR.dcm")).read_bytes()
    result = bridge.preview(memoryview(source))
    assert result["ok"] is True
    assert result["details"]["photometric_interpretation"] == "RGB"
    thumbnail = result["thumbnail"]
    assert (thumbnail["width"], thumbnail["height"]) == (160, 120)
    assert len(thumbnail["rgba"]) == 160 * 120 * 4


def test_preview_of_a_file_it_cannot_read_is_a_one_line_message(bridge):
    result = bridge.preview(b"not a DICOM file at all")
    assert result["ok"] is False and result["code"] == "not-dicom"
    assert result["message"] and "\n" not in result["message"]


def test_convert_reports_the_elements_of_the_written_file(bridge):
    source = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    result = bridge.convert(source, "rle")
    written = dcmread(io.BytesIO(result["data"]))
    assert result["report"]["elements"] == len(list(written.iterall()))


def test_out_of_memory_suggests_the_command_line(bridge, monkeypatch):
    import dicompress.service

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(dicompress.service, "convert", exhausted)
    result = bridge.convert(b"DICM", "rle")
    assert result["code"] == "out-of-memory"
    assert "dicompress command line" in result["message"]
