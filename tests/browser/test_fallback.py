"""The pure-Python fallback: a --no-numpy build converts with pydicom's own RLE plugin.

A small, explicit suite (one file per target, bad inputs); the offline test in
test_offline.py runs on this build too. Everything else runs on the numpy engine.
"""

import re

import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, RLELossless

from .conftest import App, copy_as
from .dicom_checks import assert_converted, assert_dcmtk_decodes
from .test_app import BAD_INPUTS, write_bad_inputs

TARGETS = [
    ("rle", "CT_small.dcm", RLELossless, "basic"),
    ("explicit", "MR_small_RLE.dcm", ExplicitVRLittleEndian, "not needed"),
    ("deflate", "MR_small.dcm", DeflatedExplicitVRLittleEndian, "not needed"),
]


def test_engine_says_pydicom_and_why(fallback_app: App):
    expect(fallback_app.page.get_by_test_id("engine")).to_contain_text("pydicom")
    expect(fallback_app.page.locator("#phase")).to_contain_text("numpy")


@pytest.mark.parametrize(("target", "name", "syntax", "plugin"), TARGETS, ids=[t[0] for t in TARGETS])
def test_converts_one_file_per_target(fallback_app: App, target, name, syntax, plugin, tmp_path):
    source = copy_as(get_testdata_file(name), tmp_path, f"fallback-{target}-{name}")
    fallback_app.add([source], target)
    assert fallback_app.wait_finished(source.name) == "done", fallback_app.row(source.name).inner_text()
    expect(fallback_app.row(source.name).locator(".result-plugin")).to_have_text(plugin)
    result = fallback_app.download(source.name)
    assert_converted(source, result, syntax)
    if syntax == RLELossless:
        assert_dcmtk_decodes(source, result, tmp_path)


def test_bad_inputs_get_their_own_error_rows(fallback_app: App, tmp_path):
    good = write_bad_inputs(tmp_path)
    fallback_app.add([*(tmp_path / name for name in BAD_INPUTS), good], "rle")
    for name, expected in BAD_INPUTS.items():
        assert fallback_app.wait_finished(name) == "error", f"{name} was not rejected"
        message = fallback_app.error_text(name)
        assert "\n" not in message.strip() and re.search(expected, message, re.I), message
    assert fallback_app.wait_finished(good.name) == "done"
