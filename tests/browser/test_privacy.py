"""Privacy: the page talks to its own origin only; its Content-Security-Policy enforces it.

The browser context blocks every host but 127.0.0.1, and a second server on another
127.0.0.1 port answers anything: only the page's Content-Security-Policy can keep the
page and its worker away from it.
"""

from urllib.parse import urlsplit

import pytest
from pydicom.data import get_testdata_file

from .conftest import App, copy_as

SEND_FROM_PAGE = """async (url) => {
  const outcomes = {};
  try { await fetch(url + "/fetch", {method: "POST", body: "pixels", mode: "no-cors"}); outcomes.fetch = "sent"; }
  catch { outcomes.fetch = "blocked"; }
  try {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url + "/xhr");
    await new Promise((resolve, reject) => { xhr.onload = resolve; xhr.onerror = reject; xhr.send("pixels"); });
    outcomes.xhr = "sent";
  } catch { outcomes.xhr = "blocked"; }
  navigator.sendBeacon(url + "/beacon", "pixels");  // returns true even when CSP drops it
  await new Promise((resolve) => {
    const img = new Image();
    img.onload = () => { outcomes.image = "sent"; resolve(); };
    img.onerror = () => { outcomes.image = "blocked"; resolve(); };
    img.src = url + "/image.png?pixels";
  });
  return outcomes;
}"""

SEND_FROM_WORKER = """async ([url, method]) => {
  const init = method === "POST" ? {method, body: "pixels", mode: "no-cors"} : {};
  try { await fetch(url, init); return "sent"; }
  catch { return "blocked"; }
}"""


@pytest.fixture(scope="module")
def converted(app: App, tmp_path_factory) -> App:
    """The app after converting one file, so conversion-time requests are recorded too."""
    source = copy_as(get_testdata_file("CT_small.dcm"), tmp_path_factory.mktemp("privacy"), "privacy-CT.dcm")
    app.add([source])
    assert app.wait_finished(source.name) == "done"
    app.download(source.name)
    return app


def test_no_request_leaves_the_apps_origin(converted: App):
    http = [r.url for r in converted.requests if r.url.startswith(("http:", "https:"))]
    origin = urlsplit(converted.page.url).netloc
    assert [u for u in http if urlsplit(u).netloc != origin] == []
    assert converted.blocked == []


def test_only_get_and_head_requests(converted: App):
    methods = {(r.method, r.url) for r in converted.requests if r.method not in ("GET", "HEAD")}
    assert methods == set()


def test_csp_allows_connections_only_to_own_origin(converted: App):
    content = converted.page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    directives = {d.split()[0]: d.split()[1:] for d in content.split(";") if d.strip()}
    assert directives["connect-src"] == ["'self'"]
    assert directives["default-src"] == ["'none'"]
    assert directives["form-action"] == ["'none'"]
    assert directives["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert "'unsafe-inline'" not in content and "'unsafe-eval'" not in content


def test_page_cannot_send_data_to_another_origin(converted: App, servers):
    outcomes = converted.page.evaluate(SEND_FROM_PAGE, servers.other_origin)
    converted.page.wait_for_timeout(500)  # give the beacon time to arrive, were it sent
    assert outcomes == {"fetch": "blocked", "xhr": "blocked", "image": "blocked"}
    assert servers.other_hits == []


def test_worker_cannot_send_data_to_another_origin(converted: App, servers):
    workers = converted.page.workers
    assert len(workers) == 1, "expected exactly one worker (the converter)"
    assert workers[0].evaluate(SEND_FROM_WORKER, [servers.other_origin + "/worker-fetch", "POST"]) == "blocked"
    assert servers.other_hits == []
    # The control: the same code reaches the page's own origin.
    assert workers[0].evaluate(SEND_FROM_WORKER, [servers.origin + "/manifest.json", "GET"]) == "sent"


def test_no_forms_and_no_form_posts(converted: App, servers):
    page = converted.page
    assert page.locator("form").count() == 0
    url = page.url
    page.evaluate("""(url) => {
      const form = document.createElement("form");
      form.method = "post"; form.action = url + "/form";
      const field = document.createElement("input"); field.name = "pixels"; field.value = "x";
      form.append(field); document.body.append(form); form.submit(); form.remove();
    }""", servers.other_origin)
    page.wait_for_timeout(500)
    assert page.url == url
    assert servers.other_hits == []
