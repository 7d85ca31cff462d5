"""Time ``clausewise diff --format docx`` (the Word redline) on the 2,000-clause, 1.3 MB generated
pair, whole process, against the targets of issue 12 (under 3 s, under 300 MB), with the JSON
output of the same diff as the baseline (the cost of the diff alone). That the file reads right
is for the tests (tests/differ/test_render_docx*.py).

Run: .venv/bin/python benchmarks/bench_docx.py
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_diff import CLAUSEWISE, compile_bytecode, run_timed, write_pair  # noqa: E402
from make_pair import make_pair  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_MB = 300.0


def main() -> None:
    compile_bytecode()
    pair = make_pair()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = write_pair(pair, tmp)
        redline = Path(tmp, "redline.docx")
        as_docx, docx_rss, docx_cpu = run_timed([CLAUSEWISE, "diff", str(old), str(new), "--format", "docx",
                                                 "-o", str(redline)])
        as_json, json_rss, json_cpu = run_timed([CLAUSEWISE, "diff", str(old), str(new), "--format", "json",
                                                 "-o", str(Path(tmp, "d.json"))])
        with zipfile.ZipFile(redline) as archive:
            document = archive.getinfo("word/document.xml").file_size
            revisions = archive.read("word/document.xml").count(b"<w:ins ")
        size = redline.stat().st_size
    print(f"clausewise diff --format docx   {as_docx:6.3f} s   {as_docx / TARGET_SECONDS:5.2f} of the {TARGET_SECONDS:.0f} s "
          f"target   peak {docx_rss / 1024:5.0f} MB   {docx_rss / 1024 / TARGET_MB:5.2f} of the {TARGET_MB:.0f} MB target")
    print(f"clausewise diff --format json   {as_json:6.3f} s   (baseline: the diff alone)   peak {json_rss / 1024:5.0f} MB")
    print(f"the Word redline costs {as_docx - as_json:+.3f} s ({as_docx / as_json:.2f}x the JSON run); CPU "
          f"{docx_cpu:.3f} s vs {json_cpu:.3f} s")
    print(f"redline.docx: {size / 1e6:.2f} MB ({document / 1e6:.2f} MB of document.xml), {revisions} w:ins elements")


if __name__ == "__main__":
    main()
