"""The redline as PDF: the HTML redline (render_html) printed by headless Chromium.

The page's print stylesheet (templates/redline.css, ``@media print``) does the layout: every clause
unfolded, no controls, insertions underlined and deletions struck through with ``[+ +]`` and
``[− −]`` brackets (readable in black and white), no page break inside a clause where it fits,
page numbers in the bottom margin. This module only runs the browser:

``chromium --headless --print-to-pdf`` on the page written to a private temporary folder, with a
fresh profile there and no network, in its own process group, killed whole after it exits or
when it runs past the time limit. JavaScript stays on (headless printing writes nothing without
it; the page's Content-Security-Policy admits only its own script). Chromium is found as
$CLAUSEWISE_CHROMIUM, else ``chromium`` (Debian), ``chromium-browser``, ``google-chrome`` on the PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ClausewiseError
from .model import AgreementDiff

PRINT_TIMEOUT = 300.0  # seconds; the 2,000-clause benchmark pair prints in a fraction of this
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install chromium (Debian: apt-get install chromium) or set CLAUSEWISE_CHROMIUM to its path"

_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio", "--no-pdf-header-footer",
)


def render_pdf(diff: AgreementDiff, *, lang: str | None = None, created: datetime | None = None,
               timeout: float = PRINT_TIMEOUT) -> bytes:
    """The redline of ``diff`` as PDF bytes (``lang`` as for render_html). ``created`` fixes the
    file's creation and modification dates (else: now), so that the same diff gives the same bytes.
    ClausewiseError when Chromium is missing, fails or runs past ``timeout`` seconds."""
    from .render_html import render_html

    return html_to_pdf(render_html(diff, lang=lang), created=created, timeout=timeout)


def find_chromium() -> str:
    """The Chromium executable to print with; ClausewiseError saying how to install it if none."""
    configured = os.environ.get("CLAUSEWISE_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ClausewiseError(f"CLAUSEWISE_CHROMIUM={configured} is not an executable; {INSTALL_HINT}")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ClausewiseError(f"Chromium is needed to print the PDF redline and was not found; {INSTALL_HINT}")


def html_to_pdf(html: str, *, created: datetime | None = None, timeout: float = PRINT_TIMEOUT) -> bytes:
    """Print the HTML page ``html`` (self-contained: no requests) to PDF with headless Chromium;
    ``created`` as for render_pdf."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="clausewise-pdf-", ignore_cleanup_errors=True) as folder:
        work = Path(folder)
        page = work / "redline.html"
        page.write_text(html, encoding="utf-8")
        pdf = work / "redline.pdf"
        command = [browser, *_FLAGS, f"--user-data-dir={work / 'profile'}", f"--print-to-pdf={pdf}",
                   page.as_uri()]
        code, errors = _run(command, timeout)
        data = pdf.read_bytes() if pdf.is_file() else b""
    if code != 0 or not data.startswith(b"%PDF-"):
        reason = f"exit code {code}" if code != 0 else "no PDF was written"
        detail = _last_error(errors)
        raise ClausewiseError(f"Chromium ({browser}) could not print the redline to PDF ({reason})"
                              f"{': ' + detail if detail else ''}; check that it runs: {browser} --headless --version")
    return data if created is None else with_dates(data, created)


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def with_dates(pdf: bytes, when: datetime) -> bytes:
    """``pdf`` with its creation and modification dates set to ``when``. Chromium runs in UTC
    (TZ=UTC), so each date has the length of the new one and no offset in the file moves."""
    stamp = when.astimezone(timezone.utc) if when.tzinfo else when
    value = f"D:{stamp:%Y%m%d%H%M%S}+00'00'".encode("ascii")

    def replace(match: re.Match[bytes]) -> bytes:
        new = b"/" + match[1] + b" (" + value + b")"
        return new if len(new) == len(match[0]) else match[0]

    return _PDF_DATE.sub(replace, pdf)


def _run(command: list[str], timeout: float) -> tuple[int, str]:
    """Run ``command`` in a new process group; its exit code and standard error. The whole group
    is killed when the browser exits (helpers it left) or runs past ``timeout``."""
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True, env={**os.environ, "TZ": "UTC"})
    except OSError as exc:
        raise ClausewiseError(f"cannot start Chromium ({command[0]}): {exc.strerror or exc}; {INSTALL_HINT}") from None
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        raise ClausewiseError(f"Chromium ({command[0]}) did not finish printing the redline to PDF within "
                              f"{timeout:g} s; try again on a less busy machine") from None
    except BaseException:  # Ctrl-C: leave no browser behind
        _kill_group(process.pid)
        process.wait()
        raise
    _kill_group(process.pid)
    return process.returncode, errors.decode("utf-8", "replace")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _last_error(stderr: str) -> str:
    """The last line of Chromium's standard error that is not noise about D-Bus or the sandbox."""
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and "dbus" not in line.lower() and "bytes written to file" not in line]
    return lines[-1][:300] if lines else ""
