"""Measure the footprint of large files (issue 17): the page, the command line, streaming vs in memory.

    .venv/bin/python scripts/bench_memory.py [--sizes 0.1,1,2.5,3.9] [--rounds 3] [--parts page,cli,speed]

Everything runs in one run on this machine and is printed as tables with ratios within that
run (the machine is shared: absolute times are noisy, ratios less so). Files are made here
(tests/large_files.py's pattern: 1024 x 1024 x 16-bit frames, RLE has real work) and deleted after.

* page: each file (sizes in GB, default 100 MB, 1 GB, 2.5 GB, 3.9 GB) converted to RLE by the
  page in a persistent Chromium profile of its own (site storage on disk, as people use the
  browser): the peak proportional set size of all Chromium processes together (PSS summed
  over the browser's process tree, sampled every 0.2 s; tests/browser/memory.py), Python's
  WebAssembly memory after the file (it only grows: its peak) and the time per GB. The peer
  in the same run is the in-memory path (the build's worker patched to read every file
  whole, as the page did before streaming) on the 100 MB file.
* cli: ``python -m dicompress FILE -o OUT --jobs 1`` per file and target in a subprocess: its
  peak resident memory and seconds (scripts/bench_memory_cli.py's table, printed as it runs).
* speed: the streaming path against the in-memory path, interleaved rounds, medians:
  in the page (per-file time from the page's ``dicompress:start`` to ``dicompress:file``
  marks) on CT_small (39 kB), RG1_UNCR (7.2 MB) and the 100 MB file, with two builds whose
  worker streams every file or none; on CPython, ``service.convert_file`` (file to file) against
  ``service.convert`` (bytes to bytes) on RG1_UNCR and the 1 GB file (scripts/bench_memory_cli.py's
  comparison). Goal: streaming at most 10 % slower.

Prints markdown tables; asserts nothing.
"""

import argparse
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT), str(ROOT / "py")]

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from bench_browser import build as build_app  # noqa: E402
from bench_memory_cli import interleaved, peak_rss, throughput  # noqa: E402
from serve import make_server  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.large_files import frames_for, pattern, write_multiframe  # noqa: E402
from tests.browser.memory import PeakPss, browser_root  # noqa: E402

GB = 1000**3
MB = 1000**2
STREAM_LINE = "const STREAM_FROM_BYTES = 16 * 1024 * 1024;"
FILE_TIMEOUT_MS = 1_800_000
PER_FILE = """(name) => {
  const start = performance.getEntriesByName("dicompress:start").findLast((e) => e.detail.name === name);
  const done = performance.getEntriesByName("dicompress:file").findLast((e) => e.detail.name === name);
  return {ms: done.startTime - start.startTime, ok: done.detail.ok, wasm: done.detail.memory?.wasm_bytes};
}"""


def log(text: str) -> None:
    print(f"bench_memory: {text}", file=sys.stderr, flush=True)


def build(out: Path, stream_from: str | None = None) -> Path:
    """Build dist/ into `out`; with `stream_from`, its worker streams files from that many bytes on."""
    build_app(out)
    if stream_from is not None:
        worker = out / "worker.js"
        text = worker.read_text()
        assert STREAM_LINE in text, f"{worker} has no {STREAM_LINE!r} to patch"
        worker.write_text(text.replace(STREAM_LINE, f"const STREAM_FROM_BYTES = {stream_from};"))
    return out


class Browser:
    """Chromium profiles on disk, one per measurement, with the app served from 127.0.0.1."""

    def __init__(self, playwright, url: str, work: Path) -> None:
        self.playwright = playwright
        self.url = url
        self.work = work

    def open(self):
        """Return (context, page, browser pid) of a fresh profile with the app ready."""
        profile = Path(tempfile.mkdtemp(dir=self.work, prefix="profile-"))
        context = self.playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = context.new_page()
        page.goto(self.url)
        expect(page.locator("html")).to_have_attribute("data-ready", "true", timeout=120_000)
        return context, page, browser_root(profile), profile

    @staticmethod
    def convert(page, file: Path, target: str = "rle") -> dict:
        """Convert `file` in `page`; return its per-file time and Python's memory after it."""
        page.select_option("[data-testid=syntax]", target)
        page.set_input_files("[data-testid=file-input]", str(file))
        row = page.locator(f'[data-testid=result][data-filename="{file.name}"]')
        expect(row).to_have_attribute("data-status", "done", timeout=FILE_TIMEOUT_MS)
        return page.evaluate(PER_FILE, file.name)


def page_memory(browser: Browser, memory_browser: Browser, files: dict[float, Path]) -> list[dict]:
    """Peak PSS and Python heap per file size (streaming), and the in-memory path on the smallest."""
    rows = []
    runs = [(size, browser, "streaming") for size in files]
    runs.append((min(files), memory_browser, "in memory (before)"))
    for size, which, path in runs:
        log(f"page: {size} GB, {path}")
        context, page, pid, profile = which.open()
        try:
            with PeakPss(pid) as pss:
                measured = which.convert(page, files[size])
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
        rows.append({"size": size, "path": path, "pss": pss.peak, "wasm": measured["wasm"],
                     "seconds": measured["ms"] / 1000, "bytes": files[size].stat().st_size})
    return rows


def page_speed(stream: Browser, memory: Browser, files: dict[str, Path], rounds: int, work: Path) -> list[dict]:
    """Per-file time in the page, streaming vs in memory, per file (copies named per round)."""
    pages = {}
    for name, which in (("streaming", stream), ("in memory", memory)):
        pages[name] = which.open()
    copies = work / "copies"
    counter = iter(range(1_000_000))
    rows = []
    try:
        for label, source in files.items():
            log(f"page speed: {label}")

            def once(name: str, source: Path = source) -> float:
                copy = copies / f"{next(counter)}-{source.name}"
                copy.parent.mkdir(exist_ok=True)
                os.link(source, copy)
                measured = Browser.convert(pages[name][1], copy)
                copy.unlink()
                return measured["ms"] / 1000

            medians = interleaved(rounds, {name: (lambda name=name: once(name)) for name in pages})
            rows.append({"file": label, **medians})
    finally:
        for context, _, _, profile in pages.values():
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    return rows


def gb(n: float) -> str:
    return f"{n / GB:.2f} GB"


def print_tables(page: list[dict], speeds: list[tuple[str, list[dict]]]) -> None:
    if page:
        print("\n### The page: RLE, peak PSS of all Chromium processes, Python's memory\n")
        print("| file | path | Chromium PSS (peak) | PSS / file | Python heap | seconds | MB/s |")
        print("|---|---|---|---|---|---|---|")
        for r in page:
            print(f"| {gb(r['bytes'])} | {r['path']} | {gb(r['pss'])} | {r['pss'] / r['bytes']:.2f} | "
                  f"{gb(r['wasm'])} | {r['seconds']:.1f} | {r['bytes'] / MB / r['seconds']:.0f} |")
        before = [r for r in page if r["path"] != "streaming"]
        same = [r for r in page if r["path"] == "streaming" and r["size"] == before[0]["size"]] if before else []
        if same:
            print(f"\nstreaming / in memory on {gb(before[0]['bytes'])}: PSS {same[0]['pss'] / before[0]['pss']:.2f}, "
                  f"Python heap {same[0]['wasm'] / before[0]['wasm']:.2f}, time "
                  f"{same[0]['seconds'] / before[0]['seconds']:.2f}")
    for title, rows in speeds:
        print(f"\n### {title}: streaming vs in memory (median seconds; goal: ratio at most 1.10)\n")
        print("| file | streaming | in memory | ratio | goal |")
        print("|---|---|---|---|---|")
        for r in rows:
            ratio = r["streaming"] / r["in memory"]
            print(f"| {r['file']} | {r['streaming']:.3f} | {r['in memory']:.3f} | {ratio:.2f} | "
                  f"{'met' if ratio <= 1.10 else 'NOT met'} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.1,1,2.5,3.9", help="file sizes in GB (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the speed comparisons")
    parser.add_argument("--parts", default="page,cli,speed", help="which measurements (default %(default)s)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    sizes = sorted(float(s) for s in args.sizes.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        files = {}
        for size in sizes:
            log(f"writing a {size} GB file")
            files[size] = write_multiframe(work / f"multiframe-{size}GB.dcm", frames_for(size * GB, pattern()),
                                           pattern())
        dists = {name: build(work / f"dist-{name}", stream_from)
                 for name, stream_from in (("stock", None), ("stream", "0"), ("memory", "Infinity"))}
        server = make_server({f"/{name}/": folder for name, folder in dists.items()}, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        page, speeds = [], []
        with sync_playwright() as playwright:
            browsers = {name: Browser(playwright, f"{origin}/{name}/", work) for name in dists}
            if "page" in parts:
                page = page_memory(browsers["stock"], browsers["memory"], files)
            if "speed" in parts:
                small = {"CT_small (39 kB)": Path(get_testdata_file("CT_small.dcm")),
                         "RG1_UNCR (7.2 MB)": Path(get_testdata_file("RG1_UNCR.dcm"))}
                page_files = {**small, f"{gb(files[min(files)].stat().st_size)} file": files[min(files)]}
                speeds.append(("The page", page_speed(browsers["stream"], browsers["memory"], page_files,
                                                      args.rounds, work)))
        server.shutdown()
        if "cli" in parts:
            print("\n### The command line (--jobs 1): peak RSS\n")
            peak_rss(work, files, pattern())
        if "speed" in parts:
            one_gb = min(files, key=lambda size: abs(size - 1))
            cpython = {"RG1_UNCR (7.2 MB)": Path(get_testdata_file("RG1_UNCR.dcm")),
                       f"{gb(files[one_gb].stat().st_size)} file": files[one_gb]}
            log("service speed")
            rows = [{"file": label, **throughput(label, source, args.rounds, work)}
                    for label, source in cpython.items()]
            speeds.append(("CPython service", rows))
        print_tables(page, speeds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
