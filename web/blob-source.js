// A File or Blob read piece by piece, synchronously, in a worker (FileReaderSync), so
// Python can read a file of any size through a file object (dicompress.browser_files.BlobReader)
// while the file itself stays in the browser's blob storage.

// The most one read hands over: a frame larger than this comes in several pieces, each
// copied once into Python's memory, so JavaScript never holds a whole large frame.
export const CHUNK_BYTES = 8 * 1024 * 1024;

export class BlobSource {
  #blob;
  #reader = new FileReaderSync();

  constructor(blob) {
    this.#blob = blob;
    this.size = blob.size;
  }

  // Up to `length` bytes from `offset` (at most CHUNK_BYTES; fewer at the end), as a
  // Uint8Array. Throws the browser's error (NotReadableError when the file changed on
  // disk or went away since it was chosen).
  read(offset, length) {
    const end = Math.min(this.size, offset + Math.min(length, CHUNK_BYTES));
    if (end <= offset) return new Uint8Array(0);
    return new Uint8Array(this.#reader.readAsArrayBuffer(this.#blob.slice(offset, end)));
  }
}
