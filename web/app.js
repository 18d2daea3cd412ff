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

let offline = null;
engine.addEventListener("ready", () => {
  offline ??= keepOffline(show);
});
document.querySelector("#update-reload").addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  event.currentTarget.textContent = "Updating…";
  (await offline)?.update();
});
