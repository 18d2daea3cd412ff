"""What Chromium's processes hold together: the proportional set size (PSS, shared pages
counted once across processes) of a browser's whole process tree, sampled while it works."""

import threading
from pathlib import Path


def _children() -> dict[int, list[int]]:
    """Each running process's children, from /proc/PID/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parent = int(text.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


def browser_root(user_data_dir: Path) -> int:
    """The pid of the Chromium browser process using `user_data_dir` (a persistent context's)."""
    marker = f"--user-data-dir={user_data_dir}".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in args and not any(a.startswith(b"--type=") for a in args):
            return int(cmdline.parent.name)
    raise AssertionError(f"no Chromium browser process for {user_data_dir}")


def tree_pss(root: int) -> int:
    """The summed PSS (bytes) of `root` and all its descendants."""
    children = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:"))
    return total


class PeakPss:
    """Samples :func:`tree_pss` of a browser every `interval` seconds in a thread; ``peak`` is the largest seen."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_pss(self.root))
            if self._stop.wait(self._interval):
                return

    def __enter__(self) -> "PeakPss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
