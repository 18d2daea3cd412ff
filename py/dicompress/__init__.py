"""dicompress: fast, pure-numpy RLE Lossless plugins for pydicom, a file service and a CLI.

Call :func:`register` once and pydicom's RLE Lossless encoder and decoder gain the
``"dicompress"`` plugins::

    import dicompress
    dicompress.register()
    ds.compress(RLELossless, encoding_plugin="dicompress")

Importing the package imports neither pydicom nor numpy: ``register`` and
``PLUGIN_LABEL`` are loaded on first use. The browser's worker relies on this, as it
imports :mod:`dicompress.browser` before it knows whether numpy can be loaded, and
pydicom decides once, when it is first imported, whether numpy is there.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dicompress.plugins.registration import PLUGIN_LABEL, register

#: The version of the distribution; pyproject.toml reads it from here.
__version__ = "0.1.0"
__all__ = ["PLUGIN_LABEL", "register", "__version__"]


def __getattr__(name: str) -> Any:
    """Load ``register`` and ``PLUGIN_LABEL`` from :mod:`dicompress.plugins.registration` on first use."""
    if name in ("PLUGIN_LABEL", "register"):
        from dicompress.plugins import registration

        return getattr(registration, name)
    raise AttributeError(f"module 'dicompress' has no attribute {name!r}")
