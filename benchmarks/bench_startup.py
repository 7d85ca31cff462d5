"""Start-up: ``clausewise diff a.txt b.txt`` of two one-line files against a bare ``python -c pass``
(target: within 2.5x), whole processes, the two interleaved so that load on the machine hits both.
Prints the medians of wall time and of CPU time (user + system, from the process's rusage): on a
busy machine wall time also counts the wait for a core, CPU time only the process's own work.

Run: .venv/bin/python benchmarks/bench_startup.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import compile_bytecode  # noqa: E402

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))


def timed(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp, "a.txt"), Path(tmp, "b.txt")
        old.write_text("1. The trial lasts thirty days.\n", encoding="utf-8")
        new.write_text("1. The trial lasts fifteen days.\n", encoding="utf-8")
        bare_command = [sys.executable, "-c", "pass"]
        diff_command = [CLAUSEWISE, "diff", str(old), str(new)]
        for command in (bare_command, diff_command):  # warm the file cache
            timed(command)
        bare, diff = [], []
        for _ in range(runs):
            bare.append(timed(bare_command))
            diff.append(timed(diff_command))
    print(f"{runs} runs each, medians:   wall      CPU")
    for name, times in (("python -c pass", bare), ("clausewise diff a.txt b.txt", diff)):
        print(f"{name:28} {statistics.median(t[0] for t in times) * 1000:6.1f} ms {statistics.median(t[1] for t in times) * 1000:6.1f} ms")
    wall = statistics.median(t[0] for t in diff) / statistics.median(t[0] for t in bare)
    cpu = statistics.median(t[1] for t in diff) / statistics.median(t[1] for t in bare)
    print(f"clausewise diff / python -c pass: {wall:.2f}x wall, {cpu:.2f}x CPU (target <= 2.5x)")


if __name__ == "__main__":
    main()
