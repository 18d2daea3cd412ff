"""A 1 GB multi-frame file through the command line, in the memory of a few frames.

The file (140 frames of RG1_UNCR, 7.2 MB each, every frame told apart: :mod:`tests.large_files`)
is made in a temporary folder and converted by the ``dicompress`` command to RLE Lossless and to
Explicit VR Little Endian in a child process, whose peak resident memory the kernel reports.
The bound: the peak of the same command converting CT_small (the interpreter, numpy and pydicom,
measured in the same run) plus 16 frames (116 MB): dicompress's RLE encoder works in up to 9 frames'
worth for a 16-bit frame, the frame, its stream and the check take a few more, and the allocator
keeps some of what was freed (measured: 80 to 95 MB over the small file's run for RLE, 20 MB for
Explicit VR Little Endian, the same for 100 MB as for 1 GB). Every frame of the
results is then compared with the source's: the RLE result decoded by DCMTK's ``dcmdrle``.
"""

import shutil
import subprocess

import pytest

from tests import corpus
from pydicom.uid import ExplicitVRLittleEndian

from tests.large_files import assert_frames_equal, cli_peak_rss, radiograph, write_multiframe

pytestmark = pytest.mark.large

FRAMES = 140  # 1.0 GB
#: Frames of memory a conversion may take beyond the command's own.
BOUND_FRAMES = 16


@pytest.fixture(scope="module")
def gigabyte(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "gigabyte.dcm"
    assert write_multiframe(path, FRAMES, radiograph()).stat().st_size > 10**9
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
    bound = baseline + BOUND_FRAMES * radiograph().frame_bytes
    print(f"\n{target}: peak RSS {peak / 1e6:.1f} MB for {gigabyte.stat().st_size / 1e9:.2f} GB; "
          f"small file {baseline / 1e6:.1f} MB; bound {bound / 1e6:.1f} MB")
    assert peak <= bound
    result = tmp_path / gigabyte.name
    if target == "rle":
        decoded = tmp_path / "decoded.dcm"
        subprocess.run([shutil.which("dcmdrle") or "dcmdrle", str(result), str(decoded)], check=True)
        result.unlink()
        result = decoded
    assert_frames_equal(result, FRAMES, ExplicitVRLittleEndian, radiograph())
