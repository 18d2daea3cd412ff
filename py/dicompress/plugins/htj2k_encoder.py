"""An HTJ2K Lossless encoder plugin for pydicom, over OpenJPH as imagecodecs ships it.

pydicom 3.0 decodes HTJ2K (with pylibjpeg-openjpeg) but has no encoder for it. This
module is a plugin in the form pydicom's encoder plugin guide asks for (an encoding
function, ``is_available`` and ``ENCODER_DEPENDENCIES``);
:mod:`dicompress.plugins.registration` makes the ``Encoder`` for HTJ2K Lossless and adds
it there, so that ``Dataset.compress(HTJ2KLossless)`` works like pydicom's own syntaxes.

Why imagecodecs: its ``htj2k_encode`` is OpenJPH compiled natively, in wheels for
every major platform, released several times a year, and needs no more than the
image. The one alternative on PyPI with wheels here, itkwasm-htj2k 2.3.1 (OpenJPH
compiled to WASI, run by wasmtime), writes the same codestream (MR2_UNCR: 627,352
bytes against 627,350) but takes 3 s to start and 70 ms per 1024 x 1024 frame where
imagecodecs takes 17 ms, fails unless tile size, tile offset and block size are all
given, and had no release since 2024. pylibjpeg-openjpeg cannot be used: OpenJPEG 2.5
decodes HTJ2K but does not encode it.

The codestream is reversible (5/3 wavelet, lossless); colour images use the reversible
colour transform when the runner's Photometric Interpretation is ``YBR_RCT``. OpenJPH
as imagecodecs drives it codes each sample at the precision of its container (8 or 16
bits), which holds any Bits Stored up to it exactly.
"""

from typing import Any

from pydicom.pixels.encoders.base import EncodeRunner
from pydicom.uid import UID, HTJ2KLossless

from dicompress.plugins.dependencies import module_version

#: The oldest imagecodecs this plugin was tested with (OpenJPH 0.26 inside).
IMAGECODECS_VERSION = (2026, 3, 6)
ENCODER_DEPENDENCIES = {HTJ2KLossless: ("numpy", "imagecodecs>=2026.3.6")}
#: The Photometric Interpretation that asks for the reversible colour transform.
RCT = "YBR_RCT"


def is_available(uid: UID) -> bool:
    """Return whether imagecodecs with OpenJPH is installed and `uid` is HTJ2K Lossless."""
    if uid != HTJ2KLossless:
        return False
    version = module_version("imagecodecs")
    return version is not None and version >= IMAGECODECS_VERSION


def encode_frame(src: bytes, runner: EncodeRunner) -> bytes:
    """Return one frame encoded as an HTJ2K Lossless codestream.

    Parameters
    ----------
    src : bytes
        One frame as pydicom's runner hands it: little-endian samples of 1 or 2 bytes,
        interleaved (Planar Configuration 0) or by plane (1).
    runner : pydicom.pixels.encoders.base.EncodeRunner
        The runner, with the frame's rows, columns, samples per pixel, bits stored,
        pixel representation, planar configuration and photometric interpretation.

    Returns
    -------
    bytes
        The codestream (a J2C stream: SOC marker first, no JP2 boxes).

    Raises
    ------
    ValueError
        For samples wider than 16 bits, or when OpenJPH fails.
    """
    import imagecodecs
    import numpy as np

    width = 1 if runner.bits_stored <= 8 else 2
    if runner.bits_stored > 16:
        raise ValueError(f"HTJ2K Lossless is written here for up to 16 bits per sample, not {runner.bits_stored}")
    kind = "i" if runner.pixel_representation else "u"
    samples = runner.samples_per_pixel
    planar = samples > 1 and runner.planar_configuration == 1
    shape: tuple[int, ...] = (runner.rows, runner.columns)
    if samples > 1:
        shape = (samples, *shape) if planar else (*shape, samples)
    frame: Any = np.frombuffer(src, dtype=f"<{kind}{width}", count=int(np.prod(shape, dtype=np.int64)))
    colour_transform = samples == 3 and runner.photometric_interpretation == RCT
    try:
        stream = imagecodecs.htj2k_encode(
            frame.reshape(shape), reversible=True, rgb=colour_transform, planar=planar
        )
    except imagecodecs.Htj2kError as exc:
        raise ValueError(f"OpenJPH could not encode the frame ({exc})") from None
    return bytes(stream)
