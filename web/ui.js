// The page: picks files, queues them, shows progress and results, offers downloads.
// All Python work happens in the worker (engine.js); nothing here reads DICOM.
import { Engine } from "./engine.js";
import { fromDrop, fromInput, isClutter } from "./files.js";
import { formatBytes, formatPercent, outputName } from "./format.js";
import { ResultRow } from "./results.js";

const $ = (selector) => document.querySelector(selector);
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
  results: $("#results"),
  resultsTable: $("#results-table"),
  empty: $("#results-empty"),
  summary: $("#summary"),
  downloadAll: $("[data-testid=download-all]"),
  clear: $("#clear"),
};

const engine = new Engine();
const rows = [];
const queue = [];
let busy = false;
let startFailed = null;

// ---------------------------------------------------------------- runtime status

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
  const { engine: info, numpy, seconds } = detail;
  const fast = info.plugin ? info.plugin === "dicompress" : Boolean(info.numpy);
  ui.engine.dataset.engine = fast ? "numpy" : "fallback";
  ui.engine.textContent = `Engine: ${info.name}`;
  ui.phase.textContent = fast
    ? `Ready in ${seconds.toFixed(1)} s, with dicompress's numpy RLE plugin for pydicom.`
    : `Ready in ${seconds.toFixed(1)} s. numpy is not available here, so pydicom's own ` +
      "pure-Python RLE plugin does the work: slower, same result.";
  document.documentElement.dataset.ready = "true";
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

engine.addEventListener("restarted", () => {
  ui.phase.textContent = "The converter stopped and is being restarted…";
});

// ---------------------------------------------------------------- the queue

function addFiles(items) {
  const target = ui.syntax.value;
  for (const { file, path } of items) {
    if (isClutter(path)) continue;
    const row = new ResultRow(path, file.size);
    rows.push(row);
    ui.results.append(row.element);
    if (startFailed) row.setError(startFailed);
    else {
      if (!engine.ready) row.setQueued("Queued, waiting for the converter");
      queue.push({ row, file, target });
    }
  }
  update();
  pump();
}

async function pump() {
  if (busy || !engine.ready || queue.length === 0) return;
  busy = true;
  const job = queue.shift();
  job.row.setWorking();
  update();
  try {
    await convert(job);
  } finally {
    busy = false;
    update();
    pump();
  }
}

async function convert({ row, file, target }) {
  let buffer;
  try {
    buffer = await file.arrayBuffer();
  } catch (err) {
    row.setError(`The file could not be read (${err.name || "error"}).`);
    return;
  }
  try {
    const reply = await engine.convert(row.path, buffer, target, (done, total) => row.setWorking(done, total));
    if (reply.ok) {
      const blob = new Blob([reply.buffer], { type: "application/dicom" });
      row.setDone(reply.report, blob, outputName(row.path, target));
    } else {
      row.setError(reply.message);
    }
  } catch (err) {
    // The worker died while converting this file; the engine restarts it.
    row.setError(`Not converted: ${err.message}. The converter was restarted for the other files.`);
  }
}

// ---------------------------------------------------------------- summary, downloads

function update() {
  const count = (status) => rows.filter((r) => r.element.dataset.status === status).length;
  const done = count("done");
  const failed = count("error");
  const waiting = rows.length - done - failed;
  ui.empty.hidden = rows.length > 0;
  ui.resultsTable.hidden = rows.length === 0;
  const finished = rows.filter((r) => r.report);
  const before = finished.reduce((n, r) => n + r.report.input_bytes, 0);
  const after = finished.reduce((n, r) => n + r.report.output_bytes, 0);
  const parts = [`${rows.length} file${rows.length === 1 ? "" : "s"}`, `${done} done`];
  if (failed) parts.push(`${failed} failed`);
  if (waiting) parts.push(`${waiting} to go`);
  if (done) parts.push(`${formatBytes(before)} → ${formatBytes(after)}`);
  ui.summary.textContent = rows.length ? parts.join(" · ") : "No files yet.";
  ui.downloadAll.disabled = done === 0 || waiting > 0;
  ui.clear.disabled = rows.length === 0 || waiting > 0;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function downloadAll() {
  const done = rows.filter((r) => r.blob);
  if (done.length === 0) return;
  ui.downloadAll.disabled = true;
  const label = ui.downloadAll.textContent;
  ui.downloadAll.textContent = "Preparing ZIP…";
  try {
    const entries = await Promise.all(
      done.map(async (r) => ({ name: r.outputName, buffer: await r.blob.arrayBuffer() })),
    );
    const reply = await engine.zip(entries);
    save(new Blob([reply], { type: "application/zip" }), "dicompress-results.zip");
  } catch (err) {
    ui.phase.textContent = `The ZIP could not be made: ${err.message}`;
  } finally {
    ui.downloadAll.textContent = label;
    update();
  }
}

function clearList() {
  for (const row of rows.splice(0)) {
    row.release();
    row.element.remove();
  }
  update();
}

// ---------------------------------------------------------------- wiring

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

// A file dropped anywhere must not make the browser open it in place of the page.
for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());
ui.dropzone.addEventListener("dragenter", () => ui.dropzone.classList.add("dragging"));
ui.dropzone.addEventListener("dragleave", (e) => {
  if (!ui.dropzone.contains(e.relatedTarget)) ui.dropzone.classList.remove("dragging");
});
ui.dropzone.addEventListener("drop", async (event) => {
  ui.dropzone.classList.remove("dragging");
  addFiles(await fromDrop(event.dataTransfer));
});

update();
engine.start();
