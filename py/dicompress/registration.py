"""Add dicompress's plugins to pydicom's RLE Lossless encoder and decoder."""

from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.pixels.encoders.base import ENCODING_PROFILES
from pydicom.uid import RLELossless

#: The label of both plugins in pydicom.
PLUGIN_LABEL = "dicompress"

_ENCODER_PATH = ("dicompress.encoder", "encode_frame")
_DECODER_PATH = ("dicompress.decoder", "decode_frame")

# PS3.5 G.2 allows up to 15 segments, but pydicom's profile table stops at 16 bits.
# These add the 32- and 64-bit images RLE can hold (e.g. RT Dose) to that table.
_WIDE_RLE_PROFILES = [
    ("MONOCHROME1", 1, (0, 1), (32, 64), range(1, 65)),
    ("MONOCHROME2", 1, (0, 1), (32, 64), range(1, 65)),
    ("RGB", 3, (0,), (32,), range(1, 33)),
]


def register(prefer: bool = True) -> None:
    """Add the ``"dicompress"`` plugins to pydicom's RLE Lossless encoder and decoder.

    Safe to call more than once. When numpy is missing the plugins are still added,
    and pydicom reports them unavailable through ``is_available`` and
    ``missing_dependencies``.

    Parameters
    ----------
    prefer : bool, optional
        If ``True`` (default) the dicompress plugins are tried before pydicom's own
        when no plugin is named; if ``False`` they are tried last.
    """
    for coder, path in ((RLELosslessEncoder, _ENCODER_PATH), (RLELosslessDecoder, _DECODER_PATH)):
        if not _has_plugin(coder):
            coder.add_plugin(PLUGIN_LABEL, path)
        _set_priority(coder, first=prefer)
    profiles = ENCODING_PROFILES[RLELossless]
    profiles.extend(p for p in _WIDE_RLE_PROFILES if p not in profiles)


def is_registered() -> bool:
    """Return ``True`` once :func:`register` has added both plugins (available or not)."""
    return _has_plugin(RLELosslessEncoder) and _has_plugin(RLELosslessDecoder)


def _has_plugin(coder: object) -> bool:
    """Return whether `coder` knows our plugin, available or not."""
    return PLUGIN_LABEL in coder._available or PLUGIN_LABEL in coder._unavailable  # type: ignore[attr-defined]


def _set_priority(coder: object, *, first: bool) -> None:
    """Move our plugin to the front (or back) of the coder's plugin order.

    pydicom tries available plugins in the insertion order of its private
    ``_available`` dict and offers no public way to reorder them.
    """
    available: dict = coder._available  # type: ignore[attr-defined]
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
