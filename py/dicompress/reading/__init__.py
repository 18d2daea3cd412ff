"""From a file's bytes to a checked data set and its frames in one canonical layout.

* :mod:`~dicompress.reading.structure`: the file's structure walked before pydicom reads it;
* :mod:`~dicompress.reading.data_set_checks`: every element decoded once on the side;
* :mod:`~dicompress.reading.image_pixel`: the Image Pixel description and its geometry;
* :mod:`~dicompress.reading.fragments`: encapsulated items and the Extended Offset Table,
  checked against the bytes that hold them;
* :mod:`~dicompress.reading.deferred`: long values left in the file's bytes, read as views;
* :mod:`~dicompress.reading.compressed_input` and :mod:`~dicompress.reading.lossy`: compressed
  sources, decoded by pydicom's plugins, and whether they were lossy;
* :mod:`~dicompress.reading.layout`: byte-level pixel layout conversions;
* :mod:`~dicompress.reading.dicom_input`: the entry point, tying these together.
"""
