"""Compressed inputs cross-checked by other tools: their decoding of the source against ours.

For every compressed file of pydicom's test files and pydicom-data, the RLE Lossless
result of the service, decoded by DCMTK's ``dcmdrle``, is compared with what a peer
decodes from the original: DCMTK's ``dcmdjpeg`` (JPEG) and ``dcmdjpls`` (JPEG-LS), and
GDCM (every syntax; a child process). HTJ2K files are made by OpenJPH's ``ojph_compress``
from uncompressed images and checked against the image and ``ojph_expand``.

Tolerances
    Exact for every syntax but two. The DCT processes of JPEG (Baseline, Extended) are
    compared within ``JPEG_MAX`` per sample and ``JPEG_MEAN`` on average: the codecs
    extra decodes with libjpeg (pylibjpeg-libjpeg), DCMTK and GDCM with IJG-derived
    code, and their inverse DCTs, chroma upsampling (4:2:2) and YCbCr to RGB rounding
    differ (measured: at most 1 for grey and RGB-coded JPEG, 2 for the small YCbCr
    images, 5 for the 4:2:2 cine loops; mean at most 0.12). Irreversible HTJ2K is compared with ``ojph_expand`` within 1
    (OpenJPEG's and OpenJPH's 9-7 wavelets round differently). Lossy JPEG-LS and JPEG
    2000 streams decode exactly alike everywhere.
"""

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import HTJ2K, HTJ2KLossless, JPEGLSTransferSyntaxes, JPEGTransferSyntaxes, RLELossless

from dicompress.service import convert
from tests import corpus, peers
from tests.compressed_files import DCT_SYNTAXES, decodable_images, image_id, params
from tests.htj2k_files import HTJ2K_CASES, make_htj2k

pytestmark = pytest.mark.peers

JPEG_MAX = 5
JPEG_MEAN = 0.15
HTJ2K_MAX = 1
#: Peers that refuse a file, and why (checked by test_peer_refusals_are_what_they_say).
PEER_REFUSES = {
    ("SC_rgb_jpeg.dcm", "dcmdjpeg"): "Non-standard VR",  # Image Type's VR is two spaces
}


def _peers_for(item: corpus.Image) -> list[str]:
    if item.transfer_syntax in JPEGTransferSyntaxes:
        return ["dcmdjpeg", "gdcm"]
    if item.transfer_syntax in JPEGLSTransferSyntaxes:
        return ["dcmdjpls", "gdcm"]
    return ["gdcm"]


def _pairs() -> list:
    pairs = []
    for param in params(decodable_images()):
        item = param.values[0]
        pairs += [
            pytest.param(item, peer, id=f"{image_id(item)}-{peer}")
            for peer in _peers_for(item)
            if (item.name, peer) not in PEER_REFUSES
        ]
    return pairs


def _decode_with(peer: str, src: Path, dst: Path) -> Path:
    tools = {"dcmdjpeg": peers.dcmdjpeg, "dcmdjpls": peers.dcmdjpls, "gdcm": peers.gdcm_decode}
    if peer == "gdcm":
        peers.require_gdcm()
    else:
        peers.require_tools(peer)
    return tools[peer](src, dst)


def _pixels(path: Path) -> np.ndarray:
    """Return the pixels of an uncompressed file, YCbCr as RGB (as pydicom shows them)."""
    return dcmread(path).pixel_array


@pytest.fixture(scope="module")
def ours_by_dcmdrle(module_tmp):
    """Return a cached function: corpus image -> our RLE result decoded by ``dcmdrle``."""
    peers.require_dcmtk()
    done: dict[str, Path] = {}

    def get(item: corpus.Image) -> Path:
        if item.name not in done:
            rle = module_tmp / f"rle-{item.name}"
            rle.write_bytes(convert(item.path.read_bytes(), "rle").data)
            done[item.name] = peers.dcmdrle(rle, module_tmp / f"dcmdrle-{item.name}")
        return done[item.name]

    return get


@pytest.mark.parametrize("item, peer", _pairs())
def test_our_rle_result_decodes_as_the_peer_decodes_the_source(item, peer, ours_by_dcmdrle, tmp_path):
    ours = _pixels(ours_by_dcmdrle(item))
    theirs = _pixels(_decode_with(peer, item.path, tmp_path / "peer.dcm")).reshape(ours.shape)
    assert ours.dtype == theirs.dtype
    difference = np.abs(ours.astype(np.int64) - theirs.astype(np.int64))
    if item.transfer_syntax in DCT_SYNTAXES:
        assert difference.max() <= JPEG_MAX
        assert difference.mean() <= JPEG_MEAN
    else:
        assert difference.max() == 0


@pytest.mark.parametrize("name, peer", PEER_REFUSES)
def test_peer_refusals_are_what_they_say(name, peer, tmp_path):
    with pytest.raises(peers.PeerError, match=PEER_REFUSES[name, peer]):
        _decode_with(peer, corpus.path(name), tmp_path / "peer.dcm")


def test_dcmtk_and_gdcm_decode_the_jpeg_stream_libjpeg_refuses(tmp_path):
    # JPEG-lossy.dcm: the service says libjpeg finds a misplaced marker (test_compressed_inputs).
    source = corpus.path("JPEG-lossy.dcm")
    by_dcmtk = _pixels(_decode_with("dcmdjpeg", source, tmp_path / "dcmtk.dcm"))
    by_gdcm = _pixels(_decode_with("gdcm", source, tmp_path / "gdcm.dcm"))
    assert by_dcmtk.shape == (1024, 256)
    assert np.array_equal(by_dcmtk, by_gdcm)


def test_no_peer_decodes_the_cut_short_jpeg_2000_stream(tmp_path):
    with pytest.raises(peers.PeerError, match="cannot"):
        _decode_with("gdcm", corpus.path("JPEG2000-embedded-sequence-delimiter.dcm"), tmp_path / "peer.dcm")


# --- HTJ2K, made by OpenJPH ----------------------------------------------------------------

@pytest.fixture(scope="module")
def htj2k(module_tmp):
    """Return a function: case -> (source pixels, HTJ2K DICOM bytes, the codestream's path)."""
    peers.require_tools("ojph_compress", "ojph_expand")
    return lambda case: make_htj2k(case, module_tmp)


@pytest.mark.parametrize("case", [c for c in HTJ2K_CASES if HTJ2K_CASES[c][1]])
def test_reversible_htj2k_converts_to_the_original_pixels(case, htj2k, tmp_path):
    original, data, _ = htj2k(case)
    rle = tmp_path / "rle.dcm"
    rle.write_bytes(convert(data).data)
    assert dcmread(rle).file_meta.TransferSyntaxUID == RLELossless
    assert np.array_equal(_pixels(peers.dcmdrle(rle, tmp_path / "plain.dcm")), original)


@pytest.mark.parametrize("case", [c for c in HTJ2K_CASES if not HTJ2K_CASES[c][1]])
def test_irreversible_htj2k_converts_as_openjph_decodes_it_and_is_marked_lossy(case, htj2k, tmp_path):
    original, data, codestream = htj2k(case)
    result = convert(data)
    rle = tmp_path / "rle.dcm"
    rle.write_bytes(result.data)
    ours = _pixels(peers.dcmdrle(rle, tmp_path / "plain.dcm"))
    expanded = tmp_path / ("expanded.ppm" if original.ndim == 3 else "expanded.pgm")
    theirs = peers.read_netpbm(peers.ojph_expand(codestream, expanded))
    assert np.abs(ours.astype(np.int64) - theirs.astype(np.int64)).max() <= HTJ2K_MAX
    assert not np.array_equal(ours, original)
    written = dcmread(rle)
    assert (written.LossyImageCompression, written.LossyImageCompressionMethod) == ("01", "ISO_15444_15")
    assert result.report.lossy_source is True
