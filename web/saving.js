// Saving results on the person's computer.
//
// A streamed download (a ZIP of a whole study may be gigabytes) goes straight into a file
// the person picks where the browser has the File System Access API, so it never sits in
// memory whole; elsewhere it becomes a Blob (which browsers may keep on disk) and a link.

// Save `blob` as `name` through a temporary link.
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// Ask where to save `name` (call it while the click that asked for it is fresh). Resolves
// with a writable file handle, null where the browser has no save dialog or refuses it
// here (e.g. in a cross-origin frame: saveStream then falls back to a Blob), or "cancelled".
export async function pickSaveFile(name, description) {
  if (typeof window.showSaveFilePicker !== "function") return null;
  try {
    return await window.showSaveFilePicker({
      suggestedName: name,
      types: [{ description, accept: { "application/zip": [".zip"] } }],
    });
  } catch (err) {
    return err.name === "AbortError" ? "cancelled" : null;
  }
}

// Save the body of `response` as `name`: into `handle` (from pickSaveFile) as it streams,
// or, without one, as a Blob.
export async function saveStream(response, name, handle) {
  if (handle) await response.body.pipeTo(await handle.createWritable());
  else saveBlob(await response.blob(), name);
}
