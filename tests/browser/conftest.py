"""End-to-end fixtures: build dist/ once, serve it on 127.0.0.1, drive Debian's Chromium.

One server and one browser per session; one page load per engine for the main group
of tests (see ``app``). Every other host is blocked in the browser context, and every
request is recorded so the privacy tests can check where the page went.

Every test runs the default build: dicompress on Pyodide's own numpy, served from the
app's origin. The pure-Python fallback (a --no-numpy build, pydicom's own plugin) has its
own small suite (test_fallback.py), served under FALLBACK_PATH.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from serve import make_server  # noqa: E402

CHROMIUM = os.environ.get("DICOMPRESS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SUBPATH = "/docs/tools/dicompress/"
FALLBACK_PATH = "/fallback/"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
READY_TIMEOUT_MS = 60_000
FILE_TIMEOUT_MS = 120_000

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    """Mark every test in this folder as a browser test."""
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------- build and serve


def build(out: Path, *extra: str) -> Path:
    """Run the real build (scripts/build.py) into `out`."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    return out


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """dist/ built once per session the default way: numpy inside, own origin only."""
    return build(tmp_path_factory.mktemp("build") / "dist")


@pytest.fixture(scope="session")
def fallback_dist(tmp_path_factory) -> Path:
    """A --no-numpy build, once per session: pydicom's pure-Python plugin does the work."""
    return build(tmp_path_factory.mktemp("build-fallback") / "dist", "--no-numpy")


@dataclass
class Servers:
    """The app's server (dist at / and at SUBPATH, the fallback build at FALLBACK_PATH) and a stranger."""

    origin: str
    other_origin: str
    other_hits: list[str] = field(default_factory=list)
    mounts: dict[str, Path] = field(default_factory=dict)

    def mount(self, prefix: str, folder: Path) -> str:
        """Serve `folder` under `prefix` on the app's server; return its URL."""
        self.mounts[prefix] = folder.resolve()
        return self.origin + prefix


class Stranger(BaseHTTPRequestHandler):
    """Another origin that answers anything (CORS open): only CSP can keep the page away."""

    hits: list[str] = []

    def _answer(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "*")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_PUT = do_OPTIONS = do_HEAD = _answer

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture(scope="session")
def servers(dist, fallback_dist) -> Iterator[Servers]:
    """Serve the builds on one 127.0.0.1 port, and a second origin that must never be reached."""
    mounts = {"/": dist, SUBPATH: dist, FALLBACK_PATH: fallback_dist}
    app = make_server(mounts, port=0)
    stranger = ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    stranger.daemon_threads = True
    for server in (app, stranger):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Servers(f"http://127.0.0.1:{app.server_port}", f"http://127.0.0.1:{stranger.server_port}",
                  Stranger.hits, app.mounts)
    for server in (app, stranger):
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, once per session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run scripts/setup.sh test")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# ---------------------------------------------------------------- the app in a page


@dataclass
class App:
    """A page showing the app, with helpers that wait with clear failure messages."""

    page: Page
    context: BrowserContext
    url: str
    requests: list[Request]
    blocked: list[str]
    downloads: Path
    engine: str
    dist: Path
    ready_selector: str = "html"  # the element that gets data-ready="true" (an embed: dicompress-app)

    def open(self) -> "App":
        self.page.goto(self.url)
        return self

    def wait_ready(self, timeout: int = READY_TIMEOUT_MS) -> "App":
        try:
            expect(self.page.locator(self.ready_selector)).to_have_attribute("data-ready", "true", timeout=timeout)
        except AssertionError:
            phase = self.page.locator("#phase").inner_text()
            engine = self.page.locator("[data-testid=engine]").inner_text()
            raise AssertionError(f"the app was not ready within {timeout / 1000} s: {engine!r}, {phase!r}") from None
        return self

    def add(self, paths: list[Path], target: str = "rle") -> None:
        """Choose `target` and add files through the file picker."""
        self.page.select_option("[data-testid=syntax]", target)
        self.page.set_input_files("[data-testid=file-input]", [str(p) for p in paths])

    def add_folder(self, folder: Path, target: str = "rle") -> None:
        """Choose `target` and add a whole folder through the folder picker."""
        self.page.select_option("[data-testid=syntax]", target)
        self.page.set_input_files("#folder-input", str(folder))

    def row(self, filename: str):
        return self.page.locator(f'[data-testid=result][data-filename="{filename}"]')

    def wait_finished(self, filename: str, timeout: int = FILE_TIMEOUT_MS) -> str:
        """Wait until the row of `filename` is finished (done, error, copied, kept or skipped); return its status."""
        row = self.row(filename)
        expect(row, f"no result row for {filename}").to_have_count(1, timeout=10_000)
        expect(row, f"{filename} was not converted within {timeout / 1000} s").to_have_attribute(
            "data-status", re.compile("^(done|error|copied|kept|skipped)$"), timeout=timeout)
        return row.get_attribute("data-status")

    def download(self, filename: str) -> Path:
        """Click the row's download button and return the saved file."""
        with self.page.expect_download(timeout=30_000) as info:
            self.row(filename).locator("[data-testid=download]").click()
        download = info.value
        target = self.downloads / filename.replace("/", "__") / download.suggested_filename
        target.parent.mkdir(parents=True, exist_ok=True)
        download.save_as(target)
        return target

    def offered_bytes(self, filename: str) -> bytes:
        """Return what the row's download link offers, read in the page without a download.

        For tests that check many results (see test_compressed_page's app); the page's CSP
        forbids the read unless the context bypasses it.
        """
        link = self.row(filename).locator("[data-testid=download]")
        link.focus()  # the page makes the link's Blob URL when it is first reached
        href = link.get_attribute("href")
        text = self.page.evaluate("""async (url) => {
          const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
          let text = "";
          for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return btoa(text);
        }""", href)
        return base64.b64decode(text)

    def error_text(self, filename: str) -> str:
        # The row's text, shown or not: a row out of sight is not rendered (content-visibility), so has no innerText.
        return self.row(filename).locator("[data-testid=error]").text_content()


def new_app(browser: Browser, url: str, downloads: Path, engine: str, dist: Path, **context_options) -> App:
    """Return an App in a fresh context that blocks every host but 127.0.0.1."""
    return app_in(browser.new_context(accept_downloads=True, **context_options), url, downloads, engine, dist)


def app_in(context: BrowserContext, url: str, downloads: Path, engine: str, dist: Path) -> App:
    """Return an App in `context` (new_app's, or a persistent one), which then blocks every host but 127.0.0.1."""
    requests: list[Request] = []
    blocked: list[str] = []

    def only_localhost(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_localhost)
    # Headless Chromium answers the save dialog (showSaveFilePicker) at once as if the person
    # had cancelled it; without it the page saves as browsers without one do (a Blob and a
    # download). test_app's ZIP test gives the page a picker of its own to test the other path.
    context.add_init_script("delete window.showSaveFilePicker;")
    # Playwright sets an attribute on each handler, which a builtin such as list.append refuses.
    context.on("request", lambda request: requests.append(request))  # noqa: PLW0108
    page = context.new_page()
    # File-chooser interception starts with the first listener; start it now, or a chooser
    # opened right after expect_file_chooser() can slip past it.
    page.on("filechooser", lambda chooser: None)
    return App(page, context, url, requests, blocked, downloads, engine, dist)


def open_app(browser: Browser, url: str, downloads: Path, engine: str, dist: Path) -> App:
    """Open the app at `url`, wait until it is ready and check that it runs `engine`."""
    app = new_app(browser, url, downloads, engine, dist).open().wait_ready()
    expect(app.page.get_by_test_id("engine"), f"the app does not run the {engine} engine").to_have_attribute(
        "data-engine", engine)
    return app


@pytest.fixture(scope="module")
def app(browser, servers, dist, tmp_path_factory) -> Iterator[App]:
    """The app (numpy engine) loaded once per test module; tests add their own files to it."""
    app = open_app(browser, servers.origin + "/", tmp_path_factory.mktemp("downloads"), "numpy", dist)
    yield app
    app.context.close()


@pytest.fixture(scope="module")
def fallback_app(browser, servers, fallback_dist, tmp_path_factory) -> Iterator[App]:
    """The --no-numpy build's app (pydicom's own plugin), loaded once per test module."""
    url = servers.origin + FALLBACK_PATH
    app = open_app(browser, url, tmp_path_factory.mktemp("downloads-fallback"), "fallback", fallback_dist)
    yield app
    app.context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/browser/ (git-ignored): screenshots for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def copy_as(source: Path | str, folder: Path, name: str) -> Path:
    """Copy `source` into `folder` under `name` (so each test's rows have unique names)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    shutil.copyfile(source, target)
    return target
