"""A batch uses a small pool of converters (one worker each), within a memory budget.

The page marks when each file starts (``dicompress:start``) and ends (``dicompress:file``),
and each row says which converter did it (``data-engine``).
"""

import json
import shutil
from pathlib import Path

from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import App, copy_as, new_app
from .dicom_checks import assert_converted

INTERVALS = """() => {
  const marks = (name) => performance.getEntriesByName(name);
  const starts = Object.fromEntries(marks("dicompress:start").map((e) => [e.detail.name, e.startTime]));
  return marks("dicompress:file").map((e) => [e.detail.name, starts[e.detail.name], e.startTime]);
}"""


def intervals(app: App) -> dict[str, tuple[float, float]]:
    """{file name: (start, end)} in the page's clock."""
    return {name: (start, end) for name, start, end in app.page.evaluate(INTERVALS)}


def overlapping(spans: list[tuple[float, float]]) -> bool:
    """Whether any two of `spans` overlap in time."""
    ordered = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in zip(ordered, ordered[1:], strict=False))


def add_and_finish(app: App, folder: Path, prefix: str, count: int) -> list[Path]:
    """Add `count` copies of MR_small and wait until each is converted."""
    sources = [copy_as(get_testdata_file("MR_small.dcm"), folder, f"{prefix}-{i}-MR_small.dcm") for i in range(count)]
    app.add(sources)
    for source in sources:
        assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    return sources


def test_small_files_are_converted_by_two_workers_side_by_side(app: App, tmp_path):
    # Files waiting start a second converter; it takes files once it is ready.
    add_and_finish(app, tmp_path, "pool-first", 4)
    expect(app.page.get_by_test_id("engine")).to_have_attribute("data-workers", "2", timeout=60_000)
    sources = add_and_finish(app, tmp_path, "pool-second", 12)
    names = [s.name for s in sources]
    engines = {app.row(name).get_attribute("data-engine") for name in names}
    assert engines == {"1", "2"}, "the batch did not use two converters"
    assert overlapping([intervals(app)[name] for name in names])
    for source in sources[:2]:
        assert_converted(source, app.download(source.name), RLELossless)


def test_big_files_run_one_at_a_time_within_the_memory_budget(browser, servers, dist, tmp_path):
    folder = tmp_path / "dist"
    shutil.copytree(dist, folder)
    policy = json.loads((folder / "policy.json").read_text())
    rg1 = Path(get_testdata_file("RG1_UNCR.dcm"))
    policy["memory_budget_bytes"] = int(rg1.stat().st_size * 1.5)  # room for one RG1 at a time, not two
    (folder / "policy.json").write_text(json.dumps(policy))
    app = new_app(browser, servers.mount("/small-budget/", folder), tmp_path / "downloads", "numpy", folder)
    try:
        app.open().wait_ready()
        sources = [copy_as(rg1, tmp_path / "in", f"budget-{i}-RG1_UNCR.dcm") for i in range(3)]
        app.add(sources)
        for source in sources:
            assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
        spans = intervals(app)
        assert not overlapping([spans[s.name] for s in sources]), spans
        assert_converted(sources[0], app.download(sources[0].name), RLELossless)
    finally:
        app.context.close()
