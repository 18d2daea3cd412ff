"""A whole study folder dropped on the page: images converted, other files copied, a ZIP with the same tree.

The same study as the command line's tests (tests/cli_helpers.make_study): a DICOMDIR and
its 31 images, an SR, an RT structure set, a presentation state and a text file.
"""

import io
import zipfile

import numpy as np
from pydicom import dcmread
from pydicom.uid import RLELossless

from tests.cli_helpers import NOT_IMAGES, make_study, tree

from .conftest import App


def test_a_study_folder_gives_a_zip_with_the_same_tree(app: App, tmp_path):
    study = make_study(tmp_path / "study")
    app.add_folder(study, "rle")
    names = [f"study/{path}" for path in tree(study)]
    statuses = {name: app.wait_finished(name) for name in names}
    copied = {f"study/{path}" for path in NOT_IMAGES}
    left_out = {"study/DICOMDIR", "study/README.txt"}
    assert {n for n, s in statuses.items() if s == "copied"} == copied
    assert {n for n, s in statuses.items() if s == "skipped"} == left_out
    assert {n for n, s in statuses.items() if s == "done"} == set(names) - copied - left_out
    assert "command line" in app.error_text("study/DICOMDIR")

    with app.page.expect_download(timeout=60_000) as info:
        app.page.get_by_test_id("download-all").click()
    archive = zipfile.ZipFile(info.value.path())
    assert sorted(archive.namelist()) == sorted(set(names) - left_out)
    for name in copied:
        assert archive.read(name) == (tmp_path / name).read_bytes(), f"{name} was not copied unchanged"
    for name in sorted(set(names) - copied - left_out)[::10]:
        result = dcmread(io.BytesIO(archive.read(name)))
        assert result.file_meta.TransferSyntaxUID == RLELossless
        assert np.array_equal(result.pixel_array, dcmread(tmp_path / name).pixel_array), name
