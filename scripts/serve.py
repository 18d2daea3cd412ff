"""Serve the built app (dist/) on http://127.0.0.1:8000 with the right MIME types.

    python3 scripts/serve.py [--dir dist] [--port 8000] [--prefix /docs/tools/dicompress/]

PORT in the environment overrides the default port. Only GET and HEAD are answered.
Importable: :func:`make_server` serves several folders under URL prefixes (the tests
mount dist/ at / and under a sub-path on one server).

Like a careful static server: no directory listings, a clean 404 for any path it cannot
map (NUL bytes included), no version in ``Server``; every response says
``Referrer-Policy: no-referrer`` and ``X-Content-Type-Options: nosniff``, and an HTML page
carries the Content-Security-Policy of its own ``<meta http-equiv>`` tag as a header too.
"""

import argparse
import functools
import os
import posixpath
import sys
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".css": "text/css",
    ".html": "text/html",
    ".py": "text/plain; charset=utf-8",
    ".whl": "application/zip",
    ".zip": "application/zip",
}


NO_SUCH_FILE = str(ROOT / ".no-such-file")


class _PolicyMeta(HTMLParser):
    """Finds the content of a page's ``<meta http-equiv="Content-Security-Policy">``."""

    def __init__(self) -> None:
        super().__init__()
        self.policy: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.policy = self.policy or values.get("content")


def page_policy(page: Path) -> str | None:
    """Return the Content-Security-Policy an HTML file declares in its meta tag, if any."""
    parser = _PolicyMeta()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser.policy


class Handler(SimpleHTTPRequestHandler):
    """Static files from the mounted folders; quiet unless asked."""

    protocol_version = "HTTP/1.1"
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def __init__(self, *args, mounts: dict[str, Path], verbose: bool = False, **kwargs):
        self.mounts = mounts
        self.verbose = verbose
        self.served: Path | None = None
        super().__init__(*args, directory=str(next(iter(mounts.values()))), **kwargs)

    def version_string(self) -> str:
        """Name the server without its Python version."""
        return "dicompress"

    def translate_path(self, path: str) -> str:
        """Map a URL path onto the folder mounted at its longest matching prefix."""
        url_path = posixpath.normpath(unquote(urlsplit(path).path))
        if path.split("?", maxsplit=1)[0].endswith("/") and not url_path.endswith("/"):
            url_path += "/"
        if any(ord(char) < 0x20 for char in url_path):  # NUL and control characters name no file
            return NO_SUCH_FILE
        for prefix in sorted(self.mounts, key=len, reverse=True):
            if url_path == prefix.rstrip("/") or url_path.startswith(prefix):
                relative = url_path[len(prefix):] if url_path.startswith(prefix) else ""
                folder = self.mounts[prefix]
                try:
                    target = (folder / relative).resolve()
                except (OSError, ValueError):
                    return NO_SUCH_FILE
                if target == folder or folder in target.parents:
                    self.served = target / "index.html" if target.is_dir() else target
                    return str(target)
        return NO_SUCH_FILE

    def list_directory(self, path: str | os.PathLike) -> None:
        """Never list a folder: a folder without index.html is not found."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")

    def end_headers(self) -> None:
        """Always revalidate, never sniff, never refer; an HTML page's own policy as a header."""
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        page, self.served = self.served, None
        if page is not None and page.suffix == ".html" and page.is_file():
            policy = page_policy(page)
            if policy:
                self.send_header("Content-Security-Policy", policy)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if self.verbose:
            super().log_message(format, *args)


class Server(ThreadingHTTPServer):
    """A threading HTTP server that does not print a traceback when a browser hangs up."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return  # e.g. a tab closed while its service worker was still downloading
        super().handle_error(request, client_address)


def make_server(mounts: dict[str, Path], host: str = "127.0.0.1", port: int = 8000,
                verbose: bool = False) -> ThreadingHTTPServer:
    """Return a server for `mounts` ({"/sub/path/": folder}); port 0 picks a free one."""
    resolved = {(p if p.endswith("/") else p + "/"): Path(d).resolve() for p, d in mounts.items()}
    handler = functools.partial(Handler, mounts=resolved, verbose=verbose)
    server = Server((host, port), handler)
    server.mounts = resolved  # the handlers' own dict: add to it to mount more folders
    return server


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "dist", help="folder to serve (default: dist)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--prefix", default="/", help="URL path to serve the folder under")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    if not (args.dir / "index.html").is_file():
        sys.exit(f"serve: {args.dir} has no index.html; run `npm run build` first")
    server = make_server({args.prefix: args.dir}, args.host, args.port, verbose=not args.quiet)
    prefix = args.prefix if args.prefix.endswith("/") else args.prefix + "/"
    print(f"Serving {args.dir} on http://{args.host}:{server.server_port}{prefix} (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
