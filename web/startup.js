// The worker's start-up: downloads Pyodide, numpy and our wheels from this site with
// progress, checks every wheel against manifest.json, installs pydicom and dicompress
// with micropip, adds the bytecode of Pyodide's micropip and numpy (Pyodide ships Python
// sources only, which Python would otherwise compile at every start; its standard library
// comes with bytecode from the build too), registers the codec bridge (codecs.js, its
// decoders and encoders loaded later, when a file needs them) and imports the page's adapter,
// dicompress.browser. The ready message's `timings` say when each step ended, in ms from
// the worker's start.
//
// Everything comes from the folder this file was loaded from (the build's dist/), except
// numpy in a build made with --numpy-url. micropip resolves dependencies against
// Pyodide's own lock file in pyodide/ and is given no package index, so it never asks
// PyPI for anything.
import { Codecs } from "./codecs.js";
import { withProgress } from "./progress.js";
import { loadPyodide } from "./pyodide/pyodide.mjs";

const BASE = new URL("./", import.meta.url);
const INDEX_URL = new URL("pyodide/", BASE).href;
const ADAPTER = "dicompress.browser";
const CODEC_MODULE = "dicompress_codecs"; // dicompress.plugins.wasm_codecs.BRIDGE_MODULE
const realFetch = globalThis.fetch.bind(globalThis);
const downloadKeys = new Map(); // absolute URL -> key of the page's download list
const prefetched = new Map(); // absolute URL -> bytes already downloaded and checked
const lastReport = new Map();
let post = () => {};

// ---------------------------------------------------------------- downloads with progress

function reportDownload(key, loaded, total, state = "loading") {
  const now = performance.now();
  if (state === "loading" && now - (lastReport.get(key) ?? 0) < 80) return;
  lastReport.set(key, now);
  post({ type: "download", key, loaded, total, state });
}

// Pyodide and micropip fetch with the global fetch: report their progress, and hand
// over bytes this worker has already downloaded and checked.
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
  return withProgress(response, (loaded, total, state) => reportDownload(key, loaded, total, state));
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

// ---------------------------------------------------------------- installing

// CPython 3.12's zipimport re-reads an archive's whole directory, in Python, for each of
// its importers whenever importlib.invalidate_caches() runs, which Pyodide's loadPackage
// and micropip.install call after every install: by then about 20 importers of the
// standard library's archive (python_stdlib.zip, in memory, never changed), over a second
// of the start-up on a slow machine. Python 3.13 re-reads lazily; here the standard
// library's importers keep the directory they read. Other archives are invalidated as before.
const KEEP_STDLIB_DIRECTORY = `
import sys, zipimport

def _keeping(stdlib, invalidate):
    def invalidate_caches(self):
        if self.archive != stdlib:
            invalidate(self)
    return invalidate_caches

zipimport.zipimporter.invalidate_caches = _keeping(
    next(p for p in sys.path if p.endswith(".zip")), zipimport.zipimporter.invalidate_caches)
del _keeping
`;

// Python's hashlib (WebCrypto would need a secure context, which a plain-HTTP intranet
// deployment is not).
function sha256Checker(pyodide) {
  return pyodide.runPython("lambda data: __import__('hashlib').sha256(data.to_py()).hexdigest()");
}

// Unpack a package's bytecode (manifest.json's `bytecode`, unchecked hash-based .pyc made
// by the build with this Pyodide's Python) into site-packages once the package is
// installed. Without it (not in this build, not downloadable, not matching its sha256)
// Python compiles the package's sources itself: slower, same result.
async function addBytecode(pyodide, entry, sha256) {
  if (!entry) return;
  try {
    const bytes = await entry.bytes;
    if (sha256(bytes) !== entry.sha256) throw new Error("it does not match its sha256 in manifest.json");
    const sitePackages = pyodide.runPython("__import__('site').getsitepackages()[0]");
    pyodide.unpackArchive(bytes, "zip", { extractDir: sitePackages });
  } catch (err) {
    console.warn(`${entry.url} is not used: ${err.message || err}`);
  }
}

async function loadNumpy(pyodide, numpy, download, sha256, bytecode) {
  if (!numpy) return { ok: false, excluded: true, reason: "is not part of this build" };
  let bytes;
  try {
    bytes = await download;
  } catch (err) {
    return { ok: false, reason: `could not be downloaded (${err.message || err})` };
  }
  try {
    if (sha256(bytes) !== numpy.sha256) throw new Error("it does not match its sha256 in manifest.json");
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
    await addBytecode(pyodide, bytecode, sha256);
    return { ok: true, version: numpy.version };
  } catch (err) {
    reportDownload("numpy", 0, 0, "failed");
    return { ok: false, reason: `could not be installed (${err.message || err})` };
  }
}

// Install our wheels with micropip, in one call, from their same-origin URLs once their
// bytes are checked. Their dependencies are pydicom (one of them) and numpy, which this
// worker loads itself (checked against the manifest, maybe at the same time), so micropip
// is asked to resolve none: it never looks for a package anywhere.
async function installWheels(pyodide, wheels, sha256) {
  const urls = [];
  for (const wheel of wheels) {
    const bytes = await wheel.bytes;
    if (sha256(bytes) !== wheel.sha256) throw new Error(`${wheel.name} does not match its sha256 in manifest.json`);
    const url = new URL(wheel.url, BASE).href;
    prefetched.set(url, bytes);
    urls.push(url);
    wheel.size = bytes.length;
  }
  const micropip = pyodide.pyimport("micropip");
  try {
    await micropip.install.callKwargs(urls, { deps: false, index_urls: [] });
  } finally {
    for (const url of urls) prefetched.delete(url);
    micropip.destroy();
  }
  for (const wheel of wheels) reportDownload(wheel.name, wheel.size, wheel.size, "done");
}

// Have Pyodide instantiate `module` (Python's runtime, compiled by the page: a browser
// caches code it compiles on the page, not in a worker) instead of downloading and
// compiling pyodide.asm.wasm again.
function useCompiledRuntime(module) {
  prefetched.set(`${INDEX_URL}pyodide.asm.wasm`, new Uint8Array(0));
  const original = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = original;
    await source;
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  };
}

// A codec family's files from this site (manifest.json's `codecs`), each checked against
// its sha256 before use; the script is then imported from the same URL (CSP script-src
// 'self': it cannot be run from the checked bytes themselves).
async function loadCodec(entry, sha256) {
  if (!entry) throw new Error("it is not part of this build");
  const checked = async (file) => {
    const bytes = await fetchBytes(new URL(file.url, BASE).href, null);
    if (sha256(bytes) !== file.sha256) throw new Error(`${file.url} does not match its sha256 in manifest.json`);
    return bytes;
  };
  const [, wasmBinary] = await Promise.all([checked(entry.script), entry.wasm ? checked(entry.wasm) : null]);
  const module = await import(new URL(entry.script.url, BASE).href);
  return { factory: module.default, wasmBinary, Decoder: module.Decoder };
}

// The codec bridge Python imports as CODEC_MODULE (dicompress.plugins.wasm_codecs).
function codecBridge(pyodide, manifest) {
  let sha256 = null;
  const codecs = new Codecs((family) => {
    sha256 ??= sha256Checker(pyodide);
    return loadCodec(manifest.codecs?.[family], sha256);
  });
  pyodide.registerJsModule(CODEC_MODULE, {
    decode: (family, bytes) => codecs.decode(family, bytes),
    encode: (family, bytes, frame) => codecs.encode(family, bytes, frame),
  });
  return codecs;
}

// Start Python with pydicom, dicompress and (when it can be had) numpy; `send` gets the
// download and phase messages for the page; `runtime` resolves to the page's compiled
// pyodide.asm.wasm (or null: then it is downloaded and compiled here). Returns
// {pyodide, adapter, codecs, ready}: `codecs` loads decoders with `need`, `ready` is the
// body of the page's "ready" message.
export async function start(send, runtime) {
  post = send;
  const phase = (text) => post({ type: "phase", text });
  const started = performance.now();
  const timings = {};
  const mark = (name) => {
    timings[name] = Math.round(performance.now() - started);
  };
  downloadKeys.set(`${INDEX_URL}pyodide.asm.wasm`, "runtime");
  phase("Downloading the Python runtime");
  const manifestResponse = await realFetch(new URL("manifest.json", BASE));
  if (!manifestResponse.ok) throw new Error(`manifest.json: HTTP ${manifestResponse.status}`);
  const manifest = await manifestResponse.json();
  // The standard library with its bytecode (the build's), else Pyodide's own (sources).
  const stdlib = manifest.pyodide?.stdlib;
  const stdLibURL = stdlib ? new URL(stdlib.url, BASE).href : `${INDEX_URL}python_stdlib.zip`;
  downloadKeys.set(stdLibURL, "stdlib");
  const wheels = manifest.wheels.map((w) => ({ ...w, bytes: fetchBytes(new URL(w.url, BASE).href, w.name) }));
  for (const w of wheels) w.bytes.catch(() => {});
  const bytecode = {};
  for (const entry of manifest.bytecode ?? []) {
    bytecode[entry.package] = { ...entry, bytes: fetchBytes(new URL(entry.url, BASE).href, null) };
    bytecode[entry.package].bytes.catch(() => {});
  }
  const numpy = manifest.numpy;
  const numpyDownload = numpy ? fetchBytes(new URL(numpy.url, BASE).href, "numpy", numpy.timeout_ms) : null;
  numpyDownload?.catch(() => {});
  const module = await runtime;
  if (module) useCompiledRuntime(module);
  const pyodide = await loadPyodide({
    indexURL: INDEX_URL,
    stdLibURL,
    stdout: () => {},
    stderr: (m) => console.warn(m),
  });
  mark("pyodide");
  pyodide.runPython(KEEP_STDLIB_DIRECTORY);
  const sha256 = sha256Checker(pyodide);
  phase("Loading numpy, pydicom and dicompress");
  // Our wheels are installed while numpy's libraries download and compile. Without numpy,
  // dicompress's numpy dependency is left unmet on purpose: pydicom's own plugin does the work.
  const installed = pyodide.loadPackage("micropip", { messageCallback: () => {} })
    .then(() => addBytecode(pyodide, bytecode.micropip, sha256))
    .then(() => mark("micropip"))
    .then(() => installWheels(pyodide, wheels, sha256))
    .then(() => mark("wheels"));
  const [numpyState] = await Promise.all([
    loadNumpy(pyodide, numpy, numpyDownload, sha256, bytecode.numpy).finally(() => mark("numpy")),
    installed,
  ]);
  sha256.destroy();
  phase("Starting pydicom and dicompress");
  const codecs = codecBridge(pyodide, manifest);
  const adapter = pyodide.pyimport(ADAPTER);
  if (numpyState.ok) pyodide.runPython("import numpy");
  mark("import-numpy");
  pyodide.runPython("import pydicom");
  mark("import-pydicom");
  pyodide.runPython("import dicompress.service");
  adapter.enable_codecs().destroy();
  mark("import");
  const engineProxy = adapter.engine();
  const engine = engineProxy.toJs({ dict_converter: Object.fromEntries });
  engineProxy.destroy();
  const ready = {
    engine,
    numpy: numpyState,
    seconds: (performance.now() - started) / 1000,
    timings,
    build: manifest.build?.version ?? null,
  };
  return { pyodide, adapter, codecs, ready };
}
