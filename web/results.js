// One row per file in the results table: queued -> working -> done | error | copied | kept | skipped, with a
// thumbnail of the first frame and a details panel once the worker has read the file.
// The table is made of ARIA table roles on plain boxes (result-list.js says why).
import { baseName, formatBytes, formatRatio, formatSeconds } from "./format.js";

const COLUMNS = ["input", "output", "ratio", "time", "plugin", "verified"];
const LABELS = {
  input: "Original",
  output: "New",
  ratio: "Ratio",
  time: "Time",
  plugin: "Engine",
  verified: "Verified",
};
// The plugin that did the work, in plain words (the title says which it is).
const PLUGINS = {
  dicompress: "fast",
  pydicom: "basic",
  none: "not needed",
  "dicompress-page": "WebAssembly",
};
const PLUGIN_TITLES = {
  dicompress: "The fast engine: dicompress's RLE plugin on numpy",
  pydicom: "The basic engine: pydicom's own pure-Python RLE plugin",
  none: "No RLE engine needed: the pixel data is written uncompressed",
  "dicompress-page": "The page's WebAssembly encoders: CharLS (JPEG-LS), OpenJPEG (JPEG 2000), OpenJPH (HTJ2K)",
};

function cell(tag, className, text = "") {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = text;
  return element;
}

// A box of the table with its ARIA role ("row", "rowheader", "cell").
function part(role, className, text = "") {
  const element = cell("div", className, text);
  element.setAttribute("role", role);
  return element;
}

// An image of the worker's thumbnail (a PNG's data: URL). Not a canvas: thousands of
// canvases cost the page's thread several milliseconds a row, where an image out of sight
// is not even decoded.
function picture(thumbnail, className, label) {
  const image = new Image(thumbnail.width, thumbnail.height);
  image.className = className;
  image.alt = label;
  image.decoding = "async";
  image.src = thumbnail.url;
  return image;
}

let panelCount = 0;

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// [field, label, text] for the details panel; nothing here identifies a patient.
function detailLines(d) {
  const samples = d.samples_per_pixel === 1 ? "" : `, ${plural(d.samples_per_pixel, "sample")} per pixel`;
  return [
    ["modality", "Modality", d.modality || "not given"],
    ["size", "Size", `${d.columns} × ${d.rows} pixels${samples}`],
    ["frames", "Frames", String(d.frames)],
    ["bits", "Bits", `${d.bits_allocated} allocated, ${d.bits_stored} stored`],
    ["photometric", "Photometric interpretation", d.photometric_interpretation || "not given"],
    ["transfer-syntax", "Original transfer syntax", d.transfer_syntax],
    ["elements", "Data elements", String(d.elements)],
  ];
}

export class ResultRow {
  // `onStatus(before, after)` is told each change of the row's status (before: undefined at first).
  constructor(path, size, onStatus = () => {}) {
    this.path = path;
    this.size = size;
    this.blob = null;
    this.url = null;
    this.onStatus = onStatus;

    const row = part("row", "result");
    row.dataset.testid = "result";
    row.dataset.filename = path;
    const name = part("rowheader", "result-name");
    name.title = path;
    this.thumb = cell("span", "result-thumb");
    const label = cell("span", "result-label");
    label.append(cell("span", "result-filename", baseName(path)));
    if (path !== baseName(path)) label.append(cell("span", "result-folder", path.slice(0, -baseName(path).length)));
    this.label = label;
    const file = cell("div", "result-file");
    file.append(this.thumb, label);
    name.append(file);
    this.status = part("cell", "result-status");
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
      const field = part("cell", `result-${key}`, "—");
      field.dataset.label = LABELS[key];
      this.fields[key] = field;
      row.append(field);
    }
    this.fields.input.textContent = formatBytes(size);
    this.action = part("cell", "result-action");
    row.append(this.action);
    this.element = row;
    this.more = part("row", "result-more"); // the details panel, once the file was read
    this.more.hidden = true;
    this.setQueued();
  }

  #status(status, text) {
    const before = this.element.dataset.status;
    this.element.dataset.status = status;
    this.statusText.textContent = text;
    if (before !== status) this.onStatus(before, status);
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

  // What the worker read before converting: details and a thumbnail, or nothing if it could not.
  setPreview(preview) {
    if (!preview.ok) return;
    this.details = preview.details;
    const name = baseName(this.path);
    const small = picture(preview.thumbnail, "result-thumb-image", `First frame of ${name}`);
    small.dataset.testid = "thumbnail";
    this.thumb.replaceChildren(small);

    // The panel is a row of its own under this one, across the whole table.
    const panel = cell("div", "result-details");
    panel.dataset.testid = "details";
    panel.dataset.filename = this.path;
    panel.id = `details-${++panelCount}`;
    const list = cell("dl", "result-details-list");
    for (const [field, label, text] of detailLines(preview.details)) {
      const value = cell("dd", "", text);
      value.dataset.field = field;
      const item = cell("div", "result-details-item");
      item.append(cell("dt", "", label), value);
      list.append(item);
    }
    this.list = list;
    const text = cell("div", "result-details-text");
    text.append(list, cell("p", "result-details-note", "No patient-identifying values are shown."));
    panel.append(text);
    const across = part("cell", "result-details-cell");
    across.setAttribute("aria-colspan", String(COLUMNS.length + 3));
    across.append(panel);
    this.more.replaceChildren(across);

    const toggle = cell("button", "result-details-toggle", "Details");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", panel.id);
    toggle.setAttribute("aria-label", `Details of ${name}`);
    toggle.addEventListener("click", () => {
      const open = this.more.hidden;
      // The larger picture is made when the panel first opens: a study has thousands of
      // rows whose details nobody opens.
      if (open && !panel.querySelector(".result-details-image")) {
        panel.prepend(picture(preview.thumbnail, "result-details-image", `First frame of ${name}, larger`));
      }
      this.more.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    });
    this.label.append(toggle);
  }

  // What pydicom warned about the file while reading it, once, under its name.
  setWarnings(warnings) {
    if (warnings.length === 0) return;
    const note = cell("span", "result-warnings", `⚠ ${warnings.join(" ")}`);
    note.dataset.testid = "warnings";
    note.title = warnings.join("\n");
    this.label.append(note);
  }

  // The download keeps the input's name (the ZIP keeps its folders and numbers duplicates).
  setDone(report, blob, elements = null) {
    this.report = report;
    this.#status("done", "Done");
    this.bar.hidden = true;
    this.fields.output.textContent = formatBytes(report.output_bytes);
    this.fields.ratio.textContent = formatRatio(report.ratio);
    this.fields.time.textContent = formatSeconds(report.seconds);
    this.fields.plugin.textContent = PLUGINS[report.plugin] ?? report.plugin;
    this.fields.plugin.title = PLUGIN_TITLES[report.plugin] ?? "";
    this.fields.verified.textContent = report.verified ? "✓ identical" : "not checked";
    if (report.lossy_source) {
      const note = cell("span", "result-lossy", "lossy source");
      note.dataset.testid = "lossy";
      note.title = "The original was compressed with loss; this result keeps exactly the pixels decoded from it.";
      this.fields.verified.append(document.createElement("br"), note);
    }
    this.fields.verified.title = report.verified
      ? "The result was decoded again and its pixels compared with the original's"
      : "";
    this.#offer(blob);
    this.element.title = `${report.source_syntax} → ${report.target_syntax}, ${report.frames} frame(s)`;
    if (this.list && elements !== null) {
      const value = this.list.querySelector('[data-field="elements"]');
      const original = this.details.elements;
      value.dataset.kept = String(elements);
      value.textContent =
        elements <= original
          ? `${original} in the original, ${elements} kept`
          : `${original} in the original, all kept, ${elements - original} added`;
    }
  }

  // A download button for `blob`, under the input's name. Its Blob URL is made when the
  // pointer or the keyboard first reaches it (a study has thousands of rows, and making one
  // costs the page's thread about a millisecond); the link follows it when clicked.
  #offer(blob) {
    this.blob = blob;
    const link = cell("a", "button button-small", "Download");
    link.dataset.testid = "download";
    link.href = "#";
    const linkUp = () => {
      this.url ??= URL.createObjectURL(blob);
      link.href = this.url;
    };
    for (const type of ["pointerenter", "focus", "click"]) link.addEventListener(type, linkUp, { once: true });
    link.download = baseName(this.path);
    link.setAttribute("aria-label", `Download ${baseName(this.path)}`);
    this.action.replaceChildren(link);
  }

  // `code`: the failure's code from Python (e.g. "truncated"), as the row's data-code.
  setError(message, code = "") {
    this.#showMessage("error", "Failed", message, code);
  }

  // A file with nothing to convert (no Pixel Data: a report, a structure set...): offered
  // unchanged, so a study keeps all its files.
  setCopied(file, message, code = "") {
    this.#showMessage("copied", "Copied", message, code);
    this.#offer(file);
  }

  // A valid file that cannot be converted (1-bit or float pixels for RLE, a video...):
  // offered unchanged with the reason, so a study keeps all its files.
  setKept(file, message, code = "") {
    this.#showMessage("kept", "Kept", message, code);
    this.#offer(file);
  }

  // A file found in a folder that is obviously not DICOM: left out, and said so.
  setSkipped(message, code = "") {
    this.#showMessage("skipped", "Skipped", message, code);
  }

  #showMessage(status, label, message, code) {
    this.#status(status, label);
    if (code) this.element.dataset.code = code;
    if (!this.details) this.thumb.remove(); // no empty picture box for a file that could not be read
    this.bar.hidden = true;
    const text = message.charAt(0).toUpperCase() + message.slice(1);
    const note = part("cell", `result-${status}`, /[.!?]$/.test(text) ? text : `${text}.`);
    note.dataset.testid = "error";
    note.setAttribute("aria-colspan", String(COLUMNS.length - 1));
    note.dataset.label = label;
    this.fields.input.after(note);
    for (const key of COLUMNS.slice(1)) this.fields[key].remove();
    this.action.replaceChildren();
  }

  // The table rows of this file: its result and its (hidden) details.
  get elements() {
    return [this.element, this.more];
  }

  release() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.blob = null;
    this.url = null;
  }
}
