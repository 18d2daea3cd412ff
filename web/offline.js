// The page's side of the service worker (sw.js): registers it for this folder, reports
// whether the page is saved for offline use, and notices when a new build is waiting.
//
// keepOffline(show) calls show(state) with "unsupported" | "saving" | "ready" |
// "update-ready" | "failed" and resolves with {update()}: activate the waiting build and
// reload the page with it.

const SCRIPT = new URL("./sw.js", import.meta.url).href;
const SCOPE = new URL("./", import.meta.url).href;

export async function keepOffline(show) {
  const container = navigator.serviceWorker;
  if (!container || !window.isSecureContext) {
    show("unsupported");
    return null;
  }
  let registration;
  try {
    registration = await container.register(SCRIPT, { scope: SCOPE });
  } catch (err) {
    console.warn("service worker not registered:", err);
    show("failed");
    return null;
  }

  // A worker that finished installing is either the first one (it activates by itself:
  // the page is saved) or a new build waiting for this page to let it take over.
  const follow = (worker) => {
    const step = () => {
      if (worker.state === "installed" && registration.active && registration.active !== worker) {
        show("update-ready");
      } else if (worker.state === "activated" && !registration.waiting) {
        show("ready");
      } else if (worker.state === "redundant" && !registration.active) {
        show("failed");
      }
    };
    worker.addEventListener("statechange", step);
    step();
  };

  if (registration.waiting && registration.active) show("update-ready");
  else if (registration.installing) show("saving");
  else if (registration.active) show("ready");
  if (registration.installing) follow(registration.installing);
  registration.addEventListener("updatefound", () => {
    if (!registration.active) show("saving");
    follow(registration.installing);
  });
  // Look for a newer build now (the browser also does on each visit).
  registration.update().catch(() => {});

  let reloading = false;
  container.addEventListener("controllerchange", () => {
    if (reloading) location.reload();
  });
  return {
    update() {
      if (!registration.waiting) {
        location.reload();
        return;
      }
      reloading = true;
      registration.waiting.postMessage({ type: "skip-waiting" });
    },
  };
}
