"""The numpy codec inside Pyodide: wasm32, numpy 2.0.2, a 32-bit ``np.intp``, as in the browser.

One Node process (``tests/pyodide/run_checks.mjs``) runs the pinned Pyodide with its
official numpy wheel and the pinned pydicom wheel (both from ``scripts/build.py``:
sha256-checked numpy, PyPI pydicom), mounts the working tree's ``py/`` and runs
``tests/pyodide/checks.py`` on frames this module prepares with CPython. In Pyodide:

* ``packing="pydicom"`` is byte-identical to pydicom's own RLE plugin run in Pyodide and
  to the stream CPython's pydicom writes;
* ``packing="compact"`` writes what it writes on CPython;
* our streams, DCMTK's (``dcmcrle``) and pylibjpeg-rle's decode to the source pixels;
* corrupt streams raise the same :class:`~dicompress.rle.RLEError`, with the same
  message, as on CPython (and an overrunning segment is cut with the same warning);
* the file service converts 1-bit and float images to Explicit VR Little Endian and
  Deflated byte for byte as on CPython, to the source pixels, and refuses them for RLE
  Lossless with the same error code (the page then keeps them unchanged);
* the page's adapter (``dicompress.browser.convert`` with its preview) gives the files, details
  and thumbnails it gives on CPython, grey values on both sides of 0 and sampled colour included.

Streams longer than the decoder's small-frame threshold (24576 bytes) take its numpy
path; the cases reach it at 1, 2 and 4 bytes per sample. Nothing here is skipped: a
missing Node, wheel or peer fails with what to install.
"""

import importlib.util
import json
import shutil
import struct
import subprocess
from collections.abc import Callable
from io import BytesIO
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames

from tests import corpus, peers
from tests.dicom_files import with_elements_after_pixel_data
from tests.kept_files import float_image, mpeg2_video, one_bit
from tests.pyodide import checks
from tests.test_rle import corpus_frames, planar_little_endian

pytestmark = pytest.mark.wasm32

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "pyodide" / "run_checks.mjs"
#: Seconds the Node process may take (it needs about 30 on this 2-core machine).
TIMEOUT_S = 240
#: The decoder's small-frame threshold: longer streams take its numpy path.
SMALL_FRAME = 24576
ADVICE = "`npm test` (or `bash scripts/setup.sh test`) installs everything these tests need"

#: Corpus images encoded in Pyodide (every frame).
ENCODE_IMAGES = [
    "CT_small.dcm",  # 16-bit, 32 kB frame
    "MR_small.dcm",  # 16-bit, 8 kB frame
    "MR2_UNCR.dcm",  # 16-bit, 2 MB
    "RG1_UNCR.dcm",  # 16-bit, 7 MB: the main workload
    "US1_UNCR.dcm",  # RGB ultrasound
    "SC_rgb.dcm",
    "SC_rgb_16bit.dcm",
    "SC_rgb_32bit_2frame.dcm",  # 32-bit RGB: 12 segments
    "SC_rgb_expb_32bit.dcm",  # big endian
    "SC_rgb_small_odd.dcm",  # 3 x 3
    "rtdose.dcm",  # 32-bit, 15 frames
    "color-pl.dcm",  # Planar Configuration 1
]
#: Corpus images widened to 32 bits per sample (every byte of a sample varies): the
#: corpus has no 32-bit frame whose stream is long enough for the numpy decoder.
WIDENED = {
    "CT_small.dcm as 32-bit big endian": ("CT_small.dcm", ">"),
    "US1_UNCR.dcm as 32-bit": ("US1_UNCR.dcm", "<"),
}
ENCODE_CASES = ENCODE_IMAGES + list(WIDENED)


def _testdata(name: str) -> Callable[[], tuple[bytes, np.ndarray | None]]:
    """Return a maker of pydicom's test file `name` and its pixels."""
    return lambda: (Path(get_testdata_file(name)).read_bytes(), dcmread(get_testdata_file(name)).pixel_array)


def _float(keyword: str, big_endian: bool) -> Callable[[], tuple[bytes, np.ndarray | None]]:
    """Return a maker of a float image and its pixels."""
    def make() -> tuple[bytes, np.ndarray | None]:
        data = float_image(keyword, big_endian=big_endian)
        return data, dcmread(BytesIO(data)).pixel_array
    return make


def _shifted(name: str, shift: int) -> bytes:
    """Return signed 16-bit test file `name` with `shift` added to every pixel value."""
    from tests.dicom_files import rewritten

    def change(ds: Any) -> None:
        ds.PixelData = (ds.pixel_array.astype(np.int16) + shift).tobytes()

    return rewritten(name, change)


#: Whole files the service converts in Pyodide: (maker of the file and its pixels, target).
CONVERT_CASES: dict[str, tuple[Callable[[], tuple[bytes, np.ndarray | None]], str]] = {
    "liver.dcm to explicit": (_testdata("liver.dcm"), "explicit"),
    "liver_expb.dcm to deflate": (_testdata("liver_expb.dcm"), "deflate"),
    "1-bit 7 x 5 x 3 to explicit": (lambda: one_bit(7, 5, 3), "explicit"),
    "1-bit 7 x 5 x 3 big endian OW to explicit": (lambda: one_bit(7, 5, 3, big_endian=True, vr="OW"), "explicit"),
    "float to explicit": (_float("FloatPixelData", False), "explicit"),
    "double float big endian to deflate": (_float("DoubleFloatPixelData", True), "deflate"),
    "liver.dcm to rle": (_testdata("liver.dcm"), "rle"),
    "float to rle": (_float("FloatPixelData", False), "rle"),
    "MPEG-2 video to explicit": (lambda: (mpeg2_video(), None), "explicit"),
}
#: Files the service converts in Pyodide with convert_file, from a reader that only reads, seeks and
#: tells (as the page's reader over a Blob) into BytesIO; expected: CPython's convert() bytes.
STREAMED_CASES: dict[str, tuple[Callable[[], tuple[bytes, np.ndarray | None]], str]] = {
    "rtdose.dcm (15 frames) to rle, streamed": (_testdata("rtdose.dcm"), "rle"),
    "rtdose.dcm (15 frames) to explicit, streamed": (_testdata("rtdose.dcm"), "explicit"),
    "emri_small_RLE.dcm (10 RLE frames) to explicit, streamed": (_testdata("emri_small_RLE.dcm"), "explicit"),
    "SC_rgb_expb_16bit.dcm to rle, streamed": (_testdata("SC_rgb_expb_16bit.dcm"), "rle"),
    "elements after Pixel Data to rle, streamed": (
        lambda: (with_elements_after_pixel_data("CT_small.dcm"), None), "rle"),
    "elements after Pixel Data to explicit, streamed": (
        lambda: (with_elements_after_pixel_data("CT_small.dcm"), None), "explicit"),
    "elements after Pixel Data to deflate, streamed": (
        lambda: (with_elements_after_pixel_data("CT_small.dcm"), None), "deflate"),
}
#: Files the page's adapter converts in Pyodide with its preview (details, thumbnail); expected:
#: what it gives on CPython.
PAGE_CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "CT_small.dcm to rle": (lambda: _testdata("CT_small.dcm")()[0], "rle"),
    "CT_small.dcm with negative values to rle": (lambda: _shifted("CT_small.dcm", -1500), "rle"),
    "CT_small.dcm with values below 0 only to rle": (lambda: _shifted("CT_small.dcm", -3000), "rle"),
    "MR_small.dcm to rle": (lambda: _testdata("MR_small.dcm")()[0], "rle"),
    "SC_rgb_small_odd.dcm to rle": (lambda: _testdata("SC_rgb_small_odd.dcm")()[0], "rle"),
    "US1_UNCR.dcm (RGB, sampled) to rle": (lambda: _testdata("US1_UNCR.dcm")()[0], "rle"),
    "float to rle (kept)": (lambda: _float("FloatPixelData", False)()[0], "rle"),
}
#: What the peers encode: DCMTK needs a file, pylibjpeg-rle takes any frame.
DCMCRLE_CASES = ENCODE_IMAGES
PYLIBJPEG_CASES = ENCODE_CASES


def _set_offset(index: int, value: Callable[[bytes], int]) -> Callable[[bytes], bytes]:
    """Return a corruption that sets segment offset `index` (``-1``: the last) to ``value(stream)``."""

    def corrupt(stream: bytes) -> bytes:
        count = struct.unpack_from("<L", stream)[0]
        header = bytearray(stream[:64])
        struct.pack_into("<L", header, 4 + 4 * (index % count), value(stream))
        return bytes(header) + stream[64:]

    return corrupt


def _swap_first_offsets(stream: bytes) -> bytes:
    first, second = struct.unpack_from("<2L", stream, 4)
    return stream[:4] + struct.pack("<2L", second, first) + stream[12:]


def _cut_last_segment(keep: Callable[[int], int]) -> Callable[[bytes], bytes]:
    """Return a corruption that keeps ``keep(length)`` bytes of the last segment."""

    def corrupt(stream: bytes) -> bytes:
        count, *offsets = struct.unpack_from("<16L", stream)
        last = offsets[count - 1]
        return stream[: last + keep(len(stream) - last)]

    return corrupt


def _flip_mid_first_segment(stream: bytes) -> bytes:
    """Flip the top bit of the middle byte of segment 1 (a literal byte becomes a control, or the reverse)."""
    first, second = struct.unpack_from("<2L", stream, 4)
    data = bytearray(stream)
    data[(first + second) // 2] ^= 0x80
    return bytes(data)


#: name -> corruption of a valid stream with at least two segments.
CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "header cut short": lambda s: s[:40],
    "16 segments": lambda s: struct.pack("<L", 16) + s[4:],
    "one segment too few": lambda s: struct.pack("<L", struct.unpack_from("<L", s)[0] - 1) + s[4:],
    "offset inside the header": _set_offset(0, lambda s: 32),
    "offset beyond the end": _set_offset(-1, lambda s: len(s) + 2),
    "offsets out of order": _swap_first_offsets,
    "truncated segment": _cut_last_segment(lambda length: length // 2),
    "segment of 2 bytes": _cut_last_segment(lambda length: 2),
    "byte flipped mid-segment": _flip_mid_first_segment,
}
#: A segment that decodes to 128 bytes more than the frame needs: cut, with a warning.
OVERRUN = ("segment overrun", lambda s: s + b"\x7f" + bytes(range(128)))
#: Valid streams to corrupt: one for the run-by-run decoder, one for the numpy decoder.
CORRUPT_SOURCES = ["MR_small.dcm", "CT_small.dcm as 32-bit big endian"]
CORRUPT_CASES = [f"{source}: {name}" for source in CORRUPT_SOURCES for name in CORRUPTIONS]
OVERRUN_CASES = [f"{source}: {OVERRUN[0]}" for source in CORRUPT_SOURCES]


# --- the frames -----------------------------------------------------------------------


@dataclass
class Frames:
    """One image's frames as stored, with their geometry (as ``checks`` takes it)."""

    geometry: dict[str, Any]
    frames: list[bytes]

    @property
    def layout(self) -> tuple:
        """(rows, columns, spp, bps, byteorder, planar), as ``tests.test_rle`` takes it."""
        g = self.geometry
        return (g["rows"], g["columns"], g["samples_per_pixel"], g["bytes_per_sample"], g["byteorder"],
                g["planar_configuration"])

    def pixels(self, frame: bytes) -> bytes:
        """What a decoder returns for `frame`: little-endian samples, one plane per sample."""
        return planar_little_endian(frame, *self.layout)

    def interleaved(self, frame: bytes) -> bytes:
        """`frame` as little-endian interleaved samples (what pydicom's and pylibjpeg's encoders take)."""
        rows, columns, spp, bps, order, planar = self.layout
        samples = np.frombuffer(frame, dtype=f"{order}u{bps}")
        shape = (spp, rows, columns) if planar else (rows, columns, spp)
        samples = samples.reshape(shape)
        if planar:
            samples = samples.transpose(1, 2, 0)
        return samples.astype(f"<u{bps}").tobytes()


def image_frames(name: str) -> Frames:
    """Return the frames of the uncompressed corpus image `name`."""
    (rows, columns, spp, bps, order, planar), frames = corpus_frames(name)
    geometry = dict(rows=rows, columns=columns, samples_per_pixel=spp, bytes_per_sample=bps, byteorder=order,
                    planar_configuration=planar)
    return Frames(geometry, frames)


def widened_frames(name: str, byteorder: str) -> Frames:
    """Return the frames of `name` as 32-bit samples in `byteorder`, each value repeated across the bytes."""
    source = image_frames(name)
    bps = source.geometry["bytes_per_sample"]
    spread = {1: 0x01010101, 2: 0x00010001}[bps]
    frames = [
        (np.frombuffer(f, dtype=f"{source.geometry['byteorder']}u{bps}").astype(np.uint32) * np.uint32(spread))
        .astype(f"{byteorder}u4")
        .tobytes()
        for f in source.frames
    ]
    return Frames({**source.geometry, "bytes_per_sample": 4, "byteorder": byteorder}, frames)


@cache
def case_frames(case: str) -> Frames:
    """Return the frames of an encode case (a corpus image or a widened one)."""
    return widened_frames(*WIDENED[case]) if case in WIDENED else image_frames(case)


# --- the case folder ------------------------------------------------------------------


@dataclass
class Cases:
    """The case folder's manifest and what CPython expects of each case."""

    folder: Path
    manifest: dict[str, list[dict[str, Any]]]
    expected: dict[str, dict[str, Any]]

    def write(self, relative: str, data: bytes) -> str:
        """Write `data` to `relative` inside the folder; return `relative`."""
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return relative

    def add(self, section: str, case: str, entry: dict[str, Any], expected: Any) -> None:
        """Add `case` to `section` of the manifest with its expectation."""
        self.manifest[section].append({"case": case, **entry})
        self.expected[section][case] = expected


def _decoded(pixels: bytes) -> dict[str, Any]:
    """The outcome of a clean decode to `pixels`."""
    return {"error": None, "message": None, "output": checks.digest(pixels), "warnings": []}


def add_encode_case(cases: Cases, case: str) -> None:
    """Add the frames of `case`; expect CPython pydicom's stream, CPython's compact stream and the pixels."""
    item = case_frames(case)
    index = len(cases.manifest["encode"])
    frames, expected = [], []
    for n, frame in enumerate(item.frames):
        raw = cases.write(f"encode/{index}/{n}.raw", frame)
        interleaved = item.interleaved(frame)
        le = raw if interleaved == frame else cases.write(f"encode/{index}/{n}.le", interleaved)
        frames.append({"raw": raw, "le": le})
        expected.append(
            {
                "pydicom": checks.digest(checks.pydicom_encode(interleaved, item.geometry)),
                "compact": checks.digest(checks.encode_frame(frame, item.geometry, "compact")),
                "pixels": checks.digest(item.pixels(frame)),
            }
        )
    cases.add("encode", case, {"geometry": item.geometry, "frames": frames}, expected)


def add_peer_case(cases: Cases, peer: str, case: str, streams: list[bytes]) -> None:
    """Add a peer's `streams` of `case`; expect each to decode to the source pixels."""
    item = case_frames(case)
    assert len(streams) == len(item.frames), f"{peer} wrote {len(streams)} frames of {case}"
    index = len(cases.manifest["decode"])
    paths = [cases.write(f"decode/{index}/{n}.rle", s) for n, s in enumerate(streams)]
    cases.add("decode", f"{peer} {case}", {"geometry": item.geometry, "frames": paths},
              [_decoded(item.pixels(frame)) for frame in item.frames])


def dcmcrle_streams(case: str, folder: Path) -> list[bytes]:
    """Return the frames DCMTK's ``dcmcrle`` writes for the corpus image `case`."""
    out = peers.dcmcrle(corpus.path(case), folder / f"dcmcrle-{case}")
    return list(generate_frames(dcmread(out).PixelData, number_of_frames=corpus.image(case).frames))


def pylibjpeg_streams(case: str) -> list[bytes]:
    """Return the frames pylibjpeg-rle writes for `case`."""
    from rle.utils import encode_pixel_data  # pylibjpeg-rle

    item = case_frames(case)
    g = item.geometry
    return [
        encode_pixel_data(item.interleaved(f), rows=g["rows"], columns=g["columns"],
                          samples_per_pixel=g["samples_per_pixel"], bits_allocated=8 * g["bytes_per_sample"],
                          byteorder="<")
        for f in item.frames
    ]


def add_corrupt_cases(cases: Cases) -> None:
    """Add every corruption of every corrupt source; expect what CPython's decoder does with it."""
    for source in CORRUPT_SOURCES:
        item = case_frames(source)
        stream = checks.pydicom_encode(item.interleaved(item.frames[0]), item.geometry)
        for name, corrupt in [*CORRUPTIONS.items(), OVERRUN]:
            case = f"{source}: {name}"
            broken = corrupt(stream)
            frame = cases.write(f"corrupt/{len(cases.manifest['corrupt'])}.rle", broken)
            cases.add("corrupt", case, {"geometry": item.geometry, "frame": frame},
                      {**checks.decode_outcome(broken, item.geometry), "stream_length": len(broken)})


def _little_endian(pixels: np.ndarray) -> bytes:
    """Return the bytes of `pixels` little endian (a big-endian source's pixel_array is big endian)."""
    return pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()


def add_convert_cases(cases: Cases) -> None:
    """Add whole files to convert; expect CPython's outcome, and the source pixels where pixels are given."""
    for number, (case, (make, target)) in enumerate(CONVERT_CASES.items()):
        data, pixels = make()
        expected = {**checks.convert_outcome(data, target),
                    "source_pixels": None if pixels is None else checks.digest(_little_endian(pixels))}
        cases.add("convert", case, {"file": cases.write(f"convert/{number}.dcm", data), "target": target}, expected)
    for number, (case, (make, target)) in enumerate(STREAMED_CASES.items()):
        data, _ = make()
        entry = {"file": cases.write(f"convert/streamed-{number}.dcm", data), "target": target, "streamed": True}
        cases.add("convert", case, entry, checks.convert_outcome(data, target))


def add_page_cases(cases: Cases) -> None:
    """Add whole files for the page's adapter; expect what it gives on CPython."""
    for number, (case, (make, target)) in enumerate(PAGE_CASES.items()):
        data = make()
        cases.add("page", case, {"file": cases.write(f"page/{number}.dcm", data), "target": target},
                  checks.page_outcome(data, target))


def prepare_cases(folder: Path) -> Cases:
    """Write every case into `folder` (with ``manifest.json``) and return it with CPython's expectations."""
    cases = Cases(folder, {"encode": [], "decode": [], "corrupt": [], "convert": [], "page": []},
                  {"encode": {}, "decode": {}, "corrupt": {}, "convert": {}, "page": {}})
    for case in ENCODE_CASES:
        add_encode_case(cases, case)
    for case in DCMCRLE_CASES:
        add_peer_case(cases, "dcmcrle", case, dcmcrle_streams(case, folder))
    for case in PYLIBJPEG_CASES:
        add_peer_case(cases, "pylibjpeg-rle", case, pylibjpeg_streams(case))
    add_corrupt_cases(cases)
    add_convert_cases(cases)
    add_page_cases(cases)
    (folder / "manifest.json").write_text(json.dumps(cases.manifest))
    return cases


# --- the Node run ---------------------------------------------------------------------


def build_script() -> ModuleType:
    """Return ``scripts/build.py`` as a module (not named ``build``: pypa's build is installed)."""
    spec = importlib.util.spec_from_file_location("dicompress_build_script", ROOT / "scripts" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wheels(out: Path) -> tuple[Path, Path]:
    """Return (numpy, pydicom): Pyodide's official numpy (sha256-checked) and the pinned pydicom wheel."""
    build = build_script()
    try:
        entries = build.lock_entries(("numpy",))
        (out / "pyodide").mkdir(parents=True)
        build.copy_pyodide_packages(entries, out, None)
        pydicom_wheel = build.download_pydicom(build.pinned_pydicom())
    except SystemExit as exc:  # the build's one-line reason
        pytest.fail(f"cannot get the wheels for Pyodide: {exc}; {ADVICE}")
    return out / "pyodide" / entries["numpy"]["file_name"], pydicom_wheel


def require_tools() -> str:
    """Return the path of ``node``; fail (never skip) when it or a peer is missing."""
    node = shutil.which("node")
    missing = [] if node else ["node"]
    missing += peers.dcmtk_missing()
    if not peers.pylibjpeg_rle_available():
        missing.append("pylibjpeg-rle")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}; {ADVICE}")
    return node


def run_in_pyodide(node: str, numpy_wheel: Path, pydicom_wheel: Path, cases: Path) -> dict[str, Any]:
    """Run the checks in Pyodide on the folder `cases`; return their results."""
    args = [node, str(RUNNER), "--numpy", str(numpy_wheel), "--pydicom", str(pydicom_wheel),
            "--py", str(ROOT / "py"), "--cases", str(cases)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the checks in Pyodide did not finish in {TIMEOUT_S} s")
    if done.returncode:
        pytest.fail(f"the checks in Pyodide failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


@dataclass
class Run:
    """What Pyodide reported and what CPython expects."""

    results: dict[str, Any]
    expected: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def wasm32(tmp_path_factory) -> Run:
    """Prepare the cases with CPython, run the checks once in Pyodide; return both sides."""
    node = require_tools()
    folder = tmp_path_factory.mktemp("wasm32")
    numpy_wheel, pydicom_wheel = wheels(folder / "dist")
    cases = prepare_cases(folder / "cases")
    return Run(run_in_pyodide(node, numpy_wheel, pydicom_wheel, cases.folder), cases.expected)


def _field(frames: list[dict[str, Any]], key: str) -> list[Any]:
    return [frame[key] for frame in frames]


# --- the interpreter --------------------------------------------------------------------


def test_checks_run_on_wasm32_with_a_32_bit_intp_and_numpy_2_0_2(wasm32):
    env = wasm32.results["environment"]
    assert (env["platform"], env["machine"], env["intp_bytes"]) == ("emscripten", "wasm32", 4)
    assert (env["python"].rsplit(".", 1)[0], env["numpy"]) == ("3.12", "2.0.2")


def test_pyodide_has_the_pinned_pydicom(wasm32):
    assert wasm32.results["environment"]["pydicom"] == build_script().pinned_pydicom()


def test_dicompress_is_the_working_tree_source(wasm32):
    assert wasm32.results["environment"]["dicompress"] == "/mnt/py/dicompress"


@pytest.mark.parametrize("bytes_per_sample", [1, 2, 4])
def test_streams_long_enough_for_the_numpy_decoder_are_checked(wasm32, bytes_per_sample):
    longest = max(
        frame["ours"]["length"]
        for case, frames in wasm32.results["encode"].items()
        if case_frames(case).geometry["bytes_per_sample"] == bytes_per_sample
        for frame in frames
    )
    assert longest > SMALL_FRAME


# --- encoding ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", ENCODE_CASES)
def test_default_packing_is_byte_identical_to_pydicom_in_pyodide(wasm32, case):
    frames = wasm32.results["encode"][case]
    assert _field(frames, "ours") == _field(frames, "pydicom")


@pytest.mark.parametrize("case", ENCODE_CASES)
def test_default_packing_in_pyodide_is_what_pydicom_writes_on_cpython(wasm32, case):
    assert _field(wasm32.results["encode"][case], "ours") == _field(wasm32.expected["encode"][case], "pydicom")


@pytest.mark.parametrize("case", ENCODE_CASES)
def test_compact_packing_in_pyodide_is_what_it_is_on_cpython(wasm32, case):
    assert _field(wasm32.results["encode"][case], "compact") == _field(wasm32.expected["encode"][case], "compact")


@pytest.mark.parametrize("case", ENCODE_CASES)
def test_default_stream_decodes_to_the_source_pixels_in_pyodide(wasm32, case):
    assert _field(wasm32.results["encode"][case], "ours_decoded") == _field(wasm32.expected["encode"][case], "pixels")


@pytest.mark.parametrize("case", ENCODE_CASES)
def test_compact_stream_decodes_to_the_source_pixels_in_pyodide(wasm32, case):
    assert _field(wasm32.results["encode"][case], "compact_decoded") == _field(
        wasm32.expected["encode"][case], "pixels"
    )


# --- decoding the peers' streams ---------------------------------------------------------


@pytest.mark.parametrize("case", DCMCRLE_CASES)
def test_dcmcrle_stream_decodes_to_the_source_pixels_in_pyodide(wasm32, case):
    name = f"dcmcrle {case}"
    assert wasm32.results["decode"][name] == wasm32.expected["decode"][name]


@pytest.mark.parametrize("case", PYLIBJPEG_CASES)
def test_pylibjpeg_rle_stream_decodes_to_the_source_pixels_in_pyodide(wasm32, case):
    name = f"pylibjpeg-rle {case}"
    assert wasm32.results["decode"][name] == wasm32.expected["decode"][name]


# --- corrupt streams ---------------------------------------------------------------------


@pytest.mark.parametrize("case", CORRUPT_CASES)
def test_corrupt_stream_raises_the_same_rle_error_as_on_cpython(wasm32, case):
    expected = {k: v for k, v in wasm32.expected["corrupt"][case].items() if k != "stream_length"}
    assert expected["error"] == "RLEError"
    assert wasm32.results["corrupt"][case] == expected


@pytest.mark.parametrize("case", OVERRUN_CASES)
def test_overrunning_segment_is_cut_with_the_same_warning_as_on_cpython(wasm32, case):
    expected = {k: v for k, v in wasm32.expected["corrupt"][case].items() if k != "stream_length"}
    assert (expected["error"], len(expected["warnings"])) == (None, 1)
    assert wasm32.results["corrupt"][case] == expected


def test_the_corrupt_streams_reach_both_decoders(wasm32):
    lengths = {case: outcome["stream_length"] for case, outcome in wasm32.expected["corrupt"].items()}
    small, large = CORRUPT_SOURCES
    assert all(length <= SMALL_FRAME for case, length in lengths.items() if case.startswith(small))
    numpy_path = [case for case in lengths if case.startswith(large) and not case.endswith("header cut short")]
    assert all(lengths[case] > SMALL_FRAME for case in numpy_path)


# --- whole files through the service: 1-bit, float and video ---------------------------


@pytest.mark.parametrize("case", [case for case, (_, target) in CONVERT_CASES.items() if target != "rle"
                                  and "video" not in case])
def test_1_bit_and_float_files_convert_in_pyodide_as_on_cpython_to_the_source_pixels(wasm32, case):
    ours, expected = wasm32.results["convert"][case], wasm32.expected["convert"][case]
    assert ours["code"] is None
    assert ours == {key: value for key, value in expected.items() if key != "source_pixels"}
    assert ours["pixels"] == expected["source_pixels"]


@pytest.mark.parametrize("case", PAGE_CASES)
def test_the_page_adapter_converts_and_previews_in_pyodide_as_on_cpython(wasm32, case):
    ours, expected = wasm32.results["page"][case], wasm32.expected["page"][case]
    assert len(expected["previews"]) == 1 and expected["previews"][0]["thumbnail"] is not None
    assert ours == expected


@pytest.mark.parametrize("case, code", [
    ("liver.dcm to rle", "bit-packed-pixel-data"),
    ("float to rle", "float-pixel-data"),
    ("MPEG-2 video to explicit", "already-compressed"),
])
def test_what_the_target_cannot_hold_raises_the_same_kept_error_in_pyodide(wasm32, case, code):
    expected = {key: value for key, value in wasm32.expected["convert"][case].items() if key != "source_pixels"}
    assert expected["code"] == code
    assert wasm32.results["convert"][case] == expected


@pytest.mark.parametrize("case", list(STREAMED_CASES))
def test_convert_file_from_a_reader_in_pyodide_writes_what_convert_writes_on_cpython(wasm32, case):
    ours, expected = wasm32.results["convert"][case], wasm32.expected["convert"][case]
    assert expected["code"] is None
    assert ours == expected
