// A small pool of converters (each an Engine: one worker with its own Python), so a batch
// of files uses the computer's cores.
//
// The first engine starts with the page and is the one whose events ("download", "phase",
// "ready", "init-failed", "restarted") the page shows; the pool forwards them. More
// engines start only when files are waiting, up to `maxEngines` (from the number of
// cores), and only once a first file is converted: a starting engine would take the cores
// the first result needs. Files are handed out in order, and only while the files being
// converted at once stay within `memoryBudget` bytes of input: every conversion holds
// several copies of its file, so one big file runs alone and many small ones run side by side.
//
// A converter busy with a small file is handed its next small file before the current
// result comes back (it waits in the worker's queue, unread), so no converter sits idle
// for the round trip between a result and the next request. Only small files wait like
// this: a big one would hold up the file queued behind it.
import { Engine } from "./engine.js";

// Files a converter holds at once: the one it converts, and the next one waiting.
const DEPTH = 2;
// A file waits behind another only if both together are at most this many bytes.
const PREFETCH_BYTES = 4 * 1024 * 1024;

// One core stays with the page; two converters at least where there are two cores.
export function defaultEngineCount(cores = navigator.hardwareConcurrency || 1) {
  return Math.max(1, Math.min(4, cores > 2 ? cores - 1 : cores));
}

export class EnginePool extends EventTarget {
  #engines = [];
  #held = new Map(); // engine -> {files, bytes} it was handed and has not answered yet
  #inFlightBytes = 0;
  #converted = 0; // files converted so far (whatever their outcome)
  #maxEngines;
  memoryBudget = Infinity;

  constructor({ maxEngines = defaultEngineCount() } = {}) {
    super();
    this.#maxEngines = maxEngines;
  }

  get ready() {
    return this.#engines[0]?.ready ?? false;
  }

  get info() {
    return this.#engines[0]?.info ?? null;
  }

  // Engines started so far (the page shows it; tests read it).
  get size() {
    return this.#engines.length;
  }

  start() {
    this.#add(true);
  }

  // Whether a file of `bytes` can be handed out now: a ready engine that is idle (or busy
  // with small files, for a small one), and room in the budget (a file alone is always
  // allowed).
  canTake(bytes) {
    const fits = this.#inFlightBytes === 0 || this.#inFlightBytes + bytes <= this.memoryBudget;
    return fits && this.#pick(bytes) !== undefined;
  }

  // Files are waiting: start another engine if the budget would let two run at once.
  grow(waitingBytes) {
    const starting = this.#engines.some((e) => !e.ready);
    if (starting || this.#converted === 0 || this.#engines.length >= this.#maxEngines) return;
    if (this.#inFlightBytes + waitingBytes > this.memoryBudget) return;
    this.#add(false);
  }

  // Convert one file on the least busy engine that can take it (check canTake first);
  // resolves with the worker's reply plus `engine`, the number of the engine that did it (1, 2...).
  async convert(name, file, target, options) {
    const engine = this.#pick(file.size);
    const held = this.#held.get(engine) ?? { files: 0, bytes: 0 };
    this.#held.set(engine, { files: held.files + 1, bytes: held.bytes + file.size });
    this.#inFlightBytes += file.size;
    try {
      const reply = await engine.convert(name, file, target, options);
      return { ...reply, engine: this.#engines.indexOf(engine) + 1 };
    } finally {
      this.#converted += 1;
      const now = this.#held.get(engine);
      if (now.files === 1) this.#held.delete(engine);
      else this.#held.set(engine, { files: now.files - 1, bytes: now.bytes - file.size });
      this.#inFlightBytes -= file.size;
    }
  }

  zipNames(paths) {
    return this.#engines[0].zipNames(paths);
  }

  // An idle ready engine, else a ready one holding fewer than DEPTH small files whose
  // bytes and this file's stay within PREFETCH_BYTES (the one holding fewest).
  #pick(bytes) {
    let best;
    let fewest = DEPTH;
    for (const engine of this.#engines) {
      if (!engine.ready) continue;
      const held = this.#held.get(engine);
      if (!held) return engine;
      if (held.files < fewest && held.bytes + bytes <= PREFETCH_BYTES) {
        best = engine;
        fewest = held.files;
      }
    }
    return best;
  }

  // Start an engine; the first one's events are the page's, the others only say when
  // they are ready to take a file ("engine-ready").
  #add(first) {
    const engine = new Engine();
    this.#engines.push(engine);
    const types = first ? ["download", "phase", "ready", "init-failed", "restarted"] : ["ready"];
    for (const type of types) {
      engine.addEventListener(type, ({ detail }) => {
        if (first) this.dispatchEvent(new CustomEvent(type, { detail }));
        if (type === "ready") this.dispatchEvent(new CustomEvent("engine-ready", { detail }));
      });
    }
    engine.start();
  }
}
