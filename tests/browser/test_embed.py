"""<dicompress-app> in a plain documentation page: one script tag, one element, its own styles.

The "documentation site" is a folder of its own on the same server; the app comes from
dist/ mounted elsewhere, named by the element's base-url attribute. The host page brings
hostile styles (a 10px root font, red buttons, a .panel class hidden) and a script of its
own; neither side may change the other.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from .conftest import App, copy_as, new_app
from .dicom_checks import assert_converted

HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Guide: compress DICOM files</title>
  <style>
    html { font-size: 10px; }
    body { font-family: Georgia, serif; color: rgb(51, 0, 102); background: rgb(255, 250, 240); margin: 2rem; }
    h2 { color: rgb(0, 128, 0); font-size: 30px; text-transform: uppercase; }
    button { background: rgb(255, 0, 0); font-family: monospace; border-radius: 0; }
    td { border: 3px solid rgb(255, 0, 255); }
    .panel { display: none; }
    p { margin: 0 0 2rem; }
  </style>
  <script type="module" src="../../static/dicompress/dicompress-embed.js"></script>
</head>
<body>
  <h1>Compress DICOM files</h1>
  <h2>Try it here</h2>
  <p id="host-status">host script: not run</p>
  <p><button id="host-button" type="button">Host button</button> clicks: <span id="host-clicks">0</span></p>
  <dicompress-app base-url="../../static/dicompress/"></dicompress-app>
  <table><tr><td id="host-cell">A table of the host page</td></tr></table>
  <div class="panel" id="host-panel">The host's own .panel, hidden by the host's styles</div>
  <script>
    document.getElementById("host-status").textContent = "host script: ran";
    let clicks = 0;
    document.getElementById("host-button").addEventListener("click", () => {
      document.getElementById("host-clicks").textContent = String(++clicks);
    });
  </script>
</body>
</html>
"""

STYLE = "([el, prop]) => getComputedStyle(el)[prop]"


@pytest.fixture(scope="module")
def embedded(browser, servers, dist, tmp_path_factory) -> Iterator[App]:
    site = tmp_path_factory.mktemp("docs-site")
    (site / "guide").mkdir()
    (site / "guide" / "tool.html").write_text(HOST_PAGE)
    servers.mount("/static/dicompress/", dist)
    url = servers.mount("/docs-site/", site) + "guide/tool.html"
    app = new_app(browser, url, tmp_path_factory.mktemp("downloads-embed"), "numpy", dist)
    app.ready_selector = "dicompress-app"
    errors: list[str] = []
    app.page.on("pageerror", lambda error: errors.append(str(error)))
    app.open()
    app.page.hover("dicompress-app")  # a reader's pointer starts the converter
    app.wait_ready()
    app.errors = errors
    yield app
    app.context.close()


def style(app: App, selector: str, prop: str) -> str:
    return app.page.locator(selector).evaluate(f"(el) => getComputedStyle(el)[{prop!r}]")


def test_embedded_app_compresses_a_file(embedded: App, tmp_path, artifacts):
    source = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, "embedded-MR_small.dcm")
    embedded.add([source])
    assert embedded.wait_finished(source.name) == "done", embedded.row(source.name).inner_text()
    assert_converted(source, embedded.download(source.name), RLELossless)
    expect(embedded.page.get_by_test_id("engine")).to_have_attribute("data-engine", "numpy")
    expect(embedded.page.get_by_test_id("thumbnail")).to_have_count(1)
    embedded.page.screenshot(path=artifacts / "embedded.png", full_page=True)
    assert embedded.errors == []


def test_the_app_lives_in_a_shadow_root_with_the_public_test_hooks(embedded: App):
    in_shadow = embedded.page.evaluate("""() => {
      const root = document.querySelector("dicompress-app").shadowRoot;
      return ["file-input", "syntax", "engine", "download-all"].map((id) =>
        Boolean(root?.querySelector(`[data-testid=${id}]`)) && !document.querySelector(`[data-testid=${id}]`));
    }""")
    assert in_shadow == [True, True, True, True]


def test_host_styles_and_scripts_keep_working(embedded: App):
    page = embedded.page
    assert style(embedded, "body > h2", "color") == "rgb(0, 128, 0)"
    assert style(embedded, "body > h2", "fontSize") == "30px"
    assert style(embedded, "#host-button", "backgroundColor") == "rgb(255, 0, 0)"
    assert style(embedded, "#host-cell", "borderTopWidth") == "3px"
    assert style(embedded, "#host-panel", "display") == "none"
    assert style(embedded, "body", "fontFamily") == "Georgia, serif"
    expect(page.locator("#host-status")).to_have_text("host script: ran")
    page.locator("#host-button").click()
    page.locator("#host-button").click()
    expect(page.locator("#host-clicks")).to_have_text("2")
    # The app catches stray file drops on itself only, not on the host page.
    prevented = page.evaluate("""() => {
      const event = new DragEvent("dragover", {bubbles: true, cancelable: true});
      document.querySelector("#host-cell").dispatchEvent(event);
      return event.defaultPrevented;
    }""")
    assert prevented is False


def test_app_styles_are_not_changed_by_the_host(embedded: App):
    # The host's 10px root font, red monospace buttons, green uppercase h2 and hidden .panel stay outside.
    assert style(embedded, "#add-title", "color") == "rgb(29, 35, 48)"
    assert style(embedded, "#add-title", "textTransform") == "none"
    assert style(embedded, "#add-title", "fontSize") == "18.4px"
    assert style(embedded, "#pick-files", "backgroundColor") == "rgb(31, 95, 191)"
    assert "monospace" not in style(embedded, "#pick-files", "fontFamily")
    assert style(embedded, "#dicompress", "fontSize") == "16px"
    assert style(embedded, "section.add", "display") == "grid"  # a .panel of the app, not hidden


def test_embedded_privacy_note_claims_nothing_about_the_host_page(embedded: App):
    privacy = embedded.page.get_by_role("region", name="Privacy")
    expect(privacy).to_contain_text("Your files never leave this computer.")
    expect(privacy).not_to_contain_text("security policy")
    expect(embedded.page.locator("dicompress-app footer a", has_text="Build manifest")).to_have_attribute(
        "href", embedded.url.split("/docs-site/")[0] + "/static/dicompress/manifest.json")
