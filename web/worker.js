// The web worker's message protocol: starts Python once (startup.js), then answers the
// page's requests with dicompress.browser, the package's adapter to dicompress.service.
// No DICOM logic and no text for people lives here: bytes go in, bytes, a report and
// codes come out (the page words them; conversion messages come from Python).
//
// Messages in:  {type: "runtime", module} (pyodide.asm.wasm compiled by the page, or null)
//               {type: "convert", id, name, target, packing?, inFolder?, file | buffer, verify?, preview?, store?}
//               {type: "zip-names", id, paths} (the names of a ZIP's entries, by the CLI's rule)
// A convert request with a `file` (a File or Blob: passed by reference) is read here and
// answered with a `blob`, so the page's thread never copies the bytes; one with a
// transferred `buffer` is answered with a transferred `buffer`. A file from
// STREAM_FROM_BYTES on is streamed: Python reads it a piece at a time (blob-source.js) and
// writes its result frame by frame to the site's storage (opfs-results.js) in the folder of
// session `store` when there is one; the answer's `blob` is then the File on disk, named
// `stored` there.
// Messages out: {type: "runtime-wanted"} (first) | {type: "download", key, loaded, total, state}
//               {type: "phase", text}
//               {type: "ready", engine, numpy, seconds, timings, build} | {type: "init-failed", reason}
//               {type: "started", id} (a request is taken from the queue; the page may send the next ones early)
//               {type: "preview", id, ok, details, thumbnail: {width, height, url}}  (when asked; url: a PNG's data: URL)
//               {type: "progress", id, done, total} | {type: "result", id, ok, ..., memory}
//               {type: "result", id, ok, names} (to zip-names) | {type: "fatal", id, reason}
import { BlobSource } from "./blob-source.js";
import { openStoredResult } from "./opfs-results.js";
import { start } from "./startup.js";

// Smaller files are read whole into Python, which is faster for them (scripts/bench_memory.py).
const STREAM_FROM_BYTES = 16 * 1024 * 1024;
// What the checks of a streamed file's header get (dicompress.browser.HEAD_PROBE_BYTES).
const HEAD_PROBE_BYTES = 1024 * 1024;

let pyodide = null;
let adapter = null;
let codecs = null;

// The codecs this file needs (codecs.js), downloaded the first time a file needs them;
// when they cannot be had, this file fails with one line and the others go on.
async function loadCodecs(id, families) {
  if (!families.length) return true;
  try {
    await codecs.need(families);
    return true;
  } catch (err) {
    const reason = String(err.message || err).split("\n")[0];
    const message = `the ${families.join(", ")} codec could not be loaded: ${reason}`;
    post({ type: "result", id, ok: false, code: "codec-unavailable", message, skipped: false, warnings: [] });
    return false;
  }
}

function post(message, transfer = []) {
  self.postMessage(message, transfer);
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

// Posts the details and thumbnail of file `id` that the conversion hands over once it has
// read the file and its first frame (dicompress.preview, no numpy needed).
function previewSender(id) {
  return (preview) => {
    const plain = preview.toJs({ dict_converter: Object.fromEntries });
    if (!plain.ok) {
      post({ type: "preview", id, ok: false, message: plain.message });
      return;
    }
    const { details, thumbnail } = plain;
    post({ type: "preview", id, ok: true, details, thumbnail });
  };
}

async function readInput(message) {
  if (!message.file) return new Uint8Array(message.buffer);
  try {
    return new Uint8Array(await message.file.arrayBuffer());
  } catch (err) {
    const memory = err instanceof RangeError || err.name === "NotReadableError";
    return { code: memory ? "unreadable_memory" : "unreadable", reason: err.name || "error" };
  }
}

function progressSender(id) {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done !== total && now - last < 100) return;
    last = now;
    post({ type: "progress", id, done, total });
  };
}

function conversionOptions(message) {
  const { id, packing, inFolder = false, strict = false } = message;
  const options = packing ? { packing, in_folder: inFolder, strict } : { in_folder: inFolder, strict };
  if (message.preview) options.preview = previewSender(id);
  return options;
}

// Posts a failure result; false when `result` is a success.
function postFailure(id, result, memory) {
  if (result.get("ok")) return false;
  const warnings = toPlain(result.get("warnings"));
  const failure = { code: result.get("code"), message: result.get("message"), skipped: result.get("skipped") };
  failure.copied = Boolean(result.get("copied"));
  failure.kept = Boolean(result.get("kept"));
  post({ type: "result", id, ok: false, ...failure, warnings, memory });
  return true;
}

// A large file: streamed from its Blob, its result written to the site's storage (or,
// where there is none for it, kept in memory).
async function convertStreaming(message) {
  const { id, file } = message;
  const source = new BlobSource(file);
  let head = null;
  try {
    head = source.read(0, HEAD_PROBE_BYTES);
  } catch (err) {
    post({ type: "result", id, ok: false, code: "unreadable", reason: err.name || "error" });
    return;
  }
  const families = toPlain(adapter.needs_codecs(head, message.target));
  if (!(await loadCodecs(id, families))) return;
  const stored = await openStoredResult(message.store, file.size);
  // A private window keeps site storage in memory, with a quota that can end a result
  // short: that result is then made again in memory.
  if (!(await convertInto(message, source, stored)) && stored) await convertInto(message, source, null);
}

// Convert the streamed `source` into `stored` (or memory, when null) and post the result;
// false, with nothing posted, when the storage could not hold it.
async function convertInto(message, source, stored) {
  const { id, target, verify = true, name } = message;
  let result = null;
  let handed = false;
  try {
    const options = { ...conversionOptions(message), name: name.split("/").at(-1) };
    result = adapter.convert_file.callKwargs(source, stored, target, progressSender(id), verify, options);
    const memory = { wasm_bytes: wasmBytes() };
    if (stored && result.get("code") === "storage-full") return false;
    if (postFailure(id, result, memory)) return true;
    const report = toPlain(result.get("report"));
    const warnings = toPlain(result.get("warnings"));
    const reply = { type: "result", id, ok: true, report, elements: report.elements, warnings, memory };
    if (stored) {
      const blob = await stored.finish();
      handed = true;
      post({ ...reply, blob, stored: stored.name });
    } else {
      const data = result.get("data");
      const output = data.toJs();
      data.destroy();
      post({ ...reply, blob: new Blob([output], { type: "application/dicom" }) });
    }
    return true;
  } finally {
    result?.destroy();
    if (stored && !handed) await stored.discard();
  }
}

async function convert(message) {
  if (message.file && message.file.size >= STREAM_FROM_BYTES) {
    await convertStreaming(message);
    return;
  }
  const { id, target, verify = true } = message;
  let input = await readInput(message);
  if (!(input instanceof Uint8Array)) {
    post({ type: "result", id, ok: false, ...input });
    return;
  }
  // One copy of the file inside Python, read once by the conversion (which hands the
  // preview what it read); the JavaScript copy is let go at once.
  const source = adapter.as_bytes(input);
  const asBlob = Boolean(message.file);
  input = message.buffer = message.file = null;
  let result = null;
  try {
    const families = toPlain(adapter.needs_codecs(source, target));
    if (!(await loadCodecs(id, families))) return;
    result = adapter.convert.callKwargs(source, target, progressSender(id), verify, conversionOptions(message));
    const memory = { wasm_bytes: wasmBytes() };
    if (postFailure(id, result, memory)) return;
    const warnings = toPlain(result.get("warnings"));
    const data = result.get("data");
    const output = data.toJs();
    data.destroy();
    const report = toPlain(result.get("report"));
    const reply = { type: "result", id, ok: true, report, elements: report.elements, warnings, memory };
    if (asBlob) post({ ...reply, blob: new Blob([output], { type: "application/dicom" }) });
    else post({ ...reply, buffer: output.buffer }, [output.buffer]);
  } finally {
    result?.destroy();
    source.destroy();
  }
}

function zipNames({ id, paths }) {
  const names = adapter.zip_names(paths);
  try {
    post({ type: "result", id, ok: true, names: names.toJs() });
  } finally {
    names.destroy();
  }
}

// Asked for once this worker listens, the page hands over Python's runtime, compiled.
const runtime = new Promise((resolve) => {
  self.addEventListener("message", function first(event) {
    if (event.data?.type !== "runtime") return;
    self.removeEventListener("message", first);
    resolve(event.data.module);
  });
});
post({ type: "runtime-wanted" });

const booted = start(post, runtime).then(
  (started) => {
    ({ pyodide, adapter, codecs } = started);
    post({ type: "ready", ...started.ready });
    return true;
  },
  (err) => {
    console.error(err);
    post({ type: "init-failed", reason: String(err.message || err) });
    return false;
  },
);

let queue = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(async () => {
    if (!(await booted)) return;
    post({ type: "started", id: message.id });
    try {
      if (message.type === "convert") await convert(message);
      else if (message.type === "zip-names") zipNames(message);
    } catch (err) {
      console.error(err);
      const line = String(err.message || err).trim().split("\n").at(-1);
      if (err instanceof pyodide.ffi.PythonError) {
        // A Python exception the adapter does not turn into a result: that request fails,
        // Python itself is fine.
        post({ type: "result", id: message.id, ok: false, code: "unexpected", reason: line });
      } else {
        // Pyodide itself failed (e.g. out of memory in WebAssembly): the page restarts this worker.
        post({ type: "fatal", id: message.id, reason: line });
      }
    }
  });
};
