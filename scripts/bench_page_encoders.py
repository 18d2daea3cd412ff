"""Benchmark the page's encoders in one Chromium: ours against dcmjs-codecs', then whole conversions.

    .venv/bin/python scripts/bench_page_encoders.py [--rounds 5] [--dist DIR]

Everything runs in one Chromium (Debian's /usr/bin/chromium) in one run and is printed as
medians and ratios within that run (the machine is shared: absolute times are noisy).

* Encode per image and target (JPEG-LS, JPEG 2000, HTJ2K Lossless): every frame of each
  corpus image, as the service hands it to the encoder (:mod:`dicompress.writing.lossless`),
  in interleaved rounds, by the page's codec bridge (web/codecs.js over the build's codecs/,
  what the pydicom plugin ``dicompress-page`` calls) and by dcmjs-codecs (DCMTK's, CharLS's,
  OpenJPEG's and OpenJPH's codecs in one wasm, npm devDependency), on the same bytes. Goal
  (issue 20): ours at most 1.5x slower than dcmjs-codecs. The sizes of both are printed too.
* Whole files: the app's page converts each image to each target (read, encode, check by
  decoding, write: what a person waits for, after a first file has loaded the codecs)
  against dcmjs-codecs' Transcoder on the same file in the same Chromium (no check).

Asserts nothing; prints markdown tables and the goal as met / NOT met.
"""

import shutil
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import UID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import bench_page_codecs as harness  # noqa: E402

from dicompress import frontend  # noqa: E402
from dicompress.plugins.wasm_codecs import ENCODING_FAMILIES  # noqa: E402
from dicompress.plugins.wasm_encoder import frame_layout, unsupported  # noqa: E402
from dicompress.reading.dicom_input import geometry, source_frames  # noqa: E402
from dicompress.writing import lossless  # noqa: E402
from tests.corpus import path as corpus_path  # noqa: E402

IMAGES = ["RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "CT_small.dcm", "emri_small.dcm"]
#: target -> (dcmjs-codecs' encoder, its Transcoder's transfer syntax constant)
PEERS = {"jpeg-ls": ("encodeJpegLs", "JpegLsLossless"), "j2k": ("encodeJpeg2000", "Jpeg2000Lossless"),
         "htj2k": ("encodeHtJpeg2000", "HtJpeg2000Lossless")}
GOAL_RATIO = 1.5
#: The first file of each target loads its codecs in the page; it is converted once before timing.
WARM_UP = "CT_small.dcm"

ENCODE_JS = """
import { codecs, peerContexts, serve, timed } from "./harness.js";
serve({
  ours: (c) => timed(c.frames, (frame) => codecs.encode(c.family, frame, c.layout).length),
  dcmjs: (c) => timed(peerContexts(c, "decodedBuffer"),
    (context) => window.dcmjsCodecs.NativeCodecs[c.peer](context).getEncodedBuffer().length),
});
const files = new Map();
window.benchFiles = async (names) => {
  for (const name of names) files.set(name, new Uint8Array(await (await fetch(`../files/${name}`)).arrayBuffer()));
  return true;
};
window.transcode = (name, syntax) => {
  const { Transcoder, constants } = window.dcmjsCodecs;
  const copy = files.get(name).slice(0).buffer;
  const started = performance.now();
  const transcoder = new Transcoder(copy);
  transcoder.transcode(constants.TransferSyntax[syntax]);
  const output = transcoder.getDicomPart10();
  return { ms: performance.now() - started, bytes: output.byteLength };
};
"""


def prepare(work: Path, dist: Path | None) -> tuple[dict[str, Path], list[dict]]:
    """Build (unless given), write the bench page and every case's frames; return mounts and cases."""
    mounts = harness.write_page(work, dist, "encoders", ENCODE_JS)
    files = mounts["/files/"] = work / "files"
    files.mkdir()
    cases = []
    for name in IMAGES:
        shutil.copy2(corpus_path(name), files / name)
        ds = dcmread(corpus_path(name))
        shape = geometry(ds)
        for target in PEERS:
            syntax = UID(frontend.target(target).syntax)
            plan = lossless.plan(ds, shape, syntax)
            if unsupported(syntax, plan.options):
                continue
            key = f"{name}-{target}"
            count = harness.write_frames(work, key, (lossless.stored_values(frame, plan, index)
                                             for index, frame in enumerate(source_frames(ds, shape), start=1)))
            layout = asdict(frame_layout(syntax, plan.options))
            cases.append({
                "key": key, "name": name, "target": target, "frames": count, "family": ENCODING_FAMILIES[syntax],
                "peer": PEERS[target][0], "options": harness.peer_options(plan.options),
                "photometric": str(ds.PhotometricInterpretation),
                "layout": {"width": layout["width"], "height": layout["height"], "components": layout["components"],
                           "bitsPerSample": layout["bits_per_sample"], "signed": layout["signed"],
                           "colourTransform": layout["colour_transform"]},
                "decoded": shape.rows * shape.columns * shape.samples_per_pixel * shape.bits_allocated // 8 * count,
            })
    return mounts, cases


def encoders(browser, origin: str, cases: list[dict], rounds: int) -> tuple[list[dict], dict]:
    """Both encoders on every case, in `rounds` interleaved rounds after one warm-up round, then the Transcoder."""
    context, page = harness.open_bench(browser, origin, cases)
    page.evaluate("(names) => benchFiles(names)", IMAGES)
    results = harness.interleaved_rounds(page, "encoders", cases, rounds)
    transcoded = {}
    for target, (_, syntax) in PEERS.items():
        for name in IMAGES:
            runs = [page.evaluate("([n, s]) => transcode(n, s)", [name, syntax]) for _ in range(rounds)]
            transcoded[(name, target)] = statistics.median(run["ms"] for run in runs)
    context.close()
    return results, transcoded


def page_conversions(browser, origin: str, work: Path, rounds: int) -> dict[tuple[str, str], dict]:
    """Convert every image to every target in the app's page `rounds` times; median ms from adding to done."""
    context, page = harness.open_app(browser, origin)
    times: dict[tuple[str, str], list[float]] = {}
    statuses: dict[tuple[str, str], str] = {}
    for target in PEERS:
        page.select_option("[data-testid=syntax]", target)
        for index, name in enumerate([WARM_UP] * 1 + IMAGES * rounds):
            print(f"bench: page, {target} {name}", file=sys.stderr)
            source = work / f"{target}-{index}-{name}"
            shutil.copy2(corpus_path(name), source)
            ms, status = harness.convert_in_app(page, source)
            if index:
                times.setdefault((name, target), []).append(ms)
                statuses[(name, target)] = status
    context.close()
    return {key: {"ms": statistics.median(ms), "status": statuses[key]} for key, ms in times.items()}


def report(cases: list[dict], results: list[dict], transcoded: dict, pages: dict) -> None:
    """Print the encode table, the goal, and the whole-file table."""
    print("\n| image | target | decoded | frames | ours (web/codecs.js) | dcmjs-codecs | ours / dcmjs-codecs "
          "| our bytes / theirs |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    met, worst = True, 0.0
    for case in cases:
        cells, ratio = harness.compared(results, case["key"])
        sizes = {r["tool"]: r.get("bytes") for r in results if r["key"] == case["key"]}
        if ratio is not None:
            worst = max(worst, ratio)
            met = met and ratio <= GOAL_RATIO
        shown = "n/a" if ratio is None else f"{ratio:.2f}x"
        size = f"{sizes['ours'] / sizes['dcmjs']:.3f}" if sizes.get("ours") and sizes.get("dcmjs") else "n/a"
        print(f"| {case['name']} | {case['target']} | {case['decoded'] / 1e6:.2f} MB | {case['frames']} | {cells[0]} "
              f"| {cells[1]} | {shown} | {size} |")
    print(f"\nGoal (ours at most {GOAL_RATIO}x slower than dcmjs-codecs' encoder): "
          f"{'met' if met else 'NOT met'} (worst {worst:.2f}x)")
    print("\n| image | target | page: whole file, verified | dcmjs-codecs Transcoder (no check) | page / Transcoder |")
    print("|---|---|---:|---:|---:|")
    for (name, target), page in pages.items():
        peer = transcoded[(name, target)]
        print(f"| {name} | {target} | {page['ms']:.0f} ms ({page['status']}) | {peer:.0f} ms "
              f"| {page['ms'] / peer:.2f}x |")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run every measurement in one Chromium, print the results."""
    parser = harness.arguments(__doc__)
    parser.add_argument("--page-rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mounts, cases = prepare(work, args.dist)

        def measure(browser, origin: str) -> tuple[tuple[list[dict], dict], dict]:
            return (encoders(browser, origin, cases, args.rounds),
                    page_conversions(browser, origin, work, args.page_rounds))

        (results, transcoded), pages = harness.in_chromium(mounts, args.chromium, args.rounds, measure)
        report(cases, results, transcoded, pages)


if __name__ == "__main__":
    main()
