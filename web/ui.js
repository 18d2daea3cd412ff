// The app's user interface: picks files, queues them, shows progress, previews and
// results, offers downloads. Used by the page (app.js) and by <dicompress-app>
// (dicompress-embed.js), each giving it the root that holds the markup of index.html.
// All Python work happens in workers (pool.js, engine.js); nothing here reads DICOM.
import { fromDrop, fromInput, isClutter } from "./files.js";
import { formatBytes, formatPercent } from "./format.js";
import { failureText, targetsMissingText, workerDiedText } from "./messages.js";
import { EnginePool } from "./pool.js";
import { removeStored, startSession } from "./opfs-results.js";
import { ResultList } from "./result-list.js";
import { ResultRow } from "./results.js";
import { pickSaveFile, saveStream } from "./saving.js";
import { downloadZip } from "./vendor/client-zip.js";

const POLICY_URL = new URL("./policy.json", import.meta.url);

// Mount the app on `root` (a Document or a ShadowRoot holding index.html's markup).
// `host` is the element that gets data-ready="true" once the converter has started
// (the test hook); `dropTarget` is where stray file drops are caught (the page: the
// whole window; an embed: only its own element). `startWhen`, a promise, delays the
// converter until it settles (an embed waits for a sign of use); without it it starts at
// once, and files given first start it too. Returns the Engine.
export function mountApp(root, { host = document.documentElement, dropTarget = window, startWhen = null } = {}) {
  const $ = (selector) => root.querySelector(selector);
  const ui = {
    engine: $("[data-testid=engine]"),
    phase: $("#phase"),
    downloads: $("#downloads"),
    fileInput: $("[data-testid=file-input]"),
    folderInput: $("#folder-input"),
    pickFiles: $("#pick-files"),
    pickFolder: $("#pick-folder"),
    dropzone: $("#dropzone"),
    syntax: $("[data-testid=syntax]"),
    strict: $("[data-testid=strict]"),
    syntaxNote: $("#syntax-note"),
    results: $("#results"),
    resultsTable: $("#results-table"),
    empty: $("#results-empty"),
    summary: $("#summary"),
    downloadAll: $("[data-testid=download-all]"),
    clear: $("#clear"),
    version: $("#build-version"),
  };

  const engine = new EnginePool();
  // What the page decides as the command line does (targets, skip rules, messages):
  // written by the build from dicompress.frontend, read before Python has started.
  let policy = null;
  const policyReady = fetch(POLICY_URL)
    .then((response) => response.json())
    .then((loaded) => {
      policy = loaded;
      engine.memoryBudget = loaded.memory_budget_bytes;
      showTargets(loaded.targets);
    });
  const rows = [];
  const list = new ResultList(ui.results);
  // Rows by status, and the bytes of the converted files: kept as rows change, so the
  // summary never walks thousands of rows.
  const tally = { statuses: new Map(), before: 0, after: 0 };
  const count = (before, after) => {
    if (before) tally.statuses.set(before, tally.statuses.get(before) - 1);
    tally.statuses.set(after, (tally.statuses.get(after) ?? 0) + 1);
  };
  const queue = [];
  // Results on disk (opfs-results.js): this page's session (null: results in memory), known
  // before files are queued, and each row's stored result.
  let session = null;
  const sessionReady = startSession().then((started) => {
    session = started;
  });
  const stored = new Map();
  let startFailed = null;

  // -------------------------------------------------------------- runtime status

  function showTargets(targets) {
    const missing = targets.filter((t) => !t.surfaces.includes("page"));
    ui.syntax.replaceChildren(
      ...targets.map((t) => {
        const option = new Option(`${t.label} (${t.hint})`, t.name, t.default, t.default);
        if (missing.includes(t)) {
          option.disabled = true;
          option.text = `${t.label} (command line only, for now)`;
        }
        return option;
      }),
    );
    ui.syntaxNote.textContent = missing.length ? targetsMissingText(missing, policy.messages) : "";
    ui.syntaxNote.hidden = !missing.length;
    ui.syntax.disabled = false;
  }

  function downloadItem(key) {
    return ui.downloads.querySelector(`[data-key="${key}"]`);
  }

  engine.addEventListener("download", ({ detail: { key, loaded, total, state } }) => {
    const item = downloadItem(key);
    if (!item) return;
    const bar = item.querySelector("progress");
    const text = item.querySelector(".download-state");
    item.dataset.state = state;
    if (state === "done") {
      bar.value = 100;
      text.textContent = `done, ${formatBytes(total)}`;
    } else if (state === "failed") {
      bar.value = 0;
      text.textContent = key === "numpy" ? "not available" : "failed";
    } else {
      bar.value = total ? Math.min(99, (100 * loaded) / total) : 0;
      text.textContent = formatPercent(loaded, total);
    }
  });

  engine.addEventListener("phase", ({ detail }) => {
    ui.phase.textContent = `${detail.text}…`;
  });

  engine.addEventListener("ready", ({ detail }) => {
    const { engine: info, numpy, seconds, build } = detail;
    const fast = info.plugin ? info.plugin === "dicompress" : Boolean(info.numpy);
    ui.engine.dataset.engine = fast ? "numpy" : "fallback";
    ui.engine.textContent = fast ? `Engine: fast (numpy ${info.numpy})` : "Engine: basic (pydicom's own, no numpy)";
    ui.engine.title = info.name;
    ui.phase.textContent = fast
      ? `Ready in ${seconds.toFixed(1)} s.`
      : `Ready in ${seconds.toFixed(1)} s. numpy is not available here, so the basic engine (pydicom's ` +
        "own RLE plugin) does the work: slower, same result.";
    if (build && ui.version) ui.version.textContent = `; build ${build}`;
    host.dataset.ready = "true";
    performance.mark("dicompress:ready", { detail: detail.timings });
    const numpyItem = downloadItem("numpy");
    if (!numpy.ok) {
      numpyItem.dataset.state = "failed";
      numpyItem.title = `numpy ${numpy.reason}`;
      numpyItem.querySelector(".download-state").textContent = numpy.excluded ? "not included" : "not available";
    }
    for (const job of queue) job.row.setQueued();
    pump();
  });

  engine.addEventListener("init-failed", ({ detail }) => {
    startFailed = detail.message;
    ui.engine.dataset.engine = "failed";
    ui.engine.textContent = "Engine: none — the converter could not be started.";
    ui.phase.textContent = detail.message;
    for (const job of queue.splice(0)) job.row.setError(detail.message);
    update();
  });

  // Another converter of the pool can take files (the first one's "ready" is above).
  engine.addEventListener("engine-ready", () => {
    ui.engine.dataset.workers = String(engine.size);
    pump();
  });

  engine.addEventListener("restarted", () => {
    ui.phase.textContent = "The converter stopped and is being restarted…";
  });

  // -------------------------------------------------------------- the queue

  // Rows are added a batch at a time, each batch in a task of its own, so adding a
  // folder of hundreds of files never freezes the page; converting starts with the first.
  const ADD_BATCH = 20;
  const nextTask = () => new Promise((resolve) => setTimeout(resolve));

  async function addFiles(items) {
    startEngine();
    await policyReady;
    await sessionReady;
    const target = ui.syntax.value;
    const strict = ui.strict.checked;
    const files = items.filter(({ path }) => !isClutter(path, policy.clutter));
    for (let start = 0; start < files.length; start += ADD_BATCH) {
      if (start > 0) await nextTask();
      const added = [];
      for (const { file, path } of files.slice(start, start + ADD_BATCH)) {
        const row = new ResultRow(path, file.size, count);
        rows.push(row);
        added.push(row);
        if (startFailed) row.setError(startFailed);
        else {
          if (!engine.ready) row.setQueued("Queued, waiting for the converter");
          queue.push({ row, file, target, strict });
        }
      }
      list.add(added);
      update();
      pump();
    }
  }

  // Hand waiting files to idle converters, in order, as far as the memory budget allows.
  function pump() {
    while (queue.length > 0) {
      const job = queue[0];
      if (!engine.canTake(job.file.size)) break;
      queue.shift();
      convert(job).finally(() => {
        update();
        pump();
      });
    }
    if (queue.length > 0 && engine.ready) engine.grow(queue[0].file.size);
    update();
  }

  // The row says "Converting" once its converter starts on it (it may hold it queued first).
  async function convert({ row, file, target, strict }) {
    try {
      const reply = await engine.convert(row.path, file, target, {
        inFolder: row.path.includes("/"),
        strict,
        store: session,
        onStart: () => {
          row.setWorking();
          performance.mark("dicompress:start", { detail: { name: row.path } });
        },
        onProgress: (done, total) => row.setWorking(done, total),
        onPreview: (preview) => row.setPreview(preview),
      });
      performance.mark("dicompress:file", {
        detail: { name: row.path, ok: reply.ok, seconds: reply.report?.seconds, memory: reply.memory },
      });
      row.element.dataset.engine = String(reply.engine);
      row.setWarnings(reply.warnings ?? []);
      if (reply.ok) {
        row.setDone(reply.report, reply.blob, reply.elements);
        tally.before += reply.report.input_bytes;
        tally.after += reply.report.output_bytes;
        if (reply.stored) stored.set(row, reply.stored);
      }
      else if (reply.copied) row.setCopied(file, reply.message, reply.code);
      else if (reply.kept) row.setKept(file, reply.message, reply.code);
      else if (reply.skipped) row.setSkipped(reply.message, reply.code);
      else row.setError(failureText(reply, policy.messages), reply.code);
    } catch (err) {
      // The worker died while converting this file; the engine restarts it.
      row.setError(workerDiedText(err.message, policy.messages));
    }
  }

  // -------------------------------------------------------------- summary, downloads

  // The summary is redrawn at most once a frame, however many rows change meanwhile.
  // (A hidden page gets no frames: it redraws on a timer instead.)
  let summaryDue = false;
  function update() {
    if (summaryDue) return;
    summaryDue = true;
    const redraw = () => {
      summaryDue = false;
      showSummary();
    };
    if (document.hidden) setTimeout(redraw, 100);
    else requestAnimationFrame(redraw);
  }

  function showSummary() {
    const [done, failed, skipped, copied, kept] = ["done", "error", "skipped", "copied", "kept"].map(
      (status) => tally.statuses.get(status) ?? 0,
    );
    const waiting = rows.length - done - failed - skipped - copied - kept;
    ui.empty.hidden = rows.length > 0;
    ui.resultsTable.hidden = rows.length === 0;
    const parts = [`${rows.length} file${rows.length === 1 ? "" : "s"}`, `${done} done`];
    if (failed) parts.push(`${failed} failed`);
    if (copied) parts.push(`${copied} copied`);
    if (kept) parts.push(`${kept} kept`);
    if (skipped) parts.push(`${skipped} skipped`);
    if (waiting) parts.push(`${waiting} to go`);
    if (done) parts.push(`${formatBytes(tally.before)} → ${formatBytes(tally.after)}`);
    ui.summary.textContent = rows.length ? parts.join(" · ") : "No files yet.";
    // The summary is a live region: a screen reader hears it once the list has settled, not
    // at every frame of a study (aria-busy holds its changes back meanwhile).
    ui.summary.setAttribute("aria-busy", String(waiting > 0));
    ui.downloadAll.disabled = done + copied + kept === 0 || waiting > 0;
    ui.clear.disabled = rows.length === 0 || waiting > 0;
  }

  const ZIP_NAME = "dicompress-results.zip";

  // The ZIP is streamed from the result Blobs by client-zip (ZIP64 where needed), never
  // built in memory; its entries are named by the command line's rule (in Python).
  async function downloadAll() {
    const done = rows.filter((r) => r.blob);
    if (done.length === 0) return;
    ui.downloadAll.disabled = true;
    const label = ui.downloadAll.textContent;
    ui.downloadAll.textContent = "Preparing ZIP…";
    try {
      const handle = await pickSaveFile(ZIP_NAME, "ZIP archive");
      if (handle === "cancelled") return;
      const reply = await engine.zipNames(done.map((r) => r.path));
      if (!reply.ok) {
        ui.phase.textContent = `The ZIP could not be made: ${failureText(reply, policy.messages)}`;
        return;
      }
      const entries = done.map((r, i) => ({ name: reply.names[i], input: r.blob }));
      await saveStream(downloadZip(entries), ZIP_NAME, handle);
    } catch (err) {
      ui.phase.textContent = `The ZIP could not be made: ${err.message}`;
    } finally {
      ui.downloadAll.textContent = label;
      update();
    }
  }

  function clearList() {
    const names = [];
    for (const row of rows.splice(0)) {
      row.release();
      if (stored.has(row)) names.push(stored.get(row));
    }
    list.clear();
    tally.statuses.clear();
    tally.before = tally.after = 0;
    stored.clear();
    removeStored(names);
    update();
  }

  // -------------------------------------------------------------- wiring

  ui.pickFiles.addEventListener("click", () => ui.fileInput.click());
  ui.pickFolder.addEventListener("click", () => ui.folderInput.click());
  for (const input of [ui.fileInput, ui.folderInput]) {
    input.addEventListener("change", () => {
      addFiles(fromInput(input));
      input.value = "";
    });
  }
  ui.downloadAll.addEventListener("click", downloadAll);
  ui.clear.addEventListener("click", clearList);

  // A file dropped next to the drop zone must not make the browser open it in place of the page.
  for (const type of ["dragover", "drop"]) dropTarget.addEventListener(type, (e) => e.preventDefault());
  ui.dropzone.addEventListener("dragenter", () => ui.dropzone.classList.add("dragging"));
  ui.dropzone.addEventListener("dragleave", (e) => {
    if (!ui.dropzone.contains(e.relatedTarget)) ui.dropzone.classList.remove("dragging");
  });
  ui.dropzone.addEventListener("drop", async (event) => {
    ui.dropzone.classList.remove("dragging");
    addFiles(await fromDrop(event.dataTransfer));
  });

  // The converter downloads Python and its packages (about 22 MB): nothing heavy is
  // fetched before it starts.
  let started = false;
  function startEngine() {
    if (started) return;
    started = true;
    ui.phase.textContent = "Starting…";
    engine.start();
  }

  update();
  if (startWhen) {
    ui.phase.textContent = "The converter starts when you point at it or add files.";
    startWhen.then(startEngine);
  } else startEngine();
  return engine;
}
