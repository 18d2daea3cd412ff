"""From checked frames to a written file, and the proof that the file holds them.

* :mod:`~dicompress.writing.encapsulated` and :mod:`~dicompress.writing.pixel_data`: Pixel Data
  written frame by frame, native or encapsulated;
* :mod:`~dicompress.writing.lossless`: JPEG-LS, JPEG 2000 and HTJ2K Lossless by pydicom's
  encoders: what each can hold, and what the data set then says;
* :mod:`~dicompress.writing.verification`: each encoded frame and the written file checked
  against the source frames (it reads the result back with :mod:`dicompress.reading`).
"""
