"""dicompress: fast, pure-numpy RLE Lossless plugins for pydicom, a file service and a CLI.

Call :func:`register` once and pydicom's RLE Lossless encoder and decoder gain the
``"dicompress"`` plugins::

    import dicompress
    dicompress.register()
    ds.compress(RLELossless, encoding_plugin="dicompress")
"""

from dicompress.registration import PLUGIN_LABEL, register

__version__ = "0.1.0"
__all__ = ["PLUGIN_LABEL", "register", "__version__"]
