"""The harness of the in-page codec benchmarks (scripts/bench_decoders.py, scripts/bench_page_encoders.py).

A bench page served under ``/bench/`` (bench_browser.py's, dcmjs-codecs the peer) loads the page's codec bridge
(web/codecs.js over the build's codecs/, served under ``/app/``), fetches every case's frames
from ``/frames/KEY/I.bin`` and runs, per round, each tool (``ours``, ``dcmjs``) on each case in
the order it is given (``benchRound``). A benchmark's own script (``bench.js``) defines its tools
with the helpers of ``harness.js`` and hands them to ``serve``. On the Python side: the files of
the page, the server, one Chromium, interleaved rounds after a warm-up round, a file converted
by the app's page, and the medians and ratios of the tables.
"""

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_browser import CHROMIUM_ARGS, build, write_bench_page  # noqa: E402
from serve import make_server  # noqa: E402

T = TypeVar("T")
TOOLS = ("ours", "dcmjs")

HARNESS_JS = """
import { Codecs } from "../app/codecs.js";
const manifest = await (await fetch("../app/manifest.json")).json();
export const codecs = new Codecs(async (family) => {
  const entry = manifest.codecs[family];
  const module = await import(`../app/${entry.script.url}`);
  const wasmBinary = entry.wasm ? new Uint8Array(await (await fetch(`../app/${entry.wasm.url}`)).arrayBuffer()) : null;
  return { factory: module.default, wasmBinary, Decoder: module.Decoder };
});
const cases = new Map();

// Milliseconds and bytes of `each` (returning bytes) over `items`.
export function timed(items, each) {
  const started = performance.now();
  let bytes = 0;
  for (const item of items) bytes += each(item);
  return { ms: performance.now() - started, bytes };
}

// A dcmjs-codecs Context per frame of case `c`, each frame given as its `buffer` (encodedBuffer, decodedBuffer).
export function peerContexts(c, buffer) {
  const { Context } = window.dcmjsCodecs;
  const o = c.options;
  return c.frames.map((frame) => new Context({
    width: o.columns, height: o.rows, bitsAllocated: o.bits_allocated, bitsStored: o.bits_stored,
    samplesPerPixel: o.samples_per_pixel, pixelRepresentation: o.pixel_representation,
    planarConfiguration: 0, photometricInterpretation: c.photometric, [buffer]: frame,
  }));
}

// benchSetup (start both codecs, fetch the frames) and benchRound over `tools` ({ours, dcmjs}: case -> timed).
export function serve(tools) {
  window.benchSetup = async (list) => {
    const { NativeCodecs } = window.dcmjsCodecs;
    await NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: "./dcmjs-native-codecs.wasm" });
    await codecs.need([...new Set(list.map((c) => c.family))]);
    for (const c of list) {
      const frames = [];
      for (let i = 0; i < c.frames; i++) {
        frames.push(new Uint8Array(await (await fetch(`../frames/${c.key}/${i}.bin`)).arrayBuffer()));
      }
      cases.set(c.key, { ...c, frames });
    }
    return true;
  };
  window.benchRound = (keys, order) => {
    const results = [];
    for (const key of keys) {
      for (const tool of order) {
        try {
          results.push({ key, tool, ...tools[tool](cases.get(key)) });
        } catch (err) {
          results.push({ key, tool, error: String(err?.message ?? err) });
        }
      }
    }
    return results;
  };
  document.documentElement.dataset.bench = "true";
}
"""


def arguments(doc: str) -> argparse.ArgumentParser:
    """Return the parser of the options every in-page codec benchmark has."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dist", type=Path, help="an existing build (default: build one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    return parser


def write_page(work: Path, dist: Path | None, title: str, script: str) -> dict[str, Path]:
    """Build (unless given) and write the bench page with `script` as bench.js; return the server's mounts."""
    app = dist.resolve() if dist else build(work / "app")
    bench = write_bench_page(work / "bench", title, script)
    (bench / "harness.js").write_text(HARNESS_JS)
    (work / "frames").mkdir()
    return {"/app/": app, "/bench/": bench, "/frames/": work / "frames"}


def write_frames(work: Path, key: str, frames: Iterable[bytes]) -> int:
    """Write the frames of case `key` where the bench page fetches them; return their number."""
    folder = work / "frames" / key
    folder.mkdir(parents=True)
    count = 0
    for count, frame in enumerate(frames, start=1):
        (folder / f"{count - 1}.bin").write_bytes(frame)
    return count


def in_chromium(mounts: dict[str, Path], chromium: str, rounds: int, measure: Callable[[Browser, str], T]) -> T:
    """Serve `mounts` on 127.0.0.1, launch one Chromium and return ``measure(browser, origin)``."""
    server = make_server(mounts, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            print(f"bench: Chromium {browser.version}, {rounds} rounds", file=sys.stderr)
            try:
                return measure(browser, origin)
            finally:
                browser.close()
    finally:
        server.shutdown()


def open_bench(browser: Browser, origin: str, cases: list[dict]) -> tuple[BrowserContext, Page]:
    """Return (context, page) of the bench page with both codecs started and every case's frames fetched."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=60_000)
    page.evaluate("(list) => benchSetup(list)", cases)
    return context, page


def interleaved_rounds(page: Page, label: str, cases: list[dict], rounds: int) -> list[dict]:
    """Both tools on every case in `rounds` rounds of alternating order, after one warm-up round."""
    keys = [case["key"] for case in cases]
    results = []
    for r in range(rounds + 1):
        print(f"bench: {label}, {'warm-up round' if r == 0 else f'round {r}/{rounds}'}", file=sys.stderr)
        order = list(TOOLS) if r % 2 else list(TOOLS[::-1])
        found = page.evaluate("([keys, order]) => benchRound(keys, order)", [keys, order])
        if r:
            results.extend(found)
    return results


def open_app(browser: Browser, origin: str) -> tuple[BrowserContext, Page]:
    """Return (context, page) of the app's page, ready."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/app/")
    page.wait_for_selector("html[data-ready=true]", state="attached", timeout=180_000)
    return context, page


def convert_in_app(page: Page, source: Path) -> tuple[float, str | None]:
    """Add `source` to the app's page; return the ms from adding to its row finished, and its status."""
    row = f'[data-testid=result][data-filename="{source.name}"]'
    started = time.perf_counter()
    page.set_input_files("[data-testid=file-input]", str(source))
    page.wait_for_selector(f"{row}:is([data-status=done], [data-status=error], [data-status=kept])",
                           state="attached", timeout=300_000)
    return (time.perf_counter() - started) * 1000, page.get_attribute(row, "data-status")


def median_ms(results: list[dict], key: str, tool: str) -> float | str:
    """The median ms of `tool` on case `key`, or the error of its first failed round."""
    found = [r for r in results if r["key"] == key and r["tool"] == tool]
    errors = [r["error"] for r in found if "error" in r]
    return errors[0] if errors else float(statistics.median(r["ms"] for r in found))


def compared(results: list[dict], key: str) -> tuple[list[str], float | None]:
    """The cells of both tools' medians on case `key` and ours / dcmjs's (None if one failed)."""
    times = [median_ms(results, key, tool) for tool in TOOLS]
    cells = [f"{t:.1f} ms" if isinstance(t, float) else f"failed: {t}" for t in times]
    ours, theirs = times
    return cells, ours / theirs if isinstance(ours, float) and isinstance(theirs, float) else None


def peer_options(options: Mapping[str, Any]) -> dict[str, int]:
    """The pixel options dcmjs-codecs' Context takes, by pydicom's names, from pydicom's `options`."""
    names = ("rows", "columns", "bits_allocated", "bits_stored", "samples_per_pixel", "pixel_representation")
    return {name: int(options[name]) for name in names}
