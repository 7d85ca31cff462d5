"""Build one notice email: headers checked against injection, deterministic MIME bytes.

Pure: no I/O. The same inputs (rendered parts, addresses, Message-ID, Date) always give the same
bytes, so a message can be rebuilt from the ledger and checked against its recorded SHA-256.
"""

from __future__ import annotations

import email.contentmanager
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from io import BytesIO

from ..errors import ClausewiseError

# An addr-spec we are willing to put on an SMTP command line and in a header: one "@", no
# whitespace, no specials that could end the address or start another (GHSA-v3q9-hj7j-63hq).
_ADDR_FORBIDDEN = re.compile(r'[\s<>,;:"()\[\]\\]')
_DOMAIN_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?")
# Line breaks and control characters (C0, DEL, C1, line/paragraph separators): never in a header value.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The start of an RFC 2047 encoded word. Python's email package decodes encoded words it finds in a
# header value when it generates the message, so "=?utf-8?q?Bob=0D=0AReply-To:...?=" passes a CR/LF
# check and comes out as a second header (CVE-2024-6923; open on CPython 3.11 before 3.11.10).
# Text from data never carries one into a header: it is refused, on every Python version alike.
ENCODED_WORD_START = "=?"
_SLUG = re.compile(r"[^a-z0-9]+")
# Bodies are always base64 or quoted-printable (7-bit clean, no 8BITMIME needed); headers are
# RFC 2047-encoded, or raw UTF-8 only when an address itself is non-ASCII (SMTPUTF8).
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
_POLICY_UTF8 = email.policy.SMTPUTF8.clone(cte_type="7bit")


@dataclass(frozen=True)
class Mailbox:
    """A checked address with an optional display name."""

    name: str
    address: str

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]

    @property
    def needs_smtputf8(self) -> bool:
        return not self.address.isascii()

    def header(self) -> Address | str:
        """The header value; the policy RFC 2047-encodes a non-ASCII display name and quotes specials."""
        if self.address.isascii():
            return Address(display_name=self.name, addr_spec=self.address)
        # Python's Address refuses a non-ASCII local part; an SMTPUTF8 message carries it raw.
        if not self.name:
            return self.address
        quoted = self.name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{self.address}>'


@dataclass(frozen=True)
class RenderedNotice:
    """The rendered parts of one notice, ready to be wrapped into a message."""

    subject: str
    text: str
    html: str
    attachment: SharedPart | None = None  # from redline_part(); shared, never mutated


def header_text_problem(value: str) -> str | None:
    """Why ``value`` (text from data) may not go into a mail header, or None when it may."""
    if CONTROL_CHARACTERS.search(value):
        return "contains a line break or control character; a header value must be one line"
    if ENCODED_WORD_START in value:
        return ("contains '=?', which mail programs decode as an RFC 2047 encoded word (it could smuggle in "
                "a header); write the text itself")
    return None


def check_header_text(value: str, field: str) -> str:
    """Return ``value`` if it is safe inside a header; ClausewiseError naming ``field`` otherwise."""
    problem = header_text_problem(value)
    if problem:
        raise ClausewiseError(f"{field}: {value[:60]!r} {problem}")
    return value


def validate_address(address: str, field: str) -> str:
    """Return the addr-spec if it is a plain, safe ``local@domain``; ClausewiseError otherwise."""
    problem = None
    if CONTROL_CHARACTERS.search(address):
        problem = "contains a line break or control character"
    elif ENCODED_WORD_START in address:
        problem = "contains '=?' (an RFC 2047 encoded word, which could smuggle in a header)"
    elif _ADDR_FORBIDDEN.search(address):
        problem = "contains a space or one of <>,;:\"()[]\\ (give one bare address like name@example.com)"
    elif address.count("@") != 1:
        problem = "must contain exactly one '@'"
    else:
        local, domain = address.split("@")
        if not local or len(local) > 64 or len(address) > 254:
            problem = "has an empty or over-long local part"
        elif local.startswith(".") or local.endswith(".") or ".." in local:
            problem = "has a misplaced '.' in the local part"
        elif not all(_DOMAIN_LABEL.fullmatch(label) for label in domain.split(".")):
            problem = "has an invalid domain"
    if problem:
        raise ClausewiseError(f"{field}: {address[:80]!r} {problem}")
    return address


def parse_mailbox(value: str, field: str) -> Mailbox:
    """Parse ``Name <addr>`` or a bare address (e.g. the configured sender) and check both parts."""
    check_header_text(value, field)
    header = email.policy.default.header_factory("From", value)
    if header.defects or len(header.addresses) != 1 or not header.addresses[0].domain:
        raise ClausewiseError(f"{field}: {value!r} is not one address; write it as 'Name <name@example.com>'")
    address = header.addresses[0]
    return Mailbox(address.display_name, validate_address(address.addr_spec, field))


def message_id_for(campaign_id: str, customer_id: str, domain: str) -> str:
    """The Message-ID of one campaign's notice to one customer: the same on every (re)send."""
    digest = hashlib.sha1(f"{campaign_id}/{customer_id}".encode("utf-8")).hexdigest()[:24]
    slug = _SLUG.sub("-", campaign_id.lower()).strip("-") or "campaign"
    return f"<{digest}.{slug}@{domain}>"


def date_header(when: datetime | None = None) -> str:
    """An RFC 5322 Date header value in UTC (``when`` defaults to now)."""
    moment = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return email.utils.format_datetime(moment.replace(microsecond=0), usegmt=True)


def build_message(
    rendered: RenderedNotice,
    *,
    sender: Mailbox,
    recipient: Mailbox,
    message_id: str,
    date: str,
    language: str,
) -> EmailMessage:
    """A multipart message: text and HTML alternatives, plus the redline attached when given.

    MIME boundaries are derived from the Message-ID, so the bytes are deterministic.
    """
    subject = " ".join(check_header_text(rendered.subject, "subject").split())
    utf8 = sender.needs_smtputf8 or recipient.needs_smtputf8
    msg = EmailMessage(policy=_POLICY_UTF8 if utf8 else _POLICY)
    msg["Subject"] = subject
    msg["From"] = sender.header()
    msg["To"] = recipient.header()
    msg["Date"] = date
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    token = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]
    if rendered.attachment is not None:
        msg.make_mixed()
        msg.get_payload()[0].set_boundary(f"==alt_{token}")
        msg.attach(rendered.attachment)
        msg.set_boundary(f"==mixed_{token}")
    else:
        msg.set_boundary(f"==alt_{token}")
    msg["Content-Language"] = check_header_text(language, "language")
    check_generated_headers(msg)
    return msg


def check_generated_headers(msg: EmailMessage) -> None:
    """ClausewiseError unless every header of ``msg`` comes out as exactly one header.

    The bytes are checked as the generator will write them (``policy.fold_binary``): a header may
    only continue on lines that start with a space or tab and carry text, so no value, however
    the email package decodes or folds it, can start another header or end the header block.
    """
    for name, value in msg.raw_items():
        _check_folded(name, value, msg.policy.fold_binary(name, value), msg.policy)


def _check_folded(name: str, value: object, folded: bytes, policy: email.policy.Policy) -> bytes:
    """``folded`` (one header as written) if it is exactly one header; ClausewiseError otherwise."""
    lines = folded.split(policy.linesep.encode("ascii"))
    broken = lines[-1] != b"" or any(
        line[:1] not in (b" ", b"\t") or not line.strip() for line in lines[1:-1])
    if broken or any(b"\r" in line or b"\n" in line for line in lines):
        raise ClausewiseError(f"{name} header: its value would break into another header or the body "
                              f"({str(value)[:60]!r}); remove line breaks and '=?' from the text it is made of")
    return folded


class SharedPart(EmailMessage):
    """A part shared by many messages (the redline): serialized once, then copied as bytes."""

    def __init__(self, policy: email.policy.Policy = _POLICY) -> None:
        super().__init__(policy=policy)
        self.serialized: dict[tuple[email.policy.Policy, str | None], bytes] = {}


def redline_part(filename: str, html: str) -> SharedPart:
    """The HTML redline as an attachment part (reusable across messages: it is never mutated)."""
    check_header_text(filename, "attachment file name")
    part = SharedPart()
    part.set_content(html, subtype="html", charset="utf-8", disposition="attachment", filename=filename)
    del part["MIME-Version"]
    return part


def redline_file_part(filename: str, data: bytes, mime_type: str) -> SharedPart:
    """A binary redline (PDF, Word) as a base64 attachment part of type ``mime_type``; a non-ASCII
    ``filename`` is written as RFC 2231 ``filename*=utf-8''...``. Shared like redline_part's."""
    check_header_text(filename, "attachment file name")
    maintype, subtype = mime_type.split("/")
    part = SharedPart()
    part.set_content(data, maintype=maintype, subtype=subtype, disposition="attachment", filename=filename)
    del part["MIME-Version"]
    return part


class _Generator(BytesGenerator):
    """BytesGenerator that writes a SharedPart from its cached bytes (the same bytes, re-encoded
    once instead of once per message: the redline is most of a notice's size)."""

    def flatten(self, msg: Message, unixfrom: bool = False, linesep: str | None = None) -> None:
        cache = getattr(msg, "serialized", None)
        if cache is None or unixfrom:
            super().flatten(msg, unixfrom, linesep)
            return
        key = (self.policy, linesep)
        if key not in cache:
            buffer = BytesIO()
            BytesGenerator.flatten(self.clone(buffer), msg, False, linesep)
            cache[key] = buffer.getvalue()
        self._fp.write(cache[key])


def message_bytes(msg: EmailMessage) -> bytes:
    """The exact bytes handed to the SMTP server (CRLF line endings); the same as ``msg.as_bytes()``."""
    buffer = BytesIO()
    _Generator(buffer, mangle_from_=False, policy=msg.policy).flatten(msg)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_OUR_MESSAGE_ID = re.compile(r"<(?P<digest>[0-9a-f]{24})\.[a-z0-9-]+@[A-Za-z0-9.-]+>")  # see message_id_for
_DIGEST_PLACEHOLDER = "0" * 24


class MessageAssembler:
    """Writes the bytes ``message_bytes(build_message(...))`` gives, without building the message.

    The email package's header parsing, content managers and generator cost several milliseconds a
    message; a campaign sends thousands that differ only in a few headers and the two bodies. This
    writes the same MIME structure directly: the recipient and Message-ID are still parsed and folded
    by the email package (per message), the other headers once per distinct value, each checked like
    ``check_generated_headers``; bodies are encoded by the email package's own text encoder, and the
    shared redline is copied from its cached bytes. Messages that need SMTPUTF8 (a non-ASCII address)
    take the general path. tests/notifier/test_message.py checks that both paths give the same bytes.
    """

    def __init__(self) -> None:
        self._headers: dict[tuple[str, str], bytes] = {}

    def message_bytes(self, rendered: RenderedNotice, *, sender: Mailbox, recipient: Mailbox, message_id: str,
                      date: str, language: str) -> bytes:
        """The exact bytes of the notice (the same as ``message_bytes(build_message(...))``)."""
        if sender.needs_smtputf8 or recipient.needs_smtputf8:
            return message_bytes(build_message(rendered, sender=sender, recipient=recipient,
                                               message_id=message_id, date=date, language=language))
        subject = " ".join(check_header_text(rendered.subject, "subject").split())
        language = check_header_text(language, "language")
        token = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]
        alternative = f"==alt_{token}".encode("ascii")
        body = b"".join((
            b"--", alternative, b"\r\n",
            self._text_part("plain", rendered.text, b""),
            b"\r\n--", alternative, b"\r\n",
            self._text_part("html", rendered.html, b"MIME-Version: 1.0\r\n"),
            b"\r\n--", alternative, b"--\r\n",
        ))
        if rendered.attachment is not None:
            mixed = f"==mixed_{token}".encode("ascii")
            body = b"".join((
                b"--", mixed, b"\r\nContent-Type: multipart/alternative;\r\n boundary=\"", alternative,
                b"\"\r\n\r\n", body,
                b"\r\n--", mixed, b"\r\n", _shared_bytes(rendered.attachment),
                b"\r\n--", mixed, b"--\r\n",
            ))
            content_type = b"Content-Type: multipart/mixed;\r\n boundary=\"" + mixed + b"\"\r\n"
        else:
            content_type = b"Content-Type: multipart/alternative;\r\n boundary=\"" + alternative + b"\"\r\n"
        return b"".join((
            self._cached("Subject", subject), self._cached("From", sender),
            self._recipient(recipient), self._cached("Date", date),
            self._message_id(message_id), b"Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n",
            content_type, self._cached("Content-Language", language), b"\r\n", body,
        ))

    def _cached(self, name: str, value: Mailbox | str) -> bytes:
        key = (name, value)
        if key not in self._headers:
            self._headers[key] = self._folded(name, value.header() if isinstance(value, Mailbox) else value)
        return self._headers[key]

    def _recipient(self, recipient: Mailbox) -> bytes:
        """``To: Name <addr>``: written directly when the name is plain words and the line is short
        (the email package writes exactly that then); parsed and folded by it otherwise."""
        if _PLAIN_NAME.fullmatch(recipient.name):
            line = f"To: {recipient.name} <{recipient.address}>\r\n"
            if len(line) <= _POLICY.max_line_length and line.isascii():
                return line.encode("ascii")
        return self._folded("To", recipient.header())

    def _message_id(self, message_id: str) -> bytes:
        """Our Message-IDs differ only in their digest: fold the shape once, then put the digest in."""
        match = _OUR_MESSAGE_ID.fullmatch(message_id)
        if match is None:
            return self._folded("Message-ID", message_id)
        digest = match["digest"]
        shape = self._cached("Message-ID", message_id.replace(digest, _DIGEST_PLACEHOLDER, 1))
        return shape.replace(_DIGEST_PLACEHOLDER.encode("ascii"), digest.encode("ascii"), 1)

    @staticmethod
    def _folded(name: str, value: Address | str) -> bytes:
        stored = _POLICY.header_store_parse(name, value)
        return _check_folded(name, value, _POLICY.fold_binary(*stored), _POLICY)

    @staticmethod
    def _text_part(subtype: str, text: str, extra_headers: bytes) -> bytes:
        cte, payload = email.contentmanager._encode_text(text, "utf-8", None, _POLICY)
        return b"".join((f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                         f"Content-Transfer-Encoding: {cte}\r\n".encode("ascii"), extra_headers, b"\r\n",
                         payload.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n").encode("ascii")))


def _shared_bytes(part: SharedPart) -> bytes:
    """The part's bytes as the generator writes it inside a message (cached on the part)."""
    key = (_POLICY, _POLICY.linesep)
    if key not in part.serialized:
        buffer = BytesIO()
        BytesGenerator(buffer, mangle_from_=False, policy=_POLICY).flatten(part, False, _POLICY.linesep)
        part.serialized[key] = buffer.getvalue()
    return part.serialized[key]
