"""What a publication records, and the rules it must pass. Pure logic, no I/O.

A publication is written as a commit message (and the same text as the annotated tag's message):

    Publish <id> v<N>: <summary>

    <summary>

    Clausewise-Agreement: <id>
    Clausewise-Version: <N>
    Effective-Date: YYYY-MM-DD
    Notice-Days: <days>
    Short-Notice-Reason: <reason>        (only when the notice period was cut short)

The last paragraph is a block of git trailers that ``git interpret-trailers --parse`` reads too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import ClausewiseError, UsageProblem

AGREEMENT = "Clausewise-Agreement"
VERSION = "Clausewise-Version"
EFFECTIVE = "Effective-Date"
NOTICE_DAYS = "Notice-Days"
SHORT_NOTICE_REASON = "Short-Notice-Reason"
REQUIRED_TRAILERS = (AGREEMENT, VERSION, EFFECTIVE, NOTICE_DAYS)
TRAILER_LINE = re.compile(r"^([A-Za-z0-9-]+): ?(.*)$")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch; \d would take any script's digits


@dataclass(frozen=True)
class Publication:
    """The fields recorded in a publish commit and its tag."""

    agreement_id: str
    number: int
    effective: date
    notice_days: int
    summary: str = ""
    short_notice_reason: str | None = None

    @property
    def tag(self) -> str:
        return tag_name(self.agreement_id, self.number)


def tag_name(agreement_id: str, number: int) -> str:
    return f"{agreement_id}/v{number}"


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so that the text fits a subject line or a trailer."""
    return " ".join(text.split())


def parse_date(value: str, what: str) -> date:
    """A strict YYYY-MM-DD date; UsageProblem naming ``what`` otherwise."""
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(f"{what} {value!r} is not a valid date; use YYYY-MM-DD, e.g. 2030-01-31") from None


def check_notice(effective: date, notice_days: int, today: date, allow_short_notice: str | None) -> None:
    """Refuse an effective date that leaves less than ``notice_days`` from ``today``, unless a reason is given."""
    if (effective - today).days >= notice_days or allow_short_notice is not None:
        return
    earliest = today + timedelta(days=notice_days)
    raise ClausewiseError(
        f"effective date {effective.isoformat()} leaves {(effective - today).days} days of notice, less than the "
        f"{notice_days} days required; use {earliest.isoformat()} or later, or pass --allow-short-notice REASON"
    )


def format_message(publication: Publication) -> str:
    """The commit (and tag) message of a publication."""
    subject = f"Publish {publication.agreement_id} v{publication.number}"
    paragraphs = [f"{subject}: {publication.summary}" if publication.summary else subject]
    if publication.summary:
        paragraphs.append(publication.summary)
    trailers = [
        f"{AGREEMENT}: {publication.agreement_id}",
        f"{VERSION}: {publication.number}",
        f"{EFFECTIVE}: {publication.effective.isoformat()}",
        f"{NOTICE_DAYS}: {publication.notice_days}",
    ]
    if publication.short_notice_reason is not None:
        trailers.append(f"{SHORT_NOTICE_REASON}: {publication.short_notice_reason}")
    paragraphs.append("\n".join(trailers))
    return "\n\n".join(paragraphs) + "\n"


def parse_message(message: str) -> Publication | None:
    """Read a publication back from a commit or tag message; None if it is not one."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) < 2:
        return None
    trailers: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = TRAILER_LINE.match(line.strip())
        if match is None:
            return None
        trailers.setdefault(match.group(1), match.group(2).strip())
    if any(key not in trailers for key in REQUIRED_TRAILERS):
        return None
    try:
        number = int(trailers[VERSION])
        notice_days = int(trailers[NOTICE_DAYS])
        effective = date.fromisoformat(trailers[EFFECTIVE])
    except ValueError:
        return None
    summary = one_line(" ".join(paragraphs[1:-1]))
    return Publication(
        agreement_id=trailers[AGREEMENT],
        number=number,
        effective=effective,
        notice_days=notice_days,
        summary=summary,
        short_notice_reason=trailers.get(SHORT_NOTICE_REASON),
    )


VERSION_REF = re.compile(r"(?P<id>[^@]+)@(?P<version>.*)", re.DOTALL)


def split_ref(ref: str) -> tuple[str, int | str | None]:
    """``"id@v2"`` -> ("id", 2); ``"id@latest"`` -> ("id", "latest"); ``"id"`` -> ("id", None).

    UsageProblem for a malformed version part such as ``id@2x`` or ``id@v0``.
    """
    match = VERSION_REF.fullmatch(ref)
    if match is None:
        return ref, None
    agreement_id, version = match.group("id"), match.group("version")
    if version == "latest":
        return agreement_id, "latest"
    number = re.fullmatch(r"v?([0-9]+)", version)
    if number is None or int(number.group(1)) < 1:
        raise UsageProblem(f"{ref!r}: the version must be written v1, v2, ... or 'latest', e.g. {agreement_id}@v1")
    return agreement_id, int(number.group(1))
