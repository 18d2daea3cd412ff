"""pydicom encoder plugin: RLE Lossless with dicompress's numpy codec.

Implements pydicom's encoder plugin contract (an encode function, ``is_available`` and
``ENCODER_DEPENDENCIES``), and fixes what pydicom's own plugin gets wrong:

* Planar Configuration 1 sources are read plane by plane;
* *Bits Stored* smaller than the container: the runner hands over samples sized by
  *Bits Stored*, but RLE segments follow *Bits Allocated*, so samples are widened
  (sign-extended when signed);
* big-endian sources (``byteorder=">"``).
"""

from typing import TYPE_CHECKING

from pydicom.uid import RLELossless

from dicompress.plugins.dependencies import numpy_available

if TYPE_CHECKING:
    from pydicom.pixels.encoders.base import EncodeRunner

ENCODER_DEPENDENCIES = {RLELossless: ("numpy",)}

#: Runner option choosing the packing: "pydicom" (byte-identical) or "compact".
PACKING_OPTION = "rle_packing"
#: Runner option: a callable given every frame's certificate (:mod:`dicompress.rle.certificate`).
CERTIFY_OPTION = "rle_certify"


def is_available(uid: str) -> bool:
    """Return ``True`` if `uid` is RLE Lossless and numpy can be imported.

    Parameters
    ----------
    uid : str
        The Transfer Syntax UID the encoder is for.

    Returns
    -------
    bool
        Whether this plugin can encode `uid` here.
    """
    return uid in ENCODER_DEPENDENCIES and numpy_available()


def encode_frame(src: bytes, runner: "EncodeRunner") -> bytes:
    """Return one frame of `src` encoded as a DICOM RLE Lossless frame.

    Parameters
    ----------
    src : bytes
        One frame of uncompressed samples, sized by *Bits Stored* (1, 2, 4 or 8 bytes),
        in the runner's ``byteorder``.
    runner : pydicom.pixels.encoders.base.EncodeRunner
        The runner with the frame's options; the option ``rle_packing`` selects
        ``"pydicom"`` (default) or ``"compact"``; the option ``rle_certify``, a
        callable, is given the frame's certificate.

    Returns
    -------
    bytes
        The RLE frame: 64-byte header and one segment per byte of each sample.
    """
    from dicompress import rle

    allocated = runner.bits_allocated
    if allocated % 8 or allocated // 8 not in (1, 2, 4, 8):
        raise ValueError(f"RLE encoding of {allocated}-bit samples is not supported")
    width = allocated // 8
    byteorder = runner.get_option("byteorder", "<")
    # An ndarray source is always handed over interleaved, whatever the option says.
    planar = 0 if runner.is_array else runner.planar_configuration or 0
    src = _widen_samples(
        src, stored_width=_stored_width(runner.bits_stored), width=width,
        signed=runner.pixel_representation == 1, byteorder=byteorder,
    )
    return rle.encode_frame(
        src, runner.rows, runner.columns, runner.samples_per_pixel, width,
        byteorder=byteorder, planar_configuration=planar,
        packing=runner.get_option(PACKING_OPTION, "pydicom"), certify=runner.get_option(CERTIFY_OPTION),
    )


def _stored_width(bits_stored: int) -> int:
    """Return the container size in bytes pydicom's runner uses for `bits_stored`."""
    for width in (1, 2, 4, 8):
        if bits_stored <= 8 * width:
            return width
    raise ValueError(f"Bits Stored of {bits_stored} is more than 64")


def _widen_samples(
    src: bytes, *, stored_width: int, width: int, signed: bool, byteorder: str
) -> bytes:
    """Return `src` with every sample widened from `stored_width` to `width` bytes."""
    if stored_width == width:
        return src
    import numpy as np

    kind = "i" if signed else "u"
    samples = np.frombuffer(src, dtype=f"{byteorder}{kind}{stored_width}")
    return samples.astype(f"{byteorder}{kind}{width}").tobytes()
