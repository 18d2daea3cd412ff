"""The real images the tests run on: pydicom's bundled test files and pydicom-data.

Every DICOM file of both collections that holds an image is listed once, as an
:class:`Image` with the properties tests filter on (transfer syntax, geometry, bit
depths, byte order, ...). Only the headers are read, so listing is fast.

pydicom-data is found through pydicom's ``pydicom.data.external_sources`` entry point,
never through :func:`pydicom.data.get_testdata_files`, which tries to download what is
not installed (and this machine has no network).

Usage::

    from tests.corpus import images, image, path

    for item in images(uncompressed=True):
        ...
    ct = image("CT_small.dcm")          # an Image
    rg1 = path("RG1_UNCR.dcm")          # a pathlib.Path
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
import warnings

import pydicom.data
from pydicom import dcmread
from pydicom.uid import UID, ExplicitVRBigEndian, RLELossless

#: pydicom's own bundled test files.
PYDICOM_TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"


@dataclass(frozen=True)
class Image:
    """One DICOM file holding an image, with the header values tests care about."""

    path: Path
    collection: str  # "pydicom" or the external source's name ("pydicom-data")
    transfer_syntax: UID
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    planar_configuration: int
    frames: int
    photometric_interpretation: str
    pixel_data_length: int  # bytes announced by the Pixel Data element (undefined: -1)

    @property
    def name(self) -> str:
        """The file name, e.g. ``"CT_small.dcm"``."""
        return self.path.name

    @property
    def is_compressed(self) -> bool:
        """Whether the pixel data is encapsulated (compressed)."""
        return self.transfer_syntax.is_compressed

    @property
    def is_rle(self) -> bool:
        """Whether the pixel data is RLE Lossless."""
        return self.transfer_syntax == RLELossless

    @property
    def big_endian(self) -> bool:
        """Whether the file is Explicit VR Big Endian."""
        return self.transfer_syntax == ExplicitVRBigEndian

    @property
    def sample_width(self) -> int:
        """Bytes per sample container (*Bits Allocated* / 8), 0 for 1-bit images."""
        return self.bits_allocated // 8

    @property
    def stored_width(self) -> int:
        """Bytes per sample pydicom's encode runner hands a plugin (sized by *Bits Stored*)."""
        for width in (1, 2, 4, 8):
            if self.bits_stored <= 8 * width:
                return width
        raise ValueError(f"Bits Stored {self.bits_stored} is more than 64")

    @property
    def frame_length(self) -> int:
        """Bytes in one uncompressed frame (not meaningful for 1-bit or 4:2:2 data)."""
        return self.rows * self.columns * self.samples_per_pixel * self.sample_width

    @property
    def is_complete(self) -> bool:
        """Whether uncompressed Pixel Data holds every frame (always ``True`` if compressed)."""
        if self.is_compressed:
            return True
        return self.pixel_data_length >= self.frame_length * self.frames

    @property
    def is_subsampled(self) -> bool:
        """Whether the uncompressed data is chroma subsampled (YBR_FULL_422 and friends)."""
        return "422" in self.photometric_interpretation or "420" in self.photometric_interpretation

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self.path.stat().st_size

    def read(self, **kwargs):
        """Return the file read by pydicom (keyword arguments go to ``dcmread``)."""
        return dcmread(self.path, **kwargs)

    def __str__(self) -> str:
        return self.name


def _external_data_dirs() -> list[tuple[str, Path]]:
    """Return (name, folder) of every installed pydicom external data source."""
    from pydicom.data.data_manager import external_data_sources

    found = []
    for name, source in external_data_sources().items():
        folder = getattr(source, "data_path", None)
        if folder is not None and Path(folder).is_dir():
            found.append((name, Path(folder)))
    return found


def _collections() -> list[tuple[str, Path]]:
    return [("pydicom", PYDICOM_TEST_FILES), *_external_data_dirs()]


def _describe(path: Path, collection: str) -> Image | None:
    """Return the :class:`Image` in `path`, or ``None`` if it is not a readable image file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dcmread(path, defer_size=256)
            syntax = ds.file_meta.TransferSyntaxUID
            if "PixelData" not in ds or "Rows" not in ds:
                return None
            element = ds.get_item("PixelData")
            length = getattr(element, "length", None)
            if length is None:
                length = len(ds.PixelData)
            return Image(
                path=path,
                collection=collection,
                transfer_syntax=UID(syntax),
                rows=int(ds.Rows),
                columns=int(ds.Columns),
                samples_per_pixel=int(ds.SamplesPerPixel),
                bits_allocated=int(ds.BitsAllocated),
                bits_stored=int(ds.BitsStored),
                pixel_representation=int(ds.PixelRepresentation),
                planar_configuration=int(ds.get("PlanarConfiguration") or 0),
                frames=int(ds.get("NumberOfFrames") or 1),
                photometric_interpretation=str(ds.PhotometricInterpretation),
                pixel_data_length=-1 if length == 0xFFFFFFFF else int(length),
            )
    except Exception:  # not DICOM, no file meta, bad values (e.g. NumberOfFrames "1A")
        return None


@cache
def all_images() -> tuple[Image, ...]:
    """Return every image file of pydicom's test files and pydicom-data, sorted by name."""
    found = []
    seen = set()
    for collection, folder in _collections():
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() != ".dcm" or path.name in seen:
                continue
            item = _describe(path, collection)
            if item is not None:
                seen.add(path.name)
                found.append(item)
    return tuple(sorted(found, key=lambda item: item.name))


def images(
    *,
    uncompressed: bool | None = None,
    rle: bool | None = None,
    max_size: int | None = None,
    where: Callable[[Image], bool] | None = None,
) -> list[Image]:
    """Return the images matching every given filter.

    Parameters
    ----------
    uncompressed : bool, optional
        ``True``: native (uncompressed) pixel data only, complete, whole bytes per
        sample (no 1-bit), not chroma subsampled; ``False``: compressed only.
    rle : bool, optional
        ``True``: RLE Lossless only; ``False``: anything else.
    max_size : int, optional
        Largest file size in bytes.
    where : callable, optional
        Any further predicate on an :class:`Image`.
    """
    chosen = []
    for item in all_images():
        if uncompressed is True and not (
            not item.is_compressed
            and item.is_complete
            and item.bits_allocated % 8 == 0
            and not item.is_subsampled
        ):
            continue
        if uncompressed is False and not item.is_compressed:
            continue
        if rle is not None and item.is_rle != rle:
            continue
        if max_size is not None and item.size > max_size:
            continue
        if where is not None and not where(item):
            continue
        chosen.append(item)
    return chosen


def image(name: str) -> Image:
    """Return the image with file name `name` (``KeyError`` if there is none)."""
    for item in all_images():
        if item.name == name:
            return item
    raise KeyError(f"no image named {name!r} in pydicom's test files or pydicom-data")


def path(name: str) -> Path:
    """Return the path of the image with file name `name`."""
    return image(name).path
