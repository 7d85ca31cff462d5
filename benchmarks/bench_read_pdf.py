"""Reading a 300-page PDF: time and peak memory, whole process, against the targets (5 s, 300 MB).

    .venv/bin/python benchmarks/bench_read_pdf.py            # 300 pages, English and Chinese
    .venv/bin/python benchmarks/bench_read_pdf.py --pages 600

The PDFs are written by LibreOffice headless (a private profile, as the tests do) from the sample
agreements repeated until the page count is reached. Each measurement is a fresh process:
- read: ``read_agreement_file`` + ``clean_extracted_text`` (what import does before splitting),
- import: ``clausewise import FILE --dry-run`` (the whole command, parsing and splitting included),
- pdftotext: poppler's C extractor on the same file, for scale (no clause work, no Python).
Wall time, CPU time (user + system: the steadier figure on a shared machine) and the child's peak
resident set are printed with their ratios to the targets; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from measure import run_child

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "clausewise" / "samples"
TARGET_SECONDS = 5.0
TARGET_MB = 300.0
# Pages LibreOffice fills with one copy of each sample (measured), to size the text in one go.
PAGES_PER_COPY = {"en": 2.8, "zh": 1.6}

READ = ("import sys; from clausewise.versions.readers import read_agreement_file; "
        "from clausewise.versions.pdfclean import clean_extracted_text; "
        "clean_extracted_text(read_agreement_file(sys.argv[1]).text)")


def make_pdf(language: str, pages: int, work: Path) -> Path:
    """A PDF of at least ``pages`` pages from the sample agreement in ``language``."""
    sample = SAMPLES / ("speech-commercial.md" if language == "en" else "yuyin-commercial.txt")
    copies = int(pages / PAGES_PER_COPY[language]) + 1
    source = work / f"long-{language}.txt"
    source.write_text("\n\n".join([sample.read_text(encoding="utf-8")] * copies), encoding="utf-8")
    profile = Path(tempfile.gettempdir()) / f"clausewise-bench-soffice-{uuid.uuid4().hex}"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                        "--infilter=Text (encoded):UTF8,LF,,,", "--convert-to", "pdf:writer_pdf_Export",
                        "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=600)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return work / f"long-{language}.pdf"


def page_count(pdf: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(pdf).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the best is printed")
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice (soffice) is needed to write the PDFs; .ci/run installs it")
    clausewise = str(Path(sys.executable).with_name("clausewise"))
    print(f"{'pdf':14} {'what':10} {'wall':>8} {'cpu':>8} {'peak':>9}  {'wall/5 s':>8} {'cpu/5 s':>7} {'/300 MB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for language in ("en", "zh"):
            pdf = make_pdf(language, args.pages, work)
            label = f"{language}, {page_count(pdf)} pp"
            commands = {
                "read": [sys.executable, "-c", READ, str(pdf)],
                "import": [clausewise, "import", str(pdf), "--dry-run", "--title", "Bench"],
            }
            if shutil.which("pdftotext"):
                commands["pdftotext"] = ["pdftotext", str(pdf), str(work / "out.txt")]
            for what, command in commands.items():
                seconds, cpu, peak = min(run_child(command) for _ in range(args.runs))
                print(f"{label:14} {what:10} {seconds:7.2f}s {cpu:7.2f}s {peak:7.1f}MB  "
                      f"{seconds / TARGET_SECONDS:8.2f} {cpu / TARGET_SECONDS:7.2f} {peak / TARGET_MB:7.2f}")


if __name__ == "__main__":
    main()
