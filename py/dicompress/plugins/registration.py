"""Add dicompress's plugins to pydicom's encoders and decoders.

The RLE Lossless encoder and decoder, an HTJ2K Lossless encoder, and (for the page,
available only inside Pyodide) the decoder of the WebAssembly codecs on the JPEG 2000,
HTJ2K, JPEG-LS and JPEG Lossless decoders, and their encoder on the JPEG-LS, JPEG 2000
and HTJ2K Lossless encoders (under its own label, :data:`PAGE_LABEL`).

This is the only module that touches pydicom's private state; each touch says which
gap in pydicom's public API it works around.
"""

from pydicom.pixels.common import CoderBase
from pydicom.pixels import get_decoder, get_encoder
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.pixels.encoders import base as encoders_base
from pydicom.pixels.encoders.base import ENCODING_PROFILES, Encoder
from pydicom.uid import HTJ2KLossless, RLELossless

from dicompress.plugins.dependencies import numpy_available
from dicompress.plugins.wasm_codecs import DECODING_FAMILIES, ENCODING_FAMILIES

#: The label of every plugin of ours in pydicom.
PLUGIN_LABEL = "dicompress"
#: The label of pydicom's own pure-Python RLE plugins (encoder and decoder).
PYDICOM_LABEL = "pydicom"
#: The label of the page's WebAssembly encoders: HTJ2K Lossless has ``"dicompress"`` already
#: (the command line's plugin over imagecodecs), and a coder takes a label once.
PAGE_LABEL = "dicompress-page"
_PAGE_ENCODER = ("dicompress.plugins.wasm_encoder", "encode_frame")

_PLUGINS: tuple[tuple[CoderBase, tuple[str, str]], ...] = (
    (RLELosslessEncoder, ("dicompress.plugins.rle_encoder", "encode_frame")),
    (RLELosslessDecoder, ("dicompress.plugins.rle_decoder", "decode_frame")),
    *((get_decoder(uid), ("dicompress.plugins.wasm_decoder", "decode_frame")) for uid in DECODING_FAMILIES),
)

# PS3.5 G.2 allows up to 15 segments, but pydicom's profile table stops at 16 bits.
# These add the 32- and 64-bit images RLE can hold (e.g. RT Dose) to that table.
_WIDE_RLE_PROFILES = [
    ("MONOCHROME1", 1, (0, 1), (32, 64), range(1, 65)),
    ("MONOCHROME2", 1, (0, 1), (32, 64), range(1, 65)),
    ("RGB", 3, (0,), (32,), range(1, 33)),
]

#: pydicom 3.0 has no encoder for HTJ2K Lossless: this one has dicompress's plugin only.
HTJ2KLosslessEncoder = Encoder(HTJ2KLossless)
_HTJ2K_PLUGIN = ("dicompress.plugins.htj2k_encoder", "encode_frame")
# PS3.5 Table 8.2.4-1 (JPEG 2000 Lossless, which HTJ2K Lossless shares), up to the
# 16 bits per sample the plugin writes.
_HTJ2K_PROFILES = [
    ("MONOCHROME1", 1, (0, 1), (8, 16), range(1, 17)),
    ("MONOCHROME2", 1, (0, 1), (8, 16), range(1, 17)),
    ("PALETTE COLOR", 1, (0,), (8, 16), range(1, 17)),
    ("YBR_RCT", 3, (0,), (8, 16), range(1, 17)),
    ("RGB", 3, (0,), (8, 16), range(1, 17)),
    ("YBR_FULL", 3, (0,), (8, 16), range(1, 17)),
]


def register(prefer: bool = True) -> None:
    """Add the ``"dicompress"`` plugins to pydicom's encoders and decoders.

    Safe to call more than once. When numpy is missing the plugins are still added,
    and pydicom reports them unavailable through ``is_available`` and
    ``missing_dependencies``.

    Parameters
    ----------
    prefer : bool, optional
        If ``True`` (default) the dicompress plugins are tried before pydicom's own
        when no plugin is named; if ``False`` they are tried last.
    """
    add_plugins()
    for coder, _ in _PLUGINS:
        _set_priority(coder, first=prefer)


def add_plugins() -> None:
    """Add the plugins and the wide RLE profiles where missing; never reorder anything.

    pydicom appends a new plugin to its order, so a plugin added here is tried last
    when no plugin is named, and an order a caller chose with :func:`register` stands.
    """
    for coder, path in _PLUGINS:
        if not _has_plugin(coder):
            coder.add_plugin(PLUGIN_LABEL, path)
    # ENCODING_PROFILES is a public module-level table, but pydicom has no function to
    # extend it: the encoder checks every image against it before any plugin runs.
    profiles = ENCODING_PROFILES[RLELossless]
    profiles.extend(p for p in _WIDE_RLE_PROFILES if p not in profiles)
    add_htj2k_encoder()
    for uid in ENCODING_FAMILIES:
        encoder = get_encoder(uid)
        if not _has_plugin(encoder, PAGE_LABEL):
            encoder.add_plugin(PAGE_LABEL, _PAGE_ENCODER)


def add_htj2k_encoder() -> None:
    """Make pydicom's ``get_encoder`` and ``Dataset.compress`` know HTJ2K Lossless, once.

    pydicom's encoder guide covers a new ``Encoder(uid)`` with ``add_plugin``; what it
    has no public function for is the two module-level tables every encoder is looked
    up in: its encoding profiles (checked before any plugin runs) and the private
    ``_PIXEL_DATA_ENCODERS`` that ``get_encoder`` reads. An entry pydicom itself may
    make one day is left as it is.
    """
    if HTJ2KLossless in encoders_base._PIXEL_DATA_ENCODERS:
        return
    if not _has_plugin(HTJ2KLosslessEncoder):
        HTJ2KLosslessEncoder.add_plugin(PLUGIN_LABEL, _HTJ2K_PLUGIN)
    ENCODING_PROFILES.setdefault(HTJ2KLossless, list(_HTJ2K_PROFILES))
    encoders_base._PIXEL_DATA_ENCODERS[HTJ2KLossless] = (HTJ2KLosslessEncoder, "dicompress")


def service_plugin() -> str:
    """Return the label of the RLE plugin the file service names, to encode and to decode.

    Ours when numpy can be imported, else pydicom's own. Naming one plugin keeps pydicom
    from falling through to other installed plugins when it fails (pylibjpeg-rle 2.2.0
    panics with a ``BaseException`` on some corrupt frames). Call :func:`add_plugins`
    first.
    """
    return PLUGIN_LABEL if numpy_available() else PYDICOM_LABEL


def is_registered() -> bool:
    """Return ``True`` once every plugin has been added (available or not)."""
    return all(_has_plugin(coder) for coder, _ in _PLUGINS)


def _has_plugin(coder: CoderBase, label: str = PLUGIN_LABEL) -> bool:
    """Return whether `coder` knows our plugin `label`, available or not.

    pydicom's public ``available_plugins`` lists only available plugins, and an
    unavailable one shows only as a sentence in ``missing_dependencies``; the private
    dicts are the one exact answer (``add_plugin`` refuses a label twice).
    """
    return label in coder._available or label in coder._unavailable


def _set_priority(coder: CoderBase, *, first: bool) -> None:
    """Move our plugin to the front (or back) of the coder's plugin order.

    pydicom tries available plugins in the insertion order of its private
    ``_available`` dict and offers no public way to reorder them.
    """
    available = coder._available
    if PLUGIN_LABEL not in available:
        return
    ours = available.pop(PLUGIN_LABEL)
    others = dict(available)
    available.clear()
    if first:
        available[PLUGIN_LABEL] = ours
    available.update(others)
    if not first:
        available[PLUGIN_LABEL] = ours
