"""Bounces: delivery status notifications (RFC 3464) collected from a Maildir folder or an IMAP
mailbox over TLS, matched to notices and recorded in the ledger.

A 250 reply means the server accepted a notice, not that it was delivered; a DSN that comes back
later says it was not. Each DSN is matched to its notice by the VERP token of its envelope
recipient (``legal+TOKEN@example.com``, when ``bounce_verp`` is on; the token is the hash part of
the notice's Message-ID), else by the Message-ID in the returned headers (in a DSN on several
recipients, only the report on the notice's own recipient). Parsing is pure; the
readers only fetch bytes. Collecting the same DSN twice records it once.
"""

from __future__ import annotations

import binascii
import hashlib
import imaplib
import os
import quopri
import re
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import ClausewiseError, UsageProblem
from .store import Bounce, Store

_PARSER = BytesParser(policy=compat32)
_HEADER_PARSER = BytesHeaderParser(policy=compat32)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_BLOCK_SEPARATOR = re.compile(rb"\r?\n(?:[ \t]*\r?\n)+")
_UNFOLD = re.compile(rb"\r?\n(?=[ \t])")
_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_TYPES = ("text/rfc822-headers", "text/global-headers", "message/rfc822", "message/global")
_VERP = re.compile(r"\+([0-9a-f]{24})@", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
IMAP_BATCH = 200


def verp_address(sender: str, message_id: str) -> str:
    """The VERP return path of a notice: ``local+TOKEN@domain``, TOKEN being the hash part of its
    Message-ID (``<TOKEN.slug@domain>``)."""
    local, _, domain = sender.rpartition("@")
    token = message_id.strip("<>").split(".", 1)[0]
    return f"{local}+{token}@{domain}"


def parse_dsn(data: bytes) -> list[Bounce]:
    """The recipients a delivery status notification reports on (empty if ``data`` is not a DSN).

    A top-level ``multipart/report`` (what MTAs send) is split by its boundary and only the headers
    and the delivery status are parsed, which is several times faster than parsing the whole
    message; anything else goes through the email package's full parser (a report nested inside
    another multipart, say)."""
    head, body = _split_head(data)
    top = _HEADER_PARSER.parsebytes(head)
    if top.get_content_type() == "multipart/report":
        boundary = top.get_boundary()
        if boundary:
            return _report(data, top, _parts(body, boundary.encode("utf-8", "replace")))
    return parse_dsn_message(_PARSER.parsebytes(data), data)


def parse_dsn_message(msg: Message, data: bytes) -> list[Bounce]:
    """Like :func:`parse_dsn`, from a message the email package parsed whole (``data``: its bytes)."""
    status = _delivery_status(msg)
    if status is None:
        return []
    blocks = status.get_payload()
    if not isinstance(blocks, list) or not blocks:
        return []
    return _bounces(data, msg, blocks[0], blocks[1:], _original_message_id(msg), _verp_token(msg))


def _bounces(data: bytes, msg: Message, per_message: Message | Fields, recipients: list[Message] | list[Fields],
             original: str | None, token: str | None) -> list[Bounce]:
    dsn_id = _first_message_id(msg.get("Message-ID")) or "sha256:" + hashlib.sha256(data).hexdigest()
    arrived = _date(per_message.get("Arrival-Date")) or _date(msg.get("Date"))
    found = []
    for block in recipients:
        recipient = _address(block.get("Final-Recipient")) or _address(block.get("Original-Recipient"))
        action = (block.get("Action") or "").strip().lower()
        if not recipient or not action:
            continue
        found.append(Bounce(dsn_id=dsn_id, recipient=recipient, action=action,
                            status=_clean(block.get("Status")), diagnostic=_clean(block.get("Diagnostic-Code")),
                            arrived_at=arrived, message_id=original, verp_token=token,
                            original_recipient=_address(block.get("Original-Recipient")),
                            reports=len(recipients)))
    return found


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    """(headers, body) of a message or MIME part, split at the first empty line."""
    match = _BLANK_LINE.search(data)
    if match is None:
        return data, b""
    return data[:match.start()], data[match.end():]


class Fields(dict):
    """Header fields of a MIME part or of a delivery-status block: unfolded, names case-insensitive
    (the first of repeated fields). Light on purpose: these are short, plain ASCII field lists."""

    @classmethod
    def parse(cls, block: bytes) -> "Fields":
        fields = cls()
        for line in _UNFOLD.sub(b" ", block).decode("utf-8", "replace").splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip():
                fields.setdefault(name.strip().lower(), value.strip())
        return fields

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)

    def get_content_type(self) -> str:
        return (self.get("Content-Type") or "text/plain").split(";", 1)[0].strip().lower()


def _parts(body: bytes, boundary: bytes) -> list[tuple[Fields, bytes]]:
    """The (headers, decoded body) of each part of a multipart body (RFC 2046 delimiters)."""
    delimiter = re.compile(rb"(?:^|\r?\n)--" + re.escape(boundary) + rb"(--)?[ \t]*(?=\r?\n|$)")
    found, start = [], None
    for match in delimiter.finditer(body):
        if start is not None:
            segment = _drop_line_break(body[start:match.start()])  # the end of the delimiter line
            head, content = (b"", _drop_line_break(segment)) if segment[:1] in (b"\r", b"\n") else _split_head(segment)
            headers = Fields.parse(head)
            encoding = (headers.get("Content-Transfer-Encoding") or "").strip().lower()
            if encoding == "base64":
                content = binascii.a2b_base64(content)
            elif encoding == "quoted-printable":
                content = quopri.decodestring(content)
            found.append((headers, content))
        if match.group(1):
            break
        start = match.end()
    return found


def _drop_line_break(text: bytes) -> bytes:
    return text[2:] if text.startswith(b"\r\n") else text[1:] if text.startswith(b"\n") else text


def _report(data: bytes, top: Message, parts: list[tuple[Fields, bytes]]) -> list[Bounce]:
    status = next((content for headers, content in parts
                   if headers.get_content_type() in _STATUS_TYPES), None)
    if status is None:
        return []
    blocks = [Fields.parse(block) for block in _BLOCK_SEPARATOR.split(status.strip(b"\r\n")) if block.strip()]
    if not blocks:
        return []
    original = None
    for headers, content in parts:
        if headers.get_content_type() in _RETURNED_TYPES:
            original = _first_message_id(Fields.parse(_split_head(content)[0]).get("Message-ID"))
            break
    return _bounces(data, top, blocks[0], blocks[1:], original, _verp_token(top))


def _delivery_status(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return part
    return None


def _original_message_id(msg: Message) -> str | None:
    """The Message-ID of the returned message (its headers, or the whole message)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("text/rfc822-headers", "text/global-headers"):
            payload = part.get_payload(decode=True) or b""
            return _first_message_id(_HEADER_PARSER.parsebytes(payload).get("Message-ID"))
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                return _first_message_id(inner[0].get("Message-ID"))
    return None


def _verp_token(msg: Message) -> str | None:
    for name in _ENVELOPE_HEADERS:
        for value in msg.get_all(name) or []:
            match = _VERP.search(str(value))
            if match:
                return match.group(1).lower()
    return None


def _first_message_id(value: object) -> str | None:
    match = _MESSAGE_ID.search(" ".join(str(value).split())) if value else None
    return match.group(0) if match else None


def _address(value: str | None) -> str | None:
    """``rfc822; user@example.com`` -> ``user@example.com``."""
    if not value:
        return None
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address or None


def _clean(value: str | None) -> str | None:
    return " ".join(str(value).split()) or None if value else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class CollectReport:
    """What one collection found."""

    messages: int = 0  # messages read from the mailbox
    not_dsn: int = 0  # messages that are not delivery status notifications
    recipients: int = 0  # recipient reports in the DSNs
    bounced: int = 0  # new 'failed' reports matched to a notice
    other: int = 0  # new reports matched with another action (delayed, relayed, ...)
    already: int = 0  # reports collected before
    unmatched: list[str] = field(default_factory=list)  # recipients of reports that match no notice

    def summary(self) -> str:
        return (f"read {self.messages} messages: {self.recipients} recipient reports in "
                f"{self.messages - self.not_dsn} DSNs; {self.bounced} notices newly bounced, {self.other} other "
                f"reports (delayed, relayed), {self.already} collected before, {len(self.unmatched)} matching no "
                "notice")


def collect(store: Store, messages: Iterable[bytes]) -> CollectReport:
    """Parse and record every DSN of ``messages``."""
    report = CollectReport()
    with store.transaction():
        for data in messages:
            report.messages += 1
            bounces = parse_dsn(data)
            if not bounces:
                report.not_dsn += 1
            for bounce in bounces:
                report.recipients += 1
                outcome = store.record_bounce(bounce)
                if not outcome.matched:
                    report.unmatched.append(bounce.recipient)
                elif not outcome.new:
                    report.already += 1
                elif bounce.action == "failed":
                    report.bounced += 1
                else:
                    report.other += 1
    return report


def maildir_messages(folder: str | os.PathLike[str]) -> Iterator[bytes]:
    """The bytes of every message in a Maildir folder (new/ and cur/), read only."""
    root = Path(folder)
    if not all((root / sub).is_dir() for sub in ("new", "cur")):
        raise UsageProblem(f"{root}: not a Maildir folder (it needs new/ and cur/ subfolders)")
    for sub in ("new", "cur"):
        for path in sorted((root / sub).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                yield path.read_bytes()


@dataclass(frozen=True)
class ImapSource:
    """``imaps://user@host[:port][/folder]``; IMAP over TLS only (the password is never in the URL)."""

    host: str
    port: int
    username: str
    folder: str

    def display(self) -> str:
        return f"imaps://{self.username}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> ImapSource:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageProblem(f"IMAP URL: {exc}; write imaps://user@host[:993][/folder]") from None
    if parts.scheme != "imaps" or not parts.hostname or not parts.username:
        raise UsageProblem("IMAP URL: write imaps://user@host[:993][/folder] (IMAP over TLS, with a login)")
    if parts.password is not None:
        raise UsageProblem("IMAP URL contains a password; remove it and set CLAUSEWISE_IMAP_PASSWORD")
    return ImapSource(host=parts.hostname, port=port or 993, username=unquote(parts.username),
                      folder=unquote(parts.path.strip("/")) or "INBOX")


def imap_messages(source: ImapSource, password: str, *, timeout: float = 30.0,
                  context: ssl.SSLContext | None = None) -> Iterator[bytes]:
    """The bytes of every message in the IMAP folder, over TLS (certificate checked), read only."""
    try:
        client = imaplib.IMAP4_SSL(source.host, source.port, ssl_context=context or ssl.create_default_context(),
                                   timeout=timeout)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ClausewiseError(f"{source.display()}: cannot connect ({type(exc).__name__}: {exc}); check the URL, "
                              "that the server speaks IMAP over TLS and that its certificate is trusted") from None
    try:
        try:
            client.login(source.username, password)
        except imaplib.IMAP4.error:
            raise ClausewiseError(f"{source.display()}: login as '{source.username}' refused; check the user and "
                                  "CLAUSEWISE_IMAP_PASSWORD") from None
        status, _ = client.select(_quote(source.folder), readonly=True)
        if status != "OK":
            raise ClausewiseError(f"{source.display()}: no folder '{source.folder}'")
        _, found = client.uid("SEARCH", None, "ALL")
        uids = found[0].split() if found and found[0] else []
        for start in range(0, len(uids), IMAP_BATCH):
            batch = b",".join(uids[start:start + IMAP_BATCH]).decode("ascii")
            _, fetched = client.uid("FETCH", batch, "(BODY.PEEK[])")
            for item in fetched:
                if isinstance(item, tuple) and len(item) == 2:
                    yield item[1]
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ClausewiseError(f"{source.display()}: IMAP error ({type(exc).__name__}: {exc}); run the "
                              "collection again (what was recorded stays recorded)") from None
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_password() -> str | None:
    return os.environ.get("CLAUSEWISE_IMAP_PASSWORD") or None

