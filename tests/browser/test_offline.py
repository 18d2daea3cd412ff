"""Offline after one visit: a service worker keeps the build, a new build is offered as an
update and replaces the old copy, and the web app manifest makes the page installable."""

import json
import struct
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import CHROMIUM, CHROMIUM_ARGS, App, build, copy_as, make_server, new_app
from .dicom_checks import assert_converted

SAVE_TIMEOUT_MS = 60_000
CACHED_URLS = (
    "async () => { const c = await caches.open((await caches.keys())[0]); "
    "return (await c.keys()).map((r) => r.url); }"
)


def manifest(dist: Path) -> dict:
    return json.loads((dist / "manifest.json").read_text())


def wait_saved(app: App) -> None:
    """Wait until the page says it is saved for offline use."""
    expect(app.page.get_by_test_id("offline"), "the page was not saved for offline use").to_have_attribute(
        "data-state", "ready", timeout=SAVE_TIMEOUT_MS)


@pytest.mark.parametrize(("build_fixture", "engine"), [("dist", "numpy"), ("fallback_dist", "fallback")])
def test_works_offline_after_one_visit(request, build_fixture, engine, browser, tmp_path, artifacts):
    dist = request.getfixturevalue(build_fixture)
    # A server of its own, shut down after the first visit: nothing can come from the network.
    server = make_server({"/app/": dist}, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/app/"
    app = new_app(browser, url, tmp_path / "downloads", engine, dist)
    try:
        app.open().wait_ready()
        wait_saved(app)
        expect(app.page.get_by_test_id("offline")).to_have_text(
            "Works offline: this page and its converter are saved in your browser.")
        cached = {u.removeprefix(url) for u in app.page.evaluate(CACHED_URLS)}
        assert cached == set(manifest(dist)["files"]) - {"sw.js"} | {"manifest.json"}

        server.shutdown()
        server.server_close()
        app.context.set_offline(True)
        app.page.reload()
        app.wait_ready()
        expect(app.page.get_by_test_id("offline")).to_contain_text("You are offline")
        expect(app.page.get_by_test_id("engine")).to_have_attribute("data-engine", engine)
        source = copy_as(get_testdata_file("CT_small.dcm"), tmp_path, "offline-CT_small.dcm")
        app.add([source])
        assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
        assert_converted(source, app.download(source.name), RLELossless)
        app.page.screenshot(path=artifacts / f"offline-{engine}.png", full_page=True)
    finally:
        app.context.close()
        server.server_close()


def test_a_new_build_is_offered_and_replaces_the_old_copy(browser, servers, dist, tmp_path, artifacts):
    newer = build(tmp_path / "newer", "--numpy-timeout", "9")  # a real second build: another manifest.json
    old_version, new_version = manifest(dist)["build"]["version"], manifest(newer)["build"]["version"]
    assert old_version != new_version
    # Builds are reproducible: only what the setting changed differs (and the files naming the version).
    changed = {p for p, f in manifest(newer)["files"].items() if manifest(dist)["files"].get(p) != f}
    assert changed == {"sw.js"}
    url = servers.mount("/update/", dist)
    app = new_app(browser, url, tmp_path / "downloads", "numpy", dist)
    try:
        app.open().wait_ready()
        wait_saved(app)
        footer = app.page.locator("footer")
        expect(footer).to_contain_text(f"build {old_version}")
        banner = app.page.get_by_test_id("update")
        expect(banner).to_be_hidden()

        servers.mount("/update/", newer)  # the new build is deployed
        app.page.reload()
        app.wait_ready()
        expect(banner, "the page did not say a new version is ready").to_be_visible(timeout=SAVE_TIMEOUT_MS)
        expect(banner).to_contain_text("A new version of dicompress is ready.")
        expect(footer).to_contain_text(f"build {old_version}")  # still the old build until the person agrees
        app.page.screenshot(path=artifacts / "update-ready.png")

        with app.page.expect_event("load", timeout=SAVE_TIMEOUT_MS):
            banner.get_by_role("button", name="Reload to update").click()
        app.wait_ready()
        expect(footer).to_contain_text(f"build {new_version}")
        expect(banner).to_be_hidden()
        names = app.page.evaluate("caches.keys()")
        assert names == [f"dicompress {url} {new_version}"], "the old build's cache was not replaced"
    finally:
        app.context.close()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_web_app_manifest_makes_it_installable(browser, servers, dist, tmp_path):
    web_manifest = json.loads((dist / "app.webmanifest").read_text())
    assert web_manifest["name"].startswith("dicompress")
    assert web_manifest["short_name"] == "dicompress"
    assert web_manifest["start_url"] == "./" and web_manifest["scope"] == "./"
    assert web_manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in web_manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in web_manifest["icons"]:
        if icon["type"] == "image/png":
            assert png_size(dist / icon["src"]) == tuple(map(int, icon["sizes"].split("x"))), icon["src"]

    # Chromium reports installability only outside incognito, i.e. in a persistent profile.
    url = servers.mount("/installable/app/", dist)
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(url)
        expect(page.get_by_test_id("offline")).to_have_attribute("data-state", "ready", timeout=SAVE_TIMEOUT_MS)
        cdp = context.new_cdp_session(page)
        found = cdp.send("Page.getAppManifest")
        assert found["url"] == url + "app.webmanifest" and found["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        start = page.evaluate("""async () => {
          const link = document.querySelector('link[rel=manifest]');
          const manifest = await (await fetch(link.href)).json();
          return [new URL(manifest.start_url, link.href).href, new URL(manifest.scope, link.href).href];
        }""")
        assert start == [url, url], "start URL and scope must be the app's own folder"
    finally:
        context.close()
