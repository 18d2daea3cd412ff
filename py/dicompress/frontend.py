"""The front-end policy: what the command line and the web page decide the same way.

Both convert through :func:`dicompress.service.convert`; the decisions around it live
here, once, for :mod:`dicompress.cli.main` and for the page's adapter :mod:`dicompress.browser`.

Targets and packings
    ``rle`` (RLE Lossless, the default), ``explicit`` (Explicit VR Little Endian),
    ``deflate`` (Deflated Explicit VR Little Endian), and the smaller lossless syntaxes
    ``jpeg-ls`` (JPEG-LS Lossless), ``j2k`` (JPEG 2000 Lossless) and ``htj2k`` (HTJ2K
    Lossless), with the labels people see, their Transfer Syntax UIDs and the surfaces
    that can write each (:data:`SURFACES`: the command line writes the last three with
    the ``[codecs]`` extra, the page with its WebAssembly encoders); RLE packings ``pydicom`` (default,
    byte-identical to pydicom's plugin) and ``compact`` (smallest). The service takes
    its names from here.

Output names
    A result keeps its input's name: ``x.dcm`` gives ``x.dcm``, ``IM0001`` gives
    ``IM0001``. The command line mirrors each folder argument's tree below its output
    folder: ``dicompress study -o out`` writes ``study/series2/x.dcm`` as
    ``out/series2/x.dcm`` (the output folder stands for the folder named), and a file
    named on the command line lands at the top, ``out/x.dcm``. The page has no output
    folder: its downloads and ZIP keep the path the browser gives, which for a dropped
    folder starts with the folder's own name (``study/series2/x.dcm``), so the ZIP
    unpacks to what the command line writes with ``-o study``. Names are handed out in
    input order, and a name already handed out (compared regardless of case, as on
    Windows and macOS and in most ZIP tools) gets `` (2)``, `` (3)``... before its
    suffix: ``x (2).dcm``; so does a name an input already has in the output folder
    (see :meth:`OutputNames.reserve`), so that a result never takes an input's place.

Inputs: converted, copied, kept, up to date, skipped or failed
    A file named on the command line or added to the page is converted, or fails with a
    one-line message. A study stays whole: a valid DICOM file that cannot be converted
    (pixels the target cannot hold, such as 1-bit or float pixels in RLE Lossless; a
    transfer syntax nothing here decodes, such as MPEG-2 or H.264) is *kept* unchanged,
    byte for byte, with the reason (:data:`KEPT_CODES`); ``--strict`` and the page's
    option fail it instead. Damaged files (cut short, not DICOM) fail. A DICOM file
    without Pixel Data (a DICOMDIR, a structured report, an RT structure set, a
    presentation state, a key-object note...) is *copied* unchanged, so that a study's
    output folder is complete; the command line's ``--skip-non-image`` leaves such files
    out (:data:`COPIED_CODES`). A DICOMDIR copied next to converted files names their new
    transfer syntax, or is left out with the reason (:mod:`dicompress.cli.study`). A
    result the command line finds already written by an earlier run for the same input
    and options is *up to date*. Files found while
    walking a folder (on the command line, or a folder dropped on the page) are
    *skipped*, and counted, when they are obviously not DICOM: no ``DICM`` marker after
    the 128-byte preamble. Operating-system clutter in folders (``.DS_Store``,
    ``Thumbs.db``, ``desktop.ini``, ``._*``) and the command line's own bookkeeping
    (:data:`MANIFEST_NAME`) are left out without a word. A file in a folder that does
    look like DICOM is converted, copied, kept or failed like any other.

Messages
    The one-line messages and the advice to use the command line that the page shows.

Importing this module imports neither pydicom nor numpy.
"""

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath

from dicompress.errors import NO_DICM_MARKER


@dataclass(frozen=True)
class Target:
    """A transfer syntax files can be converted to."""

    name: str  #: the name the service, the CLI (--syntax) and the page use
    label: str  #: the transfer syntax's name (as pydicom's ``UID.name`` gives it)
    syntax: str  #: its Transfer Syntax UID
    hint: str  #: what it does, for people
    #: the surfaces that can write it today (:data:`SURFACES`)
    surfaces: tuple[str, ...] = ("cli", "page")


@dataclass(frozen=True)
class Packing:
    """A way of packing RLE Lossless segments."""

    name: str
    label: str


#: Where files are converted: the command line (and ``convert()``), and the web page.
SURFACES = ("cli", "page")
#: Smaller lossless syntaxes: the command line needs the ``[codecs]`` extra, the page loads its
#: WebAssembly encoders when one is chosen.
_SMALLER = "smaller"

TARGETS = (
    Target("rle", "RLE Lossless", "1.2.840.10008.1.2.5", "compress"),
    Target("explicit", "Explicit VR Little Endian", "1.2.840.10008.1.2.1", "decompress"),
    Target("deflate", "Deflated Explicit VR Little Endian", "1.2.840.10008.1.2.1.99", "deflate the whole file"),
    Target("jpeg-ls", "JPEG-LS Lossless Image Compression", "1.2.840.10008.1.2.4.80", _SMALLER),
    Target("j2k", "JPEG 2000 Image Compression (Lossless Only)", "1.2.840.10008.1.2.4.90", _SMALLER),
    Target("htj2k", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", "1.2.840.10008.1.2.4.201",
           _SMALLER),
)
DEFAULT_TARGET = "rle"
#: Targets that store pixels as they are, so they hold everything native pixel data holds
#: (1-bit, Float and Double Float Pixel Data too); the others (RLE Lossless and any
#: compressing target) cannot, and keep such files (:data:`KEPT_CODES`).
NATIVE_TARGETS = ("explicit", "deflate")

PACKINGS = (
    Packing("pydicom", "byte-identical to pydicom's own RLE plugin"),
    Packing("compact", "smallest RLE packing"),
)
DEFAULT_PACKING = "pydicom"

#: The longest part of an output name, in bytes of UTF-8 (most file systems' limit).
MAX_NAME_BYTES = 255
#: A longer "suffix" is no file type and is cut like the rest of the name.
_MAX_SUFFIX_BYTES = 16
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: How many bytes from the start of a file :func:`skip_reason` needs.
HEAD_BYTES = 132
#: The command line's record of the results it wrote, in its output folder (:mod:`dicompress.cli.manifest`).
MANIFEST_NAME = ".dicompress-manifest.jsonl"
CLUTTER_NAMES = (".DS_Store", "Thumbs.db", "desktop.ini", MANIFEST_NAME)
CLUTTER_PREFIXES = ("._",)

# Python in the browser is one WebAssembly (wasm32) memory of at most 4 GiB, which never
# shrinks. The page streams a file of any size through it a frame at a time, holding a few
# copies of the frame being converted (the source frame, its canonical form, the encoded
# frame and the decoded check), so a frame must fit in a quarter of it, less what Pyodide,
# numpy and pydicom take themselves.
_WASM_MAX_BYTES = 4 * 1024**3
_FRAME_COPIES = 5
#: Larger single frames are refused by the page (``Limits.max_frame_bytes``), with that reason.
BROWSER_MAX_FRAME_BYTES = _WASM_MAX_BYTES // _FRAME_COPIES
#: Small files are read whole (faster: see ``STREAM_FROM_BYTES`` in web/worker.js); the page
#: converts them side by side while their sizes together stay within this budget.
BROWSER_MEMORY_BUDGET_BYTES = _WASM_MAX_BYTES // 5

#: What can happen to one input, in the order summaries count them.
STATUSES = ("converted", "copied", "kept", "up to date", "skipped", "failed")
#: Error codes (:attr:`dicompress.errors.ConversionError.code`) of DICOM files that are
#: copied unchanged rather than failed: there is nothing in them to convert.
COPIED_CODES = ("no-pixel-data",)
#: Error codes of valid DICOM files that cannot be converted here, *kept* unchanged rather
#: than failed (``--strict`` and the page's option fail them): pixels the target cannot
#: hold, a transfer syntax nothing here decodes (video, JPIP...), an image nothing here writes.
KEPT_CODES = ("float-pixel-data", "bit-packed-pixel-data", "already-compressed", "unsupported")


def unconverted_status(code: str, *, strict: bool = False) -> str:
    """Return what becomes of a DICOM file whose conversion raised error `code`.

    Parameters
    ----------
    code : str
        The error's :attr:`~dicompress.errors.ConversionError.code`.
    strict : bool, optional
        Whether every file with pixels must be converted (``--strict``): kept files fail.

    Returns
    -------
    str
        ``"copied"`` (:data:`COPIED_CODES`), ``"kept"`` (:data:`KEPT_CODES`) or ``"failed"``.

    Examples
    --------
    >>> unconverted_status("float-pixel-data"), unconverted_status("float-pixel-data", strict=True)
    ('kept', 'failed')
    """
    if code in COPIED_CODES:
        return "copied"
    if code in KEPT_CODES and not strict:
        return "kept"
    return "failed"

#: Where the page cannot convert a file, this is what a person can do instead.
CLI_ADVICE = "use the dicompress command line on your computer instead: dicompress FILE -o OUT/"

#: One-line messages; ``{name}`` fields are filled in by whoever shows them.
MESSAGES = {
    "cli_advice": CLI_ADVICE,
    "not_dicom": NO_DICM_MARKER,
    "out_of_memory": f"Not enough memory to convert this file in the browser; {CLI_ADVICE}",
    "preview_out_of_memory": "Not enough memory for a preview of this file.",
    "unexpected": "Unexpected error ({error}); the file was not converted.",
    "preview_unexpected": "No preview ({error}).",
    "unreadable": "the file could not be read ({error})",
    "unreadable_memory": f"the file could not be read into this tab's memory ({{error}}); {CLI_ADVICE}",
    "frame_too_large": (
        "A single frame of this file is too large for the browser: {size}, and a browser tab can convert "
        "frames up to about {limit} (Python in WebAssembly has 4 GB of memory at most). "
        f"{CLI_ADVICE[0].upper()}{CLI_ADVICE[1:]}"
    ),
    "storage_full": (
        f"the browser's storage for this site is full, so the result could not be written; {CLI_ADVICE}"
    ),
    "browser_dicomdir_left_out": (
        "DICOMDIR left out: it would name the old transfer syntax of the files converted; the dicompress "
        "command line rewrites it: dicompress FOLDER -o OUT/"
    ),
    "browser_target_missing": (
        "The page cannot write the greyed-out targets yet; the dicompress command line does: "
        'pip install "dicompress[codecs]", then dicompress FILE -o OUT/ --syntax {names}'
    ),
    "browser_decoder_missing": (
        "{syntax} files cannot be converted in the browser; use the dicompress command line on your "
        'computer instead: pip install "dicompress[codecs]", then dicompress FILE -o OUT/'
    ),
    "copied": "no Pixel Data: copied unchanged",
    "kept": "kept unchanged: {reason}",
    "dicomdir_updated": "DICOMDIR: copied, with the new transfer syntax of the {count} files converted",
    "dicomdir_left_out": "DICOMDIR left out: it lists {file}, which {fate}",
    "killed_workers": (
        "the Dask workers that took this file kept dying (out of memory, or a decoder that aborted); "
        "it was left out and the other files went on"
    ),
    "converter_restarted": (
        "Not converted: {error}. The converter was restarted for the other files; "
        f"if this file is very large, {CLI_ADVICE}"
    ),
}


def target_names() -> list[str]:
    """Return the names of the targets, the default first."""
    return [t.name for t in TARGETS]


def target(name: str) -> Target:
    """Return the target called `name` (one of :func:`target_names`)."""
    return next(t for t in TARGETS if t.name == name)


def packing_names() -> list[str]:
    """Return the names of the RLE packings, the default first."""
    return [p.name for p in PACKINGS]


def message(key: str, **fields: object) -> str:
    """Return the message `key` of :data:`MESSAGES` with `fields` filled in, on one line."""
    return one_line(MESSAGES[key].format(**fields))


def size_text(count: int) -> str:
    """Return a byte count for people, as the page writes sizes (web/format.js): ``"1.07 GB"``, ``"291.7 kB"``."""
    value, unit = float(count), "bytes"
    for bigger in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{count} bytes" if unit == "bytes" else f"{value:.{2 if value < 10 else 1}f} {unit}"


def one_line(text: str, fallback: str = "The file could not be converted.") -> str:
    """Return `text` with every run of white space (newlines included) as one space."""
    return " ".join(text.split()) or fallback


#: Warnings meant for developers, not about the file: never shown on a file's line.
_FOR_DEVELOPERS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@contextmanager
def file_warnings() -> Iterator[list[str]]:
    """Collect the warnings raised meanwhile about one file, to show once on its line.

    Yields a list that is filled, as the block ends, with each warning's message on one
    line, once each, in order (pydicom's, say; not deprecations, which are for developers).
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield notes
    about_the_file = (w for w in caught if not issubclass(w.category, _FOR_DEVELOPERS))
    notes.extend(dict.fromkeys(one_line(str(w.message)) for w in about_the_file))


def skip_reason(head: bytes, *, in_folder: bool) -> str | None:
    """Return why an input is skipped, or ``None`` if it is to be converted (and may fail).

    Parameters
    ----------
    head : bytes
        The file's first :data:`HEAD_BYTES` bytes (or all of it).
    in_folder : bool
        Whether the file was found while walking a folder, rather than named or added.
    """
    if in_folder and head[128:HEAD_BYTES] != b"DICM":
        return NO_DICM_MARKER
    return None


def is_clutter(name: str) -> bool:
    """Return whether a file name is operating-system clutter, left out of folder walks."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return base in CLUTTER_NAMES or base.startswith(CLUTTER_PREFIXES)


class OutputNames:
    """Hands out output names by the rule of this module, in input order.

    Examples
    --------
    >>> names = OutputNames()
    >>> [names.take(n) for n in ["a/x.dcm", "b/x.dcm", "a/X.dcm", "IM1", "IM1"]]
    ['a/x.dcm', 'b/x.dcm', 'a/X (2).dcm', 'IM1', 'IM1 (2)']
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def reserve(self, name: str) -> None:
        """Keep `name` from being handed out (e.g. an input's own place in the output folder).

        Examples
        --------
        >>> names = OutputNames()
        >>> names.reserve("x.dcm")
        >>> names.take("x.dcm")
        'x (2).dcm'
        """
        self._taken.add(name.casefold())

    def take(self, name: str) -> str:
        """Return `name`, or `name` with `` (2)``, `` (3)``... before its suffix, not yet handed out.

        A numbered name is kept within :data:`MAX_NAME_BYTES` like :func:`safe_name` keeps it.
        """
        path = PurePosixPath(name)
        candidate, number = name, 1
        while candidate.casefold() in self._taken:
            number += 1
            candidate = str(path.with_name(_fitted(path.stem, f" ({number}){path.suffix}")))
        self._taken.add(candidate.casefold())
        return candidate


def output_names(paths: Iterable[str]) -> list[str]:
    """Return the output name of each input path (relative, as the page knows them), in order.

    Each path is first made a safe relative name (see :func:`safe_name`).
    """
    names = OutputNames()
    return [names.take(safe_name(path)) for path in paths]


def safe_name(path: str) -> str:
    r"""Return `path` as a relative ``/``-separated name that is safe in a folder or a ZIP.

    ``\`` separates like ``/``; a drive prefix (``C:``), NUL and other control characters
    are dropped, then empty, ``.`` and ``..`` parts; a part longer than
    :data:`MAX_NAME_BYTES` in UTF-8 is cut at its end, before its suffix.

    Examples
    --------
    >>> safe_name("C:\\Users\\me\\..\\a\x00.dcm")
    'Users/me/a.dcm'
    """
    path = _DRIVE.sub("", path.replace("\\", "/"))
    parts = [_CONTROL.sub("", part) for part in path.split("/")]
    return "/".join(_fitted_part(part) for part in parts if part not in ("", ".", "..")) or "file.dcm"


def _fitted_part(part: str) -> str:
    """Return one part of a name cut to :data:`MAX_NAME_BYTES`, its suffix kept."""
    if len(part.encode("utf-8")) <= MAX_NAME_BYTES:
        return part
    path = PurePosixPath(part)
    suffix = path.suffix if len(path.suffix.encode("utf-8")) <= _MAX_SUFFIX_BYTES else ""
    return _fitted(part[: len(part) - len(suffix)], suffix)


def _fitted(stem: str, tail: str) -> str:
    """Return `stem` + `tail`, `stem` cut (at a character) so that the whole fits :data:`MAX_NAME_BYTES`."""
    room = MAX_NAME_BYTES - len(tail.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore") + tail
