"""Benchmark the page's decoders in one Chromium: ours against dcmjs-codecs', then the page's costs.

    .venv/bin/python scripts/bench_decoders.py [--rounds 5] [--dist DIR]

Everything runs in one Chromium (Debian's /usr/bin/chromium) in one run and is printed as
medians and ratios within that run (the machine is shared: absolute times are noisy).

* Decode per image: every frame of each compressed corpus image, in interleaved rounds, by
  the page's codec bridge (web/codecs.js over the build's codecs/, what the pydicom plugin
  calls) and by dcmjs-codecs (DCMTK's, OpenJPEG's and CharLS's codecs in one wasm, npm
  devDependency) for the same syntax, on the same codestream bytes. Goal (issue 16): ours
  no slower than 1.5x on any image over 1 MB (decoded).
* A study's first compressed file: the app's page converts RG1_J2KR.dcm to RLE twice (two
  names); the first includes downloading and starting the JPEG 2000 decoder, the second not.
* RG1_J2KR.dcm to RLE: the page (second run above, verified) against the command line
  (``python -m dicompress``, whole process) and CPython's ``service.convert`` in-process.

Asserts nothing; prints a markdown table and the goal as met / NOT met.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from pydicom import dcmread
from pydicom.encaps import generate_frames

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from bench_browser import CHROMIUM_ARGS, PEER_FILES, build  # noqa: E402
from serve import make_server  # noqa: E402

from dicompress.plugins.wasm_codecs import DECODING_FAMILIES  # noqa: E402
from dicompress.service import convert  # noqa: E402
from tests.corpus import path as corpus_path  # noqa: E402

#: image -> the dcmjs-codecs decoder of its syntax.
IMAGES = {
    "RG1_J2KR.dcm": "decodeJpeg2000", "RG1_J2KI.dcm": "decodeJpeg2000", "MR2_J2KR.dcm": "decodeJpeg2000",
    "US1_J2KR.dcm": "decodeJpeg2000", "emri_small_jpeg_ls_lossless.dcm": "decodeJpegLs",
    "JPEGLSNearLossless_16.dcm": "decodeJpegLs", "JPEG-LL.dcm": "decodeJpeg",
    "color3d_jpeg_baseline.dcm": "decodeJpeg", "SC_rgb_dcmtk_+eb+cy+np.dcm": "decodeJpeg",
}
FIRST_FILE = "RG1_J2KR.dcm"
BIG_IMAGE, GOAL_RATIO = 1_000_000, 1.5

BENCH_HTML = """<!doctype html><meta charset="utf-8"><title>decoders</title>
<script type="module">
import * as dcmjs from "./dcmjs.es.js";
window.dcmjs = dcmjs;  // dcmjs-codecs' script needs it as a global
const script = document.createElement("script");
script.src = "./dcmjs-codecs.min.js";
script.onload = () => { document.documentElement.dataset.loaded = "true"; };
document.head.append(script);
</script>
<script type="module" src="./decode.js"></script>
"""

DECODE_JS = """
import { Codecs } from "../app/codecs.js";
const manifest = await (await fetch("../app/manifest.json")).json();
const codecs = new Codecs(async (family) => {
  const entry = manifest.codecs[family];
  const module = await import(`../app/${entry.script.url}`);
  const wasmBinary = entry.wasm ? new Uint8Array(await (await fetch(`../app/${entry.wasm.url}`)).arrayBuffer()) : null;
  return { factory: module.default, wasmBinary, Decoder: module.Decoder };
});
const images = new Map();
window.benchSetup = async (list) => {
  const { NativeCodecs } = window.dcmjsCodecs;
  await NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: "./dcmjs-native-codecs.wasm" });
  await codecs.need(codecs.families);
  for (const image of list) {
    const frames = [];
    for (let i = 0; i < image.frames; i++) {
      frames.push(new Uint8Array(await (await fetch(`../frames/${image.index}/${i}.bin`)).arrayBuffer()));
    }
    images.set(image.name, { ...image, frames });
  }
  return true;
};
const tools = {
  ours(image) {
    const started = performance.now();
    let bytes = 0;
    for (const frame of image.frames) bytes += codecs.decode(image.family, frame).pixels.byteLength;
    return { ms: performance.now() - started, bytes };
  },
  dcmjs(image) {
    const { Context, NativeCodecs } = window.dcmjsCodecs;
    const g = image.geometry;
    const contexts = image.frames.map((encodedBuffer) => new Context({
      width: g.columns, height: g.rows, bitsAllocated: g.bits_allocated, bitsStored: g.bits_stored,
      samplesPerPixel: g.samples_per_pixel, pixelRepresentation: g.pixel_representation,
      planarConfiguration: 0, photometricInterpretation: g.photometric, encodedBuffer,
    }));
    const started = performance.now();
    let bytes = 0;
    for (const context of contexts) bytes += NativeCodecs[image.peer](context).getDecodedBuffer().byteLength;
    return { ms: performance.now() - started, bytes };
  },
};
window.benchRound = (names, order) => {
  const results = [];
  for (const name of names) {
    for (const tool of order) {
      try {
        results.push({ name, tool, ...tools[tool](images.get(name)) });
      } catch (err) {
        results.push({ name, tool, error: String(err?.message ?? err) });
      }
    }
  }
  return results;
};
document.documentElement.dataset.bench = "true";
"""

def prepare(work: Path, dist: Path | None) -> tuple[dict[str, Path], list[dict]]:
    """Build (unless given), write the bench page and every image's frames; return mounts and images."""
    app = dist.resolve() if dist else build(work / "app")
    bench, frames = work / "bench", work / "frames"
    bench.mkdir()
    for name in PEER_FILES:
        shutil.copy2(ROOT / PEER_FILES[name], bench / name)
    (bench / "index.html").write_text(BENCH_HTML)
    (bench / "decode.js").write_text(DECODE_JS)
    images = []
    for index, (name, peer) in enumerate(IMAGES.items()):
        ds = dcmread(corpus_path(name))
        count = int(ds.get("NumberOfFrames") or 1)
        folder = frames / str(index)
        folder.mkdir(parents=True)
        for i, frame in enumerate(generate_frames(ds.PixelData, number_of_frames=count)):
            (folder / f"{i}.bin").write_bytes(frame)
        geometry = {"rows": ds.Rows, "columns": ds.Columns, "bits_allocated": ds.BitsAllocated,
                    "bits_stored": ds.BitsStored, "samples_per_pixel": ds.SamplesPerPixel,
                    "pixel_representation": ds.PixelRepresentation, "photometric": ds.PhotometricInterpretation}
        images.append({"index": index, "name": name, "frames": count, "peer": peer, "geometry": geometry,
                       "family": DECODING_FAMILIES[ds.file_meta.TransferSyntaxUID],
                       "decoded": ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8 * count})
    return {"/app/": app, "/bench/": bench, "/frames/": frames}, images


def decoders(browser, origin: str, images: list[dict], rounds: int) -> list[dict]:
    """Both decoders on every image, in `rounds` interleaved rounds after one warm-up round."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=60_000)
    page.evaluate("(list) => benchSetup(list)", images)
    names = [image["name"] for image in images]
    results = []
    for r in range(rounds + 1):
        print(f"bench: decoders, {'warm-up round' if r == 0 else f'round {r}/{rounds}'}", file=sys.stderr)
        order = ["ours", "dcmjs"] if r % 2 else ["dcmjs", "ours"]
        found = page.evaluate("([names, order]) => benchRound(names, order)", [names, order])
        if r:
            results.extend(found)
    context.close()
    return results


def page_conversions(browser, origin: str, work: Path) -> list[dict]:
    """Convert RG1_J2KR.dcm twice in the app's page (two names): first with the decoder's download."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/app/")
    page.wait_for_selector("html[data-ready=true]", state="attached", timeout=180_000)
    runs = []
    for label in ("first", "second"):
        print(f"bench: page, {label} compressed file", file=sys.stderr)
        source = work / f"{label}-{FIRST_FILE}"
        shutil.copy2(corpus_path(FIRST_FILE), source)
        row = f'[data-testid=result][data-filename="{source.name}"]'
        started = time.perf_counter()
        page.set_input_files("[data-testid=file-input]", str(source))
        page.wait_for_selector(f"{row}[data-status=done], {row}[data-status=error]", state="attached",
                               timeout=180_000)
        ms = (time.perf_counter() - started) * 1000
        runs.append({"label": label, "ms": ms, "status": page.get_attribute(row, "data-status")})
    context.close()
    return runs


def cli_times(work: Path, runs: int = 3) -> tuple[float, float]:
    """Median ms of the command line (whole process) and of CPython's service.convert on FIRST_FILE."""
    process, service = [], []
    data = corpus_path(FIRST_FILE).read_bytes()
    for i in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dicompress", str(corpus_path(FIRST_FILE)), "-o", str(work / f"cli{i}")],
                       check=True, capture_output=True)
        process.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        convert(data, "rle")
        service.append((time.perf_counter() - started) * 1000)
    return statistics.median(process), statistics.median(service)


def report(images: list[dict], results: list[dict], pages: list[dict], cli: tuple[float, float]) -> None:
    """Print the decode table, the goal, and the page's costs."""
    print("\n| image | decoded | frames | ours (web/codecs.js) | dcmjs-codecs | ours / dcmjs-codecs |")
    print("|---|---:|---:|---:|---:|---:|")
    met = True
    for image in images:
        times = {}
        for tool in ("ours", "dcmjs"):
            found = [r for r in results if r["name"] == image["name"] and r["tool"] == tool]
            errors = [r["error"] for r in found if "error" in r]
            times[tool] = errors[0] if errors else float(statistics.median(r["ms"] for r in found))
        if all(isinstance(t, float) for t in times.values()):
            ratio = times["ours"] / times["dcmjs"]
            if image["decoded"] > BIG_IMAGE and ratio > GOAL_RATIO:
                met = False
            shown = f"{ratio:.2f}x"
        else:
            shown = "n/a"
        cells = [f"{t:.1f} ms" if isinstance(t, float) else f"failed: {t}" for t in times.values()]
        print(f"| {image['name']} | {image['decoded'] / 1e6:.2f} MB | {image['frames']} | {cells[0]} | {cells[1]} "
              f"| {shown} |")
    print(f"\nGoal (ours no slower than {GOAL_RATIO}x on images over 1 MB): {'met' if met else 'NOT met'}")
    first, second = pages
    print(f"\nPage, {FIRST_FILE} to RLE: first compressed file {first['ms']:.0f} ms ({first['status']}), "
          f"again {second['ms']:.0f} ms ({second['status']}): the decoder's download and start cost "
          f"{first['ms'] - second['ms']:.0f} ms")
    process, service = cli
    print(f"Command line, same file: {process:.0f} ms (whole process), service.convert {service:.0f} ms; "
          f"page / service.convert = {second['ms'] / service:.2f}x, "
          f"page / command line = {second['ms'] / process:.2f}x")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run every measurement in one Chromium, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dist", type=Path, help="an existing build (default: build one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mounts, images = prepare(work, args.dist)
        server = make_server(mounts, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                print(f"bench: Chromium {browser.version}, {args.rounds} rounds", file=sys.stderr)
                results = decoders(browser, origin, images, args.rounds)
                pages = page_conversions(browser, origin, work)
                browser.close()
        finally:
            server.shutdown()
        report(images, results, pages, cli_times(work))


if __name__ == "__main__":
    main()
