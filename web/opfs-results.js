// Results on disk: each converted file is written, frame by frame, to the Origin Private
// File System (OPFS: the site's own storage, never sent anywhere) through a sync access
// handle in the worker, and offered for download as the File the browser reads from disk.
//
// Layout: RESULTS_DIR/<session>/<uuid>.dcm. A page (one session) holds a Web Lock named
// after its session while it is open; at start it removes the folders of sessions whose
// lock nobody holds (pages closed before they could clear their results), never another
// open tab's. Where OPFS is missing, or its quota cannot hold the result (a private
// window keeps site storage in memory with a small quota), results stay in memory.

export const RESULTS_DIR = "dicompress-results";
const LOCK_PREFIX = "dicompress-results:";
// Room asked for beyond the input's size before a result is written to OPFS: a result may
// be somewhat larger than its input (RLE of noise; Explicit VR of a compressed input can be
// much larger, and then a short write fails that file with one line).
const ROOM_FACTOR = 1.5;

async function resultsFolder(create) {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(RESULTS_DIR, { create });
}

// ---------------------------------------------------------------- the page

// Start this page's session: returns its name once the page holds its lock and stale
// results of closed pages are gone; null where the browser has no OPFS (results stay in memory).
export async function startSession() {
  if (!navigator.storage?.getDirectory) return null;
  const session = crypto.randomUUID();
  try {
    if (navigator.locks) {
      await new Promise((held) => {
        navigator.locks.request(LOCK_PREFIX + session, () => {
          held();
          return new Promise(() => {}); // held until the page goes
        });
      });
      const { held = [] } = await navigator.locks.query();
      const open = new Set(held.map((lock) => lock.name));
      const folder = await resultsFolder(true);
      for await (const name of folder.keys()) {
        if (!open.has(LOCK_PREFIX + name)) await folder.removeEntry(name, { recursive: true }).catch(() => {});
      }
    }
    return session;
  } catch (err) {
    console.warn(`results stay in memory: ${err.message || err}`);
    return null;
  }
}

// Remove stored results (their `stored` names, as the worker gave them).
export async function removeStored(names) {
  if (!names.length) return;
  try {
    const folder = await resultsFolder(false);
    for (const name of names) {
      const [session, file] = name.split("/");
      const sessionFolder = await folder.getDirectoryHandle(session).catch(() => null);
      await sessionFolder?.removeEntry(file).catch(() => {});
    }
  } catch {
    // nothing stored
  }
}

// ---------------------------------------------------------------- the worker

// A result file opened for writing in `session` (from startSession), or null where OPFS
// cannot take it: no OPFS here, no session, or less free quota than a result of an input
// of `inputBytes` may need. Python writes through write/read/size/truncate
// (dicompress.browser_files.StoredResult): each takes a Python buffer and copies it
// straight between Python's memory and the file.
export async function openStoredResult(session, inputBytes) {
  if (!session || typeof FileSystemSyncAccessHandle === "undefined" || !navigator.storage?.getDirectory) return null;
  try {
    const { quota = 0, usage = 0 } = await navigator.storage.estimate();
    if (quota - usage < inputBytes * ROOM_FACTOR) return null;
    const folder = await (await resultsFolder(true)).getDirectoryHandle(session, { create: true });
    const name = `${crypto.randomUUID()}.dcm`;
    const entry = await folder.getFileHandle(name, { create: true });
    return new StoredResult(folder, entry, `${session}/${name}`, await entry.createSyncAccessHandle());
  } catch (err) {
    console.warn(`this result stays in memory: ${err.message || err}`);
    return null;
  }
}

// Call `use` with the bytes of the Python buffer `buffer` (a view of Python's memory, released after).
function withBytes(buffer, use) {
  const view = buffer.getBuffer("u8");
  try {
    return use(view.data);
  } finally {
    view.release();
  }
}

class StoredResult {
  #folder;
  #entry;
  #handle;

  constructor(folder, entry, name, handle) {
    this.#folder = folder;
    this.#entry = entry;
    this.#handle = handle;
    this.name = name;
  }

  // Write the Python buffer `data` at `at`; returns the bytes written (fewer when the quota is full).
  write(at, data) {
    return withBytes(data, (bytes) => this.#handle.write(bytes, { at }));
  }

  // Read into the Python buffer `into` from `at`; returns the bytes read.
  read(at, into) {
    return withBytes(into, (bytes) => this.#handle.read(bytes, { at }));
  }

  size() {
    return this.#handle.getSize();
  }

  truncate(size) {
    this.#handle.truncate(size);
  }

  // The finished result, as a File read from disk.
  async finish() {
    this.#handle.flush();
    this.#handle.close();
    return this.#entry.getFile();
  }

  // The conversion failed: nothing half-written stays behind.
  async discard() {
    try {
      this.#handle.close();
    } finally {
      await this.#folder.removeEntry(this.#entry.name).catch(() => {});
    }
  }
}
