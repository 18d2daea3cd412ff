// The web worker: loads Pyodide once, installs pydicom and dicompress from this site,
// tries numpy, then converts files with dicompress.service (through bridge.py).
// No DICOM logic lives here: bytes go in, bytes and a report come out.
//
// Messages in:  {type: "convert", id, name, target, file | buffer, verify?, preview?}
//               {type: "zip", id, entries: [{name, blob | buffer}]}
// A convert request with a `file` (a File or Blob: passed by reference) is read here and
// answered with a `blob`, so the page's thread never copies the bytes; one with a
// transferred `buffer` is answered with a transferred `buffer`.
// Messages out: {type: "download", key, loaded, total, state} | {type: "phase", text}
//               {type: "ready", engine, numpy, seconds, build, limits} | {type: "init-failed", message}
//               {type: "preview", id, ok, details, thumbnail: {width, height, rgba}}  (when asked)
//               {type: "progress", id, done, total} | {type: "result", id, ok, ..., memory}
//               {type: "zip-result", id, ok, blob | buffer | message} | {type: "fatal", id, message}
import { loadPyodide } from "./pyodide/pyodide.mjs";

const BASE = new URL("./", import.meta.url);
const INDEX_URL = new URL("pyodide/", BASE).href;
const BRIDGE_MODULE = "dicompress_web_bridge";
const realFetch = globalThis.fetch.bind(globalThis);
const downloadKeys = new Map(); // absolute URL -> key of the page's download list
const prefetched = new Map(); // absolute URL -> bytes already downloaded and checked

// Python's memory is one WebAssembly (wasm32) memory of at most 4 GiB. Converting a file
// holds several copies of it at once (the input, pydicom's data set, the encoded frames,
// the written file and its verification read): measured 6.3 times the file for RLE
// (1.26 GB for 201.6 MB, 3.82 GB for 612 MB; tests/browser/test_large.py). Files larger
// than the memory divided by PEAK_FACTOR are refused before they are read.
const WASM_MAX_BYTES = 4 * 1024 ** 3;
const PEAK_FACTOR = 7;
const MAX_FILE_BYTES = Math.floor(WASM_MAX_BYTES / PEAK_FACTOR);

let pyodide = null;
let bridge = null;
let buildVersion = null;

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
  buildVersion = manifest.build?.version ?? null;
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
  post({
    type: "ready",
    engine,
    numpy: numpyState,
    seconds: (performance.now() - started) / 1000,
    timings,
    build: buildVersion,
    limits: { max_file_bytes: MAX_FILE_BYTES },
  });
}

// ---------------------------------------------------------------- requests

// Bytes of Python's memory now: it only grows, so after a conversion it is the peak so far.
function wasmBytes() {
  return pyodide._module.HEAP8.buffer.byteLength;
}

function toPlain(proxy) {
  const plain = proxy.toJs({ dict_converter: Object.fromEntries });
  proxy.destroy();
  return plain;
}

// Details and a thumbnail of the file, made by dicompress.preview (no numpy needed).
function sendPreview(id, source) {
  const preview = bridge.preview(source);
  try {
    if (!preview.get("ok")) {
      post({ type: "preview", id, ok: false, message: preview.get("message") });
      return;
    }
    const thumbnail = preview.get("thumbnail");
    const rgba = thumbnail.get("rgba");
    const pixels = rgba.toJs();
    rgba.destroy();
    const details = toPlain(preview.get("details"));
    const size = { width: thumbnail.get("width"), height: thumbnail.get("height") };
    thumbnail.destroy();
    post({ type: "preview", id, ok: true, details, thumbnail: { ...size, rgba: pixels.buffer } }, [pixels.buffer]);
  } finally {
    preview.destroy();
  }
}

async function readInput(message) {
  if (!message.file) return new Uint8Array(message.buffer);
  try {
    return new Uint8Array(await message.file.arrayBuffer());
  } catch (err) {
    const memory = err instanceof RangeError || err.name === "NotReadableError";
    return {
      code: "unreadable",
      message: memory
        ? `the file could not be read into this tab's memory (${err.name}); use the dicompress ` +
          "command line on your computer instead: dicompress FILE -o OUT/"
        : `the file could not be read (${err.name || "error"})`,
    };
  }
}

async function convert(message) {
  const { id, target, verify = true } = message;
  let input = await readInput(message);
  if (!(input instanceof Uint8Array)) {
    post({ type: "result", id, ok: false, ...input });
    return;
  }
  // One copy of the file inside Python, shared by the preview and the conversion; the
  // JavaScript copy is let go at once.
  const source = bridge.as_bytes(input);
  const asBlob = Boolean(message.file);
  input = message.buffer = message.file = null;
  let last = 0;
  const progress = (done, total) => {
    const now = performance.now();
    if (done !== total && now - last < 100) return;
    last = now;
    post({ type: "progress", id, done, total });
  };
  let result = null;
  try {
    if (message.preview) sendPreview(id, source);
    result = bridge.convert(source, target, progress, verify);
    const memory = { wasm_bytes: wasmBytes() };
    if (!result.get("ok")) {
      post({ type: "result", id, ok: false, code: result.get("code"), message: result.get("message"), memory });
      return;
    }
    const data = result.get("data");
    const output = data.toJs();
    data.destroy();
    const report = toPlain(result.get("report"));
    const reply = { type: "result", id, ok: true, report, elements: report.elements, memory };
    if (asBlob) post({ ...reply, blob: new Blob([output], { type: "application/dicom" }) });
    else post({ ...reply, buffer: output.buffer }, [output.buffer]);
  } finally {
    result?.destroy();
    source.destroy();
  }
}

// Entries carry a `blob` (read here; answered with a `blob`) or a transferred `buffer`.
async function zip({ id, entries }) {
  const asBlob = entries.some((e) => e.blob);
  let pairs;
  try {
    pairs = await Promise.all(
      entries.map(async ({ name, blob, buffer }) => [name, new Uint8Array(blob ? await blob.arrayBuffer() : buffer)]),
    );
  } catch (err) {
    post({ type: "zip-result", id, ok: false, message: `the results could not be read (${err.name || err})` });
    return;
  }
  const archive = bridge.make_zip(pairs);
  try {
    const bytes = archive.toJs();
    if (asBlob) post({ type: "zip-result", id, ok: true, blob: new Blob([bytes], { type: "application/zip" }) });
    else post({ type: "zip-result", id, ok: true, buffer: bytes.buffer }, [bytes.buffer]);
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
      if (message.type === "convert") await convert(message);
      else if (message.type === "zip") await zip(message);
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
