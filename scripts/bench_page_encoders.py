"""Benchmark the page's encoders in one Chromium: ours against dcmjs-codecs', then whole conversions.

    .venv/bin/python scripts/bench_page_encoders.py [--rounds 5] [--dist DIR]

Everything runs in one Chromium (Debian's /usr/bin/chromium) in one run and is printed as
medians and ratios within that run (the machine is shared: absolute times are noisy).

* Encode per image and target (JPEG-LS, JPEG 2000, HTJ2K Lossless): every frame of each
  corpus image, as the service hands it to the encoder (:mod:`dicompress.writing.lossless`),
  in interleaved rounds, by the page's codec bridge (web/codecs.js over the build's codecs/,
  what the pydicom plugin ``dicompress-page`` calls) and by dcmjs-codecs (DCMTK's, CharLS's,
  OpenJPEG's and OpenJPH's codecs in one wasm, npm devDependency), on the same bytes. Goal
  (issue 20): ours at most 1.5x slower than dcmjs-codecs. The sizes of both are printed too.
* Whole files: the app's page converts each image to each target (read, encode, check by
  decoding, write: what a person waits for, after a first file has loaded the codecs)
  against dcmjs-codecs' Transcoder on the same file in the same Chromium (no check).

Asserts nothing; prints markdown tables and the goal as met / NOT met.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

from playwright.sync_api import sync_playwright
from pydicom import dcmread
from pydicom.uid import UID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from bench_browser import CHROMIUM_ARGS, PEER_FILES, build  # noqa: E402
from serve import make_server  # noqa: E402

from dicompress import frontend  # noqa: E402
from dicompress.plugins.wasm_codecs import ENCODING_FAMILIES  # noqa: E402
from dicompress.plugins.wasm_encoder import frame_layout, unsupported  # noqa: E402
from dicompress.reading.dicom_input import geometry, source_frames  # noqa: E402
from dicompress.writing import lossless  # noqa: E402
from tests.corpus import path as corpus_path  # noqa: E402

IMAGES = ["RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "CT_small.dcm", "emri_small.dcm"]
#: target -> (dcmjs-codecs' encoder, its Transcoder's transfer syntax constant)
PEERS = {"jpeg-ls": ("encodeJpegLs", "JpegLsLossless"), "j2k": ("encodeJpeg2000", "Jpeg2000Lossless"),
         "htj2k": ("encodeHtJpeg2000", "HtJpeg2000Lossless")}
GOAL_RATIO = 1.5
#: The first file of each target loads its codecs in the page; it is converted once before timing.
WARM_UP = "CT_small.dcm"

BENCH_HTML = """<!doctype html><meta charset="utf-8"><title>encoders</title>
<script type="module">
import * as dcmjs from "./dcmjs.es.js";
window.dcmjs = dcmjs;  // dcmjs-codecs' script needs it as a global
const script = document.createElement("script");
script.src = "./dcmjs-codecs.min.js";
script.onload = () => { document.documentElement.dataset.loaded = "true"; };
document.head.append(script);
</script>
<script type="module" src="./encode.js"></script>
"""

ENCODE_JS = """
import { Codecs } from "../app/codecs.js";
const manifest = await (await fetch("../app/manifest.json")).json();
const codecs = new Codecs(async (family) => {
  const entry = manifest.codecs[family];
  const module = await import(`../app/${entry.script.url}`);
  const wasmBinary = entry.wasm ? new Uint8Array(await (await fetch(`../app/${entry.wasm.url}`)).arrayBuffer()) : null;
  return { factory: module.default, wasmBinary, Decoder: module.Decoder };
});
const cases = new Map();
const files = new Map();
window.benchSetup = async (list, names) => {
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
  for (const name of names) files.set(name, new Uint8Array(await (await fetch(`../files/${name}`)).arrayBuffer()));
  return true;
};
const tools = {
  ours(c) {
    const started = performance.now();
    let bytes = 0;
    for (const frame of c.frames) bytes += codecs.encode(c.family, frame, c.layout).length;
    return { ms: performance.now() - started, bytes };
  },
  dcmjs(c) {
    const { Context, NativeCodecs } = window.dcmjsCodecs;
    const o = c.options;
    const contexts = c.frames.map((decodedBuffer) => new Context({
      width: o.columns, height: o.rows, bitsAllocated: o.bits_allocated, bitsStored: o.bits_stored,
      samplesPerPixel: o.samples_per_pixel, pixelRepresentation: o.pixel_representation,
      planarConfiguration: 0, photometricInterpretation: c.photometric, decodedBuffer,
    }));
    const started = performance.now();
    let bytes = 0;
    for (const context of contexts) bytes += NativeCodecs[c.peer](context).getEncodedBuffer().length;
    return { ms: performance.now() - started, bytes };
  },
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
window.transcode = (name, syntax) => {
  const { Transcoder, constants } = window.dcmjsCodecs;
  const copy = files.get(name).slice(0).buffer;
  const started = performance.now();
  const transcoder = new Transcoder(copy);
  transcoder.transcode(constants.TransferSyntax[syntax]);
  const output = transcoder.getDicomPart10();
  return { ms: performance.now() - started, bytes: output.byteLength };
};
document.documentElement.dataset.bench = "true";
"""


def prepare(work: Path, dist: Path | None) -> tuple[dict[str, Path], list[dict]]:
    """Build (unless given), write the bench page and every case's frames; return mounts and cases."""
    app = dist.resolve() if dist else build(work / "app")
    bench, frames, files = work / "bench", work / "frames", work / "files"
    bench.mkdir()
    files.mkdir()
    for name in PEER_FILES:
        shutil.copy2(ROOT / PEER_FILES[name], bench / name)
    (bench / "index.html").write_text(BENCH_HTML)
    (bench / "encode.js").write_text(ENCODE_JS)
    cases = []
    for name in IMAGES:
        shutil.copy2(corpus_path(name), files / name)
        ds = dcmread(corpus_path(name))
        shape = geometry(ds)
        for target in PEERS:
            syntax = UID(frontend.target(target).syntax)
            plan = lossless.plan(ds, shape, syntax)
            if unsupported(syntax, plan.options):
                continue
            key = f"{name}-{target}"
            folder = frames / key
            folder.mkdir(parents=True)
            count = 0
            for count, frame in enumerate(source_frames(ds, shape), start=1):
                (folder / f"{count - 1}.bin").write_bytes(lossless.stored_values(frame, plan, count))
            layout = asdict(frame_layout(syntax, plan.options))
            cases.append({
                "key": key, "name": name, "target": target, "frames": count, "family": ENCODING_FAMILIES[syntax],
                "peer": PEERS[target][0], "options": plan.options, "photometric": str(ds.PhotometricInterpretation),
                "layout": {"width": layout["width"], "height": layout["height"], "components": layout["components"],
                           "bitsPerSample": layout["bits_per_sample"], "signed": layout["signed"],
                           "colourTransform": layout["colour_transform"]},
                "decoded": shape.rows * shape.columns * shape.samples_per_pixel * shape.bits_allocated // 8 * count,
            })
    return {"/app/": app, "/bench/": bench, "/frames/": frames, "/files/": files}, cases


def encoders(browser, origin: str, cases: list[dict], rounds: int) -> list[dict]:
    """Both encoders on every case, in `rounds` interleaved rounds after one warm-up round."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=60_000)
    page.evaluate("([list, names]) => benchSetup(list, names)", [cases, IMAGES])
    keys = [case["key"] for case in cases]
    results = []
    for r in range(rounds + 1):
        print(f"bench: encoders, {'warm-up round' if r == 0 else f'round {r}/{rounds}'}", file=sys.stderr)
        order = ["ours", "dcmjs"] if r % 2 else ["dcmjs", "ours"]
        found = page.evaluate("([keys, order]) => benchRound(keys, order)", [keys, order])
        if r:
            results.extend(found)
    transcoded = {}
    for target, (_, syntax) in PEERS.items():
        for name in IMAGES:
            runs = [page.evaluate("([n, s]) => transcode(n, s)", [name, syntax]) for _ in range(rounds)]
            transcoded[(name, target)] = statistics.median(run["ms"] for run in runs)
    context.close()
    return results, transcoded


def page_conversions(browser, origin: str, work: Path, rounds: int) -> dict[tuple[str, str], dict]:
    """Convert every image to every target in the app's page `rounds` times; median ms from adding to done."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/app/")
    page.wait_for_selector("html[data-ready=true]", state="attached", timeout=180_000)
    times: dict[tuple[str, str], list[float]] = {}
    statuses: dict[tuple[str, str], str] = {}
    for target in PEERS:
        page.select_option("[data-testid=syntax]", target)
        for index, name in enumerate([WARM_UP] * 1 + IMAGES * rounds):
            print(f"bench: page, {target} {name}", file=sys.stderr)
            source = work / f"{target}-{index}-{name}"
            shutil.copy2(corpus_path(name), source)
            row = f'[data-testid=result][data-filename="{source.name}"]'
            started = time.perf_counter()
            page.set_input_files("[data-testid=file-input]", str(source))
            page.wait_for_selector(f"{row}:is([data-status=done], [data-status=error], [data-status=kept])",
                                   state="attached", timeout=300_000)
            ms = (time.perf_counter() - started) * 1000
            if index:
                times.setdefault((name, target), []).append(ms)
                statuses[(name, target)] = page.get_attribute(row, "data-status")
    context.close()
    return {key: {"ms": statistics.median(ms), "status": statuses[key]} for key, ms in times.items()}


def _median(results: list[dict], key: str, tool: str) -> float | str:
    found = [r for r in results if r["key"] == key and r["tool"] == tool]
    errors = [r["error"] for r in found if "error" in r]
    return errors[0] if errors else float(statistics.median(r["ms"] for r in found))


def report(cases: list[dict], results: list[dict], transcoded: dict, pages: dict) -> None:
    """Print the encode table, the goal, and the whole-file table."""
    print("\n| image | target | decoded | frames | ours (web/codecs.js) | dcmjs-codecs | ours / dcmjs-codecs "
          "| our bytes / theirs |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    met, worst = True, 0.0
    for case in cases:
        ours, theirs = _median(results, case["key"], "ours"), _median(results, case["key"], "dcmjs")
        sizes = {r["tool"]: r.get("bytes") for r in results if r["key"] == case["key"]}
        if isinstance(ours, float) and isinstance(theirs, float):
            ratio = ours / theirs
            worst = max(worst, ratio)
            met = met and ratio <= GOAL_RATIO
            shown = f"{ratio:.2f}x"
        else:
            shown = "n/a"
        size = f"{sizes['ours'] / sizes['dcmjs']:.3f}" if sizes.get("ours") and sizes.get("dcmjs") else "n/a"
        cells = [f"{t:.1f} ms" if isinstance(t, float) else f"failed: {t}" for t in (ours, theirs)]
        print(f"| {case['name']} | {case['target']} | {case['decoded'] / 1e6:.2f} MB | {case['frames']} | {cells[0]} "
              f"| {cells[1]} | {shown} | {size} |")
    print(f"\nGoal (ours at most {GOAL_RATIO}x slower than dcmjs-codecs' encoder): "
          f"{'met' if met else 'NOT met'} (worst {worst:.2f}x)")
    print("\n| image | target | page: whole file, verified | dcmjs-codecs Transcoder (no check) | page / Transcoder |")
    print("|---|---|---:|---:|---:|")
    for (name, target), page in pages.items():
        peer = transcoded[(name, target)]
        print(f"| {name} | {target} | {page['ms']:.0f} ms ({page['status']}) | {peer:.0f} ms "
              f"| {page['ms'] / peer:.2f}x |")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run every measurement in one Chromium, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page-rounds", type=int, default=3)
    parser.add_argument("--dist", type=Path, help="an existing build (default: build one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mounts, cases = prepare(work, args.dist)
        server = make_server(mounts, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                print(f"bench: Chromium {browser.version}, {args.rounds} rounds", file=sys.stderr)
                results, transcoded = encoders(browser, origin, cases, args.rounds)
                pages = page_conversions(browser, origin, work, args.page_rounds)
                browser.close()
        finally:
            server.shutdown()
        report(cases, results, transcoded, pages)


if __name__ == "__main__":
    main()
