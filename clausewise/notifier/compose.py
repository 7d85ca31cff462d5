"""Compose notice emails: Jinja2 templates, the diff a customer must see, and the message itself.

Templates are looked up in ``<agreements repo>/templates/`` first, then in the package, so a legal
team can override any of ``notice.<lang>.{subject,txt,html,labels}.j2`` or add a language. One diff
(and one redline attachment) is computed per (agreement, accepted version, new version) and reused
for every customer who shares it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import markupsafe

from ..config import fill_placeholders
from ..errors import ClausewiseError
from .changes import ChangeList, change_list, visible
from .message import (
    Mailbox,
    MessageAssembler,
    RenderedNotice,
    SharedPart,
    build_message,
    check_header_text,
    message_id_for,
    parse_mailbox,
    redline_file_part,
    redline_part,
    validate_address,
)
from .schedule import notice_timing
from .store import Campaign, Notice

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
# MIME types of the binary redline formats (redline_format in clausewise.toml).
ATTACHMENT_TYPES = {"pdf": "application/pdf",
                    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
FALLBACK_LANGUAGE = "en"
# Private-use characters around the customer's fields in a notice rendered once for many customers.
_SLOT_MARK = "\ue000"
_CUSTOMER_SLOTS = tuple(f"{_SLOT_MARK}customer.{field}{_SLOT_MARK}" for field in ("name", "email", "id"))
_CUSTOMER_SLOT = re.compile("|".join(re.escape(slot) for slot in _CUSTOMER_SLOTS))
_OVERRIDE_NAME = re.compile(r"notice\.(?P<lang>[A-Za-z0-9-]+)\..*\.j2")
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
    return _environment(jinja2.sandbox.ImmutableSandboxedEnvironment, jinja2.ChoiceLoader(loaders))


def builtin_template_environment() -> jinja2.Environment:
    """The package's own templates only, in a plain (unsandboxed) environment: they are code shipped
    with clausewise, not data, and the sandbox's attribute checks are most of the rendering time."""
    return _environment(jinja2.Environment, jinja2.FileSystemLoader(PACKAGE_TEMPLATES))


def _environment(kind: type[jinja2.Environment], loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = kind(
        loader=loader,
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
class _VersionChange:
    changes: ChangeList
    attachment: SharedPart | None
    attachment_name: str | None


@dataclass(frozen=True)
class NoticeGiven:
    """When the message is dated against the campaign's dates: the notice actually given."""

    sent_on: date
    status: str  # "on time" (by send-by), "late" (after send-by, before effective), "after effective"
    days_given: int  # days from the message date to the effective date (negative: after it)


def notice_given(campaign: Campaign, date_value: str) -> NoticeGiven:
    """The notice given by a message dated ``date_value`` (an RFC 5322 Date, kept in the ledger)."""
    try:
        sent_on = email.utils.parsedate_to_datetime(date_value).astimezone(timezone.utc).date()
    except (TypeError, ValueError):
        raise ClausewiseError(f"campaign {campaign.id}: Date {date_value!r} is not an RFC 5322 date") from None
    status = notice_timing(sent_on, campaign.send_by, campaign.effective)
    return NoticeGiven(sent_on, status, (campaign.effective - sent_on).days)


class Composer:
    """Renders and builds the notices of one agreements repository (caches diffs and templates)."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        self.config = repo.config
        self.sender: Mailbox = parse_mailbox(self.config.sender, "clausewise.toml: sender")
        override_dir = Path(repo.root) / "templates"
        self.env = template_environment(override_dir)
        self.builtin_env = builtin_template_environment()
        # Languages with a template in the repository render in the sandbox (all of their templates,
        # so an overridden labels file is honoured); the others only use the package's templates.
        self.overridden = {match["lang"] for path in (override_dir.glob("notice.*.j2") if override_dir.is_dir() else ())
                           if (match := _OVERRIDE_NAME.fullmatch(path.name))}
        self.languages = template_languages(self.env)
        self.assembler = MessageAssembler()
        self._timing: dict[tuple[str, str], NoticeGiven] = {}
        self._parts: dict[tuple[str, str, int, NoticeGiven], tuple[str, str, str]] = {}
        self._changes: dict[tuple[str, int, int], _VersionChange] = {}
        self._texts: dict[tuple[str, int], tuple[str, str]] = {}
        self._clauses: dict[tuple[str, int], dict[str, str] | None] = {}
        self._in_force: dict[tuple[str, int], int] = {}  # (campaign, accepted version) -> version in force

    def message_id(self, campaign_id: str, customer_id: str) -> str:
        return message_id_for(campaign_id, customer_id, self.sender.domain)

    def recipient(self, notice: Notice) -> Mailbox:
        """The notice's To: mailbox, checked (ClausewiseError naming the customer if unsafe)."""
        field = f"customer '{notice.customer_id}'"
        return Mailbox(check_header_text(notice.name, f"{field} name"),
                       validate_address(notice.email, f"{field} email"))

    def render(self, campaign: Campaign, notice: Notice, date_value: str) -> tuple[RenderedNotice, str]:
        """The notice's subject, text, HTML and attachment, and the template language used."""
        language = pick_language(notice.language, self.languages)
        change = None
        if campaign.kind == "version" and notice.accepted_version < campaign.to_version:
            change = self._version_change(campaign.agreement, notice.accepted_version, campaign.to_version)
        timing = self._notice_given(campaign, date_value)
        attachment = change.attachment if change is not None else None
        customer = (notice.name, notice.email, notice.customer_id)
        if language in self.overridden or any(_SLOT_MARK in value for value in customer):
            subject, text, html = self._render_parts(self._context(campaign, notice, change, language, timing), language)
        else:
            subject, text, html = self._shared_parts(campaign, notice, change, language, timing)
            slots = dict(zip(_CUSTOMER_SLOTS, customer))
            text = _CUSTOMER_SLOT.sub(lambda m: slots[m[0]], text)
            html = _CUSTOMER_SLOT.sub(lambda m: str(markupsafe.escape(slots[m[0]])), html)
        return RenderedNotice(subject=subject, text=text, html=html, attachment=attachment), language

    def _render_parts(self, context: dict[str, Any], language: str) -> tuple[str, str, str]:
        subject = " ".join(self._render(f"notice.{language}.subject.j2", context).split())
        context["subject"] = subject
        return (subject, self._render(f"notice.{language}.txt.j2", context),
                self._render(f"notice.{language}.html.j2", context))

    def _shared_parts(self, campaign: Campaign, notice: Notice, change: _VersionChange | None, language: str,
                      timing: NoticeGiven) -> tuple[str, str, str]:
        """The package templates rendered once per campaign, language, accepted version and notice
        given, with a slot where the customer's name, email and id go (they are only printed there;
        ``test_shared_rendering_equals_rendering_per_customer`` holds the templates to that)."""
        key = (campaign.id, language, notice.accepted_version, timing)
        if key not in self._parts:
            if len(self._parts) > 4096:
                self._parts.clear()
            slotted = dataclasses.replace(notice, name=_CUSTOMER_SLOTS[0], email=_CUSTOMER_SLOTS[1],
                                          customer_id=_CUSTOMER_SLOTS[2])
            parts = self._render_parts(self._context(campaign, slotted, change, language, timing), language)
            if _SLOT_MARK in parts[0]:
                raise ClausewiseError(f"notice.{language}.subject.j2: the subject may not name the customer")
            self._parts[key] = parts
        return self._parts[key]

    def build(self, campaign: Campaign, notice: Notice, date_header: str) -> EmailMessage:
        """The exact message for ``notice``; the same ``date_header`` always gives the same bytes."""
        recipient = self.recipient(notice)
        rendered, language = self.render(campaign, notice, date_header)
        return build_message(rendered, sender=self.sender, recipient=recipient,
                             message_id=self.message_id(campaign.id, notice.customer_id),
                             date=date_header, language=language)

    def build_bytes(self, campaign: Campaign, notice: Notice, date_header: str) -> bytes:
        """The bytes of ``message_bytes(self.build(...))``, assembled without the email package's
        message objects (see MessageAssembler): what ``notify send`` sends and hashes."""
        recipient = self.recipient(notice)
        rendered, language = self.render(campaign, notice, date_header)
        return self.assembler.message_bytes(rendered, sender=self.sender, recipient=recipient,
                                            message_id=self.message_id(campaign.id, notice.customer_id),
                                            date=date_header, language=language)

    def _notice_given(self, campaign: Campaign, date_value: str) -> NoticeGiven:
        key = (campaign.id, date_value)
        if key not in self._timing:  # a run dates thousands of messages with the same few Date values
            if len(self._timing) > 1024:
                self._timing.clear()
            self._timing[key] = notice_given(campaign, date_value)
        return self._timing[key]

    def _render(self, name: str, context: dict[str, Any]) -> str:
        """Render ``notice.<lang>.<part>.j2``: in the sandbox when the repository has templates for
        that language, else the package's own in the plain environment."""
        language = name.split(".")[1]
        env = self.env if language in self.overridden else self.builtin_env
        template = None
        try:
            template = env.get_template(name)
            return template.render(context)
        except jinja2.TemplateError as exc:
            where, line = _template_position(exc, template, name)
            if isinstance(exc, jinja2.sandbox.SecurityError):
                raise ClausewiseError(f"{where}{line}: the template tries to leave Jinja's sandbox ({exc}); "
                                      "templates may only read the variables documented in README.md (Emails)"
                                      ) from None
            raise ClausewiseError(f"{where}{line}: template error: {exc}; fix the template") from None

    # -- context ---------------------------------------------------------------------------

    def _context(self, campaign: Campaign, notice: Notice, change: _VersionChange | None, language: str,
                 timing: NoticeGiven) -> dict[str, Any]:
        in_force = self._version_in_force(campaign, notice.accepted_version)
        provider = self._provider(language)
        assignee = self._assignee(campaign.new_party) if campaign.kind == "assignment" else None
        values = {
            "effective": long_date(campaign.effective, language),
            "last_day": long_date(campaign.effective - timedelta(days=1), language),
            "from_version": str(notice.accepted_version), "to_version": str(campaign.to_version),
            "provider": provider["name"], "contact": provider["contact"],
            "assignee": assignee["name"] if assignee else "",
        }
        wording = self.config.notice_wording(language)
        if timing.status == "after effective":
            rights = [wording["after_effective"]]
        elif campaign.kind == "assignment":
            rights = [wording["object_assignment"], wording["silence_assignment"]]
        else:
            rights = [wording["object_change"], wording["silence_change"]]
        delivery = self.config.redline_delivery
        return {
            "kind": campaign.kind,
            "customer": {"id": notice.customer_id, "name": notice.name, "email": notice.email},
            "agreement": {"id": campaign.agreement, "title": self._title(campaign.agreement, campaign.to_version)},
            "campaign": campaign,
            "summary": campaign.summary,
            "from_version": notice.accepted_version,
            "to_version": campaign.to_version,
            "in_force_version": in_force,
            "effective": campaign.effective,
            "last_day": campaign.effective - timedelta(days=1),
            "timing": timing.status,
            "sent_on": timing.sent_on,
            "notice_days_given": timing.days_given,
            "clause": self._cited_clause(campaign, in_force),
            "changes": change.changes.items if change else [],
            "more_changes": change.changes.more if change else 0,
            "more_labels": change.changes.more_labels if change else [],
            "redline_name": change.attachment_name if change else None,
            "redline_url": (self._redline_url(campaign.agreement, notice.accepted_version, campaign.to_version)
                            if change and delivery in ("link", "both") else None),
            "reading_url": self._reading_url(campaign.agreement, campaign.to_version),
            "provider": provider,
            "assignee": assignee,
            "rights": [fill_placeholders(text, values) for text in rights],
            "sender_name": self.sender.name or self.sender.address,
        }

    def _provider(self, language: str) -> dict[str, str]:
        party = self.config.provider_for(language)
        return {"name": (party.name if party else "") or self.sender.name or self.sender.address,
                "address": party.address if party else "",
                "contact": (party.contact if party else "") or self.sender.address}

    def _assignee(self, name: str | None) -> dict[str, str]:
        party = self.config.assignees.get(name or "")
        return {"name": name or "", "address": party.address if party else "",
                "contact": party.contact if party else ""}

    def _published(self, agreement_id: str, version: int) -> tuple[str, str]:
        """The published version's text and title (never the working copy's)."""
        key = (agreement_id, version)
        if key not in self._texts:
            text, ref = self.repo.resolve(f"{agreement_id}@v{version}")
            title = check_header_text(ref.title or agreement_id, f"agreement '{agreement_id}' v{version} title")
            self._texts[key] = (text, title)
        return self._texts[key]

    def _title(self, agreement_id: str, version: int) -> str:
        return self._published(agreement_id, version)[1]

    def _version_in_force(self, campaign: Campaign, accepted: int) -> int:
        """The version that binds a customer who accepted ``accepted`` on the campaign's effective
        date, just before the change: the latest one already in effect then, or their own if later.
        Only versions the campaign could know of count (up to the one it announces or is about), so
        a message rebuilt later from the ledger is the same."""
        key = (campaign.id, accepted)
        if key not in self._in_force:  # one git lookup per campaign and version, not per message
            last = campaign.to_version - 1 if campaign.kind == "version" else campaign.to_version
            in_effect = [v.number for v in self.repo.versions(campaign.agreement)
                         if v.number <= last and v.effective <= campaign.effective]
            self._in_force[key] = max([accepted, *in_effect])
        return self._in_force[key]

    def _cited_clause(self, campaign: Campaign, in_force: int) -> dict[str, str] | None:
        """The clause the notice relies on, as worded in the version in force for this customer."""
        source = campaign.to_version - 1 if campaign.kind == "version" else campaign.to_version
        if in_force == source or not campaign.clause_label:
            if not campaign.clause_label:
                return None
            return {"label": campaign.clause_label, "text": visible(campaign.clause_text or "", edited=False)}
        key = (campaign.id, in_force)
        if key not in self._clauses:
            self._clauses[key] = self._matching_clause(campaign, source, in_force)
        return self._clauses[key]

    def _matching_clause(self, campaign: Campaign, source: int, in_force: int) -> dict[str, str] | None:
        """The clause of version ``in_force`` that the differ pairs with the campaign's cited clause
        of version ``source``; else the clause the campaign would cite in that version."""
        from ..differ import diff_texts
        from .campaigns import assignment_clause, clause_label, clause_text, notice_clause

        old_text, new_text = (self._published(campaign.agreement, n)[0] for n in (in_force, source))
        diff = diff_texts(old_text, new_text, *(self._ref(campaign.agreement, n) for n in (in_force, source)))
        found = next((c.old for c in diff.changes
                      if c.new is not None and c.old is not None and clause_label(c.new) == campaign.clause_label),
                     None)
        if found is None:
            found = (assignment_clause if campaign.kind == "assignment" else notice_clause)(old_text)
        if found is None:
            return None
        return {"label": clause_label(found), "text": visible(clause_text(found), edited=False)}

    def _reading_url(self, agreement_id: str, version: int) -> str:
        try:
            return self.config.reading_url.format(agreement=agreement_id, version=version)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ClausewiseError(
                f"clausewise.toml: reading_url {self.config.reading_url!r} is not a valid template ({exc}); "
                "use only {agreement} and {version}") from None

    def _redline_url(self, agreement_id: str, old: int, new: int) -> str:
        values = {"agreement": agreement_id, "from_version": str(old), "to_version": str(new)}
        url = fill_placeholders(self.config.redline_url, values)
        if "{" in url or "}" in url:
            raise ClausewiseError(f"clausewise.toml: redline_url {self.config.redline_url!r} uses an unknown "
                                  "placeholder; use only {agreement}, {from_version} and {to_version}")
        return url

    def _version_change(self, agreement_id: str, old: int, new: int) -> _VersionChange:
        key = (agreement_id, old, new)
        if key not in self._changes:
            from ..differ import diff_texts

            diff = diff_texts(self._published(agreement_id, old)[0], self._published(agreement_id, new)[0],
                              *(self._ref(agreement_id, number) for number in (old, new)))
            attachment = name = None
            if self.config.redline_delivery in ("attach", "both"):
                name = f"redline-{agreement_id}-v{old}-v{new}.{self.config.redline_format}"
                attachment = self._redline_attachment(name, diff, agreement_id, new)
            self._changes[key] = _VersionChange(change_list(diff), attachment, name)
        return self._changes[key]

    def _redline_attachment(self, name: str, diff: Any, agreement_id: str, new: int) -> SharedPart:
        """The redline file in ``redline_format``, rendered once per (agreement, old, new) and shared
        by every message that carries it. A PDF or Word file is dated with the new version's
        effective date, so a message rebuilt later (notify preview --part raw) has the bytes the
        ledger's hash was taken of."""
        from ..differ import render_html

        fmt = self.config.redline_format
        if fmt not in ATTACHMENT_TYPES:
            return redline_part(name, render_html(diff))
        effective = self.repo.version(agreement_id, new).effective
        dated = datetime(effective.year, effective.month, effective.day, tzinfo=timezone.utc)
        if fmt == "pdf":
            from ..differ import render_pdf

            data = render_pdf(diff, created=dated)
        else:
            from ..differ import render_docx
            from ..differ.render_docx import DEFAULT_AUTHOR

            data = render_docx(diff, author=self.config.redline_author or DEFAULT_AUTHOR, date=dated)
        return redline_file_part(name, data, ATTACHMENT_TYPES[fmt])

    def _ref(self, agreement_id: str, number: int) -> Any:
        from ..differ.model import DocumentRef

        version = self.repo.version(agreement_id, number)
        return DocumentRef(ref=f"{agreement_id}@v{number}", title=self._title(agreement_id, number), version=number,
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
    The Date is the one recorded with the notice (the copy sent, or the last claim), or now for a
    notice not yet claimed.
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
