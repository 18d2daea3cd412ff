"""Worker processes for ``--jobs``: each does one item at a time; results come back in order.

A small pool of its own rather than :mod:`concurrent.futures` or
:class:`multiprocessing.pool.Pool`, for three things they do not give: the parent knows
which item each worker holds, so a worker that dies (a codec aborting the process, the
kernel's out-of-memory killer) fails that one item and is replaced while the others go
on; Ctrl-C terminates the workers at once; and the items a terminated worker held are
handed back to the caller, who removes what they left (no partial files).

Workers are started with the ``forkserver`` method where there is one (workers fork
from a fresh, single-threaded process), otherwise ``spawn``; either way they import
what they need themselves, so the parent need not import pydicom or numpy at all.
Items and results cross the pipes pickled; file contents never do.
"""

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

#: Seconds a terminated worker gets to remove its partial file before it is killed.
_GRACE = 3.0


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


class Pool:
    """`size` worker processes that run ``function(item)`` for one item at a time.

    Parameters
    ----------
    size : int
        How many processes.
    initializer : callable
        Run once in each worker before its first item (a module-level function).
    """

    def __init__(self, size: int, initializer: Callable[[], None]) -> None:
        methods = multiprocessing.get_all_start_methods()
        self._context: Any = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._size = size
        self._initializer = initializer
        self._workers: list[_Worker] = []

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def map(
        self,
        function: Callable[[Any], Any],
        items: Sequence[Any],
        done: Callable[[int, Any], None],
        lost: Callable[[Any, int, str], Any],
    ) -> list[Any]:
        """Return ``[function(item) for item in items]``, computed in the workers.

        Parameters
        ----------
        function : callable
            A module-level function (it is pickled by name).
        items : sequence
            Picklable items.
        done : callable
            Called in the parent with (index, result) as each result arrives.
        lost : callable
            Called with (item, worker pid, reason) for an item whose worker stopped;
            returns the item's result. Also called, result ignored, for the items
            in hand when the run is interrupted.
        """
        results: list[Any] = [None] * len(items)
        waiting = deque(range(len(items)))
        busy: dict[int, tuple[_Worker, int]] = {}  # by worker pid
        while len(self._workers) < min(self._size, len(items)):
            self._workers.append(self._start())
        try:
            while waiting or busy:
                for worker in self._workers:
                    if waiting and worker.process.pid not in busy:
                        index = waiting.popleft()
                        busy[worker.process.pid or 0] = (worker, index)
                        try:
                            worker.conn.send((function, items[index]))
                        except OSError:  # it died while idle: _collect finds out from its sentinel
                            pass
                self._collect(busy, items, results, done, lost)
        except BaseException:
            self._terminate()
            for worker, index in busy.values():
                lost(items[index], worker.process.pid or 0, "interrupted")
            raise
        return results

    def _collect(
        self, busy: dict[int, tuple[_Worker, int]], items: Sequence[Any], results: list[Any],
        done: Callable[[int, Any], None], lost: Callable[[Any, int, str], Any],
    ) -> None:
        """Wait for at least one busy worker to answer or stop; take what came."""
        ready = wait([w.conn for w, _ in busy.values()] + [w.process.sentinel for w, _ in busy.values()])
        for pid, (worker, index) in list(busy.items()):
            if worker.conn in ready or worker.process.sentinel in ready:
                try:
                    result = worker.conn.recv()
                except (EOFError, OSError):
                    worker.process.join()
                    result = lost(items[index], pid, _reason(worker.process.exitcode))
                    self._workers[self._workers.index(worker)] = self._start()
                del busy[pid]
                results[index] = result
                done(index, result)

    def _start(self) -> _Worker:
        """Start one worker process."""
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, self._initializer), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _terminate(self) -> None:
        """Stop every worker now (SIGTERM, then SIGKILL after a grace period)."""
        for worker in self._workers:
            worker.process.terminate()
        for worker in self._workers:
            worker.process.join(_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._workers = []

    def close(self) -> None:
        """Let the workers finish and stop."""
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in self._workers:
            worker.process.join(_GRACE)
        self._terminate()


def _serve(conn: Connection, initializer: Callable[[], None]) -> None:
    """A worker's life: run the items that come until told to stop."""
    initializer()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        function, item = message
        conn.send(function(item))


def _reason(exitcode: int | None) -> str:
    """Return why a worker process stopped, for people."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            pass
    return f"exit status {exitcode}"
