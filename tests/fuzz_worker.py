"""Convert fuzz cases one after the other, each with a CPU-time cap; the child of tests/test_fuzz_files.py.

    python -m tests.fuzz_worker FOLDER CPU_SECONDS MEMORY_BYTES FIRST LAST

FOLDER holds ``cases.json`` (a list of ``{"file": ..., "target": ...}``) and the case files.
Cases FIRST to LAST (excluded) are converted by :func:`tests.pyodide.fuzz_case.outcome` (what
the run inside Pyodide does too); one JSON line per case goes to stdout as soon as it is done:
its index, ``"outcome"`` (``"done"``, ``"typed"`` or ``"exception"``), the error's code or type
and message. A result is written next to its case as ``<file>.out``.

The process's address space is capped at MEMORY_BYTES, and each case gets CPU_SECONDS more
CPU time than the cases before it used: a case that loops is killed by SIGXCPU, one that
allocates beyond the cap fails with MemoryError. The working folder is FOLDER/cwd, which
must stay empty.
"""

import json
import os
import resource
import sys
from pathlib import Path

from tests.pyodide.fuzz_case import outcome, quiet


def main() -> None:
    folder, cpu_seconds = Path(sys.argv[1]), float(sys.argv[2])
    memory, first, last = (int(arg) for arg in sys.argv[3:6])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    quiet()
    os.chdir(folder / "cwd")
    entries = json.loads((folder / "cases.json").read_text())
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    for index in range(first, last):
        entry = entries[index]
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        resource.setrlimit(resource.RLIMIT_CPU, (int(spent + cpu_seconds) + 1, hard))
        print(json.dumps({"index": index, "outcome": "started"}), flush=True)
        print(json.dumps({"index": index, **outcome(folder, entry, ".out")}), flush=True)


if __name__ == "__main__":
    main()
