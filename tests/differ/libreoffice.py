"""LibreOffice headless for tests: open documents, accept or reject all tracked changes, save as
text or PDF.

Each call starts one ``soffice`` with a private profile (a fresh temporary folder: two processes
sharing a profile block each other) and a timeout, and runs a small Basic macro, installed in that
profile, over a list of jobs. A job loads a document hidden and with ``RepairPackage`` off (a file
that needs repair fails to load, and its job writes nothing), dispatches
``.uno:AcceptAllTrackedChanges`` or ``.uno:RejectAllTrackedChanges`` when asked, and stores the
result with the given filter. Debian's LibreOffice has no Python-UNO unless python3-uno is
installed; Basic is always there.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
TEXT = "Text (encoded)"
PDF = "writer_pdf_Export"
ACCEPT_ALL = "AcceptAllTrackedChanges"
REJECT_ALL = "RejectAllTrackedChanges"

_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" \
script:language="StarBasic">
Sub RunJobs(listUrl As String)
  Dim fileNumber As Integer
  Dim line As String
  fileNumber = FreeFile
  Open ConvertFromURL(listUrl) For Input As #fileNumber
  Do While Not EOF(fileNumber)
    Line Input #fileNumber, line
    If line &lt;&gt; "" Then RunJob(Split(line, Chr(9)))
  Loop
  Close #fileNumber
End Sub

Sub RunJob(fields)
  On Error GoTo Failed
  Dim loadArgs(1) As New com.sun.star.beans.PropertyValue
  loadArgs(0).Name = "Hidden"
  loadArgs(0).Value = True
  loadArgs(1).Name = "RepairPackage"
  loadArgs(1).Value = False
  doc = StarDesktop.loadComponentFromURL(fields(0), "_blank", 0, loadArgs())
  If IsNull(doc) Then Exit Sub
  If fields(1) &lt;&gt; "-" Then
    dispatcher = createUnoService("com.sun.star.frame.DispatchHelper")
    dispatcher.executeDispatch(doc.getCurrentController().getFrame(), ".uno:" &amp; fields(1), "", 0, Array())
  End If
  Dim storeArgs(1) As New com.sun.star.beans.PropertyValue
  storeArgs(0).Name = "FilterName"
  storeArgs(0).Value = fields(3)
  storeArgs(1).Name = "FilterOptions"
  storeArgs(1).Value = fields(4)
  doc.storeToURL(fields(2), storeArgs())
  doc.close(True)
  Exit Sub
Failed:
  If Not IsNull(doc) Then doc.close(True)
End Sub
</script:module>
"""


@dataclass(frozen=True)
class Job:
    """Open ``source``, run ``command`` (ACCEPT_ALL, REJECT_ALL or None), store as ``target``."""

    source: Path
    target: Path
    filter_name: str = TEXT
    command: str | None = None


def available() -> bool:
    return Path(SOFFICE).is_file()


def run(jobs: list[Job], *, timeout: float = 600) -> None:
    """Run the jobs in one LibreOffice; AssertionError naming the first job that wrote nothing (its
    document did not open without repair, or LibreOffice failed)."""
    with tempfile.TemporaryDirectory(prefix="clausewise-lo-") as folder:
        profile = Path(folder) / "profile"
        base = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
                "--norestore", "--nologo"]
        subprocess.run(base + ["--terminate_after_init"], timeout=timeout, check=True, capture_output=True)
        module = profile / "user" / "basic" / "Standard" / "Module1.xba"
        module.write_text(_MACRO, encoding="utf-8")
        listing = Path(folder) / "jobs.tsv"
        listing.write_text("".join(
            "\t".join([job.source.resolve().as_uri(), job.command or "-", job.target.resolve().as_uri(),
                       job.filter_name, "UTF8,LF" if job.filter_name == TEXT else ""]) + "\n"
            for job in jobs), encoding="utf-8")
        for job in jobs:
            job.target.unlink(missing_ok=True)
        subprocess.run(base + [f'macro:///Standard.Module1.RunJobs("{listing.as_uri()}")'],
                       timeout=timeout, check=True, capture_output=True)
    for job in jobs:
        assert job.target.is_file(), f"LibreOffice wrote nothing for {job.source} ({job.command or 'open'}): " \
                                     "the file does not open without repair"


def revised_texts(documents: list[Path], folder: Path) -> dict[Path, tuple[str, str]]:
    """For each document, its text after accepting all changes and after rejecting all, as
    LibreOffice saves it (paragraphs one a line, no byte order mark)."""
    jobs = {}
    for index, document in enumerate(documents):
        jobs[document] = (Job(document, folder / f"{index}-accepted.txt", TEXT, ACCEPT_ALL),
                          Job(document, folder / f"{index}-rejected.txt", TEXT, REJECT_ALL))
    run([job for pair in jobs.values() for job in pair])
    return {document: tuple(job.target.read_text(encoding="utf-8-sig") for job in pair)  # type: ignore[misc]
            for document, pair in jobs.items()}


def to_pdf(document: Path, target: Path) -> Path:
    """``document`` printed to PDF by LibreOffice (tracked changes shown as LibreOffice shows them)."""
    run([Job(document, target, PDF)])
    return target
