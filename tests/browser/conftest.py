"""End-to-end fixtures: build dist/ once, serve it on 127.0.0.1, drive Debian's Chromium.

One server and one browser per session; one page load per engine for the main group
of tests (see ``app``). Every other host is blocked in the browser context, and every
request is recorded so the privacy tests can check where the page went.

Set DICOMPRESS_PYODIDE_DIST to a local full Pyodide distribution (the pinned version)
to run the same tests with numpy inside the browser; without it they are skipped.
"""

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
PYODIDE_DIST_ENV = "DICOMPRESS_PYODIDE_DIST"
SUBPATH = "/docs/tools/dicompress/"
NUMPY_PATH = "/numpy/"
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
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"build failed:\n{result.stdout}{result.stderr}"
    return out


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """dist/ built once per session (numpy from the default CDN folder, which tests block)."""
    return build(tmp_path_factory.mktemp("build") / "dist")


@pytest.fixture(scope="session")
def numpy_dist(tmp_path_factory) -> Path | None:
    """dist/ with numpy copied from a local Pyodide distribution, when one is configured."""
    folder = os.environ.get(PYODIDE_DIST_ENV)
    if not folder:
        return None
    return build(tmp_path_factory.mktemp("build-numpy") / "dist", "--pyodide-dist", folder)


@dataclass
class Servers:
    """The app's server (dist at /, at SUBPATH and the numpy build at NUMPY_PATH) and a stranger."""

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
def servers(dist, numpy_dist) -> Iterator[Servers]:
    """Serve the builds on one 127.0.0.1 port, and a second origin that must never be reached."""
    mounts = {"/": dist, SUBPATH: dist}
    if numpy_dist:
        mounts[NUMPY_PATH] = numpy_dist
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
        """Wait until the row of `filename` is done or failed; return its status."""
        row = self.row(filename)
        expect(row, f"no result row for {filename}").to_have_count(1, timeout=10_000)
        expect(row, f"{filename} was not converted within {timeout / 1000} s").to_have_attribute(
            "data-status", re.compile("^(done|error)$"), timeout=timeout)
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

    def error_text(self, filename: str) -> str:
        return self.row(filename).locator("[data-testid=error]").inner_text()


def new_app(browser: Browser, url: str, downloads: Path, engine: str, dist: Path, **context_options) -> App:
    """Return an App in a fresh context that blocks every host but 127.0.0.1."""
    context = browser.new_context(accept_downloads=True, **context_options)
    requests: list[Request] = []
    blocked: list[str] = []

    def only_localhost(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_localhost)
    context.on("request", lambda request: requests.append(request))
    page = context.new_page()
    # File-chooser interception starts with the first listener; start it now, or a chooser
    # opened right after expect_file_chooser() can slip past it.
    page.on("filechooser", lambda chooser: None)
    return App(page, context, url, requests, blocked, downloads, engine, dist)


ENGINES = [
    "fallback",
    pytest.param("numpy", marks=pytest.mark.skipif(
        not os.environ.get(PYODIDE_DIST_ENV),
        reason=f"set {PYODIDE_DIST_ENV} to a local full Pyodide distribution to test numpy in the browser")),
]


@pytest.fixture(scope="module", params=ENGINES)
def app(request, browser, servers, dist, numpy_dist, tmp_path_factory) -> Iterator[App]:
    """The app loaded once per test module and engine; tests add their own files to it."""
    engine = request.param
    path, build = (NUMPY_PATH, numpy_dist) if engine == "numpy" else ("/", dist)
    app = new_app(browser, servers.origin + path, tmp_path_factory.mktemp(f"downloads-{engine}"), engine, build)
    app.open().wait_ready()
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
