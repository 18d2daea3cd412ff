#!/usr/bin/env python
"""Benchmark dicompress.rle against pydicom's native RLE plugin, pylibjpeg-rle and GDCM.

Usage::

    .venv/bin/python scripts/bench_cpython.py [--rounds 9] [--no-gdcm] [--cpu] [--no-corpus] [--no-memory] [IMAGE ...]

Every codec encodes (and decodes) every frame of each image's pixel data, called
directly on the frame bytes (pydicom's ``_encode_frame`` / ``_rle_decode_frame``,
``rle.rle.encode_frame`` / ``decode_frame``, ``dicompress.rle``): no dataset
handling is timed, and 32-bit rtdose, which pydicom's encoding profiles refuse,
is measured like the rest.  All decoders decode the same stream (pydicom's
packing, which pydicom, pylibjpeg-rle and ``packing="pydicom"`` produce byte
for byte).  GDCM runs in a child interpreter (it can abort the process); there
only the ``ImageChangeTransferSyntax.Change()`` call is timed.

Rounds are interleaved (every codec on every image once per round, in a
rotating order) and the median of the rounds is reported, as MB/s of
uncompressed data and as ratios ours / peer.  Sizes are the bytes of all
encoded frames (header, segments and padding) and, for fairness to GDCM, which
leaves out the padding byte of odd-length segments, the segment data alone.

The same rounds time the whole service, ``dicompress.service.convert(data)`` on the
file's bytes, with verification and without, against the encoder alone (issue 9: a
verified conversion within 1.6x of encoding). Then every RLE stream of the corpus
(pydicom's test files and pydicom-data: our streams of the uncompressed images, the
files' own streams of the RLE ones) is decoded by ours and by pydicom's plugin, side
by side (issue 9: never slower). Last, the peak memory of one conversion of RG1_UNCR
repeated 28 times (201.6 MB), as tracemalloc counts it, the input included.
"""

import argparse
import json
from pathlib import Path
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import warnings

import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels.decoders.rle import _rle_decode_frame
from pydicom.pixels.encoders.native import _encode_frame as pydicom_encode_frame
from pydicom.uid import RLELossless

from dicompress import rle as ours
from dicompress.service import convert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its tests' corpus
from tests import corpus  # noqa: E402
from tests.test_memory import repeated_frames  # noqa: E402

try:
    from rle import rle as pylibjpeg
except ImportError:  # pragma: no cover - optional peer
    pylibjpeg = None

IMAGES = ["RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "CT_small.dcm", "rtdose.dcm"]
GOAL_IMAGES = ["RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"]


class _Runner:
    """What pydicom's native encoder reads from its EncodeRunner."""

    def __init__(self, spp, bps, columns):
        self.samples_per_pixel = spp
        self.bits_allocated = 8 * bps
        self.columns = columns

    def get_option(self, name, default=None):
        return default


class Image:
    def __init__(self, name):
        self.name = name
        self.path = Path(get_testdata_file(name))
        ds = pydicom.dcmread(self.path)
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            raise SystemExit(f"{name} is not uncompressed")
        self.rows, self.columns = int(ds.Rows), int(ds.Columns)
        self.spp = int(ds.SamplesPerPixel)
        self.bps = int(ds.BitsAllocated) // 8
        if int(ds.get("PlanarConfiguration") or 0) or not ds.file_meta.TransferSyntaxUID.is_little_endian:
            raise SystemExit(f"{name}: only little-endian interleaved images are benchmarked")
        self.nframes = int(ds.get("NumberOfFrames") or 1)
        size = self.rows * self.columns * self.spp * self.bps
        data = ds.PixelData
        self.frames = [data[i * size : (i + 1) * size] for i in range(self.nframes)]
        self.raw = size * self.nframes
        self.geometry = (self.rows, self.columns, self.spp, self.bps)
        self.encoded = [ours.encode_frame(f, *self.geometry) for f in self.frames]
        self.dataset = ds
        self.data = self.path.read_bytes()


# --- the codecs (each call handles every frame of an image) -----------------------


def enc_ours(img):
    return [ours.encode_frame(f, *img.geometry) for f in img.frames]


def enc_ours_compact(img):
    return [ours.encode_frame(f, *img.geometry, packing="compact") for f in img.frames]


def enc_pydicom(img):
    runner = _Runner(img.spp, img.bps, img.columns)
    return [pydicom_encode_frame(f, runner) for f in img.frames]


def enc_pylibjpeg(img):
    return [pylibjpeg.encode_frame(f, img.rows, img.columns, img.spp, 8 * img.bps, "<") for f in img.frames]


def dec_ours(img):
    return [ours.decode_frame(e, *img.geometry) for e in img.encoded]


def dec_pydicom(img):
    return [_rle_decode_frame(e, img.rows, img.columns, img.spp, 8 * img.bps) for e in img.encoded]


def dec_pylibjpeg(img):
    return [pylibjpeg.decode_frame(e, img.rows * img.columns, 8 * img.bps, "<") for e in img.encoded]


def convert_verified(img):
    return convert(img.data)


def convert_unverified(img):
    return convert(img.data, verify=False)


CONVERSIONS = {"verified": convert_verified, "unverified": convert_unverified}


# --- GDCM in a child interpreter ----------------------------------------------------

_GDCM_CHILD = r"""
import json, sys, time
import gdcm

def change(path, syntax):
    reader = gdcm.ImageReader()
    reader.SetFileName(path)
    if not reader.Read():
        raise SystemExit("gdcm cannot read " + path)
    ch = gdcm.ImageChangeTransferSyntax()
    ch.SetTransferSyntax(gdcm.TransferSyntax(syntax))
    ch.SetInput(reader.GetImage())
    t = time.perf_counter()
    if not ch.Change():
        raise SystemExit("gdcm cannot change " + path)
    return time.perf_counter() - t

out = {}
for job in json.loads(sys.argv[1]):
    times = {}
    for op, path, syntax in (("encode", job["src"], gdcm.TransferSyntax.RLELossless),
                             ("decode", job["rle"], gdcm.TransferSyntax.ExplicitVRLittleEndian)):
        change(path, syntax)  # warm up
        times[op] = change(path, syntax)
    out[job["name"]] = times
print(json.dumps(out))
"""

_GDCM_WRITE = r"""
import sys, gdcm
src, dst = sys.argv[1:3]
reader = gdcm.ImageReader(); reader.SetFileName(src)
assert reader.Read()
ch = gdcm.ImageChangeTransferSyntax()
ch.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.RLELossless))
ch.SetInput(reader.GetImage())
assert ch.Change()
w = gdcm.ImageWriter(); w.SetFileName(dst); w.SetFile(reader.GetFile()); w.SetImage(ch.GetOutput())
assert w.Write()
"""


def gdcm_available():
    try:
        subprocess.run([sys.executable, "-c", "import gdcm"], check=True, capture_output=True, timeout=60)
        return True
    except (subprocess.SubprocessError, OSError):
        return False


def write_rle_file(img, folder: Path) -> Path:
    """Our (pydicom-packing) frames as an RLE Lossless file, for GDCM to decode."""
    ds = img.dataset.copy()
    ds.file_meta = img.dataset.file_meta.copy()
    ds.PixelData = encapsulate(img.encoded)
    ds["PixelData"].is_undefined_length = True
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = RLELossless
    out = folder / f"ours-{img.name}"
    ds.save_as(out, enforce_file_format=True)
    return out


def gdcm_round(jobs) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _GDCM_CHILD, json.dumps(jobs)], capture_output=True, text=True, timeout=600,
        check=False,
    )
    if done.returncode != 0:
        print(f"GDCM round failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return {}
    return json.loads(done.stdout)


# --- sizes ---------------------------------------------------------------------------


def run_bytes(segment: bytes, produce: int) -> int:
    at = made = 0
    while made < produce and at < len(segment):
        c = segment[at]
        if c < 128:
            at, made = at + c + 2, made + c + 1
        elif c > 128:
            at, made = at + 2, made + 257 - c
        else:
            at += 1
    return min(at, len(segment))


def sizes(frames, img):
    """(bytes of all frames, bytes of segment data without padding)."""
    total = data = 0
    for f in frames:
        total += len(f)
        count, *offsets = struct.unpack("<16L", f[:64])
        bounds = offsets[:count] + [len(f)]
        data += sum(run_bytes(f[bounds[i] : bounds[i + 1]], img.rows * img.columns) for i in range(count))
    return total, data


def peer_sizes(img, folder: Path, use_gdcm: bool) -> dict:
    out = {}
    if shutil.which("dcmcrle"):
        dst = folder / f"dcmtk-{img.name}"
        subprocess.run(["dcmcrle", str(img.path), str(dst)], check=True, capture_output=True)
        out["DCMTK"] = sizes(generate_frames(pydicom.dcmread(dst).PixelData, number_of_frames=img.nframes), img)
    if use_gdcm:
        dst = folder / f"gdcm-{img.name}"
        done = subprocess.run(
            [sys.executable, "-c", _GDCM_WRITE, str(img.path), str(dst)], capture_output=True, check=False
        )
        if done.returncode == 0:
            out["GDCM"] = sizes(generate_frames(pydicom.dcmread(dst).PixelData, number_of_frames=img.nframes), img)
    return out


# --- main ----------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="*", default=IMAGES)
    parser.add_argument("--rounds", type=int, default=9, help="rounds (median reported), default 9")
    parser.add_argument("--no-gdcm", action="store_true", help="leave GDCM out")
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time instead of wall time")
    parser.add_argument("--no-corpus", action="store_true", help="leave out decoding the whole corpus")
    parser.add_argument("--no-memory", action="store_true", help="leave out the memory of a 28-frame conversion")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter
    warnings.simplefilter("ignore")

    images = [Image(name) for name in args.images]
    use_gdcm = not args.no_gdcm and gdcm_available()
    encoders = {"ours": enc_ours, "ours compact": enc_ours_compact, "pydicom": enc_pydicom}
    decoders = {"ours": dec_ours, "pydicom": dec_pydicom}
    if pylibjpeg is not None:
        encoders["pylibjpeg-rle"] = enc_pylibjpeg
        decoders["pylibjpeg-rle"] = dec_pylibjpeg

    # Correctness first: identical streams, identical decodes.
    for img in images:
        assert enc_pydicom(img) == img.encoded, f"{img.name}: not byte-identical to pydicom"
        if pylibjpeg is not None:
            assert enc_pylibjpeg(img) == img.encoded, f"{img.name}: not byte-identical to pylibjpeg-rle"
        assert dec_ours(img) == dec_pydicom(img), f"{img.name}: decodes differ"

    operations = (("encode", encoders), ("decode", decoders), ("convert", CONVERSIONS))
    times = {(img.name, op, codec): [] for img in images for op, group in operations for codec in group}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jobs = []
        if use_gdcm:
            for img in images:
                jobs.append({"name": img.name, "src": str(img.path), "rle": str(write_rle_file(img, folder))})
                for op in ("encode", "decode"):
                    times[(img.name, op, "GDCM")] = []
        for rnd in range(args.rounds):
            for img in images:
                work = [(op, c, f) for op, group in operations for c, f in group.items()]
                shift = rnd % len(work)
                for op, codec, fn in work[shift:] + work[:shift]:
                    started = clock()
                    fn(img)
                    times[(img.name, op, codec)].append(clock() - started)
            if use_gdcm:
                for name, t in gdcm_round(jobs).items():
                    for op in ("encode", "decode"):
                        times[(name, op, "GDCM")].append(t[op])
            print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)

        size_rows = []
        for img in images:
            row = {
                "pydicom packing": sizes(img.encoded, img),
                "compact": sizes(enc_ours_compact(img), img),
            }
            row.update(peer_sizes(img, folder, use_gdcm))
            size_rows.append((img, row))

    med = {k: statistics.median(v) for k, v in times.items() if v}

    def mbs(img, op, codec):
        t = med.get((img.name, op, codec))
        return img.raw / 1e6 / t if t else None

    def ratio(img, op, peer):
        a, b = med.get((img.name, op, "ours")), med.get((img.name, op, peer))
        return b / a if a and b else None

    peers = ["pydicom", "pylibjpeg-rle", "GDCM"]

    def fmt(v, unit=""):
        if v is None:
            return "–"
        return f"{v:.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}" if v >= 10 else f"{v:.2f}{unit}"

    print(f"\n### Speed (median of {args.rounds} interleaved rounds, {'CPU' if args.cpu else 'wall'} time, "
          "MB/s of uncompressed data)\n")
    print("| image | MB | op | ours | ours compact | pydicom | pylibjpeg-rle | GDCM "
          "| ours/pydicom | ours/pylibjpeg-rle | ours/GDCM |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for img in images:
        for op in ("encode", "decode"):
            cells = [fmt(mbs(img, op, "ours")), fmt(mbs(img, op, "ours compact")) if op == "encode" else "",
                     *(fmt(mbs(img, op, p)) for p in peers), *(fmt(ratio(img, op, p), "x") for p in peers)]
            print(f"| {img.name} | {img.raw / 1e6:.2f} | {op} | " + " | ".join(cells) + " |")

    print("\n### Compressed size (bytes of all frames; in brackets: segment data without padding)\n")
    print("| image | raw | pydicom packing | compact | DCMTK | GDCM | compact vs DCMTK | compact vs GDCM |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for img, row in size_rows:
        def cell(key):
            return f"{row[key][0]} ({row[key][1]})" if key in row else "–"
        def versus(key):
            if key not in row:
                return "–"
            return f"{100 * (row['compact'][1] / row[key][1] - 1):+.2f} %"
        print(f"| {img.name} | {img.raw} | {cell('pydicom packing')} | {cell('compact')} | {cell('DCMTK')} "
              f"| {cell('GDCM')} | {versus('DCMTK')} | {versus('GDCM')} |")

    print("\n### Goals\n")
    goal_imgs = [img for img in images if img.name in GOAL_IMAGES]
    if goal_imgs:
        def goal(label, values, target, kind="median"):
            values = [v for v in values if v is not None]
            if not values:
                print(f"{label}: not measured")
                return
            value = statistics.median(values) if kind == "median" else min(values)
            verdict = "met" if value >= target else "NOT met"
            print(f"{label}: {value:.2f}x ({kind} over {len(values)} images; goal >= {target}x): {verdict}")
        enc_lib = [ratio(i, "encode", "pylibjpeg-rle") for i in goal_imgs]
        goal("encode, ours vs pylibjpeg-rle", enc_lib, 2)
        goal("encode, ours vs pylibjpeg-rle, slowest image", enc_lib, 1, kind="min")
        goal("encode, ours vs pydicom native", [ratio(i, "encode", "pydicom") for i in goal_imgs], 20)
        goal("decode, ours vs pydicom native", [ratio(i, "decode", "pydicom") for i in goal_imgs], 3)
        for img in goal_imgs:
            per = ", ".join(f"{p} {fmt(ratio(img, op, p), 'x')}" for op in ("encode", "decode") for p in peers[:2])
            print(f"  {img.name}: encode/decode ours vs {per}")
        conversion_goal(goal_imgs, med, fmt)

    if not args.no_corpus:
        corpus_decode(args.rounds, clock)
    if not args.no_memory:
        memory_figure(28)


def conversion_goal(goal_imgs, med, fmt):
    """Print convert() with and without verification against the encoder alone (goal: verified <= 1.6x)."""
    print("\n### Whole conversion vs encoding alone (convert(data) on the file's bytes)\n")
    print("| image | encode | convert, verified | ratio | convert, unverified | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    worst = 0.0
    for img in goal_imgs:
        encode = med[(img.name, "encode", "ours")]
        verified, unverified = med[(img.name, "convert", "verified")], med[(img.name, "convert", "unverified")]
        worst = max(worst, verified / encode)
        print(f"| {img.name} | {encode * 1e3:.1f} ms | {verified * 1e3:.1f} ms | {fmt(verified / encode, 'x')} "
              f"| {unverified * 1e3:.1f} ms | {fmt(unverified / encode, 'x')} |")
    verdict = "met" if worst <= 1.6 else "NOT met"
    print(f"\nverified conversion vs encoding, slowest image: {worst:.2f}x (goal <= 1.6x on each): {verdict}")


def corpus_streams():
    """Yield (name, geometry, frames) for every RLE stream of the corpus."""
    for item in corpus.images(uncompressed=True):
        ds = item.read()
        size = item.frame_length
        geometry = (item.rows, item.columns, item.samples_per_pixel, item.sample_width)
        options = dict(byteorder=">" if item.big_endian else "<", planar_configuration=item.planar_configuration)
        raw = ds.PixelData
        frames = [ours.encode_frame(raw[i * size : (i + 1) * size], *geometry, **options) for i in range(item.frames)]
        yield item.name, geometry, frames
    for item in corpus.images(rle=True):
        frames = list(generate_frames(item.read().PixelData, number_of_frames=item.frames))
        yield item.name, (item.rows, item.columns, item.samples_per_pixel, item.sample_width), frames


def corpus_decode(rounds, clock):
    """Decode every RLE stream of the corpus with ours and pydicom's plugin, side by side (goal: never slower)."""
    rows = []
    for name, (r, c, spp, bps), frames in corpus_streams():
        try:
            for frame in frames:
                ours.decode_frame(frame, r, c, spp, bps)
        except ours.RLEError:
            continue  # a stream ours refuses (see tests/test_rle_fuzz.py): nothing to compare
        times = {"ours": [], "pydicom": []}
        for rnd in range(rounds):
            pair = [("ours", lambda: [ours.decode_frame(f, r, c, spp, bps) for f in frames]),
                    ("pydicom", lambda: [_rle_decode_frame(f, r, c, spp, 8 * bps) for f in frames])]
            for codec, fn in pair[rnd % 2 :] + pair[: rnd % 2]:
                started = clock()
                fn()
                times[codec].append(clock() - started)
        ours_t, theirs = statistics.median(times["ours"]), statistics.median(times["pydicom"])
        rows.append((theirs / ours_t, name, ours_t, theirs))
    rows.sort()
    print(f"\n### Decoding every RLE stream of the corpus ({len(rows)} images), ours vs pydicom's plugin\n")
    print("| image | ours | pydicom | ours/pydicom |")
    print("|---|---:|---:|---:|")
    for speedup, name, ours_t, theirs in rows[:8]:
        print(f"| {name} | {ours_t * 1e3:.2f} ms | {theirs * 1e3:.2f} ms | {speedup:.2f}x |")
    print(f"| ... ({len(rows) - 8} more, all faster) | | | |" if len(rows) > 8 else "")
    verdict = "met" if rows[0][0] >= 1 else "NOT met"
    print(f"\ndecode, ours vs pydicom, slowest image: {rows[0][0]:.2f}x on {rows[0][1]} (goal >= 1x): {verdict}")


def memory_figure(frames):
    """Print the peak memory of converting RG1_UNCR repeated `frames` times, the input included."""
    import tracemalloc

    data = repeated_frames("RG1_UNCR.dcm", frames)
    convert(Path(get_testdata_file("CT_small.dcm")).read_bytes())  # imports and registration are not counted
    print(f"\n### Memory of one conversion (RG1_UNCR x {frames} frames, {len(data) / 1e6:.1f} MB)\n")
    for target in ("rle", "explicit"):
        tracemalloc.start()
        convert(data, target)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ratio = (len(data) + peak) / len(data)
        verdict = "met" if ratio <= 3 else "NOT met"
        print(f"{target}: peak {(len(data) + peak) / 1e6:.1f} MB held with the input = {ratio:.2f}x the file "
              f"(goal <= 3x): {verdict}")


if __name__ == "__main__":
    main()
