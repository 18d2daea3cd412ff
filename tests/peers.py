"""Run the real peer codecs on files: DCMTK's command line tools and python-gdcm.

python-gdcm is *always* run in a child interpreter (``sys.executable``): on some inputs
(e.g. pydicom's ``SC_rgb_small_odd.dcm``) it aborts the whole process, which must not
take pytest down with it. A crash comes back as a :class:`PeerError` naming the signal.

Every function takes and returns file paths; read the results with pydicom.
"""

from pathlib import Path
import shutil
import signal
import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pytest

#: Seconds any one peer run may take before it counts as hung.
TIMEOUT = 120


class PeerError(RuntimeError):
    """A peer tool failed, crashed or produced no output."""


# --- availability -------------------------------------------------------------------


def dcmtk_missing() -> list[str]:
    """Return the DCMTK tools this module uses that are not on ``PATH``."""
    return [tool for tool in ("dcmcrle", "dcmdrle", "dcmdump") if shutil.which(tool) is None]


def require_tools(*tools: str) -> None:
    """Skip the calling test when one of the command line `tools` is genuinely missing."""
    if missing := [tool for tool in tools if shutil.which(tool) is None]:
        pytest.skip(f"not installed: {', '.join(missing)} not found on PATH")


def gdcm_available() -> bool:
    """Return whether python-gdcm is installed for this interpreter (without importing it)."""
    return find_spec("gdcm") is not None


def pylibjpeg_rle_available() -> bool:
    """Return whether pylibjpeg-rle (the ``rle`` package) and pylibjpeg are installed."""
    return find_spec("rle") is not None and find_spec("pylibjpeg") is not None


def require_dcmtk() -> None:
    """Skip the calling test when a DCMTK tool is genuinely missing."""
    if missing := dcmtk_missing():
        pytest.skip(f"DCMTK not installed: {', '.join(missing)} not found on PATH")


def require_gdcm() -> None:
    """Skip the calling test when python-gdcm is genuinely missing."""
    if not gdcm_available():
        pytest.skip("python-gdcm is not installed for this interpreter")


def require_pylibjpeg_rle() -> None:
    """Skip the calling test when pylibjpeg-rle is genuinely missing."""
    if not pylibjpeg_rle_available():
        pytest.skip("pylibjpeg and pylibjpeg-rle are not installed")


# --- running ------------------------------------------------------------------------


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    """Run `args`; raise :class:`PeerError` with the tool's own words if it fails."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PeerError(f"{what} did not finish in {TIMEOUT} s") from None
    if done.returncode != 0:
        if done.returncode < 0:
            reason = f"crashed with {signal.Signals(-done.returncode).name}"
        else:
            reason = f"exited with status {done.returncode}"
        output = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise PeerError(f"{what} {reason}: {output}")
    return done


def _produce(args: list[str], what: str, dst: Path) -> Path:
    """Run `args`, which write `dst`; return `dst`, or remove any partial file and raise."""
    dst = Path(dst)
    try:
        _run(args, what)
        if not dst.is_file() or dst.stat().st_size == 0:
            raise PeerError(f"{what} reported success but wrote no file")
    except PeerError:
        dst.unlink(missing_ok=True)
        raise
    return dst


def dcmcrle(src: Path, dst: Path) -> Path:
    """Encode `src` as RLE Lossless with DCMTK's ``dcmcrle``; return `dst`."""
    return _produce(["dcmcrle", str(src), str(dst)], f"dcmcrle {Path(src).name}", dst)


def dcmdrle(src: Path, dst: Path) -> Path:
    """Decode the RLE Lossless file `src` with DCMTK's ``dcmdrle`` (to Explicit VR LE)."""
    return _produce(["dcmdrle", str(src), str(dst)], f"dcmdrle {Path(src).name}", dst)


def dcmconv(src: Path, dst: Path, *options: str) -> Path:
    """Convert `src` with DCMTK's ``dcmconv`` and its `options` (e.g. ``+te``: Explicit VR LE); return `dst`."""
    return _produce(["dcmconv", *options, str(src), str(dst)], f"dcmconv {Path(src).name}", dst)


def dcmdjpeg(src: Path, dst: Path) -> Path:
    """Decode the JPEG file `src` with DCMTK's ``dcmdjpeg`` (YCbCr becomes RGB, its default)."""
    return _produce(["dcmdjpeg", str(src), str(dst)], f"dcmdjpeg {Path(src).name}", dst)


def dcmcjpeg(src: Path, dst: Path, *options: str) -> Path:
    """Encode `src` as JPEG with DCMTK's ``dcmcjpeg`` and its `options` (e.g. ``+el +sv 6``: Process 14, SV 6)."""
    return _produce(["dcmcjpeg", *options, str(src), str(dst)], f"dcmcjpeg {' '.join(options)} {Path(src).name}", dst)


def dcmdjpls(src: Path, dst: Path) -> Path:
    """Decode the JPEG-LS file `src` with DCMTK's ``dcmdjpls``."""
    return _produce(["dcmdjpls", str(src), str(dst)], f"dcmdjpls {Path(src).name}", dst)


def ojph_compress(src: Path, dst: Path, *, reversible: bool, order: str | None = None) -> Path:
    """Encode the PGM/PPM image `src` as an HTJ2K codestream with OpenJPH's ``ojph_compress``.

    `order` is a progression order (e.g. ``"RPCL"``); OpenJPH's default otherwise.
    """
    args = ["ojph_compress", "-i", str(src), "-o", str(dst), "-reversible", str(reversible).lower()]
    args += ["-prog_order", order] if order else []
    return _produce(args, f"ojph_compress {Path(src).name}", dst)


def ojph_expand(src: Path, dst: Path) -> Path:
    """Decode the HTJ2K codestream `src` to a PGM/PPM image with OpenJPH's ``ojph_expand``."""
    return _produce(["ojph_expand", "-i", str(src), "-o", str(dst)], f"ojph_expand {Path(src).name}", dst)


def write_netpbm(pixels: np.ndarray, maxval: int, path: Path) -> Path:
    """Write grey (PGM) or RGB (PPM) `pixels`, for ``ojph_compress``; samples over 8 bits are big-endian."""
    magic = "P5" if pixels.ndim == 2 else "P6"
    header = f"{magic}\n{pixels.shape[1]} {pixels.shape[0]}\n{maxval}\n".encode()
    path.write_bytes(header + pixels.astype(">u2" if maxval > 255 else "u1").tobytes())
    return path


def read_netpbm(path: Path) -> np.ndarray:
    """Return the samples of a binary PGM/PPM written by ``ojph_expand``."""
    data = path.read_bytes()
    magic, width, height, maxval = data.split(maxsplit=4)[:4]
    samples = 3 if magic == b"P6" else 1
    dtype = ">u2" if int(maxval) > 255 else "u1"
    size = int(width) * int(height) * samples * np.dtype(dtype).itemsize
    pixels = np.frombuffer(data[-size:], dtype=dtype).reshape(int(height), int(width), samples)
    return pixels[..., 0] if samples == 1 else pixels


def dcmdump(src: Path) -> str:
    """Return DCMTK's ``dcmdump`` listing of `src`."""
    return _run(["dcmdump", str(src)], f"dcmdump {Path(src).name}").stdout


_GDCM_TRANSCODE = r"""
import sys
import gdcm

src, dst, target = sys.argv[1:4]
syntaxes = {
    "rle": gdcm.TransferSyntax.RLELossless,
    "explicit": gdcm.TransferSyntax.ExplicitVRLittleEndian,
}
reader = gdcm.ImageReader()
reader.SetFileName(src)
if not reader.Read():
    sys.exit("gdcm cannot read " + src)
change = gdcm.ImageChangeTransferSyntax()
change.SetTransferSyntax(gdcm.TransferSyntax(syntaxes[target]))
change.SetInput(reader.GetImage())
if not change.Change():
    sys.exit("gdcm cannot change the transfer syntax of " + src)
writer = gdcm.ImageWriter()
writer.SetFileName(dst)
writer.SetFile(reader.GetFile())
writer.SetImage(change.GetOutput())
if not writer.Write():
    sys.exit("gdcm cannot write " + dst)
"""


def gdcm_transcode(src: Path, dst: Path, target: str) -> Path:
    """Rewrite `src` as `target` (``"rle"`` or ``"explicit"``) with python-gdcm; return `dst`.

    Runs in a child interpreter, so a crash inside GDCM only fails this call.
    """
    if target not in ("rle", "explicit"):
        raise ValueError(f"unknown target {target!r}")
    return _produce(
        [sys.executable, "-c", _GDCM_TRANSCODE, str(src), str(dst), target],
        f"gdcm ({target}) {Path(src).name}",
        dst,
    )


def gdcm_encode_rle(src: Path, dst: Path) -> Path:
    """Encode `src` as RLE Lossless with GDCM (child interpreter); return `dst`."""
    return gdcm_transcode(src, dst, "rle")


def gdcm_decode(src: Path, dst: Path) -> Path:
    """Decode `src` to Explicit VR Little Endian with GDCM (child interpreter); return `dst`."""
    return gdcm_transcode(src, dst, "explicit")
