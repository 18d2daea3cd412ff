"""The build: a static dist/ with pinned Pyodide, precompiled wheels and a sha256 manifest."""

import base64
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from .conftest import ROOT


def manifest(dist: Path) -> dict:
    return json.loads((dist / "manifest.json").read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_lists_every_file_with_its_sha256(dist):
    files = manifest(dist)["files"]
    on_disk = {str(p.relative_to(dist)) for p in dist.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(files) == on_disk
    for name, entry in files.items():
        assert entry["sha256"] == sha256(dist / name), name
        assert entry["bytes"] == (dist / name).stat().st_size, name


def test_pyodide_core_is_the_pinned_npm_package(dist):
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"]
    assert manifest(dist)["pyodide"]["version"] == pinned
    npm = ROOT / "node_modules" / "pyodide"
    for name in ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"):
        assert sha256(dist / "pyodide" / name) == sha256(npm / name), name


def test_wheels_are_pinned_pydicom_and_our_own(dist):
    pinned = re.search(r"^pydicom==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)
    wheels = {w["name"]: w for w in manifest(dist)["wheels"]}
    assert set(wheels) == {"pydicom", "dicompress"}
    assert wheels["pydicom"]["url"] == f"wheels/pydicom-{pinned}-py3-none-any.whl"
    for wheel in wheels.values():
        assert wheel["sha256"] == sha256(dist / wheel["url"])
        assert wheel["integrity"] == "sha256-" + base64.b64encode(bytes.fromhex(wheel["sha256"])).decode()


def test_wheels_are_precompiled_with_a_valid_record(dist):
    for wheel in manifest(dist)["wheels"]:
        archive = zipfile.ZipFile(dist / wheel["url"])
        names = archive.namelist()
        package = wheel["name"]
        modules = [n for n in names if n.startswith(f"{package}/") and n.endswith((".py", ".pyc"))]
        sources = [n for n in modules if n.endswith(".py") and not n.startswith("pydicom/sr/")]
        assert modules and sources == [], f"{wheel['url']} still ships sources: {sources[:3]}"
        (record_name,) = [n for n in names if n.endswith(".dist-info/RECORD")]
        record = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
        assert {row[0] for row in record} == set(names)
        for name, digest, size in record:
            if name == record_name:
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data), name


def test_pyodides_micropip_and_numpy_get_bytecode_that_needs_no_sources_timestamps(dist):
    # Their official wheels ship sources only; the build adds unchecked hash-based .pyc
    # (PEP 552 flags 0b01) of what they import, for the interpreter inside the pinned Pyodide.
    pydicom = next(w for w in manifest(dist)["wheels"] if w["name"] == "pydicom")
    magic = zipfile.ZipFile(dist / pydicom["url"]).read("pydicom/__init__.pyc")[:4]  # Pyodide's Python made it
    entries = {e["package"]: e for e in manifest(dist)["bytecode"]}
    assert set(entries) == {"micropip", "numpy"}
    for package, entry in entries.items():
        assert entry["url"] == f"bytecode/{package}.zip"
        assert entry["sha256"] == sha256(dist / entry["url"])
        archive = zipfile.ZipFile(dist / entry["url"])
        names = archive.namelist()
        assert f"{package}/__pycache__/__init__.cpython-312.pyc" in names
        for name in names:
            assert name.startswith(f"{package}/") and "/__pycache__/" in name and name.endswith(".cpython-312.pyc")
            header = archive.read(name)[:8]
            assert header[:4] == magic and header[4:8] == b"\x01\x00\x00\x00", name


class Resources(HTMLParser):
    """Collect the URLs a page loads (scripts, styles, preloads), not links to follow."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.csp = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" in attrs:
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "modulepreload", "preload", "icon"):
            self.urls.append(attrs["href"])
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy":
            self.csp = attrs["content"]


def test_page_uses_relative_urls_only(dist):
    page = Resources()
    page.feed((dist / "index.html").read_text())
    assert page.urls and all(not re.match(r"^(/|[a-z]+:)", u) for u in page.urls), page.urls
    for script in dist.glob("*.js"):
        text = script.read_text()
        imports = re.findall(r"""^\s*import\s+(?:[^;]*?\sfrom\s+)?["']([^"']+)["']""", text, re.M)
        urls = re.findall(r"""new URL\(\s*["']([^"']+)["']""", text)
        assert all(u.startswith("./") for u in imports), (script.name, imports)
        assert all(not re.match(r"^(/|[a-z]+:)", u) for u in urls), (script.name, urls)
    for wheel in manifest(dist)["wheels"]:
        assert not re.match(r"^(/|[a-z]+:)", wheel["url"])


def lock_packages() -> dict:
    return json.loads((ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_text())["packages"]


def run_build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build.py"), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_numpy_and_micropip_are_pyodides_official_wheels_in_the_build(dist):
    lock = lock_packages()
    shipped = {p.name for p in (dist / "pyodide").glob("*.whl")}
    assert shipped == {lock[name]["file_name"] for name in ("numpy", "micropip", "packaging")}
    for name in ("numpy", "micropip", "packaging"):
        assert sha256(dist / "pyodide" / lock[name]["file_name"]) == lock[name]["sha256"], name
    assert lock["numpy"]["version"] == "2.0.2"


def test_the_default_build_talks_to_its_own_origin_only(dist):
    page = Resources()
    page.feed((dist / "index.html").read_text())
    assert "connect-src 'self';" in page.csp
    numpy = manifest(dist)["numpy"]
    assert numpy["url"] == "pyodide/" + lock_packages()["numpy"]["file_name"]
    assert numpy["sha256"] == lock_packages()["numpy"]["sha256"]
    for script in [*dist.glob("*.js"), dist / "manifest.json", dist / "app.webmanifest"]:
        assert re.findall(r"https?://", script.read_text()) == [], script.name
    assert all(not re.match(r"^[a-z]+:", u) for u in page.urls), page.urls  # links to credits aside


def test_numpy_from_another_site_is_an_explicit_opt_in(tmp_path):
    result = run_build("--out", str(tmp_path / "dist"), "--numpy-url", "https://numpy.example.org/pyodide")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "dist"
    numpy = manifest(out)["numpy"]
    assert numpy["url"] == "https://numpy.example.org/pyodide/" + lock_packages()["numpy"]["file_name"]
    page = Resources()
    page.feed((out / "index.html").read_text())
    assert "connect-src 'self' https://numpy.example.org/pyodide/;" in page.csp
    assert "contacts one other site, numpy.example.org, only to download numpy" in (out / "index.html").read_text()
    assert not (out / "pyodide" / lock_packages()["numpy"]["file_name"]).exists()


def test_pyodide_dist_with_a_wrong_numpy_is_refused(tmp_path):
    fake = tmp_path / "pyodide"
    fake.mkdir()
    (fake / lock_packages()["numpy"]["file_name"]).write_bytes(b"not numpy")
    result = run_build("--out", str(tmp_path / "dist"), "--pyodide-dist", str(fake))
    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert "does not match the sha256 in Pyodide 0.27.7's pyodide-lock.json" in line
    assert "--pyodide-dist DIR" in line and "--no-numpy" in line


def test_service_worker_keeps_every_file_of_its_build(dist):
    files = manifest(dist)["files"]
    source = (dist / "sw.js").read_text()
    build = json.loads(re.search(r"^const BUILD = (\{.*?\});", source, re.S | re.M).group(1))
    assert build["version"] == manifest(dist)["build"]["version"]
    assert re.fullmatch(r"[0-9a-f]{16}", build["version"])
    assert set(build["files"]) == set(files) - {"sw.js"}  # manifest.json names sw.js's sha256
    for path, integrity in build["files"].items():
        assert integrity == "sha256-" + base64.b64encode(bytes.fromhex(files[path]["sha256"])).decode(), path
    assert {"index.html", "app.webmanifest", "pyodide/pyodide.asm.wasm", "wheels/" + Path(
        manifest(dist)["wheels"][0]["url"]).name} <= set(build["files"])


def test_the_page_codecs_are_in_the_build_with_sha256_licence_and_pinned_version(dist):
    codecs = manifest(dist)["codecs"]
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert set(codecs) == {"openjpeg", "charls", "libjpeg-turbo", "jpeg-lossless",
                           "charls-encoder", "openjpeg-encoder", "openjph"}
    for family, entry in codecs.items():
        assert entry["version"] == pins[entry["package"]], family
        for file in (entry["script"], entry["wasm"]):
            if file is not None:
                assert sha256(dist / file["url"]) == file["sha256"], file["url"]
                assert file["url"].startswith(f"codecs/{family}/")
        assert (dist / entry["licence"]).stat().st_size > 500, entry["licence"]


def test_emscripten_codec_scripts_get_an_export_for_the_module_worker(dist):
    for family in ("openjpeg", "charls", "libjpeg-turbo", "charls-encoder", "openjpeg-encoder", "openjph"):
        script = dist / manifest(dist)["codecs"][family]["script"]["url"]
        assert re.search(r"\nexport default \w+;\n$", script.read_text()), family
