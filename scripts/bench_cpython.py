#!/usr/bin/env python
"""Benchmark dicompress.rle against pydicom's native RLE plugin, pylibjpeg-rle and GDCM.

Usage::

    .venv/bin/python scripts/bench_cpython.py [--rounds 9] [--no-gdcm] [--cpu] [IMAGE ...]

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

    times = {
        (img.name, op, codec): []
        for img in images
        for op, group in (("encode", encoders), ("decode", decoders))
        for codec in group
    }
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
                work = [("encode", c, f) for c, f in encoders.items()] + [("decode", c, f) for c, f in decoders.items()]
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


if __name__ == "__main__":
    main()
