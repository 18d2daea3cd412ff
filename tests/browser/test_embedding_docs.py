"""The Sphinx and MkDocs snippets of docs/embedding.md build real sites in which the app works.

The snippets are read from the document itself. Sphinx and MkDocs come with the test extra
(next to the interpreter running the tests, or on PATH); without them these tests are skipped.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from .conftest import ROOT, copy_as, new_app

DOC = ROOT / "docs" / "embedding.md"


def snippets(section: str) -> dict[str, str]:
    """The fenced code blocks of one "### section" of docs/embedding.md, by language."""
    text = DOC.read_text()
    body = re.search(rf"^### {section}\n(.*?)(?=^##)", text, re.S | re.M).group(1)
    return {lang: code for lang, code in re.findall(r"^```(\w+)\n(.*?)^```", body, re.S | re.M)}


def tool(name: str) -> str:
    # The test extra installs both next to this interpreter; PATH may not include it.
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e .[test] installs it)")
    return found


def converts_in(site_url: str, browser, dist, tmp_path) -> None:
    app = new_app(browser, site_url, tmp_path / "downloads", "numpy", dist)
    app.ready_selector = "dicompress-app"
    try:
        app.open()
        source = copy_as(get_testdata_file("MR_small.dcm"), tmp_path, "docs-MR_small.dcm")
        app.add([source])  # a file given before the converter has started starts it
        assert app.wait_finished(source.name) == "done", app.row(source.name).inner_text()
    finally:
        app.context.close()


def test_sphinx_snippet(browser, servers, dist, tmp_path):
    sphinx_build = tool("sphinx-build")
    code = snippets("Sphinx")
    source = tmp_path / "sphinx"
    shutil.copytree(dist, source / "_static" / "dicompress")
    (source / "conf.py").write_text('project = "Example"\n' + code["python"])
    (source / "index.rst").write_text("Example\n=======\n\n.. toctree::\n\n   guide/compress\n")
    (source / "guide").mkdir()
    (source / "guide" / "compress.rst").write_text(code["rst"])
    run = subprocess.run([sphinx_build, "-q", "-b", "html", str(source), str(tmp_path / "html")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    site = servers.mount("/sphinx-site/", tmp_path / "html")
    converts_in(site + "guide/compress.html", browser, dist, tmp_path)


def test_mkdocs_snippet(browser, servers, dist, tmp_path):
    mkdocs = tool("mkdocs")
    code = snippets("MkDocs")
    project = tmp_path / "mkdocs"
    shutil.copytree(dist, project / "docs" / "dicompress")
    (project / "mkdocs.yml").write_text("site_name: Example\n" + code["yaml"])
    (project / "docs" / "index.md").write_text("# Example\n")
    (project / "docs" / "guide").mkdir()
    (project / "docs" / "guide" / "compress.md").write_text(code["markdown"])
    run = subprocess.run([mkdocs, "build", "-q", "-f", str(project / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    site = servers.mount("/mkdocs-site/", tmp_path / "site")
    converts_in(site + "guide/compress/", browser, dist, tmp_path)
