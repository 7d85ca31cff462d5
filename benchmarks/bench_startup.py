"""Start-up: ``clausewise diff a.txt b.txt`` of two one-line files against a bare ``python -c pass``
(target: within 2.5x), whole processes, the two interleaved so that load on the machine hits both.

Run: .venv/bin/python benchmarks/bench_startup.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import compile_bytecode  # noqa: E402

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


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
            wall_time(command)
        bare, diff = [], []
        for _ in range(runs):
            bare.append(wall_time(bare_command))
            diff.append(wall_time(diff_command))
    bare_median, diff_median = statistics.median(bare), statistics.median(diff)
    print(f"{runs} runs each, medians (best):")
    print(f"python -c pass                   {bare_median * 1000:6.1f} ms ({min(bare) * 1000:.1f})")
    print(f"clausewise diff a.txt b.txt      {diff_median * 1000:6.1f} ms ({min(diff) * 1000:.1f})   "
          f"{diff_median / bare_median:4.2f}x python -c pass (target <= 2.5x; best {min(diff) / min(bare):.2f}x)")


if __name__ == "__main__":
    main()
