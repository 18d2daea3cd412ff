"""The command line's whole stack: ``dicompress INPUT... -o OUT``.

* :mod:`~dicompress.cli.main`: the arguments and the run;
* :mod:`~dicompress.cli.batch`: the plan (which input becomes which output);
* :mod:`~dicompress.cli.tasks`: one input to one result and one manifest record;
* :mod:`~dicompress.cli.parallel`: the process pool for ``--jobs``;
* :mod:`~dicompress.cli.dask_runner`: ``--dask``, the same tasks on a Dask cluster;
* :mod:`~dicompress.cli.storage`: fsspec URLs (``s3://``, ``gs://``) for inputs and results;
* :mod:`~dicompress.cli.notebook`: :func:`~dicompress.cli.notebook.convert_archive`, the run from Python;
* :mod:`~dicompress.cli.outputs` and :mod:`~dicompress.cli.manifest`: safe writes and resumable runs;
* :mod:`~dicompress.cli.study`: DICOMDIR rewriting;
* :mod:`~dicompress.cli.report`: the summary and ``--report``.
"""
