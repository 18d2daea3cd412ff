"""HTJ2K DICOM files made from uncompressed corpus images with OpenJPH's ``ojph_compress``.

The corpus has no HTJ2K file; these are its HTJ2K cases (reversible, reversible in RPCL
order, irreversible; grey and RGB), shared by the peer tests and the page's codec tests.
"""

from pathlib import Path

import numpy as np
from pydicom.encaps import encapsulate
from pydicom.uid import HTJ2K, HTJ2KLossless, HTJ2KLosslessRPCL

from tests import corpus, peers

#: case -> (corpus image, reversible, progression order for ojph_compress or None).
HTJ2K_CASES = {
    "MR2_UNCR.dcm-reversible": ("MR2_UNCR.dcm", True, None),
    "MR2_UNCR.dcm-irreversible": ("MR2_UNCR.dcm", False, None),
    "US1_UNCR.dcm-reversible": ("US1_UNCR.dcm", True, None),
    "US1_UNCR.dcm-irreversible": ("US1_UNCR.dcm", False, None),
    "MR2_UNCR.dcm-reversible-rpcl": ("MR2_UNCR.dcm", True, "RPCL"),
}


def make_htj2k(case: str, folder: Path) -> tuple[np.ndarray, bytes, Path]:
    """Return (source pixels, HTJ2K DICOM bytes, the codestream's path) of `case`, made in `folder`."""
    name, reversible, order = HTJ2K_CASES[case]
    ds = corpus.image(name).read()
    pixels = ds.pixel_array
    suffix = ".pgm" if pixels.ndim == 2 else ".ppm"
    image = peers.write_netpbm(pixels, (1 << int(ds.BitsStored)) - 1, folder / f"{case}{suffix}")
    codestream = peers.ojph_compress(image, folder / f"{case}.j2c", reversible=reversible, order=order)
    ds.PixelData = encapsulate([codestream.read_bytes()])
    ds["PixelData"].VR, ds["PixelData"].is_undefined_length = "OB", True
    ds.file_meta.TransferSyntaxUID = HTJ2KLosslessRPCL if order == "RPCL" else HTJ2KLossless if reversible else HTJ2K
    if pixels.ndim == 3:  # ojph_compress applies its colour transform to RGB
        ds.PhotometricInterpretation = "YBR_RCT" if reversible else "YBR_ICT"
    path = folder / f"{case}.dcm"
    ds.save_as(path, enforce_file_format=True)
    return pixels, path.read_bytes(), codestream
