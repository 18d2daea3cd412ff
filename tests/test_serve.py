"""scripts/serve.py answers like a careful static server, on a real socket on 127.0.0.1."""

import http.client
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serve import make_server  # noqa: E402

#: The page's policy as the build writes it (web/index.html with the same-origin numpy source).
PAGE = (ROOT / "web" / "index.html").read_text(encoding="utf-8").replace("{{NUMPY_SOURCE}}", "")
POLICY = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; "
          "style-src 'self'; img-src 'self' data:; manifest-src 'self'; base-uri 'none'; form-action 'none'")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with a dist-like folder at / and at /docs/tool/; yields its port."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text(PAGE, encoding="utf-8")
    (dist / "app.js").write_text("export {};\n")
    for folder, name in (("pyodide", "pyodide.asm.wasm"), ("wheels", "dicompress-0.1.0-py3-none-any.whl")):
        (dist / folder).mkdir()
        (dist / folder / name).write_bytes(b"\0asm")
    httpd = make_server({"/": dist, "/docs/tool/": dist}, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def _get(port: int, path: str, method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send one request with `path` exactly as given; return the status, headers (any case) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_the_page_is_served_with_its_own_policy_as_a_header(server):
    assert POLICY in PAGE
    for path in ("/", "/index.html", "/docs/tool/", "/docs/tool/index.html"):
        status, headers, body = _get(server, path)
        assert (status, headers["Content-Security-Policy"]) == (200, POLICY), path
        assert body.decode() == PAGE


def test_scripts_carry_no_page_policy(server):
    status, headers, _ = _get(server, "/app.js")
    assert status == 200 and "Content-Security-Policy" not in headers


@pytest.mark.parametrize("path", ["/", "/app.js", "/pyodide/pyodide.asm.wasm", "/missing", "/pyodide/"])
def test_every_answer_refers_nowhere_sniffs_nothing_and_names_no_python(server, path):
    _, headers, _ = _get(server, path)
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Server"] == "dicompress"


@pytest.mark.parametrize("path", ["/pyodide/", "/wheels/", "/docs/tool/pyodide/", "/docs/"])
def test_folders_are_never_listed(server, path):
    status, _, body = _get(server, path)
    assert status == 404
    assert b"pyodide.asm.wasm" not in body and b"dicompress-0.1.0" not in body


def test_files_in_those_folders_are_still_served(server):
    status, headers, body = _get(server, "/wheels/dicompress-0.1.0-py3-none-any.whl")
    assert (status, headers["Content-Type"], body) == (200, "application/zip", b"\0asm")


@pytest.mark.parametrize("path", ["/index.html%00", "/%00", "/pyodide/%00.wasm", "/%01index.html",
                                  "/docs/tool/%00/index.html"])
def test_nul_and_control_characters_are_a_clean_404(server, path, capfd):
    status, headers, _ = _get(server, path)
    assert status == 404 and headers["Server"] == "dicompress"
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("path", ["/../serve.py", "/%2e%2e/%2e%2e/pyproject.toml", "/docs/tool/../../etc/passwd"])
def test_paths_never_leave_the_mounted_folder(server, path):
    assert _get(server, path)[0] == 404


def test_head_answers_like_get_without_a_body(server):
    status, headers, body = _get(server, "/", method="HEAD")
    assert (status, headers["Content-Security-Policy"], body) == (200, POLICY, b"")
