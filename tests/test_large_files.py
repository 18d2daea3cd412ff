"""A 1 GB multi-frame file through the command line, in the memory of a few frames.

The file (140 frames of RG1_UNCR, 7.2 MB each, every frame told apart: :mod:`tests.large_files`)
is made in a temporary folder and converted by the ``dicompress`` command to RLE Lossless and to
Explicit VR Little Endian in a child process, whose peak resident memory the kernel reports.
The bound: the peak of the same command converting CT_small (the interpreter, numpy and pydicom,
measured in the same run) plus 12 frames (dicompress's RLE encoder works in up to 9 frames' worth
for a 16-bit frame; the frame, its stream and the check take the rest). Every frame of the
results is then compared with the source's: the RLE result decoded by DCMTK's ``dcmdrle``.
"""

import shutil
import subprocess

import pytest

from tests import corpus
from tests.large_files import cli_peak_rss, differing_frames, frame_length, write_multiframe

pytestmark = pytest.mark.large

FRAMES = 140  # 1.0 GB
#: Frames of memory a conversion may take beyond the command's own.
BOUND_FRAMES = 12


@pytest.fixture(scope="module")
def gigabyte(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "gigabyte.dcm"
    assert write_multiframe(path, FRAMES) > 10**9
    yield path
    path.unlink()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The peak RSS of the command converting a small file."""
    status, peak = cli_peak_rss(str(corpus.path("CT_small.dcm")), "-o", str(tmp_path_factory.mktemp("small")),
                                "--jobs", "1")
    assert status == 0
    return peak


@pytest.mark.parametrize("target", ["rle", "explicit"])
def test_a_gigabyte_converts_in_the_memory_of_a_few_frames_every_frame_equal(gigabyte, baseline, tmp_path, target):
    status, peak = cli_peak_rss(str(gigabyte), "-o", str(tmp_path), "--syntax", target, "--jobs", "1")
    assert status == 0
    print(f"\n{target}: peak RSS {peak / 1e6:.1f} MB for {gigabyte.stat().st_size / 1e9:.2f} GB; "
          f"small file {baseline / 1e6:.1f} MB; bound {(baseline + BOUND_FRAMES * frame_length()) / 1e6:.1f} MB")
    assert peak <= baseline + BOUND_FRAMES * frame_length()
    result = tmp_path / gigabyte.name
    if target == "rle":
        decoded = tmp_path / "decoded.dcm"
        subprocess.run([shutil.which("dcmdrle") or "dcmdrle", str(result), str(decoded)], check=True)
        result.unlink()
        result = decoded
    assert differing_frames(result, FRAMES) == []
