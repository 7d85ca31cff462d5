"""What a publication records, and the rules it must pass. Pure logic, no I/O.

A publication is written as a commit message (and the same text as the annotated tag's message):

    Publish <id> v<N>: <summary>

    <summary>

    Clausewise-Agreement: <id>
    Clausewise-Version: <N>
    Effective-Date: YYYY-MM-DD
    Notice-Days: <days>
    Short-Notice-Reason: <reason>        (only when the notice period was cut short)
    Text-SHA256: <hex>                   (SHA-256 of the agreement file as committed)

The tag's message adds ``Publish-Commit: <sha>``. The last paragraph is a block of git trailers that
``git interpret-trailers --parse`` reads too. Versions published before Text-SHA256 existed lack it.
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
TEXT_SHA256 = "Text-SHA256"
PUBLISH_COMMIT = "Publish-Commit"
# Longest notice period accepted (ten years): longer ones are typing mistakes, and dates must stay
# computable (send-by = effective - notice).
MAX_NOTICE_DAYS = 3650
EARLIEST_EFFECTIVE = date(1900, 1, 1)
LATEST_EFFECTIVE = date(9899, 12, 31)
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
    text_sha256: str | None = None

    @property
    def tag(self) -> str:
        return tag_name(self.agreement_id, self.number)


def tag_name(agreement_id: str, number: int) -> str:
    return f"{agreement_id}/v{number}"


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so that the text fits a subject line or a trailer."""
    return " ".join(text.split())


def parse_date(value: str, what: str) -> date:
    """A strict YYYY-MM-DD date between 1900-01-01 and 9899-12-31; UsageProblem naming ``what`` otherwise."""
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError
        parsed = date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(f"{what} {value!r} is not a valid date; use YYYY-MM-DD, e.g. 2030-01-31") from None
    if not EARLIEST_EFFECTIVE <= parsed <= LATEST_EFFECTIVE:
        raise UsageProblem(f"{what} {value} is out of range; give a date between {EARLIEST_EFFECTIVE.isoformat()} "
                           f"and {LATEST_EFFECTIVE.isoformat()}")
    return parsed


def check_notice_days(days: object, what: str) -> int:
    """``days`` if it is a whole number of days from 0 to MAX_NOTICE_DAYS; UsageProblem naming ``what`` otherwise."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_NOTICE_DAYS:
        raise UsageProblem(f"{what} {days!r} must be a whole number of days from 0 to {MAX_NOTICE_DAYS} (ten years)")
    return days


def check_effective_range(effective: date, what: str = "effective date") -> None:
    """Refuse dates so far off that the notice arithmetic would leave the calendar."""
    if not EARLIEST_EFFECTIVE <= effective <= LATEST_EFFECTIVE:
        raise UsageProblem(f"{what} {effective.isoformat()} is out of range; give a date between "
                           f"{EARLIEST_EFFECTIVE.isoformat()} and {LATEST_EFFECTIVE.isoformat()}")


def notice_left(effective: date, today: date) -> str:
    """How much notice an effective date leaves, in words: '12 days', 'none: it is today', 'none: ... in the past'."""
    days = (effective - today).days
    if days < 0:
        return f"no notice: it is in the past ({-days} day{'s' if days != -1 else ''} ago)"
    if days == 0:
        return "no notice: it is today"
    return f"{days} day{'s' if days != 1 else ''} of notice"


def short_notice_message(effective: date, notice_days: int, today: date) -> str:
    """Why an effective date is refused as short notice, with the earliest date that is not."""
    earliest = today + timedelta(days=notice_days)
    return (f"effective date {effective.isoformat()} leaves {notice_left(effective, today)}, less than the "
            f"{notice_days} days required; use {earliest.isoformat()} or later, or pass --allow-short-notice REASON")


def check_notice(effective: date, notice_days: int, today: date, allow_short_notice: str | None,
                 *, first_version: bool = False) -> str | None:
    """Refuse an effective date that leaves less than ``notice_days`` from ``today``, unless a reason
    is given. A first version has nobody to notify (no customer accepted an earlier one): it is
    allowed, and the returned line says so."""
    if (effective - today).days >= notice_days or allow_short_notice is not None:
        return None
    if first_version:
        return (f"v1 is the first version: no customer has accepted an earlier one, so there is nobody to notify "
                f"and its effective date may be sooner than the {notice_days} days' notice later versions need")
    raise ClausewiseError(short_notice_message(effective, notice_days, today))


def check_effective_order(effective: date, previous_tag: str, previous_effective: date) -> None:
    """Refuse a version that would take effect before the version it replaces."""
    if effective < previous_effective:
        raise ClausewiseError(
            f"effective date {effective.isoformat()} is before {previous_tag}'s ({previous_effective.isoformat()}); "
            f"a new version cannot take effect before the one it replaces: use {previous_effective.isoformat()} "
            "or later")


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
    if publication.text_sha256 is not None:
        trailers.append(f"{TEXT_SHA256}: {publication.text_sha256}")
    paragraphs.append("\n".join(trailers))
    return "\n\n".join(paragraphs) + "\n"


def format_tag_message(publication: Publication, commit: str) -> str:
    """The tag's message: the commit's, with the publish commit's id as one more trailer."""
    return format_message(publication).rstrip("\n") + f"\n{PUBLISH_COMMIT}: {commit}\n"


def tag_commit_field(message: str) -> str | None:
    """The ``Publish-Commit`` recorded in a tag message, if any."""
    found = re.search(rf"^{PUBLISH_COMMIT}: ([0-9a-f]{{40,64}})$", message, re.MULTILINE)
    return found.group(1) if found else None


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
        text_sha256=trailers.get(TEXT_SHA256),
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
