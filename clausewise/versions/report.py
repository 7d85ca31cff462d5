"""Text and JSON for the store's commands (list, log, publish, verify). Pure formatting, no I/O."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from .store import Agreement, BrokenAgreement, Version


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _width(text: str) -> int:
    """Columns taken on a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def agreements_text(agreements: list[Agreement | BrokenAgreement]) -> str:
    """The ``list`` table; a broken agreement shows as BROKEN, with its problem and fix below the table."""
    if not agreements:
        return "No agreements yet; add one with 'clausewise add ID FILE --title ... --lang ... --kind ...'."
    rows = []
    for agreement in agreements:
        latest = agreement.latest
        version = [f"v{latest.number}" if latest else "-", latest.effective.isoformat() if latest else "-"]
        if isinstance(agreement, BrokenAgreement):
            rows.append([agreement.id, *version, "BROKEN (see below)", "-", "-", "-"])
            continue
        rows.append([agreement.id, *version, "unpublished edits" if agreement.has_unpublished_changes else "published",
                     agreement.language, agreement.kind, agreement.title])
    lines = [_table(["ID", "LATEST", "EFFECTIVE", "STATE", "LANG", "KIND", "TITLE"], rows)]
    lines += [f"BROKEN {agreement.id}: {agreement.problem}" for agreement in agreements
              if isinstance(agreement, BrokenAgreement)]
    return "\n".join(lines)


def agreements_json(agreements: list[Agreement | BrokenAgreement]) -> str:
    return to_json([agreement.to_dict() for agreement in agreements])


def log_text(agreement: Agreement, versions: list[Version]) -> str:
    lines = [f"{agreement.id}: {agreement.title}"]
    if agreement.has_unpublished_changes:
        lines.append("  (working copy has unpublished edits)")
    if not versions:
        lines.append(f"  no published version yet; publish it with 'clausewise publish {agreement.id} --effective YYYY-MM-DD'")
    for version in reversed(versions):
        line = (f"  v{version.number}  effective {version.effective.isoformat()}  notice {version.notice_days} days  "
                f"published {version.published_at.date().isoformat()}  {version.commit[:12]}")
        lines.append(line)
        if version.summary:
            lines.append(f"      {version.summary}")
        if version.short_notice_reason is not None:
            lines.append(f"      short notice: {version.short_notice_reason}")
    return "\n".join(lines)


def log_json(agreement: Agreement, versions: list[Version]) -> str:
    return to_json({"agreement": agreement.to_dict(), "versions": [v.to_dict() for v in reversed(versions)]})


def published_text(version: Version) -> str:
    text = (f"Published {version.agreement_id} v{version.number} (tag {version.tag}, commit {version.commit[:12]}), "
            f"effective {version.effective.isoformat()} with {version.notice_days} days' notice.")
    if version.short_notice_reason is not None:
        text += f"\nShort notice recorded: {version.short_notice_reason}"
    return text


def verify_text(problems: list[str], version_count: int, notes: list[str] | None = None) -> str:
    lines = [f"note: {note}" for note in notes or []]
    if not problems:
        lines.append(f"OK: the tags of all {version_count} published versions are intact.")
    lines += [f"PROBLEM: {problem}" for problem in problems]
    return "\n".join(lines)


def verify_json(problems: list[str], version_count: int, notes: list[str] | None = None) -> str:
    return to_json({"ok": not problems, "versions": version_count, "problems": problems, "notes": notes or []})
