"""Where the two sides of ``clausewise diff`` come from: a file, or the agreements repository."""

from __future__ import annotations

import os
from pathlib import Path

from .model import DocumentRef

FENCE = "+++"


def load_document(ref: str, repo_dir: str | os.PathLike[str] = ".") -> tuple[str, DocumentRef]:
    """The text and description of ``ref``: a path to an existing text file (no repository needed;
    a ``+++`` TOML front matter is read for the title and left out), else ``ID@vN``, ``ID@latest``
    or ``ID`` (working copy) in the agreements repository at ``repo_dir``."""
    path = Path(ref)
    if path.is_file():
        return _read_file(ref)
    if "/" in ref or os.sep in ref or path.suffix.lower() in (".txt", ".md", ".markdown"):
        from ..errors import UsageProblem

        raise UsageProblem(f"{ref}: no such file; give a path to a text file, an agreement ID or ID@vN")
    from ..versions import open_repo

    return open_repo(repo_dir).resolve(ref)


def _read_file(ref: str) -> tuple[str, DocumentRef]:
    """A text file as UTF-8. Read here rather than through clausewise.versions, whose import
    loads GitPython (a third of the time of a large diff)."""
    import tomllib

    from ..errors import ClausewiseError

    try:
        data = Path(ref).read_bytes()
    except OSError as exc:
        raise ClausewiseError(f"{ref}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if b"\x00" in data:
        raise ClausewiseError(f"{ref} is not a text file (it holds NUL bytes); give the agreement as UTF-8 text")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ClausewiseError(f"{ref} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                              "re-save it as UTF-8, e.g. iconv -f GB18030 -t UTF-8") from None
    title = None
    if text.startswith(FENCE + "\n") or text.startswith(FENCE + "\r\n"):
        first_end = text.index("\n") + 1
        close = text.find(f"\n{FENCE}", first_end - 1)
        if close < 0:
            raise ClausewiseError(f"{ref}: the front matter opened with '{FENCE}' on line 1 is never closed; "
                                  f"add a '{FENCE}' line after it")
        try:
            metadata = tomllib.loads(text[first_end:close + 1])
        except tomllib.TOMLDecodeError as exc:
            raise ClausewiseError(f"{ref}: invalid front matter ({exc}); fix the TOML between the '{FENCE}' lines") from None
        title = metadata.get("title") if isinstance(metadata.get("title"), str) else None
        body_start = text.find("\n", close + 1)
        text = text[body_start + 1:] if body_start >= 0 else ""
    return text, DocumentRef(ref=ref, title=title)
