// The page's entry point: the app on the whole document, kept for offline use by a
// service worker (offline.js) once the converter has started.
import { keepOffline } from "./offline.js";
import { mountApp } from "./ui.js";

const engine = mountApp(document);

const status = document.querySelector("[data-testid=offline]");
const banner = document.querySelector("[data-testid=update]");
const TEXT = {
  unsupported: "Offline use: not available in this browser (or this page is not served over HTTPS).",
  saving: "Saving this page and its converter in your browser for offline use…",
  ready: "Works offline: this page and its converter are saved in your browser.",
  offline: "You are offline: this page and its converter run from the copy saved in your browser.",
  failed: "Offline use: the page could not be saved in your browser; it still works while online.",
};

let saved = "waiting";

function show(state) {
  if (state === "update-ready") {
    banner.hidden = false;
    state = "ready";
  }
  saved = state;
  status.dataset.state = state;
  status.textContent = state === "ready" && !navigator.onLine ? TEXT.offline : TEXT[state];
}

for (const type of ["online", "offline"]) {
  window.addEventListener(type, () => {
    if (saved !== "waiting") show(saved);
  });
}

// Saving the page for offline use downloads and checks every file of the build again
// (about 25 MB): it waits until no file added before the converter was ready is still
// waiting for it, so that it does not slow down the first results.
function firstResults() {
  const pending = "[data-testid=result][data-status=queued], [data-testid=result][data-status=working]";
  return new Promise((resolve) => {
    const check = () => {
      if (document.querySelector(pending)) return;
      observer.disconnect();
      resolve();
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
    check();
  });
}

let offline = null;
engine.addEventListener("ready", () => {
  offline ??= firstResults().then(() => keepOffline(show));
});
document.querySelector("#update-reload").addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  event.currentTarget.textContent = "Updating…";
  (await offline)?.update();
});
