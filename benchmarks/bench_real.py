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
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import CLAUSEWISE, compile_bytecode, run_timed  # noqa: E402

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


def difflib_seconds(old: Path, new: Path) -> float:
    old_lines = old.read_text(encoding="utf-8").splitlines()
    new_lines = new.read_text(encoding="utf-8").splitlines()
    start = time.perf_counter()
    difflib.HtmlDiff().make_file(old_lines, new_lines)
    return time.perf_counter() - start


def main() -> None:
    real = real_corpus(sys.argv[1] if len(sys.argv) > 1 else None)
    if real is None:
        raise SystemExit("Error: corpus/real not found; pass its folder or lay ../shared beside the checkout")
    compile_bytecode()
    total_ours = total_difflib = 0.0
    slowest = ("", 0.0)
    print(f"{'pair':<14}{'KB':>7}{'clausewise':>12}{'difflib':>10}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        output = str(Path(tmp, "d.json"))
        for name, old, new in pairs(real):
            ours, _ = run_timed([CLAUSEWISE, "diff", str(old), str(new), "--format", "json", "-o", output])
            baseline = difflib_seconds(old, new)
            total_ours += ours
            total_difflib += baseline
            if ours > slowest[1]:
                slowest = (name, ours)
            size = (old.stat().st_size + new.stat().st_size) / 2048
            print(f"{name:<14}{size:7.0f}{ours:11.3f}s{baseline:9.3f}s{ours / baseline:8.2f}")
    print(f"total: clausewise {total_ours:.2f} s, difflib.HtmlDiff {total_difflib:.2f} s, "
          f"ratio {total_ours / total_difflib:.2f} (target <= 0.5)")
    print(f"slowest pair: {slowest[0]} {slowest[1]:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
