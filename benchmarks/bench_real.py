"""Time ``clausewise diff --format json`` on every real version pair of the shared corpus
(``corpus/real/ota`` and ``corpus/real/zh-laws``) against ``difflib.HtmlDiff().make_file`` on the
same pairs.

Targets (issue 10): the total whole-process time of clausewise at most half of difflib's (difflib
is timed in process, without a start-up of its own), and no pair slower than 1 s.

Run: .venv/bin/python benchmarks/bench_real.py [CORPUS_REAL_DIR]
The corpus is found as the tests find it: the argument, $CLAUSEWISE_CORPUS (the seed file or the
corpus folder), else ../shared/corpus beside the checkout.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import CLAUSEWISE, compile_bytecode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def real_corpus(argument: str | None = None) -> Path | None:
    """The ``corpus/real`` folder, or None when it is not there."""
    candidates = [Path(argument)] if argument else []
    configured = os.environ.get("CLAUSEWISE_CORPUS")
    if configured:
        path = Path(configured)
        candidates.append((path.parent if path.is_file() else path) / "real")
    candidates.append(ROOT.parent / "shared" / "corpus" / "real")
    return next((path for path in candidates if (path / "ota").is_dir()), None)


def pairs(real: Path) -> list[tuple[str, Path, Path]]:
    """(name, old, new) for every pair of ota/ and zh-laws/."""
    found = []
    for folder in ("ota", "zh-laws"):
        for old in sorted((real / folder).glob("*-old.md")):
            new = old.with_name(old.name.replace("-old.md", "-new.md"))
            if new.is_file():
                found.append((f"{folder}/{old.name[:-7]}", old, new))
    return found


def process_seconds(command: list[str]) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of three runs of a whole process."""
    wall = cpu = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"Error: {command[0]} failed: {process.stderr.read().decode()}")
    return wall, cpu


def difflib_seconds(old: Path, new: Path) -> tuple[float, float]:
    """Best wall and CPU time of three in-process runs of difflib.HtmlDiff().make_file."""
    old_lines = old.read_text(encoding="utf-8").splitlines()
    new_lines = new.read_text(encoding="utf-8").splitlines()
    wall = cpu = float("inf")
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        difflib.HtmlDiff().make_file(old_lines, new_lines)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    real = real_corpus(sys.argv[1] if len(sys.argv) > 1 else None)
    if real is None:
        raise SystemExit("Error: corpus/real not found; pass its folder or lay ../shared beside the checkout")
    compile_bytecode()
    totals = {"ours": 0.0, "ours_cpu": 0.0, "difflib": 0.0, "difflib_cpu": 0.0}
    slowest = ("", 0.0, 0.0)
    print(f"{'pair':<14}{'KB':>5}{'clausewise wall/cpu':>22}{'difflib wall/cpu':>20}{'ratio wall/cpu':>17}")
    with tempfile.TemporaryDirectory() as tmp:
        output = str(Path(tmp, "d.json"))
        for name, old, new in pairs(real):
            ours, ours_cpu = process_seconds([CLAUSEWISE, "diff", str(old), str(new), "--format", "json",
                                              "-o", output])
            baseline, baseline_cpu = difflib_seconds(old, new)
            for key, value in (("ours", ours), ("ours_cpu", ours_cpu), ("difflib", baseline),
                               ("difflib_cpu", baseline_cpu)):
                totals[key] += value
            if ours > slowest[1]:
                slowest = (name, ours, ours_cpu)
            size = (old.stat().st_size + new.stat().st_size) / 2048
            print(f"{name:<14}{size:5.0f}{ours:13.3f}/{ours_cpu:.3f}s{baseline:11.3f}/{baseline_cpu:.3f}s"
                  f"{ours / baseline:10.2f}/{ours_cpu / baseline_cpu:.2f}")
    print(f"total: clausewise {totals['ours']:.2f} s (cpu {totals['ours_cpu']:.2f} s), difflib.HtmlDiff "
          f"{totals['difflib']:.2f} s (cpu {totals['difflib_cpu']:.2f} s); ratio wall "
          f"{totals['ours'] / totals['difflib']:.2f}, cpu {totals['ours_cpu'] / totals['difflib_cpu']:.2f} "
          "(target <= 0.5)")
    print(f"slowest pair: {slowest[0]} {slowest[1]:.3f} s (cpu {slowest[2]:.3f} s; target < 1 s)")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times on a busy machine overstate clausewise's start-up; the cpu figures do not)")

if __name__ == "__main__":
    main()
