"""Every pydicom plugin of ours and what registers them.

* :mod:`~dicompress.plugins.rle_encoder` and :mod:`~dicompress.plugins.rle_decoder`: the RLE
  Lossless encoder and decoder over :mod:`dicompress.rle`, in pydicom's plugin contract;
* :mod:`~dicompress.plugins.registration`: adds them to pydicom's encoders and decoders (the
  only module that touches pydicom's internals);
* :mod:`~dicompress.plugins.dependencies`: whether numpy is there for them.

Plugins sit above :mod:`dicompress.rle` and below reading and writing.
"""
