// The web worker's message protocol: starts Python once (startup.js), then answers the
// page's requests with dicompress.browser, the package's adapter to dicompress.service.
// No DICOM logic and no text for people lives here: bytes go in, bytes, a report and
// codes come out (the page words them; conversion messages come from Python).
//
// Messages in:  {type: "runtime", module} (pyodide.asm.wasm compiled by the page, or null)
//               {type: "convert", id, name, target, packing?, inFolder?, file | buffer, verify?, preview?}
//               {type: "zip-names", id, paths} (the names of a ZIP's entries, by the CLI's rule)
// A convert request with a `file` (a File or Blob: passed by reference) is read here and
// answered with a `blob`, so the page's thread never copies the bytes; one with a
// transferred `buffer` is answered with a transferred `buffer`.
// Messages out: {type: "runtime-wanted"} (first) | {type: "download", key, loaded, total, state}
//               {type: "phase", text}
//               {type: "ready", engine, numpy, seconds, timings, build} | {type: "init-failed", reason}
//               {type: "started", id} (a request is taken from the queue; the page may send the next ones early)
//               {type: "preview", id, ok, details, thumbnail: {width, height, rgba}}  (when asked)
//               {type: "progress", id, done, total} | {type: "result", id, ok, ..., memory}
//               {type: "result", id, ok, names} (to zip-names) | {type: "fatal", id, reason}
import { start } from "./startup.js";

let pyodide = null;
let adapter = null;
let codecs = null;

// The decoders this file needs (codecs.js), downloaded the first time a file needs them;
// when they cannot be had, this file fails with one line and the others go on.
async function loadCodecs(id, families) {
  if (!families.length) return true;
  try {
    await codecs.need(families);
    return true;
  } catch (err) {
    const reason = String(err.message || err).split("\n")[0];
    const message = `the ${families.join(", ")} decoder could not be loaded: ${reason}`;
    post({ type: "result", id, ok: false, code: "decoder-unavailable", message, skipped: false, warnings: [] });
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
    const rgba = thumbnail.rgba.buffer;
    post({ type: "preview", id, ok: true, details, thumbnail: { ...thumbnail, rgba } }, [rgba]);
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

async function convert(message) {
  const { id, target, packing, inFolder = false, strict = false, verify = true } = message;
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
  let last = 0;
  const progress = (done, total) => {
    const now = performance.now();
    if (done !== total && now - last < 100) return;
    last = now;
    post({ type: "progress", id, done, total });
  };
  let result = null;
  try {
    const families = toPlain(adapter.needs_codecs(source));
    if (!(await loadCodecs(id, families))) return;
    const options = packing ? { packing, in_folder: inFolder, strict } : { in_folder: inFolder, strict };
    if (message.preview) options.preview = previewSender(id);
    result = adapter.convert.callKwargs(source, target, progress, verify, options);
    const memory = { wasm_bytes: wasmBytes() };
    const warnings = toPlain(result.get("warnings"));
    if (!result.get("ok")) {
      const failure = { code: result.get("code"), message: result.get("message"), skipped: result.get("skipped") };
      failure.copied = Boolean(result.get("copied"));
      failure.kept = Boolean(result.get("kept"));
      post({ type: "result", id, ok: false, ...failure, warnings, memory });
      return;
    }
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
