// Text for people about failures the worker reports as codes. Messages about a file's
// content come from Python (dicompress.browser); so does `advice`, the one sentence that
// points to the command line, which the ready message carries as engine.advice.
import { formatBytes } from "./format.js";

const FALLBACK_ADVICE = "use the dicompress command line on your computer instead: dicompress FILE -o OUT/";

// The page's sentence for a failed request: Python's own message, or one made from the code.
export function failureText(reply, advice = FALLBACK_ADVICE) {
  if (reply.message) return reply.message;
  switch (reply.code) {
    case "unreadable-memory":
      return `The file could not be read into this tab's memory (${reply.reason}); ${advice}`;
    case "unreadable":
      return `The file could not be read (${reply.reason}).`;
    default:
      return `Unexpected error (${reply.reason}); the file was not converted.`;
  }
}

export function startFailure(reason) {
  return `The Python runtime could not be started: ${reason}`;
}

export function tooLargeText(size, limit, advice = FALLBACK_ADVICE) {
  return (
    `Too large for the browser: ${formatBytes(size)}, and a browser tab can convert files up to about ` +
    `${formatBytes(limit)} (Python in WebAssembly has 4 GB of memory at most); ${advice}`
  );
}

export function workerDiedText(reason, advice = FALLBACK_ADVICE) {
  return (
    `Not converted: ${reason}. The converter was restarted for the other files; ` +
    `if this file is very large, ${advice}`
  );
}
