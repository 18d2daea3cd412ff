"""``--dask``: the run's tasks on a Dask cluster, embedded or named, results streamed back.

The unit of work is the command line's own, :func:`dicompress.cli.tasks.run` (one input,
one verified result, one manifest line), sent in batches by size: many small files
together, a big file alone, so that per-task overhead stays small without one worker
holding a long tail. Outcomes come back as batches finish (:func:`distributed.as_completed`)
and are put in plan order, so the summary and ``--report`` are those of ``--jobs 1``.

A worker process that dies (the kernel's out-of-memory killer, a codec aborting) has
its batch retried elsewhere by the scheduler, up to its ``allowed-failures``. A batch
that keeps killing workers is split and each of its files retried alone; a file that
alone keeps killing them fails with the code ``killed-workers`` and the others finish.
Files a killed batch had finished are *up to date* on its retry (their results and
manifest lines were written), so nothing is converted twice.

Importing this module imports neither distributed nor dask; :func:`cluster` says which
``pip install`` brings them when they are missing.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dicompress import frontend
from dicompress.cli import storage, tasks
from dicompress.cli.storage import MissingExtra, install_hint
from dicompress.cli.tasks import Outcome, Task

#: Files of at least this size are a batch alone; smaller ones are batched up to it.
BATCH_BYTES = 64 * 1024**2
#: At most this many files in a batch.
BATCH_FILES = 64
#: Batches per worker at least (when there are files enough), so that work stays balanced.
BATCHES_PER_WORKER = 8
#: How many worker deaths the embedded cluster's scheduler allows a task (Dask's default is 3).
ALLOWED_FAILURES = 2
#: The embedded cluster's scheduler settings. A worker holds only the batch it runs (no batch
#: queued behind it), so a worker's death counts against that batch alone: with Dask's
#: default saturation a batch waiting on a worker that a poisonous file kills is blamed too.
#: A named cluster's scheduler should be started with the same settings.
CLUSTER_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
}

Function = Callable[[Task], Outcome]


@contextmanager
def cluster(address: str | None = None, scheduler_file: str | None = None, workers: int = 1) -> Iterator[Any]:
    """Yield a :class:`distributed.Client`, closed after.

    Parameters
    ----------
    address : str, optional
        A scheduler's address (``tcp://host:port``) to connect to.
    scheduler_file : str, optional
        A scheduler file (as dask-jobqueue and ``dask scheduler --scheduler-file`` write).
    workers : int
        Without either: the worker processes of the embedded LocalCluster (one thread each).

    Raises
    ------
    MissingExtra
        If distributed is not installed.
    """
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise MissingExtra(f"--dask needs optional packages: {install_hint('dask')}") from exc
    if address or scheduler_file:
        with _untyped(distributed).Client(address or None, scheduler_file=scheduler_file) as client:
            _tell_dashboard(client)
            yield client
        return
    import logging

    with dask.config.set(CLUSTER_CONFIG), \
            _untyped(distributed).LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", silence_logs=logging.ERROR) as local, \
            _untyped(distributed).Client(local) as client:
        _tell_dashboard(client)
        yield client


def worker_count(client: Any) -> int:
    """Return how many workers the client's cluster has now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def run_all(client: Any, items: Sequence[Task], done: Callable[[int, Outcome], None],
            function: Function = tasks.run) -> list[Outcome]:
    """Return ``[function(item) for item in items]``, computed on the cluster in batches.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    items : sequence of Task
        The tasks, in plan order.
    done : callable
        Called with (index, outcome) as each outcome arrives.
    function : callable, optional
        The unit of work, a module-level function: :func:`dicompress.cli.tasks.run`.
    """
    import distributed
    from distributed.scheduler import KilledWorker

    results: list[Outcome | None] = [None] * len(items)
    batches = {client.submit(run_batch, function, [items[i] for i in batch], pure=False): batch
               for batch in partition(items, worker_count(client))}
    pending = _untyped(distributed).as_completed(list(batches))
    try:
        for future in pending:
            batch = batches.pop(future)
            try:
                outcomes = future.result()
            except KilledWorker:
                if len(batch) == 1:
                    outcomes = [killed(items[batch[0]])]
                else:
                    for i in batch:
                        alone = client.submit(run_batch, function, [items[i]], pure=False)
                        batches[alone] = [i]
                        pending.add(alone)
                    continue
            finally:
                future.release()
            for i, outcome in zip(batch, outcomes, strict=True):
                results[i] = outcome
                done(i, outcome)
    except BaseException:
        client.cancel(list(batches))
        raise
    return [outcome for outcome in results if outcome is not None]


def run_batch(function: Function, items: list[Task]) -> list[Outcome]:
    """Do the tasks of one batch, one by one (on a worker)."""
    return [function(item) for item in items]


def partition(items: Sequence[Task], workers: int) -> list[list[int]]:
    """Return the indexes of `items` in batches: small files together, each big file alone."""
    most = max(1, min(BATCH_FILES, -(-len(items) // (workers * BATCHES_PER_WORKER))))
    batches: list[list[int]] = []
    batch: list[int] = []
    total = 0
    for i, item in enumerate(items):
        size = _size(item)
        if batch and (total + size > BATCH_BYTES or len(batch) >= most):
            batches.append(batch)
            batch, total = [], 0
        batch.append(i)
        total += size
    return batches + [batch] if batch else batches


def killed(task: Task) -> Outcome:
    """Return the outcome of a task that kept killing the workers that took it."""
    return Outcome(task.job, "failed", frontend.message("killed_workers"), code="killed-workers")


def _size(task: Task) -> int:
    """Return the size of a task's input: from the listing, or asked of the file system."""
    if task.job.size is not None:
        return task.job.size
    try:
        return storage.size(task.job.source)
    except OSError:
        return 0  # the task itself tells why it cannot be read


def _untyped(module: Any) -> Any:
    """Return `module` as :data:`typing.Any`: distributed's functions have no type hints."""
    return module


def _tell_dashboard(client: Any) -> None:
    """Print the link to the cluster's dashboard, when it has one (it needs bokeh, which is optional)."""
    from importlib.util import find_spec

    if find_spec("bokeh") and "dashboard" in client.scheduler_info().get("services", {}):
        print(f"dicompress: Dask dashboard at {client.dashboard_link}", file=sys.stderr)

