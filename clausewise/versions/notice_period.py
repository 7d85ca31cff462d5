"""The notice period an agreement's own clause requires, and the legal-minimum presets. Pure logic.

``read_notice_period`` reads phrasings such as "at least thirty (30) days", "30 days' prior written
notice", "not less than fifteen days before", "提前三十（30）日", "提前15日", "提前十个工作日" and
"提前一个月"; "in advance" / "提前通知" without a number reads as a requirement with no number (the
configured default then applies). Working days count as 7/5 calendar days, weeks as 7 and months as
31 (rounded up), so the period read is never shorter than the clause's. When a clause names several
periods, the longest counts.

``settle_notice_days`` compares the notice period a publication or an announcement would give with
the clause's, and refuses a shorter one unless a reason is given.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ClausewiseError, UsageProblem

# Presets a clausewise.toml (default_notice_days) or a front matter (notice_days) can name instead of
# a number: name -> (days, the law that sets the minimum).
NOTICE_PRESETS: dict[str, tuple[int, str]] = {
    "eu-p2b": (15, "EU Platform-to-Business Regulation (EU) 2019/1150, Art. 3(2)"),
    "prc-ecommerce": (7, "PRC E-Commerce Law, Art. 34"),
}

_EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
             "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
_EN_WORD = "|".join(sorted([*_EN_UNITS, *_EN_TENS, "hundred", "a", "an"], key=len, reverse=True))
_EN_NUMBER = rf"(?:\d{{1,4}}|(?:(?:{_EN_WORD})[\s-]*)+)"
_EN_UNIT = r"(?:calendar\s+|business\s+|working\s+)?(?:days?|weeks?|months?)"
_EN_PERIOD = re.compile(rf"\b(?P<number>{_EN_NUMBER})\s*(?:\(\s*(?P<digits>\d{{1,4}})\s*\)\s*)?(?P<unit>{_EN_UNIT})\b",
                        re.IGNORECASE)
_EN_NOTICE = re.compile(r"\bnoti(?:ce|fy|fies|fied|fying|fication)|\binform", re.IGNORECASE)
_EN_ADVANCE = re.compile(r"\b(?:in advance|prior|before|beforehand|at least|not less than|no less than|advance)\b",
                         re.IGNORECASE)

_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = r"(?:\d{1,4}|[〇零一二两三四五六七八九十百]+)"
_ZH_UNIT = r"(?:个?工作日|个?自然日|日|天|周|星期|个月|月)"
_ZH_PERIOD = re.compile(
    rf"(?:提前|至少|不少于|不短于|不得少于)(?:至少|不少于)?\s*(?P<number>{_ZH_NUMBER})\s*"
    rf"(?:[（(]\s*(?P<digits>\d{{1,4}})\s*[)）]\s*)?(?P<unit>{_ZH_UNIT})")
_ZH_IN_ADVANCE = re.compile(r"提前[^，。；,.;]{0,6}(?:通知|告知|公告|公示)|事先(?:通知|告知)")
_SENTENCE = re.compile(r"[^.;。；!?！？]+[.;。；!?！？]?")


@dataclass(frozen=True)
class NoticeRequirement:
    """What a clause says about advance notice: a number of days, or ``None`` for "in advance"
    without a number; ``phrase`` is the wording it was read from."""

    days: int | None
    phrase: str


def read_notice_period(text: str) -> NoticeRequirement | None:
    """The advance notice ``text`` requires (see the module docstring), or None when it requires none."""
    found: list[NoticeRequirement] = []
    vague: NoticeRequirement | None = None
    for sentence in (m.group(0) for m in _SENTENCE.finditer(text)):
        for match in _ZH_PERIOD.finditer(sentence):
            days = _days(_zh_number(match.group("digits") or match.group("number")), match.group("unit"))
            if days is not None:
                found.append(NoticeRequirement(days, match.group(0).strip()))
        if _EN_NOTICE.search(sentence) and _EN_ADVANCE.search(sentence):
            for match in _EN_PERIOD.finditer(sentence):
                number = int(match.group("digits")) if match.group("digits") else _en_number(match.group("number"))
                days = _days(number, match.group("unit").lower())
                if days is not None:
                    found.append(NoticeRequirement(days, match.group(0).strip()))
            if vague is None and re.search(r"\bin advance\b|\bprior\b|\bbeforehand\b", sentence, re.IGNORECASE):
                vague = NoticeRequirement(None, _phrase(sentence, r"in advance|prior|beforehand"))
        zh_vague = _ZH_IN_ADVANCE.search(sentence)
        if vague is None and zh_vague:
            vague = NoticeRequirement(None, zh_vague.group(0))
    if found:
        return max(found, key=lambda r: r.days or 0)
    return vague


def preset_days(value: object, where: str) -> int | None:
    """``value`` as a number of days: an int as it is, a preset name (NOTICE_PRESETS) as its days,
    None as None; ClausewiseError naming ``where`` for anything else."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value in NOTICE_PRESETS:
        return NOTICE_PRESETS[value][0]
    names = ", ".join(f"'{name}' ({days} days, {law})" for name, (days, law) in NOTICE_PRESETS.items())
    raise ClausewiseError(f"{where} {value!r} must be a number of days or a preset: {names}")


def settle_notice_days(given: int | None, given_source: str, default: int, required: NoticeRequirement | None,
                       cited: str, allow_short_notice: str | None) -> tuple[int, list[str]]:
    """The notice period to use and lines to tell the publisher.

    ``given`` is the period set explicitly (``given_source`` names where: --notice-days, the front
    matter), else ``default`` applies, raised to what the clause ``cited`` requires. A given period
    shorter than the clause's is refused (UsageProblem) unless ``allow_short_notice`` gives a reason.
    """
    notes: list[str] = []
    if required is None:
        return (default if given is None else given), notes
    if required.days is None:
        if given is None:
            notes.append(f"{cited} asks for notice \u201c{required.phrase}\u201d without a number of days; using "
                         f"the default, {default} days (default_notice_days in clausewise.toml)")
            return default, notes
        return given, notes
    if given is None:
        if required.days > default:
            notes.append(f"notice period: {required.days} days, as {cited} requires (\u201c{required.phrase}\u201d), "
                         f"not the default {default}")
            return required.days, notes
        return default, notes
    if given < required.days:
        if allow_short_notice is None:
            raise UsageProblem(
                f"{given_source} gives {given} days' notice, but {cited} requires {required.days} "
                f"(\u201c{required.phrase}\u201d); give {required.days} or more, or pass --allow-short-notice REASON")
        notes.append(f"{given} days' notice is shorter than the {required.days} days {cited} requires; the reason "
                     f"is recorded: {allow_short_notice}")
    return given, notes


def _days(number: int | None, unit: str) -> int | None:
    if number is None or number <= 0:
        return None
    if "work" in unit or "business" in unit or "工作日" in unit:
        return math.ceil(number * 7 / 5)
    if unit.startswith("week") or unit in ("周", "星期"):
        return number * 7
    if unit.startswith("month") or "月" in unit:
        return number * 31
    return number


def _en_number(words: str) -> int | None:
    if words.strip().isdigit():
        return int(words)
    total, current = 0, 0
    for word in re.findall(r"[a-z]+", words.lower()):
        if word in ("a", "an"):
            current += 1
        elif word in _EN_UNITS:
            current += _EN_UNITS[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            return None
    total += current
    return total or None


def _zh_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
    return (total + current) or None


def _phrase(sentence: str, words: str) -> str:
    match = re.search(rf"[^,]{{0,30}}\b(?:{words})\b", sentence, re.IGNORECASE)
    return " ".join((match.group(0) if match else sentence).split())
