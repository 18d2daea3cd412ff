"""A worker that dies mid-file: the page restarts it, fails that file, converts the rest; hostile
files (deep nesting, a deflate bomb, sizes beyond wasm32's 2 GiB, trailing zeros) fail alone
with a typed one-line error; a batch of the file fuzzer's cases ends with every row finished
and no ``internal`` error."""

import json
import shutil
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Route, expect
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from tests import fuzz_campaign, fuzz_cases
from tests.hostile_files import browser_batch

from .conftest import App, copy_as, new_app
from .dicom_checks import assert_converted

CRASH_NAME = "crash-me.dcm"

# Served in place of worker.js: the real worker, except that once it starts on a file named
# CRASH_NAME it throws an uncaught error instead of answering (as an out-of-memory abort
# would). The page may have handed it the next files already: those must still convert.
CRASHING_WORKER = f"""
const crashing = new Set();
self.addEventListener("message", (event) => {{
  if (event.data?.name?.endsWith({CRASH_NAME!r})) crashing.add(event.data.id);
}});
const post = self.postMessage.bind(self);
self.postMessage = (message, transfer) => {{
  if (!crashing.has(message?.id)) return post(message, transfer);
  if (message.type === "started") setTimeout(() => {{ throw new Error("simulated out-of-memory crash"); }});
}};
await import("./worker.js?real");
"""


@pytest.fixture
def crashing_app(browser, servers, dist, tmp_path) -> Iterator[App]:
    app = new_app(browser, servers.origin + "/", tmp_path / "downloads", "numpy", dist)

    def serve_crashing_worker(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=CRASHING_WORKER)

    app.context.route(lambda url: url.endswith("/worker.js"), serve_crashing_worker)
    app.open().wait_ready()
    yield app
    app.context.close()


def test_a_dead_worker_is_restarted_and_the_other_files_go_on(crashing_app: App, tmp_path):
    app = crashing_app
    before = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "before-crash.dcm")
    crash = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, CRASH_NAME)
    after = copy_as(get_testdata_file("US1_UNCR.dcm"), tmp_path, "after-crash.dcm")
    app.add([before, crash, after])
    assert app.wait_finished(before.name) == "done"
    assert app.wait_finished(CRASH_NAME) == "error"
    message = app.error_text(CRASH_NAME)
    assert "restarted" in message and "\n" not in message.strip(), message
    assert app.wait_finished(after.name) == "done", app.row(after.name).inner_text()
    assert_converted(after, app.download(after.name), RLELossless)
    converters = int(app.page.get_by_test_id("engine").get_attribute("data-workers"))
    assert len(app.page.workers) == converters, "the dead worker was not replaced by exactly one new one"


def test_a_tampered_wheel_stops_start_up_with_a_clear_message(browser, servers, dist, tmp_path):
    broken = tmp_path / "dist"
    shutil.copytree(dist, broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    wheel = next(w for w in manifest["wheels"] if w["name"] == "pydicom")
    (broken / wheel["url"]).write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip, not pydicom
    app = new_app(browser, servers.mount("/tampered/", broken), tmp_path / "downloads", "fallback", broken)
    try:
        app.open()
        engine = app.page.locator("[data-testid=engine]")
        expect(engine).to_have_attribute("data-engine", "failed", timeout=60_000)
        expect(app.page.locator("#phase")).to_contain_text("pydicom does not match its sha256")
        source = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "after-failed-start.dcm")
        app.add([source])
        assert app.wait_finished(source.name, timeout=10_000) == "error"
        assert "could not be started" in app.error_text(source.name)
    finally:
        app.context.close()


def test_hostile_files_fail_alone_and_the_batch_goes_on(app: App, tmp_path):
    batch = browser_batch()
    for name, data, _ in batch:
        (tmp_path / name).write_bytes(data)
    app.add([tmp_path / name for name, _, _ in batch])
    for name, _, code in batch:
        status = app.wait_finished(name)
        if code is None:
            assert status == "done", app.row(name).inner_text()
            result = dcmread(app.download(name))
            # (pydicom's own comparison of 150 nested sequences would exhaust this test's stack)
            assert np.array_equal(result.pixel_array, dcmread(tmp_path / name).pixel_array), name
        else:
            assert (status, app.row(name).get_attribute("data-code")) == ("error", code)
            message = app.error_text(name)
            assert "\n" not in message.strip() and "Error" not in message.split()[0], message


#: Fuzz cases of each kind dropped on the page in one batch.
FUZZ_PER_KIND = 5


def test_a_batch_of_fuzz_cases_ends_with_every_row_finished_and_none_internal(app: App, tmp_path):
    cases = fuzz_cases.cases(fuzz_campaign.SEED)
    batch = [case for kind in dict.fromkeys(c.kind for c in cases)
             for case in [c for c in cases if c.kind == kind][:: 7][:FUZZ_PER_KIND]]
    for case in batch:
        (tmp_path / f"{case.name}.dcm").write_bytes(case.data)
    app.add([tmp_path / f"{case.name}.dcm" for case in batch])
    ended = {}
    for case in batch:
        name = f"{case.name}.dcm"
        ended[name] = (app.wait_finished(name), app.row(name).get_attribute("data-code"))
    assert {status for status, _ in ended.values()} <= {"done", "copied", "kept", "skipped", "error"}
    internal = {name: code for name, (_, code) in ended.items() if code in ("internal", "unexpected")}
    assert not internal, internal
    assert len({case.kind for case in batch}) == len({c.kind for c in cases})
