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
import { Engine } from "./engine.js";

// One core stays with the page; two converters at least where there are two cores.
export function defaultEngineCount(cores = navigator.hardwareConcurrency || 1) {
  return Math.max(1, Math.min(4, cores > 2 ? cores - 1 : cores));
}

export class EnginePool extends EventTarget {
  #engines = [];
  #busy = new Set(); // engines converting a file
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

  // Whether a file of `bytes` can start now: an idle ready engine, and room in the budget
  // (a file alone is always allowed: the page refuses files over the limit before this).
  canTake(bytes) {
    const fits = this.#busy.size === 0 || this.#inFlightBytes + bytes <= this.memoryBudget;
    return fits && this.#idle() !== undefined;
  }

  // Files are waiting: start another engine if the budget would let two run at once.
  grow(waitingBytes) {
    const starting = this.#engines.some((e) => !e.ready);
    if (starting || this.#converted === 0 || this.#engines.length >= this.#maxEngines) return;
    if (this.#inFlightBytes + waitingBytes > this.memoryBudget) return;
    this.#add(false);
  }

  // Convert one file on an idle engine (check canTake first); resolves with the worker's
  // reply plus `engine`, the number of the engine that did it (1, 2...).
  async convert(name, file, target, options) {
    const engine = this.#idle();
    this.#busy.add(engine);
    this.#inFlightBytes += file.size;
    try {
      const reply = await engine.convert(name, file, target, options);
      return { ...reply, engine: this.#engines.indexOf(engine) + 1 };
    } finally {
      this.#converted += 1;
      this.#busy.delete(engine);
      this.#inFlightBytes -= file.size;
    }
  }

  zipNames(paths) {
    return this.#engines[0].zipNames(paths);
  }

  #idle() {
    return this.#engines.find((e) => e.ready && !this.#busy.has(e));
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
