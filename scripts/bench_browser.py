"""Benchmark the browser app in one Chromium: encoders side by side, the page, time to first result.

    .venv/bin/python scripts/bench_browser.py [--rounds 5] [--ready-runs 5] [--dist DIR]

Everything runs in one Chromium (Debian's /usr/bin/chromium) in one run, and is printed as
medians and ratios within that run: the machine is shared, so absolute times are noisy.

Per image (CT_small, MR2_UNCR, US1_UNCR, RG3_UNCR, RG1_UNCR, rtdose), in interleaved rounds
(the order of the tools rotates each round, so drift hits all of them alike):
  * dicompress: our numpy plugin encoding the image's frames through pydicom's
    ``RLELosslessEncoder`` inside the app's own Pyodide (a bench worker started with the
    build's startup.js: same dist/pyodide, same wheels, same micropip install), timed in
    Python around the encode of the frames only;
  * pydicom: pydicom's own RLE plugin (``encoding_plugin="pydicom"``), same Pyodide, same frames;
  * dcmjs-codecs: ``NativeCodecs.encodeRle`` (DCMTK's RLE codec in wasm, npm devDependency)
    on the same frame bytes, in the same browser;
  * page: the app's own worker (dist/worker.js) converting the file exactly as the page asks
    for it (the file as a Blob, preview on, verification on), timed from postMessage to result;
  * dcmjs-codecs file: its Transcoder, file bytes in, RLE file bytes out (no verification).

Time to first result: the page opens (cold: fresh browser context, empty cache; warm: a
reload in the same context once the service worker has saved the page), CT_small is set on
the file input as soon as the app listens to it, and the time from navigation to the row's
``data-status=done`` is taken; against a bare ``loadPyodide()`` from the same dist/pyodide
(navigation to resolved), cold and warm too. The page's ``dicompress:ready`` mark's timings
show where the start-up goes.

A study of small files (issue 21): STUDY_COPIES (``--study-copies``) copies each of CT_small, MR_small and
SC_rgb_small_odd (300 files) set on the page's file input once its engine is ready, timed
from the input's change to the last row done (verification and thumbnails on), with the
pool at 1, 2 and 4 converters (``navigator.hardwareConcurrency`` set before the page runs;
each page first converts a few files so its converters are started); against a loop of
dcmjs-codecs' Transcoder over the same Files in another tab (read, transcode, a Blob of
the result; one thread, no verification). Interleaved rounds, medians. The page's longest
main-thread task and longest gap between frames during the study show whether the row list
stays smooth (``--study-copies 1667``: 5,000 files).

``--baseline DIR``: another build of the app (e.g. of the commit before a change) is measured
in the same run, its page conversions and study next to this build's.

On the host, the files the page and dcmjs-codecs wrote are read with pydicom: pixels
compared with the original, elements kept, private elements, character set. Prints a
markdown table for the README and the goals of issues 7 and 21 as met / NOT met; asserts
nothing. ``--parts`` runs only some of the measurements (encoders, study, first).
"""

import argparse
import base64
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import warnings
from io import BytesIO
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright
from pydicom import dcmread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from serve import make_server  # noqa: E402 (found through the sys.path entries above)

from tests.corpus import path as corpus_path  # noqa: E402

FILES = ["CT_small.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "RG3_UNCR.dcm", "RG1_UNCR.dcm", "rtdose.dcm"]
FIRST_FILE = "CT_small.dcm"
TOOLS = ["dicompress", "pydicom", "dcmjs", "page", "dcmjs-file", "service", "service-unverified"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
PEER_FILES = {
    "dcmjs.es.js": "node_modules/dcmjs/build/dcmjs.es.js",
    "dcmjs-codecs.min.js": "node_modules/dcmjs-codecs/build/dcmjs-codecs.min.js",
    "dcmjs-native-codecs.wasm": "node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm",
}
# Goals of issue 7, item 8.
BIG_FILE = 1_000_000
PAGE_GOAL_FILE, PAGE_GOAL_MS = "RG1_UNCR.dcm", 500
WARM_GOAL_MS, COLD_GOAL_RATIO = 1500, 1.3
# Issue 21: a study of small files, and its goals (ratios to the peer in the same run).
STUDY_FILES = ["CT_small.dcm", "MR_small.dcm", "SC_rgb_small_odd.dcm"]
STUDY_COPIES = 100
STUDY_WORKERS = {1: 1, 2: 2, 4: 5}  # converters wanted -> hardwareConcurrency that gives them (pool.js)
STUDY_WARMUP = 8
STUDY_GOAL, PAGE_FILE_GOAL, WARM_GOAL_RATIO = 1.5, 1.5, 2.0
PARTS = ("encoders", "study", "first")
# The pool this machine gets by default (pool.js: one core stays with the page, 1 to 4 converters).
STUDY_DEFAULT_WORKERS = min((n for n in STUDY_WORKERS),
                            key=lambda n: abs(n - max(1, min(4, (os.cpu_count() or 1) - ((os.cpu_count() or 1) > 2)))))

# ---------------------------------------------------------------- pages served under /bench/

#: The page of a benchmark under /bench/: dcmjs-codecs loaded (data-loaded), then ./bench.js; TITLE and BODY filled.
BENCH_HTML = """<!doctype html><meta charset="utf-8"><title>TITLE</title>
<script type="module">
import * as dcmjs from "./dcmjs.es.js";
window.dcmjs = dcmjs;  // dcmjs-codecs' script needs it as a global
const script = document.createElement("script");
script.src = "./dcmjs-codecs.min.js";
script.onload = () => { document.documentElement.dataset.loaded = "true"; };
document.head.append(script);
</script>
<script type="module" src="./bench.js"></script>
BODY
"""

# The encoders' Python, run in the bench worker's Pyodide (the app's own start-up).
ENCODE_PY = r"""
import hashlib, time
from pydicom.pixels.encoders import RLELosslessEncoder
from dicompress import service
from dicompress.reading.dicom_input import geometry, read_dataset, source_frames
from dicompress.plugins.rle_encoder import PACKING_OPTION
from dicompress.plugins.registration import is_registered, register

if not is_registered():
    register()
_images = {}

def bench_setup(name, data):
    raw = data.to_bytes()
    ds = read_dataset(raw)
    shape = geometry(ds)
    frames = [bytes(f) for f in source_frames(ds, shape)]
    options = service._pixel_options(ds, shape)  # exactly what the service hands the encoder
    _images[name] = (frames, options, raw)
    return {"frames": frames, "options": options}

def bench_encode(name, plugin):
    frames, options, _ = _images[name]
    started = time.perf_counter()
    streams = [RLELosslessEncoder.encode(f, encoding_plugin=plugin, **options, **{PACKING_OPTION: "pydicom"})
               for f in frames]
    ms = (time.perf_counter() - started) * 1000
    digest = hashlib.sha256()
    for s in streams:
        digest.update(s)
    return {"ms": ms, "bytes": sum(len(s) for s in streams), "sha256": digest.hexdigest()}

def bench_service(name, verify):
    raw = _images[name][2]
    started = time.perf_counter()
    result = service.convert(raw, "rle", verify=verify)
    return {"ms": (time.perf_counter() - started) * 1000, "bytes": len(result.data)}
"""

ENCODE_WORKER_JS = """
import { start } from "../app/startup.js";
const CODE = __CODE__;
let py = null;
const booted = start(() => {}).then(({ pyodide, ready }) => {
  pyodide.runPython(CODE);
  py = pyodide;
  self.postMessage({ type: "ready", engine: ready.engine, timings: ready.timings });
}, (err) => self.postMessage({ type: "ready", error: String(err.message || err) }));
function plain(proxy) {
  const value = proxy.toJs({ dict_converter: Object.fromEntries });
  proxy.destroy();
  return value;
}
self.onmessage = async ({ data }) => {
  await booted;
  try {
    if (data.type === "setup") {
      const result = plain(py.globals.get("bench_setup")(data.name, new Uint8Array(data.buffer)));
      const frames = result.frames.map((f) => f.slice().buffer);
      self.postMessage({ id: data.id, ok: true, frames, options: result.options }, frames);
    } else if (data.type === "service") {
      const result = plain(py.globals.get("bench_service")(data.name, data.verify));
      self.postMessage({ id: data.id, ok: true, ...result });
    } else {
      const result = plain(py.globals.get("bench_encode")(data.name, data.plugin));
      self.postMessage({ id: data.id, ok: true, ...result });
    }
  } catch (err) {
    self.postMessage({ id: data.id, ok: false, message: String(err.message || err).trim().split("\\n").at(-1) });
  }
};
""".replace("__CODE__", json.dumps(ENCODE_PY))

BENCH_JS = """
const fileBytes = new Map();
const images = new Map(); // name -> {frames, options}
let encoder = null;
const apps = {}; // "app" (this build) and "base" (--baseline), each the app's own worker
let nextId = 1;

async function bytesOf(name) {
  if (!fileBytes.has(name)) fileBytes.set(name, new Uint8Array(await (await fetch(`../files/${name}`)).arrayBuffer()));
  return fileBytes.get(name);
}
function b64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
function reply(worker, accept) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (accept(event.data)) { worker.removeEventListener("message", listener); resolve(event.data); }
    };
    worker.addEventListener("message", listener);
  });
}
function ask(worker, message, transfer = []) {
  const id = nextId++;
  const answer = reply(worker, (m) => m.id === id && !["progress", "preview", "started"].includes(m.type));
  worker.postMessage({ ...message, id }, transfer);
  return answer;
}

// Start the bench worker (the app's start-up + the encoders' Python) and the app's worker,
// initialise dcmjs-codecs, and cut every image into frames with the service's own code.
function appWorker(root) {
  const worker = new Worker(`../${root}/worker.js`, { type: "module" });
  // As the page does (engine.js): Python's runtime compiled here, handed over when asked.
  const runtime = WebAssembly.compileStreaming(fetch(`../${root}/pyodide/pyodide.asm.wasm`));
  worker.addEventListener("message", async ({ data }) => {
    if (data?.type === "runtime-wanted") worker.postMessage({ type: "runtime", module: await runtime });
  });
  return worker;
}
window.benchSetup = async (names, withBase) => {
  const { NativeCodecs } = window.dcmjsCodecs;
  await NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: "./dcmjs-native-codecs.wasm" });
  encoder = new Worker("./encode-worker.js", { type: "module" });
  for (const root of withBase ? ["app", "base"] : ["app"]) apps[root] = appWorker(root);
  const [encoderReady, ...appsReady] = await Promise.all([
    reply(encoder, (m) => m.type === "ready"),
    ...Object.values(apps).map((w) => reply(w, (m) => m.type === "ready" || m.type === "init-failed")),
  ]);
  if (encoderReady.error) return { error: `bench worker: ${encoderReady.error}` };
  const failed = appsReady.find((r) => r.type !== "ready");
  if (failed) return { error: `app worker: ${failed.reason}` };
  const appReady = appsReady[0];
  for (const name of names) {
    const bytes = await bytesOf(name);
    const setup = await ask(encoder, { type: "setup", name, buffer: bytes.slice(0).buffer });
    if (!setup.ok) return { error: `${name}: ${setup.message}` };
    images.set(name, { frames: setup.frames.map((f) => new Uint8Array(f)), options: setup.options });
  }
  return { engine: appReady.engine, benchEngine: encoderReady.engine, codecs: window.dcmjsCodecs.version,
           frames: Object.fromEntries([...images].map(([n, i]) => [n, i.frames.length])) };
};

// The app's worker converting the file exactly as the page asks for it.
async function pageConversion(app, name, keep) {
  const file = new Blob([await bytesOf(name)], { type: "application/dicom" });
  const started = performance.now();
  let previewMs = null;
  const preview = reply(app, (m) => m.type === "preview").then(() => { previewMs = performance.now() - started; });
  const r = await ask(app, { type: "convert", name, target: "rle", file, preview: true });
  const ms = performance.now() - started;
  if (!r.ok) return { error: r.message || r.code };
  const out = { ms, previewMs, serviceMs: r.report.seconds * 1000, bytes: r.report.output_bytes,
                plugin: r.report.plugin, verified: r.report.verified };
  if (keep) out.output = b64(new Uint8Array(await r.blob.arrayBuffer()));
  return out;
}

const tools = {
  async dicompress(name) {
    const r = await ask(encoder, { type: "encode", name, plugin: "dicompress" });
    return r.ok ? { ms: r.ms, bytes: r.bytes, sha256: r.sha256 } : { error: r.message };
  },
  async pydicom(name) {
    const r = await ask(encoder, { type: "encode", name, plugin: "pydicom" });
    return r.ok ? { ms: r.ms, bytes: r.bytes, sha256: r.sha256 } : { error: r.message };
  },
  async service(name) {
    const r = await ask(encoder, { type: "service", name, verify: true });
    return r.ok ? { ms: r.ms, bytes: r.bytes } : { error: r.message };
  },
  async "service-unverified"(name) {
    const r = await ask(encoder, { type: "service", name, verify: false });
    return r.ok ? { ms: r.ms, bytes: r.bytes } : { error: r.message };
  },
  async dcmjs(name) {
    const { Context, NativeCodecs } = window.dcmjsCodecs;
    const { frames, options: o } = images.get(name);
    const contexts = frames.map((frame) => new Context({
      width: o.columns, height: o.rows, bitsAllocated: o.bits_allocated, bitsStored: o.bits_stored,
      samplesPerPixel: o.samples_per_pixel, pixelRepresentation: o.pixel_representation,
      planarConfiguration: o.planar_configuration, photometricInterpretation: o.photometric_interpretation,
      decodedBuffer: frame,
    }));
    try {
      const started = performance.now();
      const streams = contexts.map((c) => NativeCodecs.encodeRle(c).getEncodedBuffer());
      const ms = performance.now() - started;
      return { ms, bytes: streams.reduce((n, s) => n + s.length, 0) };
    } catch (err) {
      return { error: String(err.message || err) };
    }
  },
  page: (name, keep) => pageConversion(apps.app, name, keep),
  "page-base": (name, keep) => pageConversion(apps.base, name, keep),
  async "dcmjs-file"(name, keep) {
    const { Transcoder, constants } = window.dcmjsCodecs;
    const copy = (await bytesOf(name)).slice(0).buffer;
    try {
      const started = performance.now();
      const transcoder = new Transcoder(copy);
      transcoder.transcode(constants.TransferSyntax.RleLossless);
      const output = transcoder.getDicomPart10();
      const ms = performance.now() - started;
      const out = { ms, bytes: output.byteLength };
      if (keep) out.output = b64(new Uint8Array(output));
      return out;
    } catch (err) {
      return { error: String(err.message || err) };
    }
  },
};

// The study: dcmjs-codecs' Transcoder over every File of the #study input, one after the
// other as a page would (read, transcode, a Blob of the result).
window.benchStudy = async () => {
  const { Transcoder, constants } = window.dcmjsCodecs;
  const files = Array.from(document.querySelector("#study").files);
  const started = performance.now();
  let bytes = 0;
  let failed = 0;
  for (const file of files) {
    try {
      const transcoder = new Transcoder(await file.arrayBuffer());
      transcoder.transcode(constants.TransferSyntax.RleLossless);
      const blob = new Blob([transcoder.getDicomPart10()], { type: "application/dicom" });
      bytes += blob.size;
    } catch (err) {
      failed += 1;
    }
  }
  return { ms: performance.now() - started, files: files.length, bytes, failed };
};

// One round: every image, every tool in `order`. `keep`: send the files written back too.
window.benchRound = async (names, order, keep) => {
  const results = [];
  for (const name of names) {
    for (const tool of order) results.push({ name, tool, ...(await tools[tool](name, keep)) });
  }
  return results;
};
document.documentElement.dataset.bench = "true";
"""

BARE_HTML = """<!doctype html><meta charset="utf-8"><title>bare Pyodide</title>
<script type="module">
import { loadPyodide } from "../app/pyodide/pyodide.mjs";
await loadPyodide({ indexURL: new URL("../app/pyodide/", location.href).href });
performance.mark("bare:ready");
document.documentElement.dataset.ready = "true";
</script>
"""

# The same with the standard library the app's worker uses: the build's, with bytecode
# (bytecode/python_stdlib.zip; Pyodide's own archive ships sources only).
BARE_BYTECODE_HTML = """<!doctype html><meta charset="utf-8"><title>bare Pyodide, stdlib with bytecode</title>
<script type="module">
import { loadPyodide } from "../app/pyodide/pyodide.mjs";
await loadPyodide({ indexURL: new URL("../app/pyodide/", location.href).href,
                    stdLibURL: new URL("../app/bytecode/python_stdlib.zip", location.href).href });
performance.mark("bare:ready");
document.documentElement.dataset.ready = "true";
</script>
"""

# The same, with Pyodide started in a module worker as the app does (for comparison only).
BARE_WORKER_HTML = """<!doctype html><meta charset="utf-8"><title>bare Pyodide in a worker</title>
<script type="module">
const worker = new Worker("./bare-worker.js", { type: "module" });
worker.onmessage = () => {
  performance.mark("bare:ready");
  document.documentElement.dataset.ready = "true";
};
</script>
"""
BARE_WORKER_JS = """import { loadPyodide } from "../app/pyodide/pyodide.mjs";
await loadPyodide({ indexURL: new URL("../app/pyodide/", import.meta.url).href });
postMessage("ready");
"""

# Before any script of the page: note when the app listens to its file input, when the file
# is set and when the first row is done (all in ms from navigation).
FIRST_RESULT_INIT = """
(() => {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, ...rest) {
    if (type === "change" && this instanceof HTMLInputElement && this.dataset.testid === "file-input") {
      window.__benchWired = performance.now();
    }
    return add.call(this, type, ...rest);
  };
  document.addEventListener("change", (e) => {
    if (e.target?.dataset?.testid === "file-input") window.__benchFileSet ??= performance.now();
  }, true);
  new MutationObserver((_, observer) => {
    if (document.querySelector("[data-testid=result][data-status=done]")) {
      window.__benchDone = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
})();
"""

# The page under a given number of cores (pool.js sizes its pool by it).
CORES_INIT = """Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => __CORES__ });"""

# In the app, before its scripts: the longest main-thread task and the longest gap between
# frames from the study's start (the row list must stay smooth however many files it has).
SMOOTHNESS_INIT = """
(() => {
  window.__smooth = { longest: 0, gap: 0, last: null, from: null };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (window.__smooth.from !== null && e.startTime >= window.__smooth.from) {
        window.__smooth.longest = Math.max(window.__smooth.longest, e.duration);
      }
    }
  }).observe({ type: "longtask" });
  const frame = (now) => {
    const s = window.__smooth;
    if (s.from !== null && s.last !== null && s.last >= s.from) s.gap = Math.max(s.gap, now - s.last);
    s.last = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  // Files finished (the app's "dicompress:file" marks), counted from the file input's last change,
  // so that waiting for a study costs the page nothing per row.
  window.__finished = { count: 0, base: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === "dicompress:file") window.__finished.count += 1;
  }).observe({ type: "mark" });
  document.addEventListener("change", (e) => {
    if (e.target?.dataset?.testid === "file-input") window.__finished.base = window.__finished.count;
  }, true);
})();
"""

# In the app: time from the file input's change to `count` more files finished (every row settled).
STUDY_WAIT = """(count) => new Promise((resolve) => {
  const started = window.__studyChange;
  const check = () => {
    if (window.__finished.count - window.__finished.base < count) {
      setTimeout(check, 20);
      return;
    }
    const ms = performance.now() - started;
    const rows = document.querySelectorAll("[data-testid=result]");
    const statuses = {};
    for (const r of rows) statuses[r.dataset.status] = (statuses[r.dataset.status] || 0) + 1;
    const verified = [...document.querySelectorAll("[data-testid=result] .result-verified")]
      .filter((c) => c.textContent.startsWith("✓")).length;
    resolve({ ms, statuses, verified,
              workers: Number(document.querySelector("[data-testid=engine]").dataset.workers || 1),
              longestTask: window.__smooth.longest, frameGap: window.__smooth.gap });
  };
  check();
})"""

FIRST_RESULT_READ = """() => {
  const ready = performance.getEntriesByName("dicompress:ready")[0];
  const file = performance.getEntriesByName("dicompress:file")[0];
  const status = document.querySelector("[data-testid=result]")?.dataset.status ?? null;
  return { done: window.__benchDone ?? null, wired: window.__benchWired ?? null, fileSet: window.__benchFileSet ?? null,
           ready: ready?.startTime ?? null, timings: ready?.detail ?? null, fileSeconds: file?.detail?.seconds ?? null,
           status, engine: document.querySelector("[data-testid=engine]")?.dataset.engine ?? null };
}"""


# ---------------------------------------------------------------- setup

def build(out: Path, *extra: str) -> Path:
    """Build the app into `out` with scripts/build.py."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(out), *extra],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return out


def write_bench_page(bench: Path, title: str, script: str, body: str = "") -> Path:
    """Make the folder `bench` with dcmjs-codecs, the page (BENCH_HTML) and `script` as bench.js; return it."""
    bench.mkdir()
    for name, source in PEER_FILES.items():
        if not (ROOT / source).exists():
            sys.exit(f"bench: {source} missing; run npm ci (dcmjs-codecs is a devDependency)")
        shutil.copy2(ROOT / source, bench / name)
    (bench / "index.html").write_text(BENCH_HTML.replace("TITLE", title).replace("BODY", body))
    (bench / "bench.js").write_text(script)
    return bench


def prepare(work: Path, dist: Path | None) -> dict[str, Path]:
    """Build the app (unless `dist` is given), write the bench pages, copy the images; return mounts."""
    app = dist.resolve() if dist else build(work / "app")
    if not (app / "pyodide" / "pyodide.mjs").is_file():
        sys.exit(f"bench: {app} is not a build of the app (no pyodide/pyodide.mjs)")
    bench = write_bench_page(work / "bench", "bench", BENCH_JS, '<input type="file" id="study" multiple>')
    (bench / "encode-worker.js").write_text(ENCODE_WORKER_JS)
    (bench / "bare.html").write_text(BARE_HTML)
    (bench / "bare-worker.html").write_text(BARE_WORKER_HTML)
    (bench / "bare-bytecode.html").write_text(BARE_BYTECODE_HTML)
    (bench / "bare-worker.js").write_text(BARE_WORKER_JS)
    files = work / "files"
    files.mkdir()
    for name in FILES:
        shutil.copy2(corpus_path(name), files / name)
    return {"/app/": app, "/bench/": bench, "/files/": files}


# ---------------------------------------------------------------- measurements

def encoders(browser, origin: str, rounds: int, log, baseline: bool) -> tuple[dict, list[dict]]:
    """Run every tool on every image in `rounds` interleaved rounds (after one warm-up round).

    With `baseline`, the page conversion of the baseline build (``page-base``) too.
    """
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=30_000)
    info = page.evaluate("([names, withBase]) => benchSetup(names, withBase)", [FILES, baseline])
    tools = [*TOOLS, "page-base"] if baseline else TOOLS
    if "error" in info:
        sys.exit(f"bench: {info['error']}")
    results = []
    for r in range(rounds + 1):
        order = tools[r % len(tools):] + tools[: r % len(tools)]
        log(f"bench: encoders, {'warm-up round' if r == 0 else f'round {r}/{rounds}'}")
        found = page.evaluate("([names, order, keep]) => benchRound(names, order, keep)",
                              [FILES, order, r == rounds])
        if r > 0:
            results.extend({**item, "round": r} for item in found)
    context.close()
    return info, results


def first_result(browser, url: str, file: Path) -> tuple[dict, dict]:
    """Open the app in a fresh context, drop `file` as soon as it can take it; then again, warm."""
    context = browser.new_context()
    context.add_init_script(FIRST_RESULT_INIT)
    page = context.new_page()
    runs = {}
    for state in ("cold", "warm"):
        if state == "cold":
            page.goto(url, wait_until="commit")
        else:
            # The service worker saves the page once the converter has started: wait for it.
            page.wait_for_selector("[data-testid=offline][data-state=ready]", timeout=120_000)
            page.reload(wait_until="commit")
        page.wait_for_function("() => window.__benchWired !== undefined", timeout=60_000, polling=1)
        page.set_input_files("[data-testid=file-input]", str(file))
        page.wait_for_selector("[data-testid=result][data-status=done], [data-testid=result][data-status=error]",
                               timeout=120_000)
        runs[state] = page.evaluate(FIRST_RESULT_READ)
        runs[state]["controlled"] = page.evaluate("() => Boolean(navigator.serviceWorker?.controller)")
    context.close()
    return runs["cold"], runs["warm"]


def bare_pyodide(browser, url: str) -> tuple[float, float]:
    """Navigation to a resolved bare loadPyodide(), cold (fresh context) and warm (reload)."""
    context = browser.new_context()
    page = context.new_page()
    times = []
    for state in ("cold", "warm"):
        if state == "cold":
            page.goto(url, wait_until="commit")
        else:
            page.reload(wait_until="commit")
        page.wait_for_selector("html[data-ready=true]", timeout=120_000)
        times.append(page.evaluate("() => performance.getEntriesByName('bare:ready')[0].startTime"))
    context.close()
    return times[0], times[1]


def start_times(browser, origin: str, files: Path, runs: int, log) -> dict[str, list]:
    """Rotate page, bare Pyodide and bare Pyodide in a worker (each cold, then warm) `runs` times."""
    kinds = ["page", "bare", "bare-bytecode", "bare-worker"]
    found: dict[str, list] = {kind: [] for kind in kinds}
    for i in range(runs):
        log(f"bench: first result, run {i + 1}/{runs}")
        for kind in kinds[i % len(kinds):] + kinds[: i % len(kinds)]:
            if kind == "page":
                found[kind].append(first_result(browser, f"{origin}/app/", files / FIRST_FILE))
            else:
                found[kind].append(bare_pyodide(browser, f"{origin}/bench/{kind}.html"))
    return found



def study_files(files: Path, copies: int) -> list[Path]:
    """Write `copies` copies of each STUDY_FILES image under files/study/; return them in order."""
    folder = files / "study"
    folder.mkdir(exist_ok=True)
    made = []
    for copy in range(copies):
        for name in STUDY_FILES:
            target = folder / f"{copy:04d}-{name}"
            if not target.exists():
                shutil.copy2(corpus_path(name), target)
            made.append(target)
    return made


def study_page(browser, origin: str, files: list[Path], workers: int, root: str = "app") -> dict:
    """The app (under /`root`/) with `workers` converters: warm up its pool, then time the whole study."""
    context = browser.new_context()
    context.add_init_script(CORES_INIT.replace("__CORES__", str(STUDY_WORKERS[workers])))
    context.add_init_script(SMOOTHNESS_INIT)
    page = context.new_page()
    page.goto(f"{origin}/{root}/")
    page.wait_for_selector("html[data-ready=true]", timeout=120_000)
    # The pool grows while files wait: warm up until it has its converters (a few rounds at most).
    for _ in range(2 * workers):
        page.set_input_files("[data-testid=file-input]", [str(f) for f in files[:STUDY_WARMUP * workers]])
        started = page.evaluate(STUDY_WAIT, STUDY_WARMUP * workers)["workers"]
        page.click("#clear")
        if started >= workers:
            break
    page.evaluate("""() => document.querySelector("[data-testid=file-input]").addEventListener(
        "change", () => { window.__studyChange = window.__smooth.from = performance.now(); },
        { capture: true, once: true })""")
    page.set_input_files("[data-testid=file-input]", [str(f) for f in files])
    found = page.evaluate(STUDY_WAIT, len(files))
    context.close()
    return found


def study_dcmjs(browser, origin: str, files: list[Path]) -> dict:
    """dcmjs-codecs' Transcoder over the same Files, in a page of its own."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{origin}/bench/")
    page.wait_for_selector("html[data-bench=true][data-loaded=true]", timeout=30_000)
    page.evaluate("""() => window.dcmjsCodecs.NativeCodecs.initializeAsync(
        { webAssemblyModulePathOrUrl: "./dcmjs-native-codecs.wasm" })""")
    page.set_input_files("#study", [str(f) for f in files])
    found = page.evaluate("() => benchStudy()")
    context.close()
    return found


def study(browser, files: Path, origin: str, rounds: int, log, copies: int, pools: list[int],
          baseline: bool) -> dict[str, list[dict]]:
    """Interleaved rounds of the study: the page with each pool size (and the baseline build's), dcmjs-codecs."""
    paths = study_files(files, copies)
    kinds = [*(f"page-{n}" for n in pools), *(f"base-{n}" for n in pools if baseline), "dcmjs"]
    found: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for r in range(rounds):
        for kind in kinds[r % len(kinds):] + kinds[: r % len(kinds)]:
            log(f"bench: study, round {r + 1}/{rounds}: {kind}")
            if kind == "dcmjs":
                found[kind].append(study_dcmjs(browser, origin, paths))
            else:
                root = "base" if kind.startswith("base") else "app"
                found[kind].append(study_page(browser, origin, paths, int(kind.split("-")[1]), root))
    return found


def print_study(found: dict[str, list[dict]], rounds: int, copies: int) -> dict[str, float]:
    """The study's table; returns the median ms by kind."""
    files = len(STUDY_FILES) * copies
    medians = {kind: median([r["ms"] for r in runs]) for kind, runs in found.items()}
    print(f"\n| study: {files} small files ({', '.join(map(short, STUDY_FILES))}), median of {rounds} "
          "| total | per file | vs dcmjs-codecs | rows done / verified | converters | longest task | frame gap |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, runs in found.items():
        last = runs[-1]
        if kind == "dcmjs":
            label = "dcmjs-codecs Transcoder loop (one thread, no verification)"
            rows, workers = f"{last['files'] - last['failed']}/—", "1"
            smooth = "— | —"
        else:
            build = "page" if kind.startswith("page") else "baseline build"
            label = f"{build}, pool of {kind.split('-')[1]}"
            rows = f"{last['statuses'].get('done', 0)}/{last['verified']}"
            workers = str(last["workers"])
            smooth = (f"{fmt_ms(max(r['longestTask'] for r in runs))} "
                      f"| {fmt_ms(max(r['frameGap'] for r in runs))}")
        print(f"| {label} | {fmt_ms(medians[kind])} | {fmt_ms(medians[kind] / files)} "
              f"| {ratio(medians[kind], medians['dcmjs'])} | {rows} | {workers} | {smooth} |")
    return medians


# ---------------------------------------------------------------- host-side checks

def preservation(original: Path, output: bytes) -> dict:
    """Compare an output with its original on the host: pixels, elements kept, private, charset."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. rtdose's invalid UI value: not the tools' doing
        return _preservation(dcmread(original), dcmread(BytesIO(output)))


def _preservation(source, result) -> dict:
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


# ---------------------------------------------------------------- report

def median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def fmt_ms(ms: float) -> str:
    if math.isnan(ms):
        return "—"
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def ratio(num: float, den: float) -> str:
    return f"{num / den:.1f}x" if not (math.isnan(num) or math.isnan(den)) and den > 0 else "—"


def mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def summarise(results: list[dict]) -> dict:
    """Return {(name, tool): {"ms": median, "best": min, "errors": [...], "items": [...], "last": ...}}."""
    table: dict = {}
    for item in results:
        entry = table.setdefault((item["name"], item["tool"]), {"times": [], "errors": [], "items": []})
        entry["items"].append(item)
        if "error" in item:
            entry["errors"].append(item["error"])
        else:
            entry["times"].append(item["ms"])
    for entry in table.values():
        entry["ms"] = median(entry["times"])
        entry["best"] = min(entry["times"], default=float("nan"))
        entry["last"] = entry["items"][-1]
    return table


def short(name: str) -> str:
    return name.removesuffix(".dcm")


def print_encoders(info: dict, t: dict, sizes: dict, rounds: int, chromium: str) -> None:
    """The README table: encoders and the page, medians and ratios."""
    ms = {key: entry["ms"] for key, entry in t.items()}
    print(f"\n### Browser benchmark (Chromium {chromium}, {info['engine']['name']}, dcmjs-codecs {info['codecs']}; "
          f"medians of {rounds} interleaved rounds)\n")
    print("| image | size | frames | dicompress encode | pydicom plugin | dcmjs-codecs encode "
          "| vs dcmjs-codecs | vs pydicom | page conversion, verified | dcmjs-codecs file |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in FILES:
        ours = ms[(name, "dicompress")]
        print(f"| {short(name)} | {sizes[name] / 1e6:.2f} MB | {info['frames'][name]} "
              f"| {fmt_ms(ours)} | {fmt_ms(ms[(name, 'pydicom')])} | {fmt_ms(ms[(name, 'dcmjs')])} "
              f"| {ratio(ms[(name, 'dcmjs')], ours)} | {ratio(ms[(name, 'pydicom')], ours)} "
              f"| {fmt_ms(ms[(name, 'page')])} | {fmt_ms(ms[(name, 'dcmjs-file')])} |")


def print_first_result(starts: dict, runs: int) -> dict:
    """The README table: time to first result against a bare Pyodide start; returns the medians."""
    medians = {
        "page": [median([pair[i]["done"] for pair in starts["page"]]) for i in (0, 1)],
        "bare": [median([pair[i] for pair in starts["bare"]]) for i in (0, 1)],
        "bare-worker": [median([pair[i] for pair in starts["bare-worker"]]) for i in (0, 1)],
        "bare-bytecode": [median([pair[i] for pair in starts["bare-bytecode"]]) for i in (0, 1)],
    }
    print(f"\n| first result, {FIRST_FILE} dropped as the page opens (median of {runs}) | cold | warm |")
    print("|---|---:|---:|")
    rows = [("page: navigation to the row done", "page"),
            ("bare `loadPyodide()`, same dist/pyodide", "bare"),
            ("bare `loadPyodide()` in a module worker (as the app)", "bare-worker"),
            ("bare `loadPyodide()` with the build's stdlib bytecode (as the app)", "bare-bytecode")]
    for label, key in rows:
        print(f"| {label} | {fmt_ms(medians[key][0])} | {fmt_ms(medians[key][1])} |")
    print(f"| page / bare | {ratio(medians['page'][0], medians['bare'][0])} "
          f"| {ratio(medians['page'][1], medians['bare'][1])} |")
    print(f"| page / bare with the same stdlib bytecode | {ratio(medians['page'][0], medians['bare-bytecode'][0])} "
          f"| {ratio(medians['page'][1], medians['bare-bytecode'][1])} |")
    return medians


def print_goals(t: dict, sizes: dict, first: dict) -> None:
    ms = {key: entry["ms"] for key, entry in t.items()}
    print("\nGoals (issue 7)")
    big = [n for n in FILES if sizes[n] > BIG_FILE]
    slower = [short(n) for n in big if not ms[(n, "dicompress")] < ms[(n, "dcmjs")]]
    print(f"  encode faster than dcmjs-codecs on every image over 1 MB ({', '.join(map(short, big))}): "
          f"{mark(not slower)}" + (f" (slower on {', '.join(slower)})" if slower else ""))
    page_ms = ms[(PAGE_GOAL_FILE, "page")]
    print(f"  page's {short(PAGE_GOAL_FILE)} conversion with verification under {PAGE_GOAL_MS} ms: "
          f"{fmt_ms(page_ms)}, {mark(page_ms < PAGE_GOAL_MS)}")
    warm = first["page"][1]
    print(f"  first result warm <= {WARM_GOAL_MS} ms: {fmt_ms(warm)}, {mark(warm <= WARM_GOAL_MS)}")
    cold, bare = first["page"][0], first["bare"][0]
    print(f"  first result cold <= {COLD_GOAL_RATIO}x a bare Pyodide start: {cold / bare:.2f}x "
          f"({fmt_ms(cold)} vs {fmt_ms(bare)}), {mark(cold / bare <= COLD_GOAL_RATIO)}")


def print_details(t: dict, files: Path) -> None:
    """Where the time goes, best-time ratios, and the host-side checks of what was written."""
    ms = {key: entry["ms"] for key, entry in t.items()}
    best = {key: entry["best"] for key, entry in t.items()}
    print("\nEncode, best of the rounds (less disturbed by other work on the machine): dicompress / dcmjs-codecs "
          "/ pydicom, and vs dcmjs-codecs")
    for name in FILES:
        ours = best[(name, "dicompress")]
        print(f"  {name:<14}{fmt_ms(ours):>9} /{fmt_ms(best[(name, 'dcmjs')]):>9} /"
              f"{fmt_ms(best[(name, 'pydicom')]):>9}"
              f"   {ratio(best[(name, 'dcmjs')], ours)}")

    print("\nPage conversion, medians: round trip = preview (sent first) + service in the worker + transfer;"
          " the service alone in Python, verify on / off; encode alone")
    for name in FILES:
        items = [i for i in t[(name, "page")]["items"] if "error" not in i]
        preview = median([i["previewMs"] for i in items])
        in_worker = median([i["serviceMs"] for i in items])
        print(f"  {name:<14} round trip {fmt_ms(ms[(name, 'page')]):>8}, preview {fmt_ms(preview):>7}"
              f", service {fmt_ms(in_worker):>7}"
              f" | service {fmt_ms(ms[(name, 'service')]):>7} / {fmt_ms(ms[(name, 'service-unverified')]):>7}"
              f", encode {fmt_ms(ms[(name, 'dicompress')]):>7}"
              f" | plugin {items[-1]['plugin'] if items else '—'}, verified {items[-1]['verified'] if items else '—'}")

    print("\nChecks")
    for (name, tool), entry in t.items():
        if entry["errors"]:
            print(f"  {name} {tool}: failed {len(entry['errors'])}x: {entry['errors'][-1]}")
    for name in FILES:
        ours, theirs, peer = (t[(name, k)]["last"] for k in ("dicompress", "pydicom", "dcmjs"))
        same = ours.get("sha256") is not None and ours.get("sha256") == theirs.get("sha256")
        print(f"  {name:<14} dicompress stream {'byte-identical to' if same else 'DIFFERS from'} pydicom's; "
              f"RLE bytes: dicompress {ours.get('bytes')}, dcmjs-codecs {peer.get('bytes')}")
    print(f"\n  {'file':<14}{'written by':<14}{'pixels':>8}{'elements':>10}{'private':>9}{'charset':>9}  syntax")
    for name in FILES:
        for tool, label in (("page", "page"), ("dcmjs-file", "dcmjs-codecs")):
            last = t[(name, tool)]["last"]
            if "output" not in last:
                continue
            kept = preservation(files / name, base64.b64decode(last["output"]))
            print(f"  {name:<14}{label:<14}{'same' if kept['pixels'] else 'DIFF':>8}{kept['kept']:>10}"
                  f"{kept['private']:>9}{'same' if kept['charset'] else 'changed':>9}  {kept['syntax']}")


#: The first result's phases: (label, start, end), each a point in ms from navigation (see first_phases).
FIRST_PHASES = [
    ("navigation to the worker's start (and the ready message's way back)", "navigation", "worker"),
    ("loadPyodide() in the worker", "worker", "pyodide"),
    ("micropip loaded (and its bytecode)", "pyodide", "micropip"),
    ("our wheels installed by micropip (numpy loading alongside)", "micropip", "wheels"),
    ("numpy loaded, after the wheels", "wheels", "numpy"),
    ("import numpy", "numpy", "import-numpy"),
    ("import pydicom", "import-numpy", "import-pydicom"),
    ("import dicompress.service, codec bridge", "import-pydicom", "import"),
    ("the file's conversion and its row", "ready", "done"),
]


def first_phases(found: dict) -> dict[str, float]:
    """The points of FIRST_PHASES of one page run, in ms from navigation.

    The worker's timings count from its own start, which the page does not see: it is taken
    as the page's ready mark less the worker's time to "ready" (its last step, "import").
    """
    timings = found["timings"] or {}
    worker = found["ready"] - timings["import"]  # so the ready message's way back counts in the first phase
    points = {"navigation": 0.0, "worker": worker, "ready": found["ready"], "done": found["done"]}
    for step in ("pyodide", "micropip", "wheels", "numpy", "import-numpy", "import-pydicom", "import"):
        points[step] = worker + timings.get(step, timings["import"])
    points["numpy"] = max(points["numpy"], points["wheels"])  # side by side: only what numpy adds
    return points


def print_first_phases(starts: dict) -> None:
    """Where the first result's time goes: a table of phases, cold and warm (medians)."""
    runs = {state: [first_phases(pair[index]) for pair in starts["page"]]
            for index, state in enumerate(("cold", "warm"))}
    print("\n| first result, phase (median ms; worker steps from its ready message) | cold | warm |")
    print("|---|---:|---:|")
    for label, begin, end in FIRST_PHASES:
        cells = [fmt_ms(median([p[end] - p[begin] for p in runs[state]])) for state in ("cold", "warm")]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    cells = [fmt_ms(median([p["done"] for p in runs[state]])) for state in ("cold", "warm")]
    print(f"| navigation to the row done | {cells[0]} | {cells[1]} |")
    bare = [fmt_ms(median([pair[i] for pair in starts["bare"]])) for i in (0, 1)]
    print(f"| bare `loadPyodide()`, navigation to resolved | {bare[0]} | {bare[1]} |")
    for index, state in enumerate(("cold", "warm")):
        found = [pair[index] for pair in starts["page"]]
        print(f"  {state}: conversion in Python {fmt_ms(1000 * median([f['fileSeconds'] for f in found]))}, "
              f"engine {'/'.join(sorted({str(f['engine']) for f in found}))}, "
              f"service worker in control {sum(f['controlled'] for f in found)}/{len(found)}")


def print_goals_21(t: dict | None, first: dict | None, studied: dict | None, copies: int) -> None:
    """Issue 21's goals, each a ratio to its peer in this run."""
    print("\nGoals (issue 21)")
    default = STUDY_DEFAULT_WORKERS
    if studied and f"page-{default}" in studied:
        page, peer = studied[f"page-{default}"], studied["dcmjs"]
        print(f"  study of {len(STUDY_FILES) * copies} small files, page (pool of {default}, this machine's "
              f"default) <= {STUDY_GOAL}x dcmjs-codecs' Transcoder loop: {ratio(page, peer)} "
              f"({fmt_ms(page)} vs {fmt_ms(peer)}), {mark(page / peer <= STUDY_GOAL)}")
    if t:
        page, peer = t[(PAGE_GOAL_FILE, "page")]["ms"], t[(PAGE_GOAL_FILE, "dcmjs-file")]["ms"]
        print(f"  {short(PAGE_GOAL_FILE)} verified page conversion <= {PAGE_FILE_GOAL}x dcmjs-codecs' file transcode: "
              f"{ratio(page, peer)} ({fmt_ms(page)} vs {fmt_ms(peer)}), {mark(page / peer <= PAGE_FILE_GOAL)}")
        if (PAGE_GOAL_FILE, "page-base") in t:
            print("  page conversion, this build / the baseline build: "
                  + ", ".join(f"{short(n)} {ratio(t[(n, 'page')]['ms'], t[(n, 'page-base')]['ms'])}" for n in FILES))
    if first:
        for index, state, goal in ((1, "warm", WARM_GOAL_RATIO), (0, "cold", COLD_GOAL_RATIO)):
            page, bare, same = first["page"][index], first["bare"][index], first["bare-bytecode"][index]
            print(f"  first result {state} <= {goal}x a bare {state} loadPyodide(): {page / bare:.2f}x "
                  f"({fmt_ms(page)} vs {fmt_ms(bare)}), {mark(page / bare <= goal)}; "
                  f"against a bare one with the same stdlib bytecode: {page / same:.2f}x ({fmt_ms(same)})")


def report(info: dict | None, results: list[dict] | None, starts: dict | None, studied: dict | None,
           files: Path, args: argparse.Namespace, chromium: str) -> None:
    """Print every table and goal of the parts that ran."""
    sizes = {name: (files / name).stat().st_size for name in FILES}
    t = summarise(results) if results else None
    if info and t:
        print_encoders(info, t, sizes, args.rounds, chromium)
    first = print_first_result(starts, args.ready_runs) if starts else None
    study_medians = print_study(studied, args.study_rounds, args.study_copies) if studied else None
    if t:
        print("\nEncode: the frames only (dicompress and pydicom's plugin timed in Python inside the app's Pyodide, "
              "dcmjs-codecs' encodeRle on the same frame bytes); vs X = X's time / dicompress's time. "
              "Page conversion: the app's worker, file in to file out, preview and verification on. "
              "dcmjs-codecs file: its Transcoder, file in to file out, no verification.")
    if t and first:
        print_goals(t, sizes, first)
    print_goals_21(t, first, study_medians, args.study_copies)
    if starts:
        print_first_phases(starts)
    if t:
        print_details(t, files)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of every tool on every image")
    parser.add_argument("--ready-runs", type=int, default=5, help="first-result runs (each cold, then warm)")
    parser.add_argument("--study-rounds", type=int, default=3, help="interleaved rounds of the study")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"what to measure, of {', '.join(PARTS)}")
    parser.add_argument("--study-copies", type=int, default=STUDY_COPIES,
                        help="copies of each study image (1667 gives the 5,000-file row list)")
    parser.add_argument("--study-pools", default=",".join(map(str, STUDY_WORKERS)),
                        help=f"pool sizes for the study, of {', '.join(map(str, STUDY_WORKERS))}")
    parser.add_argument("--dist", type=Path, help="an existing build of the app (default: build one into a temp dir)")
    parser.add_argument("--baseline", type=Path,
                        help="another build of the app (e.g. before a change), measured in the same run")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}")
    pools = [int(n) for n in args.study_pools.split(",")]
    if set(pools) - set(STUDY_WORKERS):
        parser.error(f"--study-pools: choose of {', '.join(map(str, STUDY_WORKERS))}")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="dicompress-bench-") as tmp:
        work = Path(tmp)
        log("bench: building the app" if not args.dist else f"bench: using {args.dist}")
        mounts = prepare(work, args.dist)
        if args.baseline:
            mounts["/base/"] = args.baseline.resolve()
        server = make_server(mounts, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f"http://127.0.0.1:{server.server_port}"
        info = results = starts = studied = None
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                version = browser.version
                if "encoders" in parts:
                    info, results = encoders(browser, origin, args.rounds, log, bool(args.baseline))
                if "study" in parts:
                    studied = study(browser, mounts["/files/"], origin, args.study_rounds, log, args.study_copies,
                                    pools, bool(args.baseline))
                if "first" in parts:
                    starts = start_times(browser, origin, mounts["/files/"], args.ready_runs, log)
                browser.close()
            report(info, results, starts, studied, mounts["/files/"], args, version)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
