"""The page's decoders inside Pyodide: every compressed file of the corpus the codecs extra decodes.

JPEG Baseline and 8-bit Extended (libjpeg-turbo) are held within 2 per sample of DCMTK's
``dcmdjpeg`` (the codecs extra's own decoder where DCMTK cannot read the file); 12-bit JPEG
Extended, which no WebAssembly decoder of the page takes, is refused in one line.

One Node process (``tests/pyodide/run_checks.mjs --codecs``) runs the pinned Pyodide with
numpy and pydicom, registers the page's codec bridge (``web/codecs.js`` over the codec files
a real build ships in ``codecs/``) as the worker does, and runs
``tests/pyodide/codec_checks.py``. For every JPEG 2000, HTJ2K (made with OpenJPH's
``ojph_compress``), JPEG-LS and JPEG Lossless file (Process 14 with selection values
other than 1 made with DCMTK's ``dcmcjpeg +el``):

* pydicom's decoder with our plugin ``"dicompress"`` gives exactly what pydicom gives on
  CPython with the codecs extra (pylibjpeg-openjpeg, pyjpegls, pylibjpeg-libjpeg): same
  dtype, same samples. The WebAssembly builds are the same libraries (OpenJPEG, CharLS;
  JPEG Lossless is lossless by construction), so lossy sources (JPEG 2000 irreversible,
  near-lossless JPEG-LS) are held to the same exact equality, not a bound;
* :func:`dicompress.service.convert` to RLE Lossless in Pyodide writes a verified file whose
  pixels, decoded on CPython, are those same samples;
* a damaged codestream (cut short, bytes flipped, a header that disagrees with the data
  set, seeded random bytes) fails with a typed error (stable code, one line) where the
  codecs extra's decoder fails on CPython, and always when cut short or disagreeing with
  the data set; it converts where that decoder decodes it; the next file converts.
"""

import json
import random
from io import BytesIO
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate, generate_frames

from dicompress import errors
from dicompress.plugins.wasm_codecs import DECODING_FAMILIES
from tests import corpus, peers
from tests.compressed_files import DCT_SYNTAXES, decodable_images, edited, frames_of, reference_frames
from tests.htj2k_files import HTJ2K_CASES, make_htj2k
from tests.test_wasm32 import ROOT, RUNNER, TIMEOUT_S, build_script, require_tools, wheels

pytestmark = pytest.mark.wasm32

#: Corpus files whose codestreams are damaged, one per codec family (small, one frame).
DAMAGE_SOURCES = {
    "libjpeg-turbo": "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "openjpeg": "MR_small_jp2klossless.dcm",
    "charls": "MR_small_jpeg_ls_lossless.dcm",
    "jpeg-lossless": "JPGLosslessP14SV1_1s_1f_8b.dcm",
}
#: Files of syntaxes the corpus lacks, made by DCMTK's ``dcmcjpeg``: JPEG Lossless, Process 14
#: with other selection values than 1 (``+el``), and 8-bit JPEG Extended (``+ee``):
#: case -> (corpus image, dcmcjpeg's options).
PROCESS_14_CASES = {"CT_small.dcm-p14-sv6": ("CT_small.dcm", ("+el", "+sv", "6")),
                    "US1_UNCR.dcm-p14-sv4": ("US1_UNCR.dcm", ("+el", "+sv", "4"))}
EXTENDED_CASES = {"US1_UNCR.dcm-extended-8-bit": ("US1_UNCR.dcm", ("+ee",))}
#: The codes of typed errors (ConversionError's subclasses): never "unexpected".
TYPED_CODES = {
    cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ConversionError)
}
#: JPEG's DCT processes against DCMTK's ``dcmdjpeg`` (issue 16: within 2 on every JPEG file).
JPEG_MAX = 2
#: Damages that must fail whatever CPython's decoders do (pylibjpeg-libjpeg decodes a JPEG
#: cut to a third of its length without a word).
ALWAYS_FAIL = ("cut short", "header only", "rows disagree", "samples disagree")
#: Seeded random damages per source: a few bytes of the codestream set at random places.
FUZZ_SEEDS = range(8)


def corpus_cases() -> list[corpus.Image]:
    """Return the decodable corpus images whose syntax one of the page's codecs decodes (8-bit JPEG only)."""
    return [item for item in decodable_images()
            if item.transfer_syntax in DECODING_FAMILIES and not _twelve_bit_jpeg(item)]


def _twelve_bit_jpeg(item: corpus.Image) -> bool:
    return item.transfer_syntax in DCT_SYNTAXES and int(item.read().BitsStored) > 8


def refused_cases() -> list[corpus.Image]:
    """Return the 12-bit JPEG Extended images: no WebAssembly decoder of the page takes them."""
    return [item for item in decodable_images() if item.transfer_syntax in DCT_SYNTAXES and _twelve_bit_jpeg(item)]


def dcmdjpeg_frames(item_path: Path, folder: Path) -> np.ndarray | None:
    """Return every frame DCMTK's ``dcmdjpeg`` decodes from `item_path` (RGB), or None when it cannot read it."""
    try:
        out = peers.dcmdjpeg(item_path, folder / f"dcmdjpeg-{item_path.name}")
    except peers.PeerError:
        return None
    return np.stack(frames_of(dcmread(out)))


def _reframed(name: str, change) -> bytes:
    """Return corpus file `name` with its one codestream replaced by ``change(codestream)``."""

    def edit(ds):
        (frame,) = generate_frames(ds.PixelData, number_of_frames=1)
        ds.PixelData = encapsulate([change(frame)])

    return edited(name, edit)


def _flip_middle(stream: bytes) -> bytes:
    middle = len(stream) // 2
    return stream[:middle] + bytes(b ^ 0xFF for b in stream[middle : middle + 16]) + stream[middle + 16 :]


def _other_samples(ds) -> None:
    """Say 1 sample per pixel where there are 3, and 3 where there is 1."""
    if ds.SamplesPerPixel == 3:
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        del ds.PlanarConfiguration
    else:
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0


def _fuzz(seed: int):
    def change(stream: bytes) -> bytes:
        rng = random.Random(seed)
        data = bytearray(stream)
        for _ in range(4):
            data[rng.randrange(2, len(data))] = rng.randrange(256)
        return bytes(data)

    return change


def damaged_files() -> dict[str, bytes]:
    """Return case -> the bytes of a damaged file."""
    files = {}
    for family, name in DAMAGE_SOURCES.items():
        files[f"{family}: cut short"] = _reframed(name, lambda s: s[: len(s) // 3])
        files[f"{family}: 16 bytes flipped"] = _reframed(name, _flip_middle)
        files[f"{family}: header only"] = _reframed(name, lambda s: s[:40])
        files[f"{family}: rows disagree"] = edited(name, lambda ds: setattr(ds, "Rows", ds.Rows + 3))
        files[f"{family}: samples disagree"] = edited(name, _other_samples)
        for seed in FUZZ_SEEDS:
            files[f"{family}: random bytes {seed}"] = _reframed(name, _fuzz(seed))
    return files


def cpython_fails(data: bytes) -> bool:
    """Return whether the codecs extra's decoder fails on `data` on CPython.

    Only the reference plugin decodes (in-process GDCM, which the service would also try,
    can abort the interpreter on such data).
    """
    try:
        ds = dcmread(BytesIO(data))
        reference_frames(ds)
    except Exception:  # any failure of the reference decoder
        return True
    return False


@cache
def prepared(folder: Path) -> dict[str, Any]:
    """Write every case into `folder` with ``manifest.json``; return CPython's expectations."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list] = {"decode": [], "convert": [], "damaged": [], "refused": []}
    expected: dict[str, Any] = {"files": {}, "damaged": {}}
    sources = {item.name: item.path.read_bytes() for item in corpus_cases()}
    htj2k = folder / "htj2k"
    htj2k.mkdir()
    for case in HTJ2K_CASES:
        sources[case] = make_htj2k(case, htj2k)[1]
    for case, (name, options) in {**PROCESS_14_CASES, **EXTENDED_CASES}.items():
        sources[case] = peers.dcmcjpeg(corpus.path(name), htj2k / f"{case}.dcm", *options).read_bytes()
    for index, (case, data) in enumerate(sources.items()):
        name = f"{index}.dcm"
        (folder / name).write_bytes(data)
        manifest["decode"].append({"case": case, "file": name, "frames": f"{index}.npy"})
        manifest["convert"].append({"case": case, "file": name, "target": "rle", "output": f"{index}.rle.dcm"})
        expected["files"][case] = name
    for index, (case, data) in enumerate(damaged_files().items()):
        name = f"damaged-{index}.dcm"
        (folder / name).write_bytes(data)
        family = case.split(":")[0]
        then = expected["files"][DAMAGE_SOURCES[family]]
        manifest["damaged"].append({"case": case, "file": name, "then": then})
        expected["damaged"][case] = cpython_fails(data)
    for index, item in enumerate(refused_cases()):
        name = f"refused-{index}.dcm"
        (folder / name).write_bytes(item.path.read_bytes())
        manifest["refused"].append({"case": item.name, "file": name, "then": expected["files"]["CT_small.dcm-p14-sv6"]})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return expected


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """Build the codecs, prepare the cases, run them in Pyodide; return (results, expected, folder)."""
    node = require_tools()
    peers.require_tools("ojph_compress", "dcmcjpeg", "dcmdjpeg")
    base = tmp_path_factory.mktemp("wasm_codecs")
    numpy_wheel, pydicom_wheel = wheels(base / "dist")
    build = build_script()
    codecs = build.copy_codecs(base / "dist")
    (base / "dist" / "manifest.json").write_text(json.dumps({"codecs": codecs}))
    folder = base / "cases"
    expected = prepared(folder)
    args = [node, "--experimental-detect-module", "--no-warnings", str(RUNNER), "--numpy", str(numpy_wheel),
            "--pydicom", str(pydicom_wheel), "--py", str(ROOT / "py"), "--cases", str(folder),
            "--codecs", str(base / "dist")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S * 2, check=False)
    if done.returncode:
        pytest.fail(f"the codec checks in Pyodide failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout), expected, folder


ALL_CASES = [item.name for item in corpus_cases()] + list(HTJ2K_CASES) + list(PROCESS_14_CASES) + list(EXTENDED_CASES)
#: Every case but JPEG's DCT processes, whose decoders differ in rounding.
EXACT_CASES = [item.name for item in corpus_cases() if item.transfer_syntax not in DCT_SYNTAXES] + list(
    HTJ2K_CASES) + list(PROCESS_14_CASES)


def test_the_plugin_is_available_in_pyodide_for_every_syntax_the_codecs_decode(run):
    results, _, _ = run
    env = results["environment"]
    assert (env["platform"], env["machine"]) == ("emscripten", "wasm32")
    assert sorted(env["enabled"]) == sorted(DECODING_FAMILIES)


def test_every_syntax_the_codecs_decode_has_cases(run):
    _, expected, folder = run
    syntaxes = {dcmread(folder / name, stop_before_pixels=True).file_meta.TransferSyntaxUID
                for name in expected["files"].values()}
    assert syntaxes == set(DECODING_FAMILIES)


@pytest.mark.parametrize("case", list(PROCESS_14_CASES))
def test_the_process_14_files_made_here_decode_to_their_source_on_cpython(case, run):
    _, expected, folder = run
    source = corpus.image(PROCESS_14_CASES[case][0]).read().pixel_array
    assert np.array_equal(reference_frames(dcmread(folder / expected["files"][case]))[0], source)


def _decoded_in_pyodide(folder: Path, name: str) -> np.ndarray:
    return np.load(folder / f"{Path(name).stem}.npy")


@pytest.mark.parametrize("case", EXACT_CASES)
def test_pyodide_decodes_exactly_as_cpython_with_the_codecs_extra(case, run):
    results, expected, folder = run
    name = expected["files"][case]
    want = np.stack(reference_frames(dcmread(folder / name)))
    got = _decoded_in_pyodide(folder, name)
    assert results["decode"][case]["frames"] == len(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


DCT_CASES = [item.name for item in corpus_cases() if item.transfer_syntax in DCT_SYNTAXES] + list(EXTENDED_CASES)


@pytest.mark.parametrize("case", DCT_CASES)
def test_pyodide_decodes_jpeg_within_2_of_dcmtk(case, run, tmp_path):
    _, expected, folder = run
    source = folder / expected["files"][case]
    got = _decoded_in_pyodide(folder, source.name).astype(np.int64)
    theirs = dcmdjpeg_frames(source, tmp_path)
    if theirs is None:  # DCMTK cannot read this file at all: the codecs extra's decoder instead
        theirs = np.stack(reference_frames(dcmread(source)))
    assert got.shape == theirs.reshape(got.shape).shape
    assert np.abs(got - theirs.reshape(got.shape).astype(np.int64)).max() <= JPEG_MAX


@pytest.mark.parametrize("case", ALL_CASES)
def test_pyodide_converts_to_rle_holding_the_pixels_it_decodes(case, run):
    results, expected, folder = run
    name = expected["files"][case]
    assert results["convert"][case] == {"verified": True}
    written = dcmread(folder / f"{Path(name).stem}.rle.dcm")
    want = _decoded_in_pyodide(folder, name)
    got = np.stack(frames_of(written))
    assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.parametrize("item", refused_cases(), ids=lambda item: item.name)
def test_12_bit_jpeg_extended_is_refused_in_one_line(item, run):
    results, _, _ = run
    outcome = results["refused"][item.name]
    assert outcome["code"] == "decoder-missing"
    assert outcome["then_verified"] is True


@pytest.mark.parametrize("case", list(damaged_files()))
def test_a_damaged_codestream_ends_as_on_cpython_and_the_next_file_converts(case, run):
    results, expected, _ = run
    outcome = results["damaged"][case]
    if expected["damaged"][case] or case.endswith(ALWAYS_FAIL):
        assert outcome["code"] in TYPED_CODES
        assert "\n" not in outcome["message"] and outcome["message"]
    else:
        assert outcome["code"] is None
    assert outcome["then_verified"] is True
