// One row per file in the results table: queued -> working -> done | error.
import { baseName, formatBytes, formatRatio, formatSeconds } from "./format.js";

const COLUMNS = ["input", "output", "ratio", "time", "plugin", "verified"];
const LABELS = {
  input: "Original",
  output: "New",
  ratio: "Ratio",
  time: "Time",
  plugin: "Encoder",
  verified: "Verified",
};
const PLUGINS = {
  dicompress: "dicompress",
  pydicom: "pydicom",
  none: "none needed",
};
const PLUGIN_TITLES = {
  dicompress: "dicompress's numpy RLE plugin",
  pydicom: "pydicom's own pure-Python RLE plugin",
  none: "no encoder: the pixel data is written uncompressed",
};

function cell(tag, className, text = "") {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = text;
  return element;
}

export class ResultRow {
  constructor(path, size) {
    this.path = path;
    this.size = size;
    this.blob = null;
    this.outputName = null;
    this.url = null;

    const row = cell("tr", "result");
    row.dataset.testid = "result";
    row.dataset.filename = path;
    const name = cell("th", "result-name");
    name.scope = "row";
    name.title = path;
    name.textContent = baseName(path);
    if (path !== baseName(path)) name.append(cell("span", "result-folder", path.slice(0, -baseName(path).length)));
    this.status = cell("td", "result-status");
    this.status.dataset.label = "Status";
    this.statusText = cell("span", "result-status-text");
    this.bar = cell("progress", "result-progress");
    this.bar.max = 1;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", `Progress of ${baseName(path)}`);
    this.status.append(this.statusText, this.bar);
    this.fields = {};
    row.append(name, this.status);
    for (const key of COLUMNS) {
      const td = cell("td", `result-${key}`, "—");
      td.dataset.label = LABELS[key];
      this.fields[key] = td;
      row.append(td);
    }
    this.fields.input.textContent = formatBytes(size);
    this.action = cell("td", "result-action");
    row.append(this.action);
    this.element = row;
    this.setQueued();
  }

  #status(status, text) {
    this.element.dataset.status = status;
    this.statusText.textContent = text;
  }

  setQueued(text = "Queued") {
    this.#status("queued", text);
    this.bar.removeAttribute("value");
    this.bar.hidden = true;
  }

  setWorking(done = 0, total = 0) {
    this.#status("working", total > 1 ? `Frame ${done} of ${total}` : "Converting…");
    this.bar.hidden = false;
    if (total > 1) this.bar.value = done / total;
    else this.bar.removeAttribute("value"); // one frame: an indeterminate bar
  }

  setDone(report, blob, outputName) {
    this.blob = blob;
    this.outputName = outputName;
    this.report = report;
    this.#status("done", "Done");
    this.bar.hidden = true;
    this.fields.output.textContent = formatBytes(report.output_bytes);
    this.fields.ratio.textContent = formatRatio(report.ratio);
    this.fields.time.textContent = formatSeconds(report.seconds);
    this.fields.plugin.textContent = PLUGINS[report.plugin] ?? report.plugin;
    this.fields.plugin.title = PLUGIN_TITLES[report.plugin] ?? "";
    this.fields.verified.textContent = report.verified ? "✓ identical" : "not checked";
    this.fields.verified.title = report.verified
      ? "The result was decoded again and its pixels compared with the original's"
      : "";
    this.url = URL.createObjectURL(blob);
    const link = cell("a", "button button-small", "Download");
    link.dataset.testid = "download";
    link.href = this.url;
    link.download = baseName(outputName);
    link.setAttribute("aria-label", `Download ${baseName(outputName)}`);
    this.action.replaceChildren(link);
    this.element.title = `${report.source_syntax} → ${report.target_syntax}, ${report.frames} frame(s)`;
  }

  setError(message) {
    this.#status("error", "Failed");
    this.bar.hidden = true;
    const text = message.charAt(0).toUpperCase() + message.slice(1);
    const error = cell("td", "result-error", /[.!?]$/.test(text) ? text : `${text}.`);
    error.dataset.testid = "error";
    error.colSpan = COLUMNS.length - 1;
    error.dataset.label = "Error";
    this.fields.input.after(error);
    for (const key of COLUMNS.slice(1)) this.fields[key].remove();
    this.action.replaceChildren();
  }

  release() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.blob = null;
    this.url = null;
  }
}
