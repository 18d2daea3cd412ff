"""The compressed (not RLE) images of the corpus, their reference decodings, and edited copies.

The reference decoder is pydicom's, with the plugin the codecs extra brings for the
syntax (pyjpegls for JPEG-LS, pylibjpeg for the rest), YCbCr converted to RGB: the
"decoder's output" the service's results must hold exactly.
"""

from collections.abc import Callable
from io import BytesIO

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.uid import (
    UID,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSTransferSyntaxes,
)

from tests import corpus

#: Files of the corpus no installed decoder can decode (see the peer tests for who can).
UNDECODABLE = {
    # libjpeg: "A misplaced marker segment was found - scan start must be zero and scan stop
    # must be 63 for the sequential operating modes"; DCMTK and GDCM decode it.
    "JPEG-lossy.dcm",
    # The codestream is cut short by an embedded sequence delimiter (a pydicom parsing test);
    # no decoder, DCMTK or GDCM, reads it.
    "JPEG2000-embedded-sequence-delimiter.dcm",
}
#: The DCT processes of JPEG: lossy by construction, decoders differ by their IDCTs.
DCT_SYNTAXES = (JPEGBaseline8Bit, JPEGExtended12Bit)


def compressed_images() -> list[corpus.Image]:
    """Return every image of the corpus compressed with anything but RLE, by syntax then name."""
    found = corpus.images(uncompressed=False, rle=False)
    return sorted(found, key=lambda item: (item.transfer_syntax.name, item.name))


def decodable_images() -> list[corpus.Image]:
    """Return :func:`compressed_images` without :data:`UNDECODABLE`."""
    return [item for item in compressed_images() if item.name not in UNDECODABLE]


def image_id(item: corpus.Image) -> str:
    """Return a test id naming the syntax and the file."""
    return f"{item.transfer_syntax.name}/{item.name}"


def reference_plugin(syntax: UID) -> str:
    """Return the pydicom plugin of the codecs extra that decodes `syntax`."""
    return "pyjpegls" if syntax in JPEGLSTransferSyntaxes else "pylibjpeg"


def reference_frames(ds: Dataset) -> list[np.ndarray]:
    """Return every frame of compressed `ds` as the codecs extra's decoder gives it, in RGB."""
    syntax = ds.file_meta.TransferSyntaxUID
    decoder = get_decoder(syntax)
    return [array for array, _ in decoder.iter_array(ds, decoding_plugin=reference_plugin(syntax))]


def frames_of(ds: Dataset) -> list[np.ndarray]:
    """Return every frame of `ds` (any syntax) as pydicom decodes it."""
    array = ds.pixel_array
    return list(array) if int(ds.get("NumberOfFrames") or 1) > 1 else [array]


def edited(name: str, change: Callable[[Dataset], None]) -> bytes:
    """Return the bytes of corpus file `name` after `change` edited its data set."""
    ds = corpus.image(name).read()
    change(ds)
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def relabelled(name: str, syntax: UID, *, drop: tuple[str, ...] = ()) -> bytes:
    """Return corpus file `name` with its Transfer Syntax UID set to `syntax` and `drop` elements removed."""

    def change(ds: Dataset) -> None:
        ds.file_meta.TransferSyntaxUID = syntax
        for keyword in drop:
            if keyword in ds:
                del ds[keyword]

    return edited(name, change)


def params(items: list[corpus.Image]) -> list:
    """Return pytest parameters for `items`, named by :func:`image_id`."""
    return [pytest.param(item, id=image_id(item)) for item in items]
