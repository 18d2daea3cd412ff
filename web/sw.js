// The service worker: keeps this build's files in the browser so the page works offline
// after one visit. It serves only the files of its own build (listed below by
// scripts/build.py, each with its sha256) and lets every other request go to the network.
//
// A new build has a new version, so the browser sees a changed service worker, installs
// it next to this one and keeps it waiting while a page of this build is open; the page
// then offers "Reload to update" and sends {type: "skip-waiting"}. On activation the
// caches of older builds of the same folder are deleted.

const BUILD = /*{{BUILD}}*/ null; // {version, files: {"path": "sha256-<base64>"}}; written by build.py

const SCOPE = self.registration.scope; // the app's folder, ending in "/"
const PREFIX = `dicompress ${SCOPE} `; // the caches of this folder (other folders keep theirs)
const CACHE = PREFIX + (BUILD?.version ?? "unbuilt");
const MANIFEST = "manifest.json"; // lists sw.js, so its own sha256 cannot be listed here

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOlderBuilds());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const path = ownPath(event.request);
  if (path !== null) event.respondWith(fromCache(event.request, path));
});

// Download every file of this build, checked against its sha256; fail (and stay out
// of the way) if any is missing or different, e.g. while a new build is being copied.
async function precache() {
  if (!BUILD) throw new Error("sw.js was not written by scripts/build.py");
  const cache = await caches.open(CACHE);
  const requests = Object.entries(BUILD.files).map(
    ([path, integrity]) => new Request(new URL(path, SCOPE), { cache: "no-cache", integrity }),
  );
  await cache.addAll(requests);
  const manifest = await fetch(new URL(MANIFEST, SCOPE), { cache: "no-cache" });
  const version = manifest.ok ? (await manifest.clone().json()).build?.version : null;
  if (version !== BUILD.version) throw new Error(`${MANIFEST} belongs to another build`);
  await cache.put(new URL(MANIFEST, SCOPE), manifest);
}

async function dropOlderBuilds() {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
}

// The path of a request for one of this build's files, relative to the scope, or null.
function ownPath(request) {
  if (request.method !== "GET" || !BUILD || !request.url.startsWith(SCOPE)) return null;
  let path = new URL(request.url).pathname.slice(new URL(SCOPE).pathname.length);
  if (path === "") path = "index.html";
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  return path in BUILD.files || path === MANIFEST ? path : null;
}

async function fromCache(request, path) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(new URL(path, SCOPE).href, { ignoreSearch: true });
  return hit ?? fetch(request);
}
