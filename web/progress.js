// Download progress for the page's list of downloads: a Response whose body reports, as
// it is read, (loaded, total, state) to `report` (state "loading", then "done").
export function withProgress(response, report) {
  const total = Number(response.headers.get("Content-Length")) || 0;
  let loaded = 0;
  report(0, total, "loading");
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      report(loaded, total, "loading");
      controller.enqueue(chunk);
    },
    flush() {
      report(loaded, loaded, "done");
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
