"""Reading a long Word document: time and peak memory of the whole process, against the targets
of issue 12 (a 300-page .docx read in under 5 s, under 300 MB).

    .venv/bin/python benchmarks/bench_read_docx.py                 # about 300 pages
    .venv/bin/python benchmarks/bench_read_docx.py --sections 320  # twice as long

The document is written by LibreOffice (soffice, headless, a private profile) from a generated flat
ODT: sections with automatic numbering ("1."), clauses numbered "1.1" on a second list level, items
"(a)" on a third, a table and a footnote per section, in English and Chinese. Its page count is
LibreOffice's own (the .docx printed to PDF, counted by pdfinfo). Two runs, each in a fresh process:
`clausewise import FILE --dry-run` (read, split, report) and the reader alone.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from measure import run_child

TARGET_SECONDS = 5.0
TARGET_MB = 300.0
WORDS = ("provider customer service agreement notice period data fees invoice term termination "
         "liability warranty affiliate assignment confidential information security law court").split()
ZH = "北风云用户服务协议通知期限数据费用发票终止责任保证关联方转让保密信息安全法律法院"

FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:styles><text:list-style style:name="Clauses">
<text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."/>
<text:list-level-style-number text:level="2" style:num-format="1" text:display-levels="2"/>
<text:list-level-style-number text:level="3" style:num-format="a" style:num-prefix="(" style:num-suffix=")"/>
</text:list-style></office:styles>
<office:body><office:text>{body}</office:text></office:body></office:document>
"""


def sentence(seed: int, words: int) -> str:
    if seed % 5 == 0:
        return "".join(ZH[(seed * 7 + i * 3) % len(ZH)] for i in range(words * 2)) + "。"
    text = " ".join(WORDS[(seed * 31 + i * 17) % len(WORDS)] for i in range(words))
    return text[0].upper() + text[1:] + "."


def make_fodt(sections: int) -> str:
    parts = ['<text:h text:outline-level="1">Generated Service Agreement</text:h>',
             f"<text:p>{sentence(1, 60)}</text:p>", '<text:list text:style-name="Clauses">']
    for s in range(sections):
        parts.append(f'<text:list-item><text:h text:outline-level="2">{html.escape(sentence(s, 4))}</text:h><text:list>')
        for c in range(12):
            seed = s * 100 + c
            body = sentence(seed, 70)
            if c == 0:
                body += ('<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
                         f"<text:note-body><text:p>{sentence(seed + 1, 12)}</text:p></text:note-body></text:note>")
            items = ""
            if c % 4 == 3:
                items = "<text:list>" + "".join(f"<text:list-item><text:p>{sentence(seed + i, 15)}</text:p></text:list-item>"
                                                for i in range(3)) + "</text:list>"
            parts.append(f"<text:list-item><text:p>{body}</text:p>{items}</text:list-item>")
        parts.append("</text:list></text:list-item>")
    parts.append("</text:list>")
    return FODT.format(body="".join(parts))


def soffice(args: list[str], work: Path) -> None:
    profile = (work / "profile").resolve().as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", *args],
                   check=True, capture_output=True, timeout=1800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=160, help="sections of 12 clauses (160: about 300 pages)")
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice (soffice) is needed to write the .docx; .ci/run installs it")
    with tempfile.TemporaryDirectory(prefix="clausewise-bench-docx-") as tmp:
        work = Path(tmp)
        source = work / "long.fodt"
        source.write_text(make_fodt(args.sections), "utf-8")
        started = time.perf_counter()
        soffice(["--convert-to", "docx:MS Word 2007 XML", "--outdir", str(work), str(source)], work)
        soffice(["--convert-to", "pdf", "--outdir", str(work), str(work / "long.docx")], work)
        written = time.perf_counter() - started
        info = subprocess.run(["pdfinfo", str(work / "long.pdf")], capture_output=True, text=True).stdout
        pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
        docx = work / "long.docx"
        print(f"document: {pages} pages, {docx.stat().st_size / 1e6:.2f} MB .docx "
              f"(LibreOffice wrote it and its PDF in {written:.0f} s)")
        command = str(Path(sys.executable).parent / "clausewise")
        seconds, _, peak = run_child([command, "import", str(docx), "--dry-run", "--title", "Generated"])
        print(f"clausewise import --dry-run: {seconds:5.2f} s ({seconds / TARGET_SECONDS:.2f}x of the {TARGET_SECONDS:.0f} s "
              f"target), peak RSS {peak:6.1f} MB ({peak / TARGET_MB:.2f}x of {TARGET_MB:.0f} MB)")
        reader = ("import sys; from clausewise.versions.readers import read_agreement_file; "
                  "print(len(read_agreement_file(sys.argv[1]).text))")
        seconds, _, peak = run_child([sys.executable, "-c", reader, str(docx)])
        print(f"read_agreement_file alone:   {seconds:5.2f} s ({seconds / TARGET_SECONDS:.2f}x), "
              f"peak RSS {peak:6.1f} MB ({peak / TARGET_MB:.2f}x)")


if __name__ == "__main__":
    main()
