"""The page served under a sub-path, used with the keyboard, without layout jumps."""

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import SUBPATH, App, copy_as, new_app
from .dicom_checks import assert_converted


@pytest.fixture(scope="module")
def subpath_app(browser, servers, dist, tmp_path_factory) -> Iterator[tuple[App, dict]]:
    """The app opened under SUBPATH, with the drop zone's box before and after start-up."""
    app = new_app(browser, servers.origin + SUBPATH, tmp_path_factory.mktemp("downloads-subpath"),
                  "numpy", dist)
    app.open()
    boxes = {"loading": app.page.locator("#dropzone").bounding_box(),
             "results": app.page.locator("#results-title").bounding_box()}
    app.wait_ready()
    boxes["ready"] = app.page.locator("#dropzone").bounding_box()
    boxes["results-ready"] = app.page.locator("#results-title").bounding_box()
    yield app, boxes
    app.context.close()


def test_works_under_a_sub_path(subpath_app, tmp_path):
    app, _ = subpath_app
    source = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, "subpath-MR_small.dcm")
    app.add([source])
    assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    assert_converted(source, app.download(source.name), RLELossless)
    own = [r.url for r in app.requests if urlsplit(r.url).hostname == "127.0.0.1"]
    assert own, "no requests recorded"
    outside = [u for u in own if not urlsplit(u).path.startswith(SUBPATH)]
    assert outside == [], "the page requested files outside its sub-path"


def test_no_layout_jump_while_the_runtime_loads(subpath_app):
    _, boxes = subpath_app
    assert boxes["loading"] == boxes["ready"]
    assert boxes["results"] == boxes["results-ready"]


def test_controls_have_accessible_names(subpath_app):
    page = subpath_app[0].page
    expect(page.get_by_role("button", name="Choose files…")).to_be_visible()
    expect(page.get_by_role("button", name="Choose a folder…")).to_be_visible()
    expect(page.get_by_role("combobox", name="Convert to")).to_have_value("rle")
    expect(page.get_by_role("button", name="Download all (ZIP)")).to_be_visible()
    expect(page.get_by_role("button", name="Clear list")).to_be_visible()


def test_keyboard_alone_can_choose_target_and_files(subpath_app, tmp_path):
    app, _ = subpath_app
    page = app.page
    page.locator("h1").click()  # the keyboard's starting point: the top of the page
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert {"pick-files", "pick-folder", "syntax"} <= set(reached), reached
    page.locator("#syntax").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#syntax")).to_have_value("explicit")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#syntax")).to_have_value("rle")
    source = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "keyboard-CT_small.dcm")
    page.locator("#pick-files").focus()
    with page.expect_file_chooser(timeout=10_000) as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(source))
    assert app.wait_finished(source.name) == "done"
    link = app.row(source.name).locator("[data-testid=download]")
    link.focus()
    with page.expect_download(timeout=30_000):
        page.keyboard.press("Enter")


def test_page_says_files_stay_here_and_no_other_site_is_contacted(subpath_app):
    privacy = subpath_app[0].page.get_by_role("region", name="Privacy")
    expect(privacy).to_contain_text("Your files never leave this computer.")
    expect(privacy).to_contain_text("contacts no other site")


def test_files_dropped_on_the_drop_zone_are_converted(subpath_app):
    app, _ = subpath_app
    data = Path(get_testdata_file("MR_small.dcm")).read_bytes()
    transfer = app.page.evaluate_handle("""(b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "dropped-MR_small.dcm"));
      return transfer;
    }""", base64.b64encode(data).decode())
    app.page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    assert app.wait_finished("dropped-MR_small.dcm") == "done"
