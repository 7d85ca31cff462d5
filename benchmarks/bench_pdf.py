"""Time ``clausewise diff --format pdf`` on the 2,000-clause, 1.3 MB English pair (make_pair.py)
against ``--format html`` of the same pair (the page the PDF prints), with the peak memory of the
whole process tree (clausewise and the Chromium it starts) and the PDF's size and pages.

No issue sets a target for the PDF; this prints the figures for the README.
Run: .venv/bin/python benchmarks/bench_pdf.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import CLAUSEWISE, write_pair  # noqa: E402
from make_pair import make_pair  # noqa: E402


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def memory_kib(pid: int, field: str) -> int:
    """``field`` (Rss or Pss) of one process in KiB, 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak PSS of the whole process tree (KiB: shared pages counted once) and peak
    RSS of the clausewise process itself (KiB), sampled every 20 ms."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = {"tree": 0, "own": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = sum(memory_kib(pid, "Pss") for pid in descendants(process.pid))
            peaks["tree"] = max(peaks["tree"], tree)
            peaks["own"] = max(peaks["own"], memory_kib(process.pid, "Rss"))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {errors.decode()}")
    return elapsed, peaks["tree"], peaks["own"]


def best_of(command: list[str], runs: int) -> tuple[float, int, int]:
    results = [run_measured(command) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results), max(r[2] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (best time is shown)")
    runs = parser.parse_args().runs
    pair = make_pair()
    with tempfile.TemporaryDirectory() as folder:
        old, new = write_pair(pair, folder)
        pdf, html = Path(folder, "redline.pdf"), Path(folder, "redline.html")
        html_time, _, html_own = best_of([CLAUSEWISE, "diff", str(old), str(new), "--format", "html", "-o", str(html)], runs)
        pdf_time, pdf_tree, pdf_own = best_of([CLAUSEWISE, "diff", str(old), str(new), "--format", "pdf", "-o", str(pdf)], runs)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
        pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
        size_pdf, size_html = pdf.stat().st_size, html.stat().st_size
    print(f"pair: {len(pair.truth):,} clauses, {len(pair.old.encode()) / 1e6:.1f} MB; best of {runs} runs; "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"--format html: {html_time:.2f} s, clausewise {html_own / 1024:.0f} MB RSS, page {size_html / 1e6:.1f} MB")
    print(f"--format pdf:  {pdf_time:.2f} s ({pdf_time / html_time:.1f}x html), clausewise {pdf_own / 1024:.0f} MB RSS, "
          f"whole tree with Chromium {pdf_tree / 1024:.0f} MB PSS peak; {pages} pages, {size_pdf / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
