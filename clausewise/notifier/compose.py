"""Compose notice emails: Jinja2 templates, the diff a customer must see, and the message itself.

Templates are looked up in ``<agreements repo>/templates/`` first, then in the package, so a legal
team can override any of ``notice.<lang>.{subject,txt,html,labels}.j2`` or add a language. One diff
(and one redline attachment) is computed per (agreement, accepted version, new version) and reused
for every customer who shares it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from ..errors import ClausewiseError
from .message import (
    Mailbox,
    RenderedNotice,
    SharedPart,
    build_message,
    check_header_text,
    message_id_for,
    parse_mailbox,
    redline_part,
    validate_address,
)
from .store import Campaign, Notice

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
FALLBACK_LANGUAGE = "en"
MAX_LISTED_CHANGES = 25
EXCERPT_CHARS = 160
_TEMPLATE_NAME = re.compile(r"notice\.(?P<lang>[A-Za-z0-9-]+)\.(?P<part>subject|txt|html)\.j2")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def long_date(value: date, language: str) -> str:
    """``1 December 2026`` in English, ``2026年12月1日`` in Chinese."""
    if language.lower().startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def template_environment(override_dir: Path | None) -> jinja2.Environment:
    """Templates from ``override_dir`` first, then the package's; HTML autoescaped, text verbatim.

    Every template renders in Jinja's immutable sandbox: a repository's templates are data, and the
    process that renders them holds the SMTP password, so they may read the variables they are given
    and nothing else (no ``__globals__`` walks, no method that changes a value)."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None and override_dir.is_dir():
        loaders.append(jinja2.FileSystemLoader(override_dir))
    loaders.append(jinja2.FileSystemLoader(PACKAGE_TEMPLATES))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    return env


def template_languages(env: jinja2.Environment) -> list[str]:
    """Languages that have all three templates (subject, txt, html)."""
    parts: dict[str, set[str]] = {}
    for name in env.list_templates():
        match = _TEMPLATE_NAME.fullmatch(name)
        if match:
            parts.setdefault(match["lang"], set()).add(match["part"])
    return sorted(lang for lang, found in parts.items() if found == {"subject", "txt", "html"})


def pick_language(wanted: str, available: list[str]) -> str:
    """The template language for a customer's language tag: exact, then same primary language, then
    English (``zh``/``zh-Hans`` -> ``zh-CN``, ``en-GB`` -> ``en``)."""
    by_lower = {lang.lower(): lang for lang in available}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    primary = wanted.split("-")[0].lower()
    for lang in available:
        if lang.split("-")[0].lower() == primary:
            return lang
    return FALLBACK_LANGUAGE


@dataclass(frozen=True)
class ChangeItem:
    """One changed clause as a notice lists it."""

    status: str
    label: str | None
    old_label: str | None
    heading: str | None
    tags: list[str]
    renumbered: bool
    moved: bool
    substantive: bool
    old_excerpt: str
    new_excerpt: str


def excerpt(text: str, start: int = 0, limit: int = EXCERPT_CHARS) -> str:
    """About ``limit`` characters of ``text`` on one line, from a little before offset ``start``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    flat_start = len(" ".join(text[:start].split()))
    begin = max(0, min(flat_start - limit // 4, len(flat) - limit))
    piece = flat[begin:begin + limit]
    return ("…" if begin else "") + piece + ("…" if begin + limit < len(flat) else "")


def _first_edit_offset(ops: list[tuple[str, str]]) -> int:
    """Where the first inline edit starts (the same offset in the old and the new text)."""
    offset = 0
    for op, piece in ops:
        if op != "=":
            break
        offset += len(piece)
    return offset


def change_items(diff: Any, limit: int = MAX_LISTED_CHANGES) -> tuple[list[ChangeItem], int]:
    """The changes a notice lists (substantive first, reading order within), and how many more."""
    changed = sorted(diff.changed(), key=lambda c: not c.substantive)
    items = []
    for change in changed[:limit]:
        at = _first_edit_offset(change.ops)
        items.append(ChangeItem(
            status=change.status,
            label=change.label,
            old_label=change.old_label,
            heading=change.heading,
            tags=list(change.tags),
            renumbered=change.renumbered,
            moved=change.moved,
            substantive=change.substantive,
            old_excerpt=excerpt(change.old.text, at) if change.old and change.status != "unchanged" else "",
            new_excerpt=excerpt(change.new.text, at) if change.new else "",
        ))
    return items, max(0, len(changed) - limit)


@dataclass(frozen=True)
class _VersionChange:
    items: list[ChangeItem]
    more: int
    attachment: SharedPart
    attachment_name: str


class Composer:
    """Renders and builds the notices of one agreements repository (caches diffs and templates)."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self.config = repo.config
        self.sender: Mailbox = parse_mailbox(self.config.sender, "clausewise.toml: sender")
        self.env = template_environment(Path(repo.root) / "templates")
        self.languages = template_languages(self.env)
        self._changes: dict[tuple[str, int, int], _VersionChange] = {}
        self._titles: dict[str, str] = {}

    def message_id(self, campaign_id: str, customer_id: str) -> str:
        return message_id_for(campaign_id, customer_id, self.sender.domain)

    def recipient(self, notice: Notice) -> Mailbox:
        """The notice's To: mailbox, checked (ClausewiseError naming the customer if unsafe)."""
        field = f"customer '{notice.customer_id}'"
        return Mailbox(check_header_text(notice.name, f"{field} name"),
                       validate_address(notice.email, f"{field} email"))

    def render(self, campaign: Campaign, notice: Notice) -> tuple[RenderedNotice, str]:
        """The notice's subject, text, HTML and attachment, and the template language used."""
        language = pick_language(notice.language, self.languages)
        change = None
        if campaign.kind == "version" and notice.accepted_version < campaign.to_version:
            change = self._version_change(campaign.agreement, notice.accepted_version, campaign.to_version)
        context = self._context(campaign, notice, change)
        subject = " ".join(self._render(f"notice.{language}.subject.j2", context).split())
        context["subject"] = subject
        text = self._render(f"notice.{language}.txt.j2", context)
        html = self._render(f"notice.{language}.html.j2", context)
        attachment = change.attachment if change is not None else None
        return RenderedNotice(subject=subject, text=text, html=html, attachment=attachment), language

    def build(self, campaign: Campaign, notice: Notice, date_header: str) -> EmailMessage:
        """The exact message for ``notice``; the same ``date_header`` always gives the same bytes."""
        recipient = self.recipient(notice)
        rendered, language = self.render(campaign, notice)
        return build_message(rendered, sender=self.sender, recipient=recipient,
                             message_id=self.message_id(campaign.id, notice.customer_id),
                             date=date_header, language=language)

    def _render(self, name: str, context: dict[str, Any]) -> str:
        template = None
        try:
            template = self.env.get_template(name)
            return template.render(context)
        except jinja2.TemplateError as exc:
            where, line = _template_position(exc, template, name)
            if isinstance(exc, jinja2.sandbox.SecurityError):
                raise ClausewiseError(f"{where}{line}: the template tries to leave Jinja's sandbox ({exc}); "
                                      "templates may only read the variables documented in README.md (Emails)"
                                      ) from None
            raise ClausewiseError(f"{where}{line}: template error: {exc}; fix the template") from None

    # -- context ---------------------------------------------------------------------------

    def _context(self, campaign: Campaign, notice: Notice, change: _VersionChange | None) -> dict[str, Any]:
        return {
            "kind": campaign.kind,
            "customer": {"id": notice.customer_id, "name": notice.name, "email": notice.email},
            "agreement": {"id": campaign.agreement, "title": self._title(campaign.agreement)},
            "campaign": campaign,
            "from_version": notice.accepted_version,
            "to_version": campaign.to_version,
            "effective": campaign.effective,
            "changes": change.items if change else [],
            "more_changes": change.more if change else 0,
            "redline_name": change.attachment_name if change else None,
            "reading_url": self._reading_url(campaign.agreement, campaign.to_version),
            "sender_name": self.sender.name or self.sender.address,
        }

    def _title(self, agreement_id: str) -> str:
        if agreement_id not in self._titles:
            title = self.repo.agreement(agreement_id).title
            self._titles[agreement_id] = check_header_text(title, f"agreement '{agreement_id}' title")
        return self._titles[agreement_id]

    def _reading_url(self, agreement_id: str, version: int) -> str:
        try:
            return self.config.reading_url.format(agreement=agreement_id, version=version)
        except (KeyError, IndexError, ValueError) as exc:
            raise ClausewiseError(
                f"clausewise.toml: reading_url {self.config.reading_url!r} is not a valid template ({exc}); "
                "use only {agreement} and {version}") from None

    def _version_change(self, agreement_id: str, old: int, new: int) -> _VersionChange:
        key = (agreement_id, old, new)
        if key not in self._changes:
            from ..differ import diff_texts, render_html

            refs = [self._ref(agreement_id, number) for number in (old, new)]
            diff = diff_texts(self.repo.text(agreement_id, old), self.repo.text(agreement_id, new), *refs)
            items, more = change_items(diff)
            name = f"redline-{agreement_id}-v{old}-v{new}.html"
            self._changes[key] = _VersionChange(items, more, redline_part(name, render_html(diff)), name)
        return self._changes[key]

    def _ref(self, agreement_id: str, number: int) -> Any:
        from ..differ.model import DocumentRef

        version = self.repo.version(agreement_id, number)
        return DocumentRef(ref=f"{agreement_id}@v{number}", title=self._title(agreement_id), version=number,
                           effective=version.effective.isoformat())


def _template_position(exc: jinja2.TemplateError, template: jinja2.Template | None,
                       name: str) -> tuple[str, str]:
    """The file and ``:line`` of a template error (a runtime error's line comes from the traceback,
    where Jinja puts the template's own line numbers)."""
    where = getattr(exc, "filename", None) or (template.filename if template else None) or name
    lineno = getattr(exc, "lineno", None)
    trace = exc.__traceback__
    while lineno is None and trace is not None:
        if trace.tb_frame.f_code.co_filename == where:
            lineno = trace.tb_lineno
        trace = trace.tb_next
    return where, f":{lineno}" if lineno else ""


def preview_message(repo: Any, store: Any, campaign_id: str,
                    customer_id: str | None = None) -> tuple[Notice, EmailMessage]:
    """The exact message ``customer_id`` (default: the campaign's first customer) gets or got.

    Reads only: a customer not yet in the ledger is previewed as the next send would add them.
    The Date is the one recorded at the first claim, or now for a notice not yet claimed.
    """
    from .message import date_header

    campaign = store.campaign(campaign_id)
    notice = _preview_notice(store, campaign, customer_id)
    return notice, Composer(repo).build(campaign, notice, notice.date_header or date_header())


def _preview_notice(store: Any, campaign: Campaign, customer_id: str | None) -> Notice:
    if customer_id is not None:
        recorded = store.notice(campaign.id, customer_id)
        if recorded is not None:
            return recorded
        rows = [c for c in store.customer(customer_id) if c.agreement == campaign.agreement]
        if not rows:
            raise ClausewiseError(f"customer {customer_id!r} is not a customer of {campaign.agreement}; "
                                  "see 'clausewise customers show'")
        if not _affected(campaign, rows[0].version):
            raise ClausewiseError(f"customer {customer_id!r} already accepted v{rows[0].version} of "
                                  f"{campaign.agreement}; campaign {campaign.id} does not notify them")
        return _pending_notice(campaign, rows[0])
    for notice in store.notices(campaign.id):
        return notice
    for row in store.customers(agreement=campaign.agreement):
        if _affected(campaign, row.version):
            return _pending_notice(campaign, row)
    raise ClausewiseError(f"campaign {campaign.id} has no affected customers yet; import customers of "
                          f"{campaign.agreement} with 'clausewise customers import FILE'")


def _affected(campaign: Campaign, accepted_version: int) -> bool:
    return campaign.kind == "assignment" or accepted_version < campaign.to_version


def _pending_notice(campaign: Campaign, row: Any) -> Notice:
    return Notice(campaign_id=campaign.id, customer_id=row.customer_id, agreement=row.agreement, name=row.name,
                  email=row.email, language=row.language, accepted_version=row.version, status="pending",
                  attempts=0, message_id=None, sha256=None, reply=None, sent_at=None, date_header=None,
                  last_error=None)


def message_part(msg: EmailMessage, part: str) -> str:
    """One view of a message for review: ``text``, ``html``, ``raw`` (the bytes as sent) or ``all``."""
    if part == "raw":
        return msg.as_bytes().decode("utf-8", errors="replace")
    if part in ("text", "html"):
        body = msg.get_body(preferencelist=("plain",) if part == "text" else ("html",))
        return body.get_content() if body is not None else ""
    headers = "\n".join(f"{name}: {msg[name]}" for name in ("Subject", "From", "To", "Date", "Message-ID"))
    attachments = [a.get_filename() for a in msg.iter_attachments()]
    attached = f"Attachments: {', '.join(attachments)}\n" if attachments else ""
    return (f"{headers}\n{attached}\n----- text part -----\n{message_part(msg, 'text')}"
            f"\n----- HTML part -----\n{message_part(msg, 'html')}")
