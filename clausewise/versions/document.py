"""The agreement file format: TOML front matter between ``+++`` lines, then the agreement text.

Pure logic: decoding and checking bytes, splitting and writing the front matter, validating ids and
metadata, comparing bodies. No I/O; ``source`` is only used to name the file in error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ClausewiseError, UsageProblem
from ..textcheck import char_name, first_bidi_control, first_surrogate

FENCE = "+++"
SUFFIXES = (".md", ".txt")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # always fullmatch: "$" accepts a final "\n"
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9-]*")
METADATA_KEYS = ("title", "language", "kind", "notice_days")
MAX_ID_LENGTH = 64
MAX_TITLE_LENGTH = 200  # the title is a mail subject; see README "Limits"
MAX_LANGUAGE_LENGTH = 35
MAX_KIND_LENGTH = 64
# Characters a reader cannot see; a file made only of these and whitespace is empty.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


@dataclass(frozen=True)
class Metadata:
    """The front matter of one agreement file."""

    title: str
    language: str
    kind: str
    notice_days: int | str | None = None  # days or a preset name (eu-p2b); None: default_notice_days


def suggest_id(name: str) -> str:
    """A slug close to ``name``: lowercase, runs of other characters turned into one '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:MAX_ID_LENGTH].strip("-") or "agreement"


def check_id(agreement_id: str) -> str:
    """Return ``agreement_id`` if it is a valid slug, else raise UsageProblem with a suggestion."""
    if not ID_PATTERN.fullmatch(agreement_id) or len(agreement_id) > MAX_ID_LENGTH:
        raise UsageProblem(
            f"agreement id {agreement_id!r} is not a slug; use lowercase letters, digits and '-' "
            f"(at most {MAX_ID_LENGTH} characters), e.g. {suggest_id(agreement_id)!r}"
        )
    return agreement_id


def check_metadata(metadata: Metadata, source: str) -> Metadata:
    """Raise UsageProblem naming ``source`` and the field if a metadata value is malformed."""
    if len(metadata.title) > MAX_TITLE_LENGTH:
        raise UsageProblem(f"{source}: the title is {len(metadata.title)} characters long; at most "
                           f"{MAX_TITLE_LENGTH} are allowed")
    if (not metadata.title.strip() or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in metadata.title)
            or "\u2028" in metadata.title or "\u2029" in metadata.title):
        raise UsageProblem(f"{source}: title {metadata.title!r} must be one non-empty line of text")
    if "=?" in metadata.title:  # notices put the title in the Subject: see notifier.message.ENCODED_WORD_START
        raise UsageProblem(f"{source}: title {metadata.title!r} contains '=?', which mail programs decode as an "
                           "RFC 2047 encoded word (it could smuggle a header into the notices); write the title itself")
    unsafe = first_bidi_control(metadata.title) or first_surrogate(metadata.title)
    if unsafe is not None:
        raise UsageProblem(f"{source}: title {metadata.title!r} contains {char_name(unsafe)}, which changes how "
                           "the title displays; remove it")
    if len(metadata.language) > MAX_LANGUAGE_LENGTH or not LANGUAGE_PATTERN.fullmatch(metadata.language):
        raise UsageProblem(
            f"{source}: language {metadata.language[:40]!r} is not a language tag; use e.g. 'en', 'zh-CN', 'de-CH'"
        )
    if len(metadata.kind) > MAX_KIND_LENGTH or not KIND_PATTERN.fullmatch(metadata.kind):
        raise UsageProblem(
            f"{source}: kind {metadata.kind[:70]!r} must be a lowercase word such as trial, commercial, sla, general"
        )
    # Imported here: a diff of two plain text files (no front matter) never needs them.
    from .notice_period import preset_days
    from .publication import check_notice_days

    if isinstance(metadata.notice_days, str):
        try:
            preset_days(metadata.notice_days, f"{source}: notice_days")
        except ClausewiseError as exc:
            raise UsageProblem(str(exc)) from None
    elif metadata.notice_days is not None:
        check_notice_days(metadata.notice_days, f"{source}: notice_days")
    return metadata


def decode_agreement(data: bytes, source: str) -> str:
    """Decode the bytes of an agreement file, refusing anything that is not agreement text.

    Raises ClausewiseError naming ``source`` for binary files, non-UTF-8 bytes (with the byte offset),
    empty files and texts without a single letter. A leading byte-order mark is dropped.
    """
    if data.startswith(b"%PDF-"):
        raise ClausewiseError(f"{source} is a PDF, not text; extract its text with 'clausewise import'")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ClausewiseError(
            f"{source} is not a text file (NUL byte at offset {nul}); save the agreement as UTF-8 text or Markdown"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClausewiseError(
            f"{source} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8, e.g. iconv -f GB18030 -t UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    check_agreement_text(text, source)
    return text


def check_agreement_text(text: str, source: str) -> str:
    """Raise ClausewiseError if ``text`` is empty or does not look like an agreement."""
    if "\x00" in text:
        raise ClausewiseError(f"{source} contains NUL characters; save the agreement as plain UTF-8 text")
    if not text.strip().strip(INVISIBLE).strip():
        raise ClausewiseError(f"{source} is empty; write the agreement text into it first")
    if not any(ch.isalpha() for ch in text):
        raise ClausewiseError(
            f"{source} has no letters at all, so it is not an agreement; check that you chose the right file"
        )
    return text


def split_front_matter(text: str, source: str) -> tuple[str | None, str]:
    """Split ``text`` into (front matter TOML or None, body)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != FENCE:
        return None, text
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise ClausewiseError(
        f"{source}: the front matter opened with '{FENCE}' on line 1 is never closed; "
        f"add a '{FENCE}' line after the metadata"
    )


def parse_metadata(front_matter: str, source: str) -> Metadata:
    """Read the TOML front matter of an agreement file."""
    import tomllib  # here: a diff of two plain text files never needs the TOML reader

    try:
        data = tomllib.loads(front_matter)
    except tomllib.TOMLDecodeError as exc:
        raise ClausewiseError(f"{source}: invalid TOML in the front matter ({exc}); fix the lines between '+++'") from None
    except RecursionError:  # tomllib recurses once per level: a file nested thousands deep
        raise ClausewiseError(f"{source}: invalid TOML in the front matter (arrays or tables nested too deeply); "
                              "fix the lines between '+++'") from None
    unknown = sorted(set(data) - set(METADATA_KEYS))
    if unknown:
        raise ClausewiseError(
            f"{source}: unknown front matter field {unknown[0]!r}; known fields: {', '.join(METADATA_KEYS)}"
        )
    for key in ("title", "language", "kind"):
        if not isinstance(data.get(key), str):
            raise ClausewiseError(f"{source}: front matter field {key!r} is missing or not a string; add {key} = \"...\"")
    try:
        return check_metadata(
            Metadata(data["title"], data["language"], data["kind"], data.get("notice_days")), source
        )
    except UsageProblem as exc:  # a bad value inside a file is a data problem, not a command-line one
        raise ClausewiseError(str(exc)) from None


def parse_document(text: str, source: str) -> tuple[Metadata, str]:
    """Split an agreement file into its metadata and its body; the front matter is required."""
    front_matter, body = split_front_matter(text, source)
    if front_matter is None:
        raise ClausewiseError(
            f"{source}: no front matter; the file must start with a '{FENCE}' line, the TOML metadata "
            f"(title, language, kind) and another '{FENCE}' line"
        )
    return parse_metadata(front_matter, source), body


def file_document(data: bytes, source: str) -> tuple[str, str | None]:
    """The body and title of an agreement file given by its path (outside agreements/): decoded
    and checked as every agreement is; the front matter is optional."""
    text = decode_agreement(data, source)
    front_matter, body = split_front_matter(text, source)
    title = parse_metadata(front_matter, source).title if front_matter is not None else None
    return check_agreement_text(body, source), title


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def format_document(metadata: Metadata, body: str) -> str:
    """The text of an agreement file: front matter, then ``body`` unchanged."""
    lines = [
        FENCE,
        f"title = {_toml_string(metadata.title)}",
        f"language = {_toml_string(metadata.language)}",
        f"kind = {_toml_string(metadata.kind)}",
    ]
    if isinstance(metadata.notice_days, str):
        lines.append(f"notice_days = {_toml_string(metadata.notice_days)}")
    elif metadata.notice_days is not None:
        lines.append(f"notice_days = {metadata.notice_days}")
    lines.append(FENCE)
    return "\n".join(lines) + "\n" + body


def normalized_body(body: str) -> str:
    """``body`` without trailing whitespace at line ends and at the end: what 'identical' compares."""
    return "\n".join(line.rstrip() for line in body.splitlines()).rstrip()


def same_body(first: str, second: str) -> bool:
    return normalized_body(first) == normalized_body(second)
