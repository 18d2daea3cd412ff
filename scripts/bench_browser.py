"""Benchmark the browser app in Chromium, side by side with dcmjs-codecs (DCMTK's codecs in wasm).

    .venv/bin/python scripts/bench_browser.py [--pyodide-dist DIR] [--repeats 3] [--ready-runs 5]

Measures, in one Chromium and one run:
  * page open to ready (the page's "dicompress:ready" mark), cold cache (a fresh browser
    context each time) and warm cache (a reload);
  * per-file RLE Lossless encode time for CT_small, MR2_UNCR, US1_UNCR and RG1_UNCR:
    our worker with pydicom's pure-Python plugin, with dicompress on numpy (only when a
    local Pyodide distribution is given, --pyodide-dist or DICOMPRESS_PYODIDE_DIST), and
    the npm package dcmjs-codecs on the same bytes in the same browser.
Worker times are wall-clock round trips (bytes in, bytes out) with the service's
verification switched off, as dcmjs-codecs does not verify; the app itself verifies.
Each output is then read on the host with pydicom: pixels compared with the original and
the elements each tool kept, dropped or changed counted (dcmjs-codecs rewrites the
character set and drops private elements). Prints tables; asserts nothing.
"""

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from io import BytesIO
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright
from pydicom import dcmread
from pydicom.data import get_testdata_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serve import make_server  # noqa: E402

FILES = ["CT_small.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "RG1_UNCR.dcm"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PEER_FILES = {
    "dcmjs.es.js": "node_modules/dcmjs/build/dcmjs.es.js",
    "dcmjs-codecs.min.js": "node_modules/dcmjs-codecs/build/dcmjs-codecs.min.js",
    "dcmjs-native-codecs.wasm": "node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm",
}

BENCH_HTML = """<!doctype html><meta charset="utf-8"><title>bench</title>
<script type="module">
import * as dcmjs from "./dcmjs.es.js";
window.dcmjs = dcmjs;
const script = document.createElement("script");
script.src = "./dcmjs-codecs.min.js";
script.onload = () => { document.documentElement.dataset.loaded = "true"; };
document.head.append(script);
</script>
<script type="module" src="./bench.js"></script>
"""

BENCH_JS = """
const files = new Map();
async function bytesOf(name) {
  if (!files.has(name)) files.set(name, await (await fetch(`../files/${name}`)).arrayBuffer());
  return files.get(name);
}
function b64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
function next(worker, accept) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (accept(event.data)) { worker.removeEventListener("message", listener); resolve(event.data); }
    };
    worker.addEventListener("message", listener);
  });
}
window.benchApp = async (workerUrl, names, repeats) => {
  const worker = new Worker(workerUrl, { type: "module" });
  const ready = await next(worker, (m) => m.type === "ready" || m.type === "init-failed");
  if (ready.type !== "ready") return { error: ready.message };
  const results = [];
  let id = 0;
  const warmUp = (await bytesOf(names[0])).slice(0);  // first call registers plugins, fills caches
  worker.postMessage({ type: "convert", id, name: names[0], target: "rle", buffer: warmUp, verify: false }, [warmUp]);
  await next(worker, (m) => m.type === "result" && m.id === id);
  for (const name of names) {
    const bytes = await bytesOf(name);
    const times = [];
    let reply;
    for (let r = 0; r < repeats; r++) {
      const copy = bytes.slice(0);
      id += 1;
      const started = performance.now();
      worker.postMessage({ type: "convert", id, name, target: "rle", buffer: copy, verify: false }, [copy]);
      reply = await next(worker, (m) => m.type === "result" && m.id === id);
      times.push(performance.now() - started);
    }
    results.push({ name, times, ok: reply.ok, message: reply.message || null,
                   plugin: reply.ok ? reply.report.plugin : null, output: reply.ok ? b64(reply.buffer) : null });
  }
  worker.terminate();
  return { engine: ready.engine.name, results };
};
window.benchPeer = async (names, repeats) => {
  const { NativeCodecs, Transcoder, constants } = window.dcmjsCodecs;
  await NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: "./dcmjs-native-codecs.wasm" });
  const warmUp = new Transcoder((await bytesOf(names[0])).slice(0));
  warmUp.transcode(constants.TransferSyntax.RleLossless);
  const results = [];
  for (const name of names) {
    const bytes = await bytesOf(name);
    const times = [];
    let output;
    try {
      for (let r = 0; r < repeats; r++) {
        const started = performance.now();
        const transcoder = new Transcoder(bytes.slice(0));
        transcoder.transcode(constants.TransferSyntax.RleLossless);
        output = transcoder.getDicomPart10();
        times.push(performance.now() - started);
      }
      results.push({ name, times, ok: true, plugin: "dcmjs-codecs", output: b64(output) });
    } catch (err) {
      results.push({ name, times, ok: false, message: String(err), output: null });
    }
  }
  return { engine: `dcmjs-codecs ${window.dcmjsCodecs.version}`, results };
};
document.documentElement.dataset.bench = "true";
"""


def build(out: Path, *extra: str) -> Path:
    """Build the app into `out` with scripts/build.py."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(out), *extra],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return out


def prepare(work: Path, pyodide_dist: str | None) -> dict[str, Path]:
    """Build the app(s), the peer's page and the test files under `work`; return mounts."""
    mounts = {"/app/": build(work / "app")}
    if pyodide_dist:
        mounts["/numpy/"] = build(work / "numpy", "--pyodide-dist", pyodide_dist)
    peer = work / "bench"
    peer.mkdir()
    for name, source in PEER_FILES.items():
        if not (ROOT / source).exists():
            sys.exit(f"bench: {source} missing; run npm ci (dcmjs-codecs is a devDependency)")
        shutil.copy2(ROOT / source, peer / name)
    (peer / "index.html").write_text(BENCH_HTML)
    (peer / "bench.js").write_text(BENCH_JS)
    files = work / "files"
    files.mkdir()
    for name in FILES:
        shutil.copy2(get_testdata_file(name), files / name)
    mounts["/bench/"] = peer
    mounts["/files/"] = files
    return mounts


def localhost_only(context) -> None:
    """Block every host but 127.0.0.1 (numpy's CDN attempt fails fast, as in the tests)."""
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort("blockedbyclient"))


READY_MARK = "() => performance.getEntriesByName('dicompress:ready')[0]?.startTime ?? null"


def ready_times(browser, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Return page-open-to-ready times (ms): cold (fresh context) and warm (reload)."""
    cold, warm = [], []
    for _ in range(runs):
        context = browser.new_context()
        localhost_only(context)
        page = context.new_page()
        for times in (cold, warm):
            if times is cold:
                page.goto(url)
            else:
                page.reload()
            page.wait_for_selector("html[data-ready=true]", timeout=120_000)
            times.append(page.evaluate(READY_MARK))
        context.close()
    return cold, warm


def conversions(browser, origin: str, repeats: int, apps: dict[str, str]) -> list[dict]:
    """Run our worker per app build and dcmjs-codecs on FILES; return one dict per engine."""
    context = browser.new_context()
    localhost_only(context)
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=30_000)
    runs = []
    for label, path in apps.items():
        result = page.evaluate("([url, names, repeats]) => benchApp(url, names, repeats)",
                               [f"{origin}{path}worker.js", FILES, repeats])
        runs.append({**result, "label": label})
    peer = page.evaluate("([names, repeats]) => benchPeer(names, repeats)", [FILES, repeats])
    runs.append({**peer, "label": peer.get("engine", "dcmjs-codecs")})
    context.close()
    return runs


def preservation(original: Path, output: bytes) -> dict:
    """Compare an output with its original on the host: pixels, elements kept, private, charset."""
    source = dcmread(original)
    result = dcmread(BytesIO(output))
    ignored = {"PixelData", "PlanarConfiguration"}
    elements = [e for e in source if e.keyword not in ignored]
    kept = sum(1 for e in elements if e.tag in result and result[e.tag].value == e.value)
    private = [e for e in elements if e.tag.is_private]
    private_kept = sum(1 for e in private if e.tag in result and result[e.tag].value == e.value)
    return {
        "pixels": bool(np.array_equal(source.pixel_array, result.pixel_array)),
        "kept": f"{kept}/{len(elements)}",
        "private": f"{private_kept}/{len(private)}",
        "charset": source.get("SpecificCharacterSet") == result.get("SpecificCharacterSet"),
        "syntax": result.file_meta.TransferSyntaxUID.name,
    }


def median_ms(times: list[float]) -> float:
    return statistics.median(times) if times else float("nan")


def print_ready(label: str, cold: list[float], warm: list[float]) -> None:
    print(f"  {label:<34} cold {median_ms(cold):7.0f} ms (min {min(cold):.0f})   "
          f"warm {median_ms(warm):7.0f} ms (min {min(warm):.0f})")


def print_tables(runs: list[dict], files: Path) -> None:
    """Print time per file and engine, speed ratios against dcmjs-codecs, and what was kept."""
    sizes = {name: (files / name).stat().st_size for name in FILES}
    peer = runs[-1]
    peer_ms = {r["name"]: median_ms(r["times"]) for r in peer["results"] if r["ok"]}
    base = runs[0]
    base_ms = {r["name"]: median_ms(r["times"]) for r in base["results"] if r["ok"]}
    print("\nRLE Lossless encode, median wall time per file (verification off)")
    header = (f"  {'file':<14}{'size':>9}  {'engine':<28}{'ms':>9}{'MB/s':>8}{'ratio':>7}"
              f"{'vs pydicom':>11}{'vs dcmjs':>10}")
    print(header)
    for name in FILES:
        for run in runs:
            result = next(r for r in run["results"] if r["name"] == name)
            if not result["ok"]:
                print(f"  {name:<14}{sizes[name]:>9}  {run['label']:<28}  failed: {result['message']}")
                continue
            ms = median_ms(result["times"])
            out = len(base64.b64decode(result["output"]))
            speed = sizes[name] / 1e6 / (ms / 1000)
            versus = f"{peer_ms[name] / ms:.2f}x" if name in peer_ms else "—"
            speedup = f"{base_ms[name] / ms:.2f}x" if name in base_ms else "—"
            print(f"  {name:<14}{sizes[name]:>9}  {run['label']:<28}{ms:>9.1f}{speed:>8.1f}"
                  f"{sizes[name] / out:>7.2f}{speedup:>11}{versus:>10}")
    print("\n  vs X = X's time / this engine's time (above 1: faster than X); ratio = input / output bytes")
    print("\nWhat each tool kept (host-side pydicom)")
    print(f"  {'file':<14}{'engine':<28}{'pixels':>8}{'elements':>10}{'private':>9}{'charset':>9}")
    for name in FILES:
        for run in runs:
            result = next(r for r in run["results"] if r["name"] == name)
            if not result["ok"]:
                continue
            kept = preservation(files / name, base64.b64decode(result["output"]))
            print(f"  {name:<14}{run['label']:<28}{'same' if kept['pixels'] else 'DIFF':>8}"
                  f"{kept['kept']:>10}{kept['private']:>9}{'same' if kept['charset'] else 'changed':>9}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyodide-dist", default=os.environ.get("DICOMPRESS_PYODIDE_DIST"),
                        help="local full Pyodide distribution: also benchmark dicompress on numpy")
    parser.add_argument("--repeats", type=int, default=3, help="conversions per file and engine")
    parser.add_argument("--ready-runs", type=int, default=5, help="page loads per cache state")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dicompress-bench-") as tmp:
        work = Path(tmp)
        print("bench: building the app", flush=True)
        mounts = prepare(work, args.pyodide_dist)
        server = make_server(mounts, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        apps = {"app, pydicom's plugin": "/app/"}
        if "/numpy/" in mounts:
            apps["app, dicompress on numpy"] = "/numpy/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            print(f"\nPage open to ready, median of {args.ready_runs} (Chromium {browser.version}, localhost)")
            for label, path in apps.items():
                cold, warm = ready_times(browser, origin + path, args.ready_runs)
                print_ready(label, cold, warm)
            if len(apps) == 1:
                print("  (no Pyodide distribution given: dicompress on numpy not measured)")
            runs = conversions(browser, origin, args.repeats, apps)
            browser.close()
        print_tables(runs, work / "files")
        server.shutdown()


if __name__ == "__main__":
    main()
