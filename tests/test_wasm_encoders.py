"""The page's encoders inside Pyodide: every corpus image written as jpeg-ls, j2k and htj2k, as on the command line.

One Node process (``tests/pyodide/run_checks.mjs --codecs``) runs the pinned Pyodide with
numpy and pydicom and the page's codec bridge (``web/codecs.js`` over the codec files a
real build ships in ``codecs/``), and converts each uncompressed corpus image to each
target through :func:`dicompress.service.convert`, loading the codecs the page loads for
it first (:func:`dicompress.browser.needs_codecs`). There the encoder is the plugin
``"dicompress-page"`` (CharLS, OpenJPEG and OpenJPH compiled to WebAssembly) and every
frame is checked by the page's decoders. On CPython, each result must then:

* decode (pydicom with the ``[codecs]`` extra) to the source's pixel values, and to the
  values of the command line's result for the same image and target;
* describe itself as the command line's result does (every element equal but Pixel Data);
* decode with peers: DCMTK's ``dcmdjpls`` (JPEG-LS), pylibjpeg-openjpeg (JPEG 2000 and
  HTJ2K codestreams), OpenJPH's ``ojph_expand`` (HTJ2K);
* be within :data:`SIZE_TOLERANCE` of the command line's Pixel Data.

An image no target holds (32 bits per sample) is refused with the same code as on the
command line, which also refuses a 3 x 3 colour image in JPEG-LS and JPEG 2000 (its
CharLS and OpenJPEG builds), and the page writes it; an image
the page's encoders cannot write (:func:`left_to_the_command_line`) fails with
``unsupported`` and one line naming the command line's ``--syntax``. Damaged input fails
with a typed error and the next file converts.
"""

import json
import subprocess
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import openjpeg
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames

from dicompress.browser import needs_codecs
from dicompress.plugins.registration import PAGE_LABEL
from tests import corpus, peers
from tests.dicom_files import differing_elements, rewritten
from tests.test_lossless_targets import (
    NAMES, REFUSED, SYNTAXES, THIRTY_TWO_BITS, TINY, colour_transform, converted, frames_of, non_negative, values)
from tests.test_wasm32 import ROOT, RUNNER, TIMEOUT_S, build_script, require_tools, wheels
from tests.test_wasm_codecs import TYPED_CODES

pytestmark = pytest.mark.wasm32

#: The page's Pixel Data may be this much larger than the command line's (the same libraries
#: in other builds; measured: the same sizes on every image, JPEG-LS byte for byte).
SIZE_TOLERANCE = 0.01
#: Damaged input, converted to each target: (case, corpus image, how it is damaged).


def _signed_8_bit(ds: Dataset) -> None:
    """Make MR_small (16-bit signed) an 8-bit signed image of the same size, negative samples included."""
    pixels = (ds.pixel_array.astype(np.int32) // 8 - 100).clip(-128, 127).astype(np.int8)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 1
    ds.PixelData = pixels.tobytes()


#: Images the corpus lacks, made here: name -> bytes.
MADE = {"MR_small as signed 8-bit": rewritten("MR_small.dcm", _signed_8_bit)}
#: pydicom's own ``Dataset.compress`` in Pyodide: (image, target, the Photometric Interpretation
#: set first: pydicom asks the data set to describe the result).
COMPRESSED = [("MR_small.dcm", "jpeg-ls", None), ("MR_small.dcm", "j2k", None), ("MR_small.dcm", "htj2k", None),
              ("US1_UNCR.dcm", "jpeg-ls", None), ("US1_UNCR.dcm", "j2k", "YBR_RCT"),
              ("US1_UNCR.dcm", "htj2k", "YBR_RCT")]
DAMAGED = {"cut short": ("MR_small.dcm", lambda data: data[: len(data) // 2]),
           "not DICOM": ("CT_small.dcm", lambda data: b"\x00" * 200 + data[200:])}


def left_to_the_command_line(name: str, target: str) -> bool:
    """Return whether the page's encoder of `target` cannot write corpus image `name`.

    OpenJPEG's and OpenJPH's WebAssembly encoders read colour samples of 8 bits only and
    8-bit samples unsigned only, and OpenJPEG's applies the colour transform to every colour
    image: in the page, colour goes to JPEG 2000 and HTJ2K from 8-bit RGB only.
    """
    if target == "jpeg-ls":
        return False
    ds = corpus.image(name).read()
    if int(ds.get("SamplesPerPixel", 1)) > 1:
        return int(ds.BitsAllocated) > 8 or ds.PhotometricInterpretation != "RGB"
    return int(ds.BitsAllocated) == 8 and int(ds.PixelRepresentation) == 1


CASES = [(name, target) for target in SYNTAXES for name in NAMES]
#: (image, target) the page writes: a 3 x 3 image too, which the command line's CharLS
#: (pyjpegls) and OpenJPEG (pylibjpeg-openjpeg, 6 resolutions) refuse.
WRITTEN = [(name, target) for name, target in CASES
           if name not in THIRTY_TWO_BITS and not left_to_the_command_line(name, target)]
#: (image, target) both write.
BOTH = [(name, target) for name, target in WRITTEN if name not in REFUSED[target]]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[dict[str, Any], Path]:
    """Build the codecs, convert every case in Pyodide; return (results by case, folder)."""
    node = require_tools()
    base = tmp_path_factory.mktemp("wasm_encoders")
    numpy_wheel, pydicom_wheel = wheels(base / "dist")
    codecs = build_script().copy_codecs(base / "dist")
    (base / "dist" / "manifest.json").write_text(json.dumps({"codecs": codecs}))
    folder = base / "cases"
    folder.mkdir()
    manifest: dict[str, list] = {"encode": [], "compress": []}
    sources = {name: corpus.path(name).read_bytes() for name in NAMES} | MADE
    for case, (name, damage) in DAMAGED.items():
        sources[case] = damage(sources[name])
    for index, (name, data) in enumerate(sources.items()):
        (folder / f"{index}.dcm").write_bytes(data)
        for target in SYNTAXES:
            manifest["encode"].append({"case": f"{name} -> {target}", "file": f"{index}.dcm", "target": target,
                                       "output": f"{index}.{target}.dcm"})
    for index, (name, target, photometric) in enumerate(COMPRESSED):
        manifest["compress"].append({"case": f"compressed-{index}", "file": f"{NAMES.index(name)}.dcm",
                                     "syntax": SYNTAXES[target], "photometric": photometric,
                                     "output": f"compressed-{index}.dcm"})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    args = [node, "--experimental-detect-module", "--no-warnings", str(RUNNER), "--numpy", str(numpy_wheel),
            "--pydicom", str(pydicom_wheel), "--py", str(ROOT / "py"), "--cases", str(folder),
            "--codecs", str(base / "dist")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S * 4, check=False)
    if done.returncode:
        pytest.fail(f"the encoder checks in Pyodide failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    results = json.loads(done.stdout)
    return {**results["encode"], **results["compress"]}, folder


def outcome(page: tuple[dict[str, Any], Path], name: str, target: str) -> dict[str, Any]:
    return page[0][f"{name} -> {target}"]


@cache
def page_result(folder: Path, name: str, target: str) -> Dataset:
    index = NAMES.index(name)
    return dcmread(folder / f"{index}.{target}.dcm")


def written(page: tuple[dict[str, Any], Path], name: str, target: str) -> Dataset:
    assert outcome(page, name, target).get("verified") is True, outcome(page, name, target)
    return page_result(page[1], name, target)


def codestreams(ds: Dataset) -> list[bytes]:
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))


def test_writing_to_rle_or_native_loads_no_encoder_and_each_target_its_encoder_and_checking_decoder():
    data = corpus.path("MR_small.dcm").read_bytes()
    assert [needs_codecs(data, target) for target in ("rle", "explicit", "deflate")] == [[], [], []]
    assert needs_codecs(data, "jpeg-ls") == ["charls-encoder", "charls"]
    assert needs_codecs(data, "j2k") == ["openjpeg-encoder", "openjpeg"]
    assert needs_codecs(data, "htj2k") == ["openjph", "openjpeg"]
    jls = corpus.path("MR_small_jpeg_ls_lossless.dcm").read_bytes()
    assert needs_codecs(jls, "j2k") == ["charls", "openjpeg-encoder", "openjpeg"]


@pytest.mark.parametrize(("name", "target"), CASES)
def test_the_page_writes_each_image_the_command_line_writes_or_says_why_in_one_line(name, target, page):
    result = outcome(page, name, target)
    if name in THIRTY_TWO_BITS:
        assert result["code"] == converted(name, target).code == "unsupported"
        assert "\n" not in result["message"]
    elif left_to_the_command_line(name, target):
        assert result["code"] == "unsupported"
        assert result["message"].startswith("the page's ") and "\n" not in result["message"]
        assert result["message"].endswith(f"; the command line (--syntax {target}) writes it")
    else:
        assert result == {**result, "verified": True, "plugin": PAGE_LABEL}


@pytest.mark.parametrize(("name", "target"), WRITTEN)
def test_the_page_result_holds_the_source_values(name, target, page):
    ours = written(page, name, target)
    assert ours.file_meta.TransferSyntaxUID == SYNTAXES[target]
    assert np.array_equal(values(ours), values(corpus.image(name).read()))


@pytest.mark.parametrize(("name", "target"), BOTH)
def test_the_page_result_holds_the_values_and_elements_of_the_command_line_result(name, target, page):
    ours = written(page, name, target)
    cli = dcmread(BytesIO(converted(name, target).data))
    assert np.array_equal(values(ours), values(cli))
    assert differing_elements(cli, ours) == []


@pytest.mark.parametrize("target", ["j2k", "htj2k"])
@pytest.mark.parametrize(("name", "transform"), [("US1_UNCR.dcm", 1), ("SC_rgb.dcm", 1), ("MR2_UNCR.dcm", 0)])
def test_the_page_codestream_uses_the_colour_transform_the_data_set_names(name, transform, target, page):
    ours = written(page, name, target)
    assert colour_transform(codestreams(ours)[0]) == transform
    assert (ours.PhotometricInterpretation == "YBR_RCT") == bool(transform)


@pytest.mark.parametrize("name", [name for name, target in BOTH if target == "jpeg-ls"])
def test_the_page_jpeg_ls_is_the_command_line_jpeg_ls_byte_for_byte(name, page):
    # Both are CharLS, driven alike (sample-interleaved colour, NEAR 0).
    assert written(page, name, "jpeg-ls").PixelData == dcmread(BytesIO(converted(name, "jpeg-ls").data)).PixelData


@pytest.mark.parametrize(("name", "target"), BOTH)
def test_the_page_result_is_as_small_as_the_command_line_result(name, target, page):
    ours = len(written(page, name, target).PixelData)
    cli = len(dcmread(BytesIO(converted(name, target).data)).PixelData)
    assert ours <= cli * (1 + SIZE_TOLERANCE), f"{ours} bytes against {cli}"


@pytest.mark.peers
@pytest.mark.parametrize("name", [name for name, target in WRITTEN if target == "jpeg-ls"])
def test_dcmtk_decodes_the_page_jpeg_ls_to_the_source(name, page, tmp_path):
    peers.require_tools("dcmdjpls")
    written(page, name, "jpeg-ls").save_as(tmp_path / "jls.dcm")
    theirs = dcmread(peers.dcmdjpls(tmp_path / "jls.dcm", tmp_path / "plain.dcm"))
    assert np.array_equal(values(theirs), values(corpus.image(name).read()))


@pytest.mark.peers
@pytest.mark.parametrize(("name", "target"), [(name, target) for name, target in WRITTEN if target != "jpeg-ls"])
def test_pylibjpeg_openjpeg_decodes_the_page_codestreams_to_the_source(name, target, page):
    for frame, codestream in zip(frames_of(name), codestreams(written(page, name, target)), strict=True):
        assert np.array_equal(openjpeg.decode(codestream), frame)


# Debian's ojph_expand (OpenJPH 0.9.0) decodes a 3 x 3 image as one flat colour (see test_lossless_targets).
@pytest.mark.peers
@pytest.mark.parametrize("name", [name for name, target in WRITTEN
                                  if target == "htj2k" and non_negative(name) and name not in TINY])
def test_openjph_decodes_the_page_htj2k_to_the_source(name, page, tmp_path):
    peers.require_tools("ojph_expand")
    for number, (frame, codestream) in enumerate(zip(frames_of(name), codestreams(written(page, name, "htj2k")),
                                                     strict=True)):
        path = tmp_path / f"{number}.j2c"
        path.write_bytes(codestream)
        expanded = peers.ojph_expand(path, tmp_path / f"{number}.{'ppm' if frame.ndim == 3 else 'pgm'}")
        assert np.array_equal(peers.read_netpbm(expanded), frame)


@pytest.mark.parametrize(("index", "case"), enumerate(COMPRESSED))
def test_pydicoms_own_compress_works_in_pyodide_as_on_cpython(index, case, page):
    name, target, photometric = case
    assert page[0][f"compressed-{index}"] == {"syntax": SYNTAXES[target]}
    ours = dcmread(page[1] / f"compressed-{index}.dcm")
    assert ours.file_meta.TransferSyntaxUID == SYNTAXES[target]
    if photometric:
        assert colour_transform(codestreams(ours)[0]) == 1
    assert np.array_equal(values(ours), values(corpus.image(name).read()))


def test_signed_8_bit_samples_are_written_as_jpeg_ls_and_left_to_the_command_line_otherwise(page):
    name = "MR_small as signed 8-bit"
    source = dcmread(BytesIO(MADE[name]))
    assert (values(source) < 0).any()
    assert outcome(page, name, "jpeg-ls")["verified"] is True
    index = len(NAMES) + list(MADE).index(name)  # the files are written corpus first, then MADE
    assert np.array_equal(values(dcmread(page[1] / f"{index}.jpeg-ls.dcm")), values(source))
    for target, label in (("j2k", "JPEG 2000"), ("htj2k", "HTJ2K")):
        assert outcome(page, name, target) == {
            "code": "unsupported", "message": f"the page's {label} encoder writes signed samples of more than 8 bits "
                                              f"only; the command line (--syntax {target}) writes it"}


@pytest.mark.parametrize("target", SYNTAXES)
@pytest.mark.parametrize("case", list(DAMAGED))
def test_damaged_input_fails_with_a_typed_error_in_one_line(case, target, page):
    result = outcome(page, case, target)
    assert result["code"] in TYPED_CODES
    assert result["message"] and "\n" not in result["message"]
