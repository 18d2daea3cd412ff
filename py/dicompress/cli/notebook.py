"""The command line's run as one Python call, for notebooks and scripts: :func:`convert_archive`."""

import json
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any


def convert_archive(
    inputs: str | PathLike[str] | Sequence[str | PathLike[str]],
    output: str | PathLike[str],
    *,
    client: Any = None,
    syntax: str = "rle",
    compact: bool = False,
    verify: bool = True,
    overwrite: bool = False,
    copy_non_image: bool = True,
    storage_options: Mapping[str, Any] | None = None,
    jobs: int | None = None,
    report: str | PathLike[str] | None = None,
) -> dict[str, Any]:
    """Convert DICOM files and folders as ``dicompress INPUT... -o OUTPUT`` does; return the report.

    The same run as the command line's (same results, manifest, summary printed), on the
    Dask cluster of `client` if one is given, otherwise in `jobs` local processes.

    Parameters
    ----------
    inputs : path or URL, or a sequence of them
        Files and folders: local paths or fsspec URLs (``s3://bucket/prefix``, ``gs://...``).
    output : path or URL
        The folder for the results.
    client : distributed.Client, optional
        Run on this Dask cluster (it is not closed after).
    syntax : str, optional
        The target: ``"rle"`` (default), ``"explicit"`` or ``"deflate"``.
    compact, verify, overwrite, copy_non_image : bool, optional
        As ``--compact``, ``--no-verify`` (``verify=False``), ``--overwrite`` and
        ``--skip-non-image`` (``copy_non_image=False``).
    storage_options : mapping, optional
        fsspec storage options for the URLs, e.g. ``{"endpoint_url": "http://127.0.0.1:9000"}``.
    jobs : int, optional
        Without `client`: worker processes (default: one per CPU).
    report : path, optional
        Also write the report there as JSON (``--report``).

    Returns
    -------
    dict
        The ``--report`` document: ``options``, ``totals`` (files by status, bytes in and
        out) and ``files``, one record per input (status, error code, message, sizes...).

    Raises
    ------
    ValueError
        If the arguments are wrong (a missing input, say), or no file was found.
    KeyboardInterrupt
        If interrupted (the summary is not printed); finished results are kept and a new
        call goes on.

    Examples
    --------
    >>> from distributed import Client                                  # doctest: +SKIP
    >>> from dicompress.cli.notebook import convert_archive
    >>> report = convert_archive("s3://archive/2024", "s3://archive-rle/2024",
    ...                          client=Client("tcp://scheduler:8786"))  # doctest: +SKIP
    >>> report["totals"]["failed"]                                      # doctest: +SKIP
    0
    """
    from dicompress.cli.main import execute, parse_arguments

    paths = [inputs] if isinstance(inputs, str | PathLike) else list(inputs)
    argv = [*map(str, paths), "-o", str(output), "--syntax", syntax]
    argv += [flag for flag, wanted in (("--compact", compact), ("--no-verify", not verify),
                                       ("--overwrite", overwrite), ("--skip-non-image", not copy_non_image)) if wanted]
    argv += [f"--storage-option={key}={json.dumps(value)}" for key, value in (storage_options or {}).items()]
    argv += ["--jobs", str(jobs)] if jobs else []
    argv += ["--report", str(report)] if report else []
    try:
        args = parse_arguments(argv)
    except SystemExit as exc:
        raise ValueError(f"dicompress cannot run with these arguments (see the message above): {argv}") from exc
    status, document = execute(args, client=client)
    if status == 130:
        raise KeyboardInterrupt
    if document is None:
        raise ValueError("no files found" if status == 1 else f"the run stopped with status {status}")
    return document
