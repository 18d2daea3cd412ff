// The web worker: loads Pyodide once, installs pydicom and dicompress from this site,
// tries numpy, then converts files with dicompress.service (through bridge.py).
// No DICOM logic lives here: bytes go in, bytes and a report come out.
//
// Messages in:  {type: "convert", id, name, target, buffer, verify?} | {type: "zip", id, entries: [{name, buffer}]}
// Messages out: {type: "download", key, loaded, total, state} | {type: "phase", text}
//               {type: "ready", engine, numpy, seconds} | {type: "init-failed", message}
//               {type: "progress", id, done, total} | {type: "result", id, ok, ...}
//               {type: "zip-result", id, ok, buffer | message} | {type: "fatal", id, message}
import { loadPyodide } from "./pyodide/pyodide.mjs";

const BASE = new URL("./", import.meta.url);
const INDEX_URL = new URL("pyodide/", BASE).href;
const BRIDGE_MODULE = "dicompress_web_bridge";
const realFetch = globalThis.fetch.bind(globalThis);
const downloadKeys = new Map(); // absolute URL -> key of the page's download list
const prefetched = new Map(); // absolute URL -> bytes already downloaded and checked

let pyodide = null;
let bridge = null;

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function phase(text) {
  post({ type: "phase", text });
}

// ---------------------------------------------------------------- downloads with progress

const lastReport = new Map();

function reportDownload(key, loaded, total, state = "loading") {
  const now = performance.now();
  if (state === "loading" && now - (lastReport.get(key) ?? 0) < 80) return;
  lastReport.set(key, now);
  post({ type: "download", key, loaded, total, state });
}

function withProgress(response, key) {
  const total = Number(response.headers.get("Content-Length")) || 0;
  let loaded = 0;
  reportDownload(key, 0, total);
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      reportDownload(key, loaded, total);
      controller.enqueue(chunk);
    },
    flush() {
      reportDownload(key, loaded, loaded, "done");
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

// Pyodide fetches its runtime, standard library and packages with the global fetch:
// report their progress, and hand over bytes this worker has already checked.
globalThis.fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input), BASE).href;
  if (prefetched.has(url)) {
    const body = prefetched.get(url);
    prefetched.delete(url);
    return new Response(body, { status: 200, headers: { "Content-Type": "application/octet-stream" } });
  }
  const response = await realFetch(input, init);
  const key = downloadKeys.get(url);
  if (!key || !response.ok || !response.body) return response;
  return withProgress(response, key);
};

// Fetch `url` fully; abort when no byte arrives for `stallMs` (when given).
async function fetchBytes(url, key, stallMs = 0) {
  downloadKeys.set(url, key);
  const controller = new AbortController();
  let timer = 0;
  const arm = () => {
    if (!stallMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
  };
  try {
    arm();
    const response = await globalThis.fetch(url, { signal: controller.signal, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
    const reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arm();
      chunks.push(value);
      size += value.byteLength;
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  } catch (err) {
    reportDownload(key, 0, 0, "failed");
    throw controller.signal.aborted ? controller.signal.reason : err;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- start-up

function checkSha256(bytes, expected, what) {
  const actual = bridge.sha256_hex(bytes);
  if (actual !== expected) throw new Error(`${what} does not match its sha256 in manifest.json`);
}

async function loadNumpy(numpy, download) {
  if (!numpy) return { ok: false, excluded: true, reason: "is not part of this build" };
  let bytes;
  try {
    bytes = await download;
  } catch (err) {
    return { ok: false, reason: `could not be downloaded (${err.message || err})` };
  }
  try {
    checkSha256(bytes, numpy.sha256, "numpy");
    const url = new URL(numpy.url, BASE).href;
    prefetched.set(url, bytes);
    const errors = [];
    const loaded = await pyodide.loadPackage(url, {
      checkIntegrity: false, // checked above: the manifest's sha256 is pyodide-lock.json's
      messageCallback: () => {},
      errorCallback: (message) => errors.push(message),
    });
    prefetched.delete(url);
    if (!loaded.some((p) => p.name === "numpy")) throw new Error(errors.at(-1) || "not installed");
    return { ok: true, version: numpy.version };
  } catch (err) {
    reportDownload("numpy", 0, 0, "failed");
    return { ok: false, reason: `could not be installed (${err.message || err})` };
  }
}

async function boot() {
  const started = performance.now();
  const timings = {};
  const mark = (name) => {
    timings[name] = Math.round(performance.now() - started);
  };
  downloadKeys.set(`${INDEX_URL}pyodide.asm.wasm`, "runtime");
  downloadKeys.set(`${INDEX_URL}python_stdlib.zip`, "stdlib");
  phase("Downloading the Python runtime");
  const runtime = loadPyodide({ indexURL: INDEX_URL, stdout: () => {}, stderr: (m) => console.warn(m) });
  runtime.catch(() => {}); // awaited below
  const manifestResponse = await realFetch(new URL("manifest.json", BASE));
  if (!manifestResponse.ok) throw new Error(`manifest.json: HTTP ${manifestResponse.status}`);
  const manifest = await manifestResponse.json();
  const bridgeSource = realFetch(new URL("bridge.py", BASE)).then((r) => r.text());
  const wheels = manifest.wheels.map((w) => ({ ...w, bytes: fetchBytes(new URL(w.url, BASE).href, w.name) }));
  for (const w of wheels) w.bytes.catch(() => {});
  const numpy = manifest.numpy;
  const numpyDownload = numpy ? fetchBytes(new URL(numpy.url, BASE).href, "numpy", numpy.timeout_ms) : null;
  numpyDownload?.catch(() => {});

  pyodide = await runtime;
  mark("pyodide");
  phase("Installing pydicom and dicompress");
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.FS.writeFile(`${sitePackages}/${BRIDGE_MODULE}.py`, await bridgeSource);
  bridge = pyodide.pyimport(BRIDGE_MODULE);
  for (const w of wheels) {
    const bytes = await w.bytes;
    checkSha256(bytes, w.sha256, w.name);
    pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
    reportDownload(w.name, bytes.length, bytes.length, "done");
  }
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
  mark("wheels");

  phase("Loading numpy (optional)");
  const numpyState = await loadNumpy(numpy, numpyDownload);
  mark("numpy");
  phase("Starting pydicom and dicompress");
  pyodide.runPython("import dicompress.service");
  mark("import");
  const engineProxy = bridge.engine();
  const engine = engineProxy.toJs({ dict_converter: Object.fromEntries });
  engineProxy.destroy();
  post({ type: "ready", engine, numpy: numpyState, seconds: (performance.now() - started) / 1000, timings });
}

// ---------------------------------------------------------------- requests

function convert({ id, target, buffer, verify = true }) {
  const input = new Uint8Array(buffer);
  let last = 0;
  const progress = (done, total) => {
    const now = performance.now();
    if (done !== total && now - last < 100) return;
    last = now;
    post({ type: "progress", id, done, total });
  };
  const result = bridge.convert(input, target, progress, verify);
  try {
    if (!result.get("ok")) {
      post({ type: "result", id, ok: false, code: result.get("code"), message: result.get("message") });
      return;
    }
    const data = result.get("data");
    const output = data.toJs();
    data.destroy();
    const report = result.get("report");
    const plain = report.toJs({ dict_converter: Object.fromEntries });
    report.destroy();
    post({ type: "result", id, ok: true, buffer: output.buffer, report: plain }, [output.buffer]);
  } finally {
    result.destroy();
  }
}

function zip({ id, entries }) {
  const pairs = entries.map(({ name, buffer }) => [name, new Uint8Array(buffer)]);
  const archive = bridge.make_zip(pairs);
  try {
    const bytes = archive.toJs();
    post({ type: "zip-result", id, ok: true, buffer: bytes.buffer }, [bytes.buffer]);
  } finally {
    archive.destroy();
  }
}

const booted = boot().then(
  () => true,
  (err) => {
    console.error(err);
    post({ type: "init-failed", message: `The Python runtime could not be started: ${err.message || err}` });
    return false;
  },
);

let queue = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(async () => {
    if (!(await booted)) return;
    try {
      if (message.type === "convert") convert(message);
      else if (message.type === "zip") zip(message);
    } catch (err) {
      console.error(err);
      const line = String(err.message || err).trim().split("\n").at(-1);
      if (err instanceof pyodide.ffi.PythonError) {
        // A Python exception bridge.py does not turn into a result (e.g. MemoryError while
        // zipping): that request fails, Python itself is fine.
        const type = message.type === "zip" ? "zip-result" : "result";
        post({ type, id: message.id, ok: false, code: "unexpected", message: line });
      } else {
        // Pyodide itself failed (e.g. out of memory in WebAssembly): the page restarts this worker.
        post({ type: "fatal", id: message.id, message: line });
      }
    }
  });
};
