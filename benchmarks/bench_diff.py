"""Time ``clausewise diff`` on a 2,000-clause, 1.3 MB English pair against git's word diff and
difflib.HtmlDiff, check its memory, its accuracy against the generator's ground truth, and that the
alignment grows linearly with the number of clauses.

Run: .venv/bin/python benchmarks/bench_diff.py
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
from make_pair import make_pair  # noqa: E402

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))


def run_timed(command: list[str]) -> tuple[float, int, float]:
    """Best wall time of three runs, the peak RSS (KiB) of the last one, and the best CPU time
    (user + system: on a busy machine wall time also counts the wait for a core)."""
    best, peak, best_cpu = float("inf"), 0, float("inf")
    for _ in range(3):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, usage.ru_utime + usage.ru_stime)
        peak = usage.ru_maxrss
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{command[0]} failed: {process.stderr.read().decode()}")
    return best, peak, best_cpu


def accuracy(pair) -> str:
    from clausewise.differ import diff_texts
    from clausewise.differ.model import DocumentRef

    diff = diff_texts(pair.old, pair.new, DocumentRef("old"), DocumentRef("new"))
    found = {c.new_label: c for c in diff.changes if c.new is not None and c.new.kind == "clause"}
    correct = sum(1 for label, old in pair.truth.items() if found[label].old_label == old)
    moved_found = sum(1 for label in pair.moved if found[label].moved)
    false_moves = sum(1 for label, c in found.items() if c.moved and label not in pair.moved)
    renumbered = [label for label, old in pair.truth.items() if old and old != label]
    renumber_ok = sum(1 for label in renumbered if found[label].renumbered and found[label].old_label == pair.truth[label])
    return (f"correspondence {correct}/{len(pair.truth)}, moves found {moved_found}/{len(pair.moved)} "
            f"(false moves {false_moves}), renumbered {renumber_ok}/{len(renumbered)}")


def alignment_seconds(sections: int) -> float:
    from clausewise.differ import diff_texts
    from clausewise.differ.model import DocumentRef

    pair = make_pair(sections=sections)
    start = time.perf_counter()
    diff_texts(pair.old, pair.new, DocumentRef("old"), DocumentRef("new"))
    return time.perf_counter() - start


def compile_bytecode() -> None:
    """Byte-compile clausewise (and the libraries it loads) once, as a regular pip install does.

    An editable install run with PYTHONDONTWRITEBYTECODE=1 (set on this workplace's machines)
    recompiles every module on every start, which is not what an installed tool pays.
    """
    import compileall
    import sysconfig

    for folder in (Path(__file__).resolve().parents[1] / "clausewise", Path(sysconfig.get_paths()["purelib"])):
        compileall.compile_dir(str(folder), quiet=1)


def write_pair(pair, folder: str) -> tuple[Path, Path]:
    """The pair's texts as ``old.md`` and ``new.md`` in ``folder``; prints their sizes."""
    old, new = Path(folder, "old.md"), Path(folder, "new.md")
    old.write_text(pair.old, encoding="utf-8")
    new.write_text(pair.new, encoding="utf-8")
    print(f"pair: {len(pair.truth)} clauses in the new text, {len(pair.old.encode()) / 1e6:.2f} MB old, "
          f"{len(pair.new.encode()) / 1e6:.2f} MB new")
    return old, new


def main() -> None:
    compile_bytecode()
    pair = make_pair()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = write_pair(pair, tmp)
        git, _, git_cpu = run_timed(["git", "diff", "--no-index", "--word-diff=porcelain", str(old), str(new)])
        as_json, json_rss, json_cpu = run_timed([CLAUSEWISE, "diff", str(old), str(new), "--format", "json",
                                       "-o", str(Path(tmp, "d.json"))])
        as_html, html_rss, html_cpu = run_timed([CLAUSEWISE, "diff", str(old), str(new), "--format", "html",
                                       "-o", str(Path(tmp, "d.html"))])
        start, start_cpu = time.perf_counter(), time.process_time()
        difflib.HtmlDiff().make_file(pair.old.splitlines(), pair.new.splitlines())
        html_diff, html_diff_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"git diff --no-index --word-diff   {git:7.3f} s")
    print(f"clausewise diff --format json     {as_json:7.3f} s   {as_json / git:5.1f}x git (target <= 15x)   "
          f"peak {json_rss / 1024:.0f} MB")
    print(f"clausewise diff --format html     {as_html:7.3f} s   {html_diff / as_html:5.1f}x faster than "
          f"difflib.HtmlDiff (target >= 5x)   peak {html_rss / 1024:.0f} MB")
    print(f"difflib.HtmlDiff().make_file      {html_diff:7.3f} s (in process)")
    print(f"CPU time: git {git_cpu:.3f} s, json {json_cpu:.3f} s ({json_cpu / git_cpu:.1f}x git), html "
          f"{html_cpu:.3f} s ({html_diff_cpu / html_cpu:.1f}x faster than difflib.HtmlDiff's {html_diff_cpu:.3f} s)")
    print("accuracy:", accuracy(pair))
    small, large = alignment_seconds(100), alignment_seconds(400)
    print(f"diff_texts 1,000 vs 4,000 clauses: {small:.3f} s vs {large:.3f} s, ratio {large / small:.1f} "
          "(linear would be 4)")


if __name__ == "__main__":
    main()
