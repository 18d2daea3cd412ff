"""The file service: a DICOM file in, the converted file and a report out.

This is the one path from a DICOM file to its converted form, used by the command line
and by the browser's worker alike: :func:`convert_file` reads the source from a file object
and writes the result to another, a frame at a time, so its memory stays within a few
frames and the data set's head whatever the file's size; :func:`convert` does the same
with bytes. Every failure a person can cause raises a
:class:`~dicompress.errors.ConversionError` with a one-line message.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from io import BytesIO
from time import perf_counter
from typing import TYPE_CHECKING, Any, BinaryIO

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
from dicompress.reading.source import Readable, as_reader, size_of
from dicompress.writing import lossless
from dicompress.writing.file_writer import FileWriter, needs_extended
from dicompress.writing.verification import (
    check_decoded_frame,
    check_rle_frame,
    check_written_native,
    check_written_rle,
    checksum,
)

if TYPE_CHECKING:
    from dicompress.rle.certificate import Certificate

#: Target names accepted by :func:`convert` and :func:`convert_file`, and their transfer syntaxes.
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
    """Convert the bytes of one DICOM file to another transfer syntax: :func:`convert_file` in memory.

    Parameters
    ----------
    data : bytes
        A DICOM Part 10 file.
    target, packing, verify, progress, limits, inspect
        As :func:`convert_file` takes them.

    Returns
    -------
    Conversion
        The new file's bytes and a :class:`Report`.

    Raises
    ------
    dicompress.errors.ConversionError, MemoryError, ValueError
        As :func:`convert_file` raises them.
    """
    sink = BytesIO()
    report = convert_file(BytesIO(data), sink, target, packing=packing, verify=verify, progress=progress,
                          limits=limits, inspect=inspect)
    return Conversion(data=sink.getvalue(), report=report)


def convert_file(
    source: Readable,
    sink: BinaryIO,
    target: str = frontend.DEFAULT_TARGET,
    *,
    packing: str = frontend.DEFAULT_PACKING,
    verify: bool = True,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
    inspect: Inspect | None = None,
) -> Report:
    """Convert one DICOM file to another transfer syntax, from a file object to a file object.

    Every element but the pixel data and the Image Pixel values that describe its
    layout is kept, the SOP Instance UID included. The input is never modified.

    Memory stays within a few frames and the data set's head (every value but the long
    ones, which stay in the file until written), whatever the file's size: the data set
    is read without its long values, each frame is read from the file, decoded if need
    be, encoded, checked and written to `sink` before the next one is read, and the
    written file is checked a frame at a time. A deflated source is inflated whole
    (pydicom does), within `limits`.

    Parameters
    ----------
    source : file object
        A DICOM Part 10 file, readable and seekable (only ``read``, ``seek`` and ``tell``
        are used; reads come in pieces of 64 KiB or a frame): uncompressed (any of the
        native transfer syntaxes, deflated included), RLE Lossless, or compressed in a
        syntax an installed pydicom plugin decodes (:mod:`dicompress.reading.compressed_input`).
    sink : file object
        Where the converted file is written, from position 0 (``write``, ``seek``,
        ``tell``; ``read`` to check it; ``truncate``, if it has one, at its end).
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
    Report
        What was done; ``output_bytes`` is the size of the file written to `sink`.

    Raises
    ------
    dicompress.errors.ConversionError
        With a one-line message, for any input that cannot be converted; a failure nobody
        foresaw is an ``InternalError``. What `sink` holds then is no result.
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
        return _convert(source, sink, target, packing=packing, verify=verify, progress=progress, limits=limits,
                        inspect=inspect)


def _convert(
    source: Readable, sink: BinaryIO, target: str, *, packing: str, verify: bool, progress: Progress | None,
    limits: Limits, inspect: Inspect | None = None,
) -> Report:
    """Convert as :func:`convert_file` does, with its arguments checked."""
    started = perf_counter()
    add_plugins()  # never reorders: the service names its plugins, whatever the order
    reader = as_reader(source)
    input_bytes = size_of(reader)
    ds = read_dataset(reader, limits)
    source_syntax = transfer_syntax(ds)
    shape = geometry(ds, limits)
    _check_target_holds(shape, target)
    check_writable(ds)
    frames = iter(source_frames(ds, shape))
    first = next(frames)
    if inspect:  # before anything of the data set changes for writing
        inspect(ds, shape, first)
    frames = _reporting(_preceded(first, frames), shape.pieces, progress)
    del first  # held by _preceded until its turn only
    if ds.original_encoding[1] is False:
        swap_binary_values(ds)
    if TARGETS[target] == RLELossless:
        plugin = encoding_plugin()
        output_bytes = _write_rle(sink, ds, shape, frames, plugin=plugin, packing=packing, verify=verify)
    elif TARGETS[target] in lossless.SYNTAXES:
        plan = lossless.plan(ds, shape, TARGETS[target])
        plugin = plan.plugin
        output_bytes = _write_lossless(sink, ds, shape, frames, plan, verify=verify)
    else:
        plugin = "none"
        output_bytes = _write_native(sink, ds, shape, frames, TARGETS[target], verify=verify)
    return Report(
        source_syntax=source_syntax.name,
        target_syntax=TARGETS[target].name,
        input_bytes=input_bytes,
        output_bytes=output_bytes,
        frames=shape.frames,
        elements=count_elements(ds),
        plugin=plugin,
        verified=verify,
        seconds=perf_counter() - started,
        lossy_source=is_lossy(ds),
    )


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


def _preceded(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    """Yield `first`, then `rest`, letting go of `first` once it has gone on."""
    yield first
    del first
    yield from rest


def _reporting(frames: Iterable[bytes], total: int, progress: Progress | None) -> Iterator[bytes]:
    """Yield `frames`, reporting each one to `progress` once the consumer is done with it."""
    for done, frame in enumerate(frames, start=1):
        yield frame
        if progress:
            progress(done, total)


def _largest_rle_stream(shape: Geometry) -> int:
    """Return the most bytes one frame of `shape` can take as RLE Lossless (PS3.5 G).

    The 64-byte header, then one segment per sample byte: PackBits never lengthens a run of
    equal bytes, and adds one byte per literal run of at most 128, which start anew each row.
    """
    segment = shape.rows * shape.columns + shape.rows * -(-shape.columns // 128) + 1
    return 64 + shape.samples_per_pixel * shape.sample_width * segment


def _write_rle(
    sink: BinaryIO, ds: Dataset, shape: Geometry, frames: Iterable[bytes], *, plugin: str, packing: str,
    verify: bool,
) -> int:
    """Encode canonical `frames` as RLE Lossless, write the file with `ds` to `sink`; return its size.

    Frames are verified one at a time, right after encoding (:mod:`dicompress.writing.verification`),
    and written at once, so only one uncompressed frame and its stream are held at a time;
    the written file is then checked to hold exactly those frames.
    """
    options = _pixel_options(ds, shape)
    if shape.samples_per_pixel > 1:
        # PS3.5 G.2: RLE stores one segment per sample, i.e. colour-by-plane.
        ds.PlanarConfiguration = 1
    writer = FileWriter(sink, ds, RLELossless, keyword="PixelData", frames=shape.frames, length=None,
                        extended=needs_extended(shape.frames, _largest_rle_stream(shape)))
    lengths: list[int] = []
    checksums: list[int] = []
    certificates: list[Certificate] = []
    for number, frame in enumerate(frames, start=1):
        stream = _encode_rle_frame(frame, plugin, packing, options, certificates.append if verify else None)
        if verify:
            check_rle_frame(stream, certificates.pop() if certificates else None, frame, shape, options, number)
            checksums.append(checksum(stream))
        lengths.append(len(stream))
        writer.add(stream)
    size = writer.finish()
    if verify:
        check_written_rle(sink, lengths, checksums)
    return size


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


def _write_lossless(
    sink: BinaryIO, ds: Dataset, shape: Geometry, frames: Iterable[bytes], plan: lossless.Plan, *, verify: bool
) -> int:
    """Encode canonical `frames` as planned (JPEG-LS, JPEG 2000 or HTJ2K Lossless), write the file; return its size.

    As :func:`_write_rle` does: each frame is decoded again and compared with its pixel
    values right after encoding, and the written file is checked to hold exactly those frames.
    These codecs promise no bound on a stream's size: the offset tables allow for twice
    the frame's size.
    """
    lossless.describe(ds, plan)
    largest = 2 * shape.frame_length + (1 << 16)
    writer = FileWriter(sink, ds, plan.syntax, keyword="PixelData", frames=shape.frames, length=None,
                        extended=needs_extended(shape.frames, largest))
    lengths: list[int] = []
    checksums: list[int] = []
    for number, frame in enumerate(frames, start=1):
        values = lossless.stored_values(frame, plan, number)
        stream = lossless.encode(values, plan, number)
        if verify:
            check_decoded_frame(stream, plan.syntax, plan.checker, values, plan.options, number)
            checksums.append(checksum(stream))
        lengths.append(len(stream))
        writer.add(stream)
    size = writer.finish()
    if verify:
        check_written_rle(sink, lengths, checksums)
    return size


def _write_native(
    sink: BinaryIO, ds: Dataset, shape: Geometry, frames: Iterable[bytes], syntax: UID, *, verify: bool
) -> int:
    """Write canonical `frames` uncompressed with `ds` to `sink` as a file in `syntax`; return its size.

    Each frame is written as it comes; the written file is then checked to hold exactly those frames.
    """
    if shape.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    vr = "OB" if shape.bits_allocated <= 8 else "OW"
    length = shape.data_length if shape.bit_packed else shape.frame_length * shape.frames
    writer = FileWriter(sink, ds, syntax, keyword=shape.keyword, frames=shape.pieces, length=length, vr=vr)
    lengths: list[int] = []
    checksums: list[int] = []
    for frame in frames:
        lengths.append(len(frame))
        if verify:
            checksums.append(checksum(frame))
        writer.add(frame)
    size = writer.finish()
    if verify:
        check_written_native(sink, lengths, checksums, shape.keyword)
    return size
