// <dicompress-app>: the whole app as one element, for static documentation sites.
//
//   <script type="module" src="/_static/dicompress/dicompress-embed.js"></script>
//   <dicompress-app></dicompress-app>
//
// Attribute `base-url`: the folder of the built app (dist/), absolute or relative to the
// host page; by default the folder this script was loaded from. The converter (Python and
// its packages, about 22 MB) is downloaded only once a reader shows intent: a pointer over
// the element, focus in it, a drag over it, or a file given. Attribute `preload` starts it
// at once. The app lives in an open
// shadow root with its own stylesheet: the host page's styles do not reach it and its
// styles do not reach the host page. The test hooks (data-testid) are the same as on the
// app's own page; the element gets data-ready="true" once the converter has started.
// Offline use (the service worker) belongs to the app's own page, not to host pages.

const OWN_FOLDER = new URL("./", import.meta.url).href;
// Signs that a reader is about to use the converter (composed events: they reach the host).
const INTENT_EVENTS = ["pointerover", "focusin", "dragenter"];

function folderUrl(value, relativeTo) {
  const url = new URL(value, relativeTo);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url.href;
}

class DicompressApp extends HTMLElement {
  #started = false;

  // The folder the app's files are loaded from.
  get baseUrl() {
    const attribute = this.getAttribute("base-url");
    return attribute ? folderUrl(attribute, document.baseURI) : OWN_FOLDER;
  }

  // Settles at the first sign that a reader is about to use the converter (from the moment
  // the element is on the page, before the app's markup is there), or at once with `preload`.
  #intent() {
    if (this.hasAttribute("preload")) return Promise.resolve();
    return new Promise((resolve) => {
      for (const type of INTENT_EVENTS) this.addEventListener(type, resolve, { once: true });
    });
  }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    const root = this.attachShadow({ mode: "open" });
    this.#start(root, this.baseUrl, this.#intent()).catch((err) => {
      console.error(err);
      const message = document.createElement("p");
      message.setAttribute("role", "alert");
      message.textContent = `dicompress could not be loaded from ${this.baseUrl}: ${err.message || err}`;
      root.replaceChildren(message);
      this.dataset.ready = "failed";
    });
  }

  async #start(root, base, intent) {
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("style.css", base).href;
    const styled = new Promise((resolve) => {
      style.onload = resolve;
      style.onerror = resolve;
    });
    const loading = document.createElement("p");
    loading.textContent = "Loading dicompress…";
    root.replaceChildren(style, loading);

    // The markup is the app page's own: one source for both.
    const response = await fetch(new URL("index.html", base));
    if (!response.ok) throw new Error(`index.html: HTTP ${response.status}`);
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const app = page.querySelector("#dicompress");
    if (!app) throw new Error("index.html has no #dicompress element");
    app.classList.add("embedded");
    for (const element of app.querySelectorAll("[data-standalone]")) element.remove();
    for (const element of app.querySelectorAll("[data-embedded]")) element.hidden = false;
    // Links in a shadow root resolve against the host page: point them at the app's folder.
    for (const link of app.querySelectorAll("a[href]")) {
      link.setAttribute("href", new URL(link.getAttribute("href"), base).href);
    }
    const { mountApp } = await import(new URL("ui.js", base).href);
    await styled;
    loading.replaceWith(document.importNode(app, true));
    mountApp(root, { host: this, dropTarget: this, startWhen: intent });
  }
}

if (!customElements.get("dicompress-app")) customElements.define("dicompress-app", DicompressApp);
