"""Every pydicom plugin of ours and what registers them.

* :mod:`~dicompress.plugins.rle_encoder` and :mod:`~dicompress.plugins.rle_decoder`: the RLE
  Lossless encoder and decoder over :mod:`dicompress.rle`, in pydicom's plugin contract;
* :mod:`~dicompress.plugins.registration`: adds them to pydicom's encoders and decoders (the
  only module that touches pydicom's internals);
* :mod:`~dicompress.plugins.dependencies`: whether numpy is there for them;
* :mod:`~dicompress.plugins.htj2k_encoder`: an HTJ2K Lossless encoder (pydicom has none),
  over imagecodecs' OpenJPH;
* :mod:`~dicompress.plugins.wasm_decoder`: the page's decoder of JPEG, JPEG-LS, JPEG 2000
  and HTJ2K over its WebAssembly codecs (:mod:`~dicompress.plugins.wasm_codecs`, the JS
  bridge; :mod:`~dicompress.plugins.jpeg_adobe`, JPEG colour spaces), available only
  inside Pyodide.

Plugins sit above :mod:`dicompress.rle` and below reading and writing.
"""
