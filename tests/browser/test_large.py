"""Large studies: a 200 MB multi-frame file, a folder of 200 files with the page responsive,
and a file whose single frame is too large for the browser refused with a pointer to the command
line (files of any size are streamed: tests/browser/test_streaming.py).

Each test gets a fresh page (its own browser context, so its own renderer process) and
writes what it measured to test-artifacts/browser/large-studies.json: time, Python's
WebAssembly memory (it only grows, so it is the peak) and the renderer's peak resident
memory (Linux's VmHWM of the renderer processes that appeared for this page).
"""

import glob
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import ARTIFACTS, App, copy_as, new_app
from .dicom_checks import assert_converted, assert_dcmtk_decodes

BIG_FRAMES = 28  # 28 x RG1_UNCR's 7.2 MB frame: 201.6 MB of pixel data
SMALL_FILES = 200
LONG_TASK_LIMIT_MS = 200
RESULTS = ARTIFACTS / "large-studies.json"

OBSERVE_LONG_TASKS = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push({start: e.startTime, duration: e.duration});
  }).observe({type: "longtask"});
  window.frameGaps = {max: 0, last: performance.now(), running: true};
  const tick = (now) => {
    const gaps = window.frameGaps;
    gaps.max = Math.max(gaps.max, now - gaps.last);
    gaps.last = now;
    if (gaps.running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return performance.now();
}"""

STOP_OBSERVING = """() => {
  window.frameGaps.running = false;
  return {now: performance.now(), longTasks: window.longTasks, maxFrameGap: window.frameGaps.max,
          files: performance.getEntriesByName("dicompress:file").map((e) => e.detail)};
}"""


def renderer_peaks() -> dict[int, int]:
    """Peak resident memory (Linux's VmHWM, bytes) of each Chromium renderer process now running.

    Empty where /proc is not available.
    """
    peaks = {}
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        pid = int(cmdline.split("/")[2])
        try:
            command = Path(cmdline).read_bytes()  # renderers rewrite it as one line
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        if b"chrom" in command.split(b" ")[0] and b"--type=renderer" in command and match:
            peaks[pid] = int(match.group(1)) * 1024
    return peaks


def page_peak_rss(before: dict[int, int]) -> int | None:
    """The peak resident memory of the renderer that grew most since `before` (this test's page).

    Chromium may host a new page in a spare renderer started earlier, so new processes
    alone do not find it.
    """
    after = renderer_peaks()
    if not after:
        return None
    pid = max(after, key=lambda p: after[p] - before.get(p, 0))
    return after[pid]


def record(case: str, values: dict) -> None:
    """Add one case's measurements to test-artifacts/browser/large-studies.json."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[case] = values
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{case}: {json.dumps(values)}")


@pytest.fixture
def fresh_app(browser, servers, dist, tmp_path) -> Iterator[App]:
    """The app in a context of its own, with the renderers' peak memory from before it was opened."""
    app = new_app(browser, servers.origin + "/", tmp_path / "downloads", "numpy", dist)
    app.renderer_peaks = renderer_peaks()
    app.open().wait_ready()
    yield app
    app.context.close()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    """A multi-frame file of 201.6 MB: RG1_UNCR's frame repeated (made here, never committed)."""
    ds = dcmread(get_testdata_file("RG1_UNCR.dcm"))
    frame = ds.PixelData
    ds.NumberOfFrames = BIG_FRAMES
    ds.PixelData = frame * BIG_FRAMES
    path = tmp_path_factory.mktemp("big") / "big-RG1x28.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_a_200_mb_multi_frame_file_compresses_frame_by_frame(fresh_app: App, big_file, tmp_path):
    app = fresh_app
    assert big_file.stat().st_size > 200_000_000
    started = app.page.evaluate(OBSERVE_LONG_TASKS)
    clock = time.monotonic()
    app.add([big_file])
    status = app.row(big_file.name).locator(".result-status-text")
    expect(status, "no frame-by-frame progress").to_have_text(
        re.compile(rf"^Frame ([1-9]|1\d|2[0-7]) of {BIG_FRAMES}$"), timeout=120_000)
    assert app.wait_finished(big_file.name, timeout=300_000) == "done", app.row(big_file.name).inner_text()
    wall = time.monotonic() - clock
    seen = app.page.evaluate(STOP_OBSERVING)
    expect(app.row(big_file.name).locator(".result-verified")).to_have_text("✓ identical")
    (detail,) = [f for f in seen["files"] if f["name"] == big_file.name]
    tasks = [t for t in seen["longTasks"] if t["start"] >= started]
    record("multi-frame 201.6 MB (RG1_UNCR x 28), RLE", {
        "input_bytes": big_file.stat().st_size,
        "frames": BIG_FRAMES,
        "worker_seconds": round(detail["seconds"], 1),
        "wall_seconds": round(wall, 1),
        "wasm_heap_bytes": detail["memory"]["wasm_bytes"],
        "renderer_peak_rss_bytes": page_peak_rss(app.renderer_peaks),
        "long_tasks": len(tasks),
        "longest_task_ms": round(max((t["duration"] for t in tasks), default=0)),
        "max_frame_gap_ms": round(seen["maxFrameGap"]),
    })
    longest = max((t["duration"] for t in tasks), default=0)
    assert longest < LONG_TASK_LIMIT_MS, f"the main thread was blocked for {longest:.0f} ms: {tasks}"
    result = app.download(big_file.name)
    assert_dcmtk_decodes(big_file, result, tmp_path)
    converted = dcmread(result, stop_before_pixels=True)
    assert converted.file_meta.TransferSyntaxUID == RLELossless
    assert int(converted.NumberOfFrames) == BIG_FRAMES


def test_a_folder_of_200_files_completes_with_the_page_responsive(fresh_app: App, tmp_path):
    app = fresh_app
    folder = tmp_path / "series"
    source = get_testdata_file("CT_small.dcm")
    names = [f"series/IM{i:04d}.dcm" for i in range(1, SMALL_FILES + 1)]
    for name in names:
        copy_as(source, tmp_path / Path(name).parent, Path(name).name)
    started = app.page.evaluate(OBSERVE_LONG_TASKS)
    clock = time.monotonic()
    app.add_folder(folder)
    summary = app.page.locator("#summary")
    expect(summary, "a screen reader would hear the count change at every frame").to_have_attribute(
        "aria-busy", "true")
    expect(summary).to_contain_text(f"{SMALL_FILES} files · {SMALL_FILES} done", timeout=300_000)
    expect(summary, "the settled summary is never read out").to_have_attribute("aria-busy", "false")
    wall = time.monotonic() - clock
    seen = app.page.evaluate(STOP_OBSERVING)
    expect(app.page.locator("[data-testid=result][data-status=done]")).to_have_count(SMALL_FILES)
    tasks = [t for t in seen["longTasks"] if t["start"] >= started]
    longest = max((t["duration"] for t in tasks), default=0)
    record(f"folder of {SMALL_FILES} x CT_small (39 kB), RLE", {
        "files": SMALL_FILES,
        "wall_seconds": round(wall, 1),
        "wasm_heap_bytes": max(f["memory"]["wasm_bytes"] for f in seen["files"]),
        "renderer_peak_rss_bytes": page_peak_rss(app.renderer_peaks),
        "long_tasks": len(tasks),
        "longest_task_ms": round(longest),
        "long_task_ms_total": round(sum(t["duration"] for t in tasks)),
        "max_frame_gap_ms": round(seen["maxFrameGap"]),
    })
    assert longest < LONG_TASK_LIMIT_MS, f"the main thread was blocked for {longest:.0f} ms: {tasks}"
    last = names[-1]
    assert_converted(Path(source), app.download(last), RLELossless)


def test_a_file_whose_single_frame_is_too_large_for_the_browser_is_refused_and_the_batch_goes_on(
        fresh_app: App, tmp_path):
    app = fresh_app
    before = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, "before-huge.dcm")
    ds = dcmread(get_testdata_file("SC_rgb_rle.dcm"))
    ds.Rows = ds.Columns = 30000  # 2.7 GB in one frame, declared by a 10 kB file
    huge = tmp_path / "huge-frame.dcm"
    ds.save_as(huge)
    after = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "after-huge.dcm")
    app.add([before, huge, after])
    assert app.wait_finished(huge.name, timeout=30_000) == "error"
    assert app.row(huge.name).get_attribute("data-code") == "frame-too-large", app.row(huge.name).inner_text()
    message = app.error_text(huge.name)
    assert "\n" not in message.strip(), message
    assert re.search(r"single frame of this file is too large for the browser: 2\.70 GB", message, re.I), message
    assert "dicompress command line" in message, message
    for source in (before, after):
        assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    assert_converted(after, app.download(after.name), RLELossless)
