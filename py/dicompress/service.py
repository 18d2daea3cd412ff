"""The file service: bytes of a DICOM file in, bytes of the converted file and a report out.

This is the one path from a DICOM file to its converted form, used by the command line
and by the browser's worker alike. Every failure a person can cause raises a
:class:`~dicompress.errors.ConversionError` with a one-line message.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from io import BytesIO
from time import perf_counter
from typing import TYPE_CHECKING, Any

from pydicom import dcmwrite
from pydicom.dataset import Dataset
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.uid import UID, RLELossless

from dicompress import errors, frontend
from dicompress.limits import DEFAULT_LIMITS, Limits
from dicompress.plugins.dependencies import numpy_available
from dicompress.plugins.registration import add_plugins, service_plugin
from dicompress.plugins.rle_encoder import CERTIFY_OPTION, PACKING_OPTION
from dicompress.reading.data_set_checks import check_writable, count_elements
from dicompress.reading.dicom_input import (
    Geometry,
    geometry,
    read_dataset,
    source_frames,
    swap_binary_values,
    transfer_syntax,
)
from dicompress.reading.lossy import is_lossy
from dicompress.writing import lossless
from dicompress.writing.pixel_data import store_encapsulated, store_native
from dicompress.writing.verification import (
    check_decoded_frame,
    check_rle_frame,
    check_written_native,
    check_written_rle,
    checksum,
)

if TYPE_CHECKING:
    from dicompress.rle.certificate import Certificate

#: Target names accepted by :func:`convert`, and their transfer syntaxes.
TARGETS: dict[str, UID] = {target.name: UID(target.syntax) for target in frontend.TARGETS}
#: RLE packings accepted by :func:`convert`.
PACKINGS = tuple(frontend.packing_names())

#: Called with (frames done, frames in all) after each frame.
Progress = Callable[[int, int], None]
#: Called with the data set as read, its geometry and its first canonical frame.
Inspect = Callable[[Dataset, Geometry, bytes], None]


@dataclass(frozen=True)
class Report:
    """What a conversion did; `elements` counts the data elements written (all levels).

    `lossy_source` says the pixels have been through lossy compression: the file says so,
    or they were decoded from a lossy stream (:mod:`dicompress.reading.lossy`).
    """

    source_syntax: str
    target_syntax: str
    input_bytes: int
    output_bytes: int
    frames: int
    elements: int
    plugin: str
    verified: bool
    seconds: float
    lossy_source: bool

    @property
    def ratio(self) -> float:
        """Input size divided by output size."""
        return self.input_bytes / self.output_bytes if self.output_bytes else 0.0

    def as_dict(self) -> dict:
        """Return the report as a JSON-safe dict, ratio included."""
        return {**asdict(self), "ratio": self.ratio}


@dataclass(frozen=True)
class Conversion:
    """The converted file and its report."""

    data: bytes
    report: Report


def encoding_plugin() -> str:
    """Return the label of the RLE plugin the service names here, to encode and to decode."""
    return service_plugin()


def engine_name() -> str:
    """Return a short description of the engine in use, for people."""
    if numpy_available():
        import numpy

        return f"dicompress (numpy {numpy.__version__})"
    return "pydicom (pure Python; numpy unavailable)"


def convert(
    data: bytes,
    target: str = frontend.DEFAULT_TARGET,
    *,
    packing: str = frontend.DEFAULT_PACKING,
    verify: bool = True,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    inspect: Inspect | None = None,
) -> Conversion:
    """Convert the bytes of one DICOM file to another transfer syntax.

    Every element but the pixel data and the Image Pixel values that describe its
    layout is kept, the SOP Instance UID included. The input is never modified.

    Parameters
    ----------
    data : bytes
        A DICOM Part 10 file, uncompressed (any of the native transfer syntaxes,
        deflated included), RLE Lossless, or compressed in a syntax an installed
        pydicom plugin decodes (:mod:`dicompress.reading.compressed_input`).
    target : str, optional
        ``"rle"`` (RLE Lossless, default), ``"explicit"`` (Explicit VR Little Endian),
        ``"deflate"`` (Deflated Explicit VR Little Endian), or, with the ``[codecs]``
        extra, ``"jpeg-ls"``, ``"j2k"`` or ``"htj2k"`` (JPEG-LS, JPEG 2000, HTJ2K
        Lossless: :mod:`dicompress.writing.lossless`).
    packing : str, optional
        RLE packing: ``"pydicom"`` (default, byte-identical to pydicom's plugin) or
        ``"compact"`` (smallest streams); used with numpy only.
    verify : bool, optional
        If ``True`` (default) prove that every frame decodes to the source pixels (by
        the encoder's certificate, else by decoding it and comparing) and that the
        written file holds exactly those frames (:mod:`dicompress.writing.verification`).
    progress : callable, optional
        Called with (frames done, frames in all) after each frame.
    limits : dicompress.limits.Limits, optional
        How deep sequences may nest and how far a deflated data set may inflate.
    inspect : callable, optional
        Called once with the data set as read, its :class:`Geometry` and its first
        canonical frame, before that frame is encoded, so a caller can describe the
        file without reading or decoding it again (the page's preview). It must not
        change them.

    Returns
    -------
    Conversion
        The new file's bytes and a :class:`Report`.

    Raises
    ------
    dicompress.errors.ConversionError
        With a one-line message, for any input that cannot be converted; a failure nobody
        foresaw is an ``InternalError``.
    MemoryError
        When the machine runs out of memory.
    ValueError
        For an unknown `target` or `packing` (a programming error).
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if packing not in PACKINGS:
        raise ValueError(f"unknown packing {packing!r}; choose one of {', '.join(PACKINGS)}")
    with errors.typed_failures():
        return _convert(data, target, packing=packing, verify=verify, progress=progress, limits=limits,
                        inspect=inspect)


def _convert(
    data: bytes, target: str, *, packing: str, verify: bool, progress: Progress | None, limits: Limits,
    inspect: Inspect | None = None,
) -> Conversion:
    """Convert as :func:`convert` does, with its arguments checked."""
    started = perf_counter()
    add_plugins()  # never reorders: the service names its plugins, whatever the order
    ds = read_dataset(data, limits)
    source = transfer_syntax(ds)
    shape = geometry(ds)
    _check_target_holds(shape, target)
    check_writable(ds)
    frames = _reporting(source_frames(ds, shape), shape.pieces, progress)
    if inspect:
        frames = _inspected(frames, ds, shape, inspect)
    if TARGETS[target] == RLELossless:
        plugin = encoding_plugin()
        output = _write_rle(ds, shape, frames, plugin=plugin, packing=packing, verify=verify)
    elif TARGETS[target] in lossless.SYNTAXES:
        plan = lossless.plan(ds, shape, TARGETS[target])
        plugin = plan.plugin
        output = _write_lossless(ds, frames, plan, verify=verify)
    else:
        plugin = "none"
        output = _write_native(ds, shape, frames, TARGETS[target], verify=verify)
    report = Report(
        source_syntax=source.name,
        target_syntax=TARGETS[target].name,
        input_bytes=len(data),
        output_bytes=len(output),
        frames=shape.frames,
        elements=count_elements(ds),
        plugin=plugin,
        verified=verify,
        seconds=perf_counter() - started,
        lossy_source=is_lossy(ds),
    )
    return Conversion(data=output, report=report)


def _check_target_holds(shape: Geometry, target: str) -> None:
    """Raise unless `target` can hold the pixels `shape` describes as they are.

    Only the native targets (:data:`dicompress.frontend.NATIVE_TARGETS`) hold 1-bit and float
    pixels; RLE Lossless has neither (PS3.5 G.2: byte segments of integer samples).

    Raises
    ------
    dicompress.errors.ConversionError
        ``BitPackedPixelDataError`` or ``FloatPixelDataError``, naming the target.
    """
    if target in frontend.NATIVE_TARGETS:
        return
    label = TARGETS[target].name
    if shape.bit_packed:
        raise errors.BitPackedPixelDataError(
            f"the image has 1-bit pixels (Bits Allocated 1), which {label} cannot hold"
        )
    if shape.keyword != "PixelData":
        name = "Float" if shape.keyword == "FloatPixelData" else "Double Float"
        raise errors.FloatPixelDataError(f"the image is stored as {name} Pixel Data, which {label} cannot hold")


def _reporting(frames: Iterable[bytes], total: int, progress: Progress | None) -> Iterator[bytes]:
    """Yield `frames`, reporting each one to `progress` once the consumer is done with it."""
    for done, frame in enumerate(frames, start=1):
        yield frame
        if progress:
            progress(done, total)


def _inspected(frames: Iterator[bytes], ds: Dataset, shape: Geometry, inspect: Inspect) -> Iterator[bytes]:
    """Yield `frames`, handing the first one to `inspect` before it goes on."""
    for number, frame in enumerate(frames):
        if number == 0:
            inspect(ds, shape, frame)
        yield frame


def _write_rle(
    ds: Dataset, shape: Geometry, frames: Iterable[bytes], *, plugin: str, packing: str, verify: bool
) -> bytes:
    """Encode canonical `frames` as RLE Lossless into `ds` and return the file's bytes.

    Frames are verified one at a time, right after encoding (:mod:`dicompress.writing.verification`),
    so only one uncompressed frame is held at once; the written file is then checked to
    hold exactly those frames. The encoded frames are let go as pydicom writes them.
    """
    options = _pixel_options(ds, shape)
    encoded: list[bytes] = []
    checksums: list[int] = []
    certificates: list[Certificate] = []
    for number, frame in enumerate(frames, start=1):
        stream = _encode_rle_frame(frame, plugin, packing, options, certificates.append if verify else None)
        if verify:
            check_rle_frame(stream, certificates.pop() if certificates else None, frame, shape, options, number)
            checksums.append(checksum(stream))
        encoded.append(stream)
    lengths = [len(stream) for stream in encoded]
    store_encapsulated(ds, encoded)
    if shape.samples_per_pixel > 1:
        # PS3.5 G.2: RLE stores one segment per sample, i.e. colour-by-plane.
        ds.PlanarConfiguration = 1
    output = _write(ds, RLELossless)
    if verify:
        check_written_rle(output, lengths, checksums)
    return output


def _pixel_options(ds: Dataset, shape: Geometry) -> dict[str, Any]:
    """Return pydicom's encoding/decoding options for one canonical frame of `ds`."""
    return {
        "rows": shape.rows,
        "columns": shape.columns,
        "samples_per_pixel": shape.samples_per_pixel,
        "number_of_frames": 1,
        "bits_allocated": shape.bits_allocated,
        # The whole container is encoded, so any bits above Bits Stored survive too.
        "bits_stored": shape.bits_allocated,
        "pixel_representation": int(ds.get("PixelRepresentation", 0)),
        "photometric_interpretation": str(ds.get("PhotometricInterpretation", "")),
        "planar_configuration": 0,
    }


def _encode_rle_frame(
    frame: bytes, plugin: str, packing: str, options: dict[str, Any],
    certify: Callable[["Certificate"], None] | None,
) -> bytes:
    """Return one canonical frame encoded by pydicom's RLE encoder with `plugin`."""
    kwargs = {**options, PACKING_OPTION: packing, CERTIFY_OPTION: certify}
    try:
        return RLELosslessEncoder.encode(frame, encoding_plugin=plugin, **kwargs)
    except (ValueError, RuntimeError) as exc:
        reason = " ".join(str(exc).split())
        raise errors.UnsupportedImageError(f"cannot encode as RLE Lossless: {reason}") from None


def _write_lossless(ds: Dataset, frames: Iterable[bytes], plan: lossless.Plan, *, verify: bool) -> bytes:
    """Encode canonical `frames` as planned (JPEG-LS, JPEG 2000 or HTJ2K Lossless) and return the file's bytes.

    As :func:`_write_rle` does: each frame is decoded again and compared with its pixel
    values right after encoding, and the written file is checked to hold exactly those frames.
    """
    encoded: list[bytes] = []
    checksums: list[int] = []
    for number, frame in enumerate(frames, start=1):
        values = lossless.stored_values(frame, plan, number)
        stream = lossless.encode(values, plan, number)
        if verify:
            check_decoded_frame(stream, plan.syntax, plan.checker, values, plan.options, number)
            checksums.append(checksum(stream))
        encoded.append(stream)
    lengths = [len(stream) for stream in encoded]
    store_encapsulated(ds, encoded)
    lossless.describe(ds, plan)
    output = _write(ds, plan.syntax)
    if verify:
        check_written_rle(output, lengths, checksums)
    return output


def _write_native(
    ds: Dataset, shape: Geometry, frames: Iterable[bytes], syntax: UID, *, verify: bool
) -> bytes:
    """Store canonical `frames` uncompressed in `ds` and return the file's bytes.

    The frames are let go as pydicom writes them; the written file is then checked to
    hold exactly those frames.
    """
    stored = list(frames)
    lengths = [len(frame) for frame in stored]
    checksums = [checksum(frame) for frame in stored] if verify else []
    store_native(ds, stored, shape.bits_allocated, shape.keyword)
    if shape.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    output = _write(ds, syntax)
    if verify:
        check_written_native(output, lengths, checksums, shape.keyword)
    return output


def _write(ds: Dataset, syntax: UID) -> bytes:
    """Return `ds` written as a DICOM file in `syntax`."""
    if ds.original_encoding[1] is False:
        swap_binary_values(ds)
    ds.file_meta.TransferSyntaxUID = syntax
    buffer = BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
