"""Pythons with only some of the installed packages: to test dicompress without numpy or the codecs.

A fresh virtual environment (no pip, no site packages) gets a folder on its
``PYTHONPATH`` holding symbolic links to the chosen installed distributions (their
packages, modules, bundled libraries and metadata) and this checkout's ``py/`` folder;
nothing is copied or downloaded.
"""

import venv
from importlib.metadata import distribution
from pathlib import Path, PurePosixPath

PY_SOURCE = Path(__file__).resolve().parents[1] / "py"


def link_distributions(names: list[str], folder: Path) -> None:
    """Link every top-level file and folder of the installed distributions `names` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        dist = distribution(name)
        tops = {PurePosixPath(str(file)).parts[0] for file in dist.files or ()}
        for top in sorted(tops - {".."}):
            link = folder / top
            if not link.exists():
                link.symlink_to(Path(str(dist.locate_file(top))))


def isolated_python(root: Path, distributions: list[str]) -> tuple[str, dict[str, str]]:
    """Make a Python under `root` that sees only `distributions` and dicompress's source.

    Parameters
    ----------
    root : Path
        An empty folder for the virtual environment and the links.
    distributions : list of str
        Installed distributions to make importable, e.g. ``["pydicom", "numpy"]``.

    Returns
    -------
    tuple of str and dict
        The interpreter's path and the environment to run it with.
    """
    venv.create(root / "venv", with_pip=False, system_site_packages=False)
    link_distributions(distributions, root / "packages")
    return str(root / "venv" / "bin" / "python"), {"PYTHONPATH": f"{root / 'packages'}:{PY_SOURCE}"}
