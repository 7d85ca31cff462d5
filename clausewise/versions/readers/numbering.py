"""Word's automatic numbering: the label Word displays in front of a numbered paragraph.

The numbers are not in a .docx's text. A paragraph names a list (``w:numId``) and a level
(``w:ilvl``); ``numbering.xml`` maps the list to an abstract definition whose levels give a start
value, a number format (``decimal``, ``lowerLetter``, ``chineseCounting`` ...) and a pattern
(``w:lvlText`` such as ``%1.%2`` or ``第%1条``). Lists that share an abstract definition share its
counters, as in Word, unless a list restarts a level (``w:lvlOverride/w:startOverride``).

Pure logic: :class:`Numbering` is built from parsed XML elements and counts paragraphs in document
order; it does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_LEVELS = 9
FALSE = ("false", "0", "off")  # w:val of an on/off property that is off


def w_val(element: etree._Element | None, default: str | None = None) -> str | None:
    """The ``w:val`` attribute of ``element``, or ``default`` when the element or attribute is absent."""
    if element is None:
        return default
    return element.get(f"{W}val", default)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Level:
    """One level of a list definition (``w:lvl``)."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restart: int | None = None  # w:lvlRestart: restart after a use of level 1..restart; 0 never; None any higher
    legal: bool = False  # w:isLgl: show every level's number as a decimal
    style: str | None = None  # w:pStyle: the paragraph style this level belongs to (outline numbering)

    @classmethod
    def from_xml(cls, lvl: etree._Element) -> "Level":
        restart = lvl.find(f"{W}lvlRestart")
        return cls(
            start=_int(w_val(lvl.find(f"{W}start")), 1),
            fmt=w_val(lvl.find(f"{W}numFmt"), "decimal") or "decimal",
            text=w_val(lvl.find(f"{W}lvlText"), "") or "",
            restart=_int(w_val(restart), 0) if restart is not None else None,
            style=w_val(lvl.find(f"{W}pStyle")),
            legal=lvl.find(f"{W}isLgl") is not None and w_val(lvl.find(f"{W}isLgl"), "true") not in FALSE,
        )


@dataclass
class _List:
    """One list instance (``w:num``): its abstract definition and its own overrides."""

    abstract: str
    levels: dict[int, Level] = field(default_factory=dict)
    start_overrides: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Label:
    """What Word shows in front of a numbered paragraph."""

    text: str  # "1.1", "(a)", "第一条", "•" ...
    bullet: bool  # numFmt bullet: a bulleted list, not a clause number


class Numbering:
    """The list definitions of one document, and the counters as paragraphs are numbered in order."""

    def __init__(self, numbering_xml: etree._Element | None,
                 style_lists: dict[str, tuple[str, int]] | None = None) -> None:
        """``style_lists`` maps a numbering style's id to the (numId, ilvl) its paragraph properties name,
        for abstract definitions that only point at a numbering style (``w:numStyleLink``)."""
        self._abstract_levels: dict[str, dict[int, Level]] = {}
        self._style_links: dict[str, str] = {}
        self._lists: dict[str, _List] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._started: set[str] = set()
        self._style_lists = style_lists or {}
        if numbering_xml is None:
            return
        for abstract in numbering_xml.iterfind(f"{W}abstractNum"):
            key = abstract.get(f"{W}abstractNumId", "")
            self._abstract_levels[key] = {
                _int(lvl.get(f"{W}ilvl"), 0): Level.from_xml(lvl) for lvl in abstract.iterfind(f"{W}lvl")}
            link = w_val(abstract.find(f"{W}numStyleLink"))
            if link:
                self._style_links[key] = link
        for num in numbering_xml.iterfind(f"{W}num"):
            instance = _List(w_val(num.find(f"{W}abstractNumId"), "") or "")
            for override in num.iterfind(f"{W}lvlOverride"):
                ilvl = _int(override.get(f"{W}ilvl"), 0)
                start = override.find(f"{W}startOverride")
                if start is not None:
                    instance.start_overrides[ilvl] = _int(w_val(start), 1)
                lvl = override.find(f"{W}lvl")
                if lvl is not None:
                    instance.levels[ilvl] = Level.from_xml(lvl)
            self._lists[num.get(f"{W}numId", "")] = instance

    def _abstract_of(self, num_id: str) -> str | None:
        """The abstract definition a list uses, following one numbering-style link if there is one."""
        instance = self._lists.get(num_id)
        if instance is None:
            return None
        abstract = instance.abstract
        link = self._style_links.get(abstract)
        if link and link in self._style_lists:
            linked = self._lists.get(self._style_lists[link][0])
            if linked is not None and linked.abstract in self._abstract_levels:
                abstract = linked.abstract
        return abstract if abstract in self._abstract_levels else None

    def level_of_style(self, num_id: str, style_id: str) -> int:
        """The level of list ``num_id`` that names paragraph style ``style_id`` (0 if none does)."""
        abstract = self._abstract_of(num_id)
        for ilvl, level in sorted(self._abstract_levels.get(abstract or "", {}).items()):
            if level.style == style_id:
                return ilvl
        return 0

    def _level(self, num_id: str, abstract: str, ilvl: int) -> Level:
        instance = self._lists[num_id]
        return instance.levels.get(ilvl) or self._abstract_levels[abstract].get(ilvl) or Level(text="")

    def label(self, num_id: str, ilvl: int) -> Label | None:
        """Count one paragraph of list ``num_id`` at level ``ilvl`` and give its label (None: not numbered)."""
        abstract = self._abstract_of(num_id)
        if abstract is None or not 0 <= ilvl < _LEVELS:
            return None
        instance = self._lists[num_id]
        counters = self._counters.setdefault(abstract, [None] * _LEVELS)
        if num_id not in self._started:  # a list that restarts levels: its first use resets them
            self._started.add(num_id)
            for level, start in instance.start_overrides.items():
                if 0 <= level < _LEVELS:
                    counters[level] = None
        levels = [self._level(num_id, abstract, n) for n in range(_LEVELS)]
        current = counters[ilvl]
        counters[ilvl] = self._start(instance, levels, ilvl) if current is None else current + 1
        for deeper in range(ilvl + 1, _LEVELS):
            restart = levels[deeper].restart
            if restart is None or (restart != 0 and ilvl + 1 <= restart):
                counters[deeper] = None
        level = levels[ilvl]
        if level.fmt == "bullet":
            return Label(level.text, True)
        return Label(self._expand(level, levels, counters, instance), False)

    @staticmethod
    def _start(instance: _List, levels: list[Level], ilvl: int) -> int:
        return instance.start_overrides.get(ilvl, levels[ilvl].start)

    def _expand(self, level: Level, levels: list[Level], counters: list[int | None], instance: _List) -> str:
        """``level.text`` with each ``%N`` replaced by level N's number in its format."""
        out: list[str] = []
        text, index = level.text, 0
        while index < len(text):
            char = text[index]
            if char == "%" and index + 1 < len(text) and text[index + 1] in "123456789":
                n = int(text[index + 1]) - 1
                value = counters[n] if counters[n] is not None else self._start(instance, levels, n)
                fmt = "decimal" if level.legal and levels[n].fmt not in ("decimalZero",) else levels[n].fmt
                out.append(format_number(value, fmt))
                index += 2
                continue
            out.append(char)
            index += 1
        return "".join(out)


_CHINESE_DIGITS = "零一二三四五六七八九"
_CHINESE_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_IDEOGRAPH_TRADITIONAL = "甲乙丙丁戊己庚辛壬癸"
_IDEOGRAPH_ZODIAC = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
_ENGLISH_ORDINAL = {1: "First", 2: "Second", 3: "Third", 4: "Fourth", 5: "Fifth", 6: "Sixth", 7: "Seventh",
                    8: "Eighth", 9: "Ninth", 10: "Tenth"}
_ENGLISH_CARDINAL = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight",
                     9: "Nine", 10: "Ten"}


MAX_SPELLED = 3999  # the largest number spelled in letters, roman or Chinese numerals; decimals above


def format_number(value: int, fmt: str) -> str:
    """``value`` as Word writes it in number format ``fmt`` (ST_NumberFormat); unknown formats as decimals."""
    if fmt == "none":
        return ""
    if (value <= 0 or value > MAX_SPELLED) and fmt not in ("decimal", "decimalZero"):
        return str(value)  # as decimals: a crafted start must not spell labels thousands of letters long
    if fmt in ("lowerLetter", "upperLetter"):
        letter = "abcdefghijklmnopqrstuvwxyz"[(value - 1) % 26] * ((value - 1) // 26 + 1)  # z, aa, bb ...
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(value) if fmt == "lowerRoman" else _roman(value).upper()
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand",
               "japaneseCounting", "ideographLegalTraditional", "chineseLegalSimplified", "koreanCounting"):
        legal = fmt in ("chineseLegalSimplified", "ideographLegalTraditional")
        return _chinese(value, _CHINESE_LEGAL if legal else _CHINESE_DIGITS, legal)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(value))
    if fmt == "ideographTraditional":
        return _IDEOGRAPH_TRADITIONAL[(value - 1) % 10]
    if fmt == "ideographZodiac":
        return _IDEOGRAPH_ZODIAC[(value - 1) % 12]
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord("０") + int(d)) for d in str(value))
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + value - 1) if value <= 20 else str(value)
    if fmt == "decimalEnclosedParen":
        return chr(0x2474 + value - 1) if value <= 20 else f"({value})"
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + value - 1) if value <= 20 else f"{value}."
    if fmt == "ordinal":
        suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
        return f"{value}{suffix}"
    if fmt == "ordinalText" and value in _ENGLISH_ORDINAL:
        return _ENGLISH_ORDINAL[value]
    if fmt == "cardinalText" and value in _ENGLISH_CARDINAL:
        return _ENGLISH_CARDINAL[value]
    return str(value)


def _roman(value: int) -> str:
    out = []
    for amount, numeral in _ROMAN:
        count, value = divmod(value, amount)
        out.append(numeral * count)
    return "".join(out)


def _chinese(value: int, digits: str, legal: bool) -> str:
    """Chinese counting: 一, 十, 十一, 二十一, 一百零五, 一千零一十 ... (legal: 壹, 拾, 壹拾壹 ...)."""
    units = ("拾", "佰", "仟") if legal else ("十", "百", "千")
    if value >= 10000:
        high, low = divmod(value, 10000)
        rest = _chinese(low, digits, legal) if low else ""
        zero = digits[0] if low and low < 1000 else ""
        return _chinese(high, digits, legal) + ("萬" if legal else "万") + zero + rest
    parts: list[str] = []
    pending_zero = False
    for unit_index, power in ((2, 1000), (1, 100), (0, 10), (-1, 1)):
        digit = value // power % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append(digits[0])
            pending_zero = False
        if power == 10 and digit == 1 and not parts and not legal:
            parts.append(units[0])  # 十, 十一: no leading 一 for the tens of a number below twenty
            continue
        parts.append(digits[digit] + (units[unit_index] if unit_index >= 0 else ""))
    return "".join(parts)
