// The page's side of the worker: starts it, sends requests, restarts it if it dies.
//
// Events (CustomEvent detail = the worker's message): "download", "phase", "ready",
// "init-failed", "restarted" (detail: {reason}).

import { startFailure } from "./messages.js";
import { withProgress } from "./progress.js";

const WORKER_URL = new URL("./worker.js", import.meta.url).href;
const RUNTIME_URL = new URL("./pyodide/pyodide.asm.wasm", import.meta.url).href;
let runtime = null;

// Python's runtime (pyodide.asm.wasm), compiled once on the page for every worker: the
// browser keeps code compiled here for the next visit, which it does not for code
// compiled in a worker. `report` gets its download progress. Resolves to null when the
// page cannot compile it (e.g. a host page's policy forbids it): workers then do it.
function compiledRuntime(report) {
  runtime ??= fetch(RUNTIME_URL)
    .then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return WebAssembly.compileStreaming(withProgress(response, report));
    })
    .catch((err) => {
      console.warn(`pyodide.asm.wasm is compiled by the worker instead: ${err.message || err}`);
      return null;
    });
  return runtime;
}

// A module worker started from a blob: URL inherits this page's Content-Security-Policy
// (a worker loaded from its own URL would only get the policy of its HTTP headers),
// so the page's connect-src rules apply to everything the worker fetches.
function startWorker() {
  const source = `import ${JSON.stringify(WORKER_URL)};\n`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module", name: "dicompress" });
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return worker;
}

export class Engine extends EventTarget {
  #worker = null;
  #pending = new Map(); // id -> {resolve, reject, onProgress, onPreview, onStart, request, started}
  #nextId = 1;
  ready = false;
  info = null;

  start() {
    this.ready = false;
    this.#worker = startWorker();
    // Compiling starts now; the worker gets the result once it asks ("runtime-wanted").
    compiledRuntime(this.#reportRuntime);
    this.#worker.onmessage = (event) => this.#receive(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault?.();
      this.#died(`the converter stopped unexpectedly (${event.message || "worker error"})`);
    };
    this.#worker.onmessageerror = () => this.#died("the converter sent a message that could not be read");
  }

  // Convert one file (a File or Blob, read by the worker: this thread never copies its
  // bytes); resolves with the worker's result message, whose `blob` is the new file. The
  // worker first sends a preview (details and thumbnail, or {ok: false}) to `onPreview`,
  // then (frames done, frames in all) to `onProgress` as it goes.
  // `inFolder`: the file was found in a dropped folder (obviously not DICOM: skipped, not failed).
  // `strict`: a valid file that cannot be converted fails instead of being kept unchanged.
  // `store`: the page's session for results on disk (opfs-results.js), or null.
  // `onStart` is called when the worker starts on this file (it may hold it queued first).
  convert(name, file, target, { inFolder = false, strict = false, store = null, onProgress, onPreview, onStart } = {}) {
    const message = { type: "convert", name, target, inFolder, strict, file, preview: true, store };
    return this.#request(message, [], { onProgress, onPreview, onStart });
  }

  // The names of a ZIP's entries for these result paths, by the rule the command line
  // uses for its output files; resolves with the worker's reply: {ok, names} or {ok: false, code, reason}.
  zipNames(paths) {
    return this.#request({ type: "zip-names", paths }, []);
  }

  #request(message, transfer, callbacks = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const request = { ...message, id };
      this.#pending.set(id, { resolve, reject, ...callbacks, request, started: false });
      this.#worker.postMessage(request, transfer);
    });
  }

  #reportRuntime = (loaded, total, state) =>
    this.dispatchEvent(new CustomEvent("download", { detail: { key: "runtime", loaded, total, state } }));

  #receive(message) {
    const pending = this.#pending.get(message.id);
    switch (message.type) {
      case "runtime-wanted": {
        const worker = this.#worker;
        compiledRuntime(this.#reportRuntime).then((module) => worker.postMessage({ type: "runtime", module }));
        return;
      }
      case "started":
        if (pending) pending.started = true;
        pending?.onStart?.();
        return;
      case "progress":
        pending?.onProgress?.(message.done, message.total);
        return;
      case "preview":
        pending?.onPreview?.(message);
        return;
      case "result":
        this.#pending.delete(message.id);
        pending?.resolve(message);
        return;
      case "fatal":
        this.#died(`the converter ran out of resources (${message.reason})`);
        return;
      case "init-failed":
        this.dispatchEvent(new CustomEvent("init-failed", { detail: { message: startFailure(message.reason) } }));
        return;
      case "ready":
        this.ready = true;
        this.info = message;
        // Requests the dead worker held but had not started go to this one, in order.
        for (const { request } of this.#pending.values()) this.#worker.postMessage(request);
        break;
      default:
        break;
    }
    this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
  }

  // The worker is gone or unusable: fail what it was doing and start a fresh one
  // (unless it never got ready, which a restart would not fix). The requests it held
  // without having started them are sent again to the fresh one (see "ready"); if it had
  // started none, the first one it held is taken to be the cause, so it cannot kill the next.
  #died(reason) {
    const wasReady = this.ready;
    this.#worker?.terminate();
    this.ready = false;
    const held = [...this.#pending.entries()];
    const failed = wasReady ? held.filter(([, p]) => p.started) : held;
    if (failed.length === 0 && held.length > 0) failed.push(held[0]);
    for (const [id, p] of failed) {
      this.#pending.delete(id);
      p.reject(new Error(reason));
    }
    if (!wasReady) {
      this.dispatchEvent(new CustomEvent("init-failed", { detail: { message: startFailure(reason) } }));
      return;
    }
    this.dispatchEvent(new CustomEvent("restarted", { detail: { reason } }));
    this.start();
  }
}
