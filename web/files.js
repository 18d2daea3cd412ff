// Collect files (with their folder-relative paths) from a file picker or a drop.

// Files from <input type=file> (with or without webkitdirectory).
export function fromInput(input) {
  return Array.from(input.files, (file) => ({ file, path: file.webkitRelativePath || file.name }));
}

// Files from a drop: plain files, and whole folders walked recursively.
export async function fromDrop(dataTransfer) {
  const entries = Array.from(dataTransfer.items ?? [])
    .filter((item) => item.kind === "file")
    .map((item) => item.webkitGetAsEntry?.())
    .filter(Boolean);
  if (entries.length === 0) {
    return Array.from(dataTransfer.files, (file) => ({ file, path: file.name }));
  }
  const found = [];
  for (const entry of entries) await walk(entry, "", found);
  return found;
}

async function walk(entry, prefix, found) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    found.push({ file, path: prefix + entry.name });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = entry.createReader();
  const children = [];
  // readEntries returns the folder in batches until it returns an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  children.sort((a, b) => a.name.localeCompare(b.name));
  for (const child of children) await walk(child, `${prefix}${entry.name}/`, found);
}

// Files a person would not mean to convert: operating-system clutter in folders, as
// policy.json's `clutter` ({names, prefixes}) lists it.
export function isClutter(path, clutter) {
  if (!path.includes("/")) return false; // a file chosen by itself is never clutter
  const name = path.slice(path.lastIndexOf("/") + 1);
  return clutter.names.includes(name) || clutter.prefixes.some((prefix) => name.startsWith(prefix));
}
