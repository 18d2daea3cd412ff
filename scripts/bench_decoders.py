"""Benchmark the page's decoders in one Chromium: ours against dcmjs-codecs', then the page's costs.

    .venv/bin/python scripts/bench_decoders.py [--rounds 5] [--dist DIR]

Everything runs in one Chromium (Debian's /usr/bin/chromium) in one run and is printed as
medians and ratios within that run (the machine is shared: absolute times are noisy).

* Decode per image: every frame of each compressed corpus image, in interleaved rounds, by
  the page's codec bridge (web/codecs.js over the build's codecs/, what the pydicom plugin
  calls) and by dcmjs-codecs (DCMTK's, OpenJPEG's and CharLS's codecs in one wasm, npm
  devDependency) for the same syntax, on the same codestream bytes. Goal (issue 16): ours
  no slower than 1.5x on any image over 1 MB (decoded).
* A study's first compressed file: the app's page converts RG1_J2KR.dcm to RLE twice (two
  names); the first includes downloading and starting the JPEG 2000 decoder, the second not.
* RG1_J2KR.dcm to RLE: the page (second run above, verified) against the command line
  (``python -m dicompress``, whole process) and CPython's ``service.convert`` in-process.

Asserts nothing; prints a markdown table and the goal as met / NOT met.
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydicom import dcmread
from pydicom.encaps import generate_frames
from pydicom.pixels.utils import as_pixel_options

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import bench_page_codecs as harness  # noqa: E402

from dicompress.plugins.wasm_codecs import DECODING_FAMILIES  # noqa: E402
from dicompress.service import convert  # noqa: E402
from tests.corpus import path as corpus_path  # noqa: E402

#: image -> the dcmjs-codecs decoder of its syntax.
IMAGES = {
    "RG1_J2KR.dcm": "decodeJpeg2000", "RG1_J2KI.dcm": "decodeJpeg2000", "MR2_J2KR.dcm": "decodeJpeg2000",
    "US1_J2KR.dcm": "decodeJpeg2000", "emri_small_jpeg_ls_lossless.dcm": "decodeJpegLs",
    "JPEGLSNearLossless_16.dcm": "decodeJpegLs", "JPEG-LL.dcm": "decodeJpeg",
    "color3d_jpeg_baseline.dcm": "decodeJpeg", "SC_rgb_dcmtk_+eb+cy+np.dcm": "decodeJpeg",
}
FIRST_FILE = "RG1_J2KR.dcm"
BIG_IMAGE, GOAL_RATIO = 1_000_000, 1.5

DECODE_JS = """
import { codecs, peerContexts, serve, timed } from "./harness.js";
serve({
  ours: (c) => timed(c.frames, (frame) => codecs.decode(c.family, frame).pixels.byteLength),
  dcmjs: (c) => timed(peerContexts(c, "encodedBuffer"),
    (context) => window.dcmjsCodecs.NativeCodecs[c.peer](context).getDecodedBuffer().byteLength),
});
"""


def prepare(work: Path, dist: Path | None) -> tuple[dict[str, Path], list[dict]]:
    """Build (unless given), write the bench page and every image's frames; return mounts and images."""
    mounts = harness.write_page(work, dist, "decoders", DECODE_JS)
    images = []
    for index, (name, peer) in enumerate(IMAGES.items()):
        ds = dcmread(corpus_path(name))
        count = int(ds.get("NumberOfFrames") or 1)
        key = str(index)
        harness.write_frames(work, key, generate_frames(ds.PixelData, number_of_frames=count))
        images.append({"key": key, "name": name, "frames": count, "peer": peer,
                       "options": harness.peer_options(as_pixel_options(ds)),
                       "photometric": str(ds.PhotometricInterpretation),
                       "family": DECODING_FAMILIES[ds.file_meta.TransferSyntaxUID],
                       "decoded": ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8 * count})
    return mounts, images


def decoders(browser, origin: str, images: list[dict], rounds: int) -> list[dict]:
    """Both decoders on every image, in `rounds` interleaved rounds after one warm-up round."""
    context, page = harness.open_bench(browser, origin, images)
    results = harness.interleaved_rounds(page, "decoders", images, rounds)
    context.close()
    return results


def page_conversions(browser, origin: str, work: Path) -> list[dict]:
    """Convert RG1_J2KR.dcm twice in the app's page (two names): first with the decoder's download."""
    context, page = harness.open_app(browser, origin)
    runs = []
    for label in ("first", "second"):
        print(f"bench: page, {label} compressed file", file=sys.stderr)
        source = work / f"{label}-{FIRST_FILE}"
        shutil.copy2(corpus_path(FIRST_FILE), source)
        ms, status = harness.convert_in_app(page, source)
        runs.append({"label": label, "ms": ms, "status": status})
    context.close()
    return runs


def cli_times(work: Path, runs: int = 3) -> tuple[float, float]:
    """Median ms of the command line (whole process) and of CPython's service.convert on FIRST_FILE."""
    process, service = [], []
    data = corpus_path(FIRST_FILE).read_bytes()
    for i in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dicompress", str(corpus_path(FIRST_FILE)), "-o", str(work / f"cli{i}")],
                       check=True, capture_output=True)
        process.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        convert(data, "rle")
        service.append((time.perf_counter() - started) * 1000)
    return statistics.median(process), statistics.median(service)


def report(images: list[dict], results: list[dict], pages: list[dict], cli: tuple[float, float]) -> None:
    """Print the decode table, the goal, and the page's costs."""
    print("\n| image | decoded | frames | ours (web/codecs.js) | dcmjs-codecs | ours / dcmjs-codecs |")
    print("|---|---:|---:|---:|---:|---:|")
    met = True
    for image in images:
        cells, ratio = harness.compared(results, image["key"])
        if ratio is not None and image["decoded"] > BIG_IMAGE and ratio > GOAL_RATIO:
            met = False
        shown = "n/a" if ratio is None else f"{ratio:.2f}x"
        print(f"| {image['name']} | {image['decoded'] / 1e6:.2f} MB | {image['frames']} | {cells[0]} | {cells[1]} "
              f"| {shown} |")
    print(f"\nGoal (ours no slower than {GOAL_RATIO}x on images over 1 MB): {'met' if met else 'NOT met'}")
    first, second = pages
    print(f"\nPage, {FIRST_FILE} to RLE: first compressed file {first['ms']:.0f} ms ({first['status']}), "
          f"again {second['ms']:.0f} ms ({second['status']}): the decoder's download and start cost "
          f"{first['ms'] - second['ms']:.0f} ms")
    process, service = cli
    print(f"Command line, same file: {process:.0f} ms (whole process), service.convert {service:.0f} ms; "
          f"page / service.convert = {second['ms'] / service:.2f}x, "
          f"page / command line = {second['ms'] / process:.2f}x")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run every measurement in one Chromium, print the results."""
    args = harness.arguments(__doc__).parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mounts, images = prepare(work, args.dist)

        def measure(browser, origin: str) -> tuple[list[dict], list[dict]]:
            return decoders(browser, origin, images, args.rounds), page_conversions(browser, origin, work)

        results, pages = harness.in_chromium(mounts, args.chromium, args.rounds, measure)
        report(images, results, pages, cli_times(work))


if __name__ == "__main__":
    main()
