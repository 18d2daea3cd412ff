"""How the worker loads numpy: Pyodide's own wheel from the app's origin, checked against its sha256.

When numpy cannot be had (tampered, hanging, left out of the build) the page goes on with
pydicom's own plugin and says why; it never fetches numpy from anywhere else.
"""

import json
import shutil
from pathlib import Path

from playwright.sync_api import expect

from .conftest import FALLBACK_PATH, new_app


def copy_of_dist(dist: Path, target: Path) -> tuple[Path, dict]:
    """Copy dist/ to `target`; return the copy and its manifest."""
    shutil.copytree(dist, target)
    return target, json.loads((target / "manifest.json").read_text())


def test_numpy_comes_from_the_apps_own_folder(app):
    numpy = {r.url for r in app.requests if "numpy-" in r.url}  # the worker's, and the offline cache's
    assert numpy == {app.page.url + json.loads((app.dist / "manifest.json").read_text())["numpy"]["url"]}


def test_a_tampered_numpy_is_not_used(browser, servers, dist, tmp_path):
    folder, manifest = copy_of_dist(dist, tmp_path / "dist")
    wheel = folder / manifest["numpy"]["url"]
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wheel.write_bytes(bytes(data))
    app = new_app(browser, servers.mount("/tampered-numpy/", folder), tmp_path / "downloads", "fallback", folder)
    try:
        app.open().wait_ready()
        expect(app.page.get_by_test_id("engine")).to_have_attribute("data-engine", "fallback")
        numpy_row = app.page.locator('#downloads [data-key="numpy"]')
        expect(numpy_row).to_have_attribute("data-state", "failed")
        expect(numpy_row).to_have_attribute(
            "title", "numpy could not be installed (it does not match its sha256 in manifest.json)")
        assert app.blocked == []
    finally:
        app.context.close()


def test_a_build_without_numpy_talks_to_its_own_origin_only(fallback_app):
    csp = fallback_app.page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert "connect-src 'self';" in csp
    expect(fallback_app.page.get_by_role("region", name="Privacy")).to_contain_text("contacts no other site")
    expect(fallback_app.page.locator('#downloads [data-key="numpy"]')).to_have_attribute(
        "title", "numpy is not part of this build")
    assert fallback_app.page.url.endswith(FALLBACK_PATH)
    assert [r.url for r in fallback_app.requests if "numpy" in r.url] == []
    assert fallback_app.blocked == []


def test_a_numpy_download_that_hangs_is_given_up_after_the_time_limit(browser, servers, dist, tmp_path):
    folder, manifest = copy_of_dist(dist, tmp_path / "dist")
    manifest["numpy"]["timeout_ms"] = 1500
    (folder / "manifest.json").write_text(json.dumps(manifest))
    url = servers.mount("/hanging-numpy/", folder)
    app = new_app(browser, url, tmp_path / "downloads", "fallback", folder)
    held = []
    # Never answered. A lambda because Playwright sets an attribute on each handler, which list.append refuses.
    app.context.route(url + manifest["numpy"]["url"], lambda route: held.append(route))  # noqa: PLW0108
    try:
        app.open().wait_ready(timeout=30_000)
        assert held, "numpy was not requested from the app's folder"
        expect(app.page.locator("[data-testid=engine]")).to_have_attribute("data-engine", "fallback")
        expect(app.page.locator('#downloads [data-key="numpy"]')).to_have_attribute(
            "title", "numpy could not be downloaded (no data for 1.5 s)")
    finally:
        app.context.close()
