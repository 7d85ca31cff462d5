"""The agreements repository's configuration file, ``clausewise.toml``.

The file is committed with the agreements. It holds no secrets: the SMTP password comes from the
environment (``CLAUSEWISE_SMTP_PASSWORD``) or from ``.clausewise/secrets.toml``, which git ignores.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ClausewiseError

CONFIG_NAME = "clausewise.toml"
SECRETS_PATH = ".clausewise/secrets.toml"
PASSWORD_ENV = "CLAUSEWISE_SMTP_PASSWORD"

DEFAULT_CONFIG_TEXT = """\
# clausewise configuration (committed with the agreements; put no secrets here).
# The SMTP password comes from the environment (CLAUSEWISE_SMTP_PASSWORD) or from
# .clausewise/secrets.toml (git-ignored) as: smtp_password = "..."

[clausewise]
# From: address of notices.
sender = "Legal Team <legal@example.com>"
# Advance-notice period used when an agreement does not set its own notice_days.
default_notice_days = 30
# State database (customers, campaigns, the notice ledger), relative to the repository.
state_db = ".clausewise/state.sqlite3"
# smtp://host:port (STARTTLS required unless the host is loopback), smtps://host:465 (implicit TLS).
smtp_url = "smtp://127.0.0.1:8025"
# SMTP login name; empty for no login.
smtp_username = ""
# Allow plain, unencrypted SMTP to a host that is not loopback (not recommended).
smtp_allow_plaintext = false
# Seconds to wait for each SMTP reply (connecting and the greeting: at most 10).
smtp_timeout = 30
# Send each notice with a VERP return path (sender+TOKEN@domain), so that bounces match it exactly;
# the relay must accept such envelope senders.
bounce_verp = false
# Where customers read the full text; {agreement} and {version} are filled in.
reading_url = "https://example.com/legal/{agreement}/v{version}"
# How the full redline reaches customers: "link" (to redline_url; the safe default: a large .html
# attachment with JavaScript is a common quarantine trigger in mail filters), "attach", or "both".
redline_delivery = "link"
# Where you publish the redline (clausewise diff ID@vA ID@vB --format html -o FILE);
# {agreement}, {from_version} and {to_version} are filled in.
redline_url = "https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html"

# Who sends the notices, named in every notice (legal name, postal address, where to write).
# Optional per language: [provider."zh-CN"]. Without it: the sender's name and address.
# [provider]
# name = "Example Cloud Ltd"
# address = "1 Example Street, Dublin 2, Ireland"
# contact = "legal@example.com"

# How customers reach a party an agreement is assigned to (announce assignment --to NAME):
# [assignees."Example Cloud Services Ltd"]
# address = "2 Example Road, Cork, Ireland"
# contact = "legal@example-cloud.example"

# Replace the shipped wording of what customers can do (per language; see README.md, Emails):
# [notice_text.en]
# object_change = "If you do not accept version {to_version}, ... until {last_day} ... {contact}."
"""

REDLINE_DELIVERIES = ("link", "attach", "both")
# The wording a notice uses for the customer's options, per language; clausewise.toml's
# [notice_text.<lang>] replaces any of it. Placeholders are filled in per notice.
NOTICE_TEXT_KEYS = ("object_change", "silence_change", "object_assignment", "silence_assignment",
                    "after_effective")
NOTICE_TEXT_PLACEHOLDERS = ("effective", "last_day", "from_version", "to_version", "provider", "contact",
                            "assignee")
DEFAULT_NOTICE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "object_change": "If you do not accept version {to_version}, you may object to it or end the agreement, "
                         "free of charge, until {last_day} by writing to {contact}.",
        "silence_change": "If you do nothing, version {to_version} applies to you from {effective}.",
        "object_assignment": "If you do not accept the assignment, you may end the agreement, free of charge, "
                             "until {last_day} by writing to {contact}.",
        "silence_assignment": "If you do nothing, your agreement continues with {assignee} from {effective}.",
        "after_effective": "This notice reaches you after {effective}, the date it takes effect. If you do not "
                           "accept it, write to {contact} to object or to end the agreement.",
    },
    "zh-CN": {
        "object_change": "如您不接受第{to_version}版，可在{last_day}（含当日）之前致函{contact}提出异议或解除协议，"
                         "无需承担任何费用。",
        "silence_change": "如您不作任何表示，第{to_version}版自{effective}起对您适用。",
        "object_assignment": "如您不同意本次转让，可在{last_day}（含当日）之前致函{contact}解除协议，无需承担任何费用。",
        "silence_assignment": "如您不作任何表示，自{effective}起由{assignee}继续履行您的协议。",
        "after_effective": "本通知在生效日{effective}之后才送达您。如您不接受，请致函{contact}提出异议或解除协议。",
    },
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Party:
    """A legal person a notice names: the provider, or an assignee."""

    name: str = ""
    address: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Config:
    sender: str = "Legal Team <legal@example.com>"
    default_notice_days: int = 30
    state_db: str = ".clausewise/state.sqlite3"
    smtp_url: str = "smtp://127.0.0.1:8025"
    smtp_username: str = ""
    smtp_allow_plaintext: bool = False
    smtp_timeout: float = 30.0
    bounce_verp: bool = False
    reading_url: str = "https://example.com/legal/{agreement}/v{version}"
    redline_delivery: str = "link"
    redline_url: str = "https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html"
    # From the tables [provider] (and [provider."<lang>"]), [assignees."<name>"], [notice_text.<lang>]:
    provider: dict[str, Party] = field(default_factory=dict)  # by language; "" for every language
    assignees: dict[str, Party] = field(default_factory=dict)  # by name, as given to announce --to
    notice_text: dict[str, dict[str, str]] = field(default_factory=dict)  # by language, then key

    def provider_for(self, language: str) -> Party | None:
        """The provider as named in ``language`` (its own table over the common one), or None."""
        common = self.provider.get("")
        own = self.provider.get(language)
        if own is None:
            return common
        if common is None:
            return own
        return Party(*(getattr(own, f.name) or getattr(common, f.name) for f in fields(Party)))

    def notice_wording(self, language: str) -> dict[str, str]:
        """What customers can do, in ``language``: the shipped wording with the configured over it."""
        shipped = DEFAULT_NOTICE_TEXT.get(language) or DEFAULT_NOTICE_TEXT["en"]
        return {**shipped, **self.notice_text.get(language, {})}


_TABLES = ("provider", "assignees", "notice_text")


def load_config(repo_dir: str | os.PathLike[str]) -> Config:
    """Read ``clausewise.toml`` in ``repo_dir``; missing keys take their defaults."""
    path = Path(repo_dir) / CONFIG_NAME
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ClausewiseError(
            f"{path}: not found; run 'clausewise init {repo_dir}' to create an agreements repository"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ClausewiseError(f"{path}: invalid TOML ({exc}); fix the file or delete it and run 'clausewise init'") from None
    section = data.get("clausewise", {})
    if not isinstance(section, dict):
        raise ClausewiseError(f"{path}: [clausewise] must be a table")
    known = {f.name: f for f in fields(Config) if f.name not in _TABLES}
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in known:
            raise ClausewiseError(f"{path}: unknown setting '{key}'; known settings: {', '.join(known)}")
        expected = type(getattr(Config(), key))
        if key == "default_notice_days" and isinstance(value, str):
            from .versions.notice_period import preset_days  # a preset name such as "eu-p2b"

            value = preset_days(value, f"{path}: 'default_notice_days'")
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ClausewiseError(f"{path}: '{key}' must be a {expected.__name__}, not {value!r}")
        values[key] = value
    values["provider"] = _provider_table(path, data.get("provider", {}))
    values["assignees"] = {name: _party(path, f"assignees.{name!r}", table, ("address", "contact"))
                           for name, table in _table(path, "assignees", data.get("assignees", {})).items()}
    values["notice_text"] = _notice_text(path, data.get("notice_text", {}))
    config = Config(**values)
    if not 0 <= config.default_notice_days <= 3650:
        raise ClausewiseError(f"{path}: 'default_notice_days' must be from 0 to 3650 days (ten years)")
    if not 0 < config.smtp_timeout <= 3600:
        raise ClausewiseError(f"{path}: 'smtp_timeout' must be more than 0 and at most 3600 seconds")
    if config.redline_delivery not in REDLINE_DELIVERIES:
        raise ClausewiseError(f"{path}: 'redline_delivery' must be one of {', '.join(REDLINE_DELIVERIES)}, "
                              f"not {config.redline_delivery!r}")
    return config


def _table(path: Path, where: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ClausewiseError(f"{path}: [{where}] must be a table")
    return value


def _party(path: Path, where: str, table: object, keys: tuple[str, ...]) -> Party:
    values = {}
    for key, value in _table(path, where, table).items():
        if key not in keys:
            raise ClausewiseError(f"{path}: [{where}] has unknown key '{key}'; known keys: {', '.join(keys)}")
        if not isinstance(value, str) or "\n" in value.strip() or "\r" in value:
            raise ClausewiseError(f"{path}: [{where}] '{key}' must be a string on one line")
        values[key] = value.strip()
    return Party(**values)


def _provider_table(path: Path, table: object) -> dict[str, Party]:
    """[provider] name/address/contact for every language, [provider."<lang>"] for one."""
    common = {k: v for k, v in _table(path, "provider", table).items() if not isinstance(v, dict)}
    parties = {"": _party(path, "provider", common, ("name", "address", "contact"))} if common else {}
    for language, own in table.items():
        if isinstance(own, dict):
            parties[language] = _party(path, f"provider.{language!r}", own, ("name", "address", "contact"))
    return parties


def _notice_text(path: Path, table: object) -> dict[str, dict[str, str]]:
    """[notice_text.<lang>]: known keys, strings, and only the known {placeholders}."""
    wording: dict[str, dict[str, str]] = {}
    for language, texts in _table(path, "notice_text", table).items():
        where = f"notice_text.{language!r}"
        for key, text in _table(path, where, texts).items():
            if key not in NOTICE_TEXT_KEYS:
                raise ClausewiseError(f"{path}: [{where}] has unknown key '{key}'; known keys: "
                                      f"{', '.join(NOTICE_TEXT_KEYS)}")
            if not isinstance(text, str) or not text.strip():
                raise ClausewiseError(f"{path}: [{where}] '{key}' must be a non-empty string")
            unknown = [name for name in _PLACEHOLDER.findall(text) if name not in NOTICE_TEXT_PLACEHOLDERS]
            if unknown:
                raise ClausewiseError(f"{path}: [{where}] '{key}' uses {{{unknown[0]}}}; the placeholders are "
                                      + ", ".join(f"{{{name}}}" for name in NOTICE_TEXT_PLACEHOLDERS))
            wording.setdefault(language, {})[key] = text.strip()
    return wording


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by ``values[name]`` (plain substitution: no format
    specs, no attribute access, so configured wording cannot reach into Python objects)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# Domains reserved for examples (RFC 2606): mail from or links to them are placeholders, not yours.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")


def _is_example_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS)


def example_defaults(config: Config) -> list[str]:
    """The settings that still hold example values (sender, reading_url or, when notices link to
    the redline, redline_url on example.com), each as 'name value'; empty when the repository is set
    up to mail real customers."""
    from email.utils import parseaddr
    from urllib.parse import urlsplit

    found = []
    address = parseaddr(config.sender)[1]
    if _is_example_domain(address.rpartition("@")[2]):
        found.append(f"sender {config.sender!r}")
    urls = [("reading_url", config.reading_url)]
    if config.redline_delivery in ("link", "both"):
        urls.append(("redline_url", config.redline_url))
    for name, url in urls:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        if _is_example_domain(host):
            found.append(f"{name} {url!r}")
    return found


def smtp_password(repo_dir: str | os.PathLike[str]) -> str | None:
    """The SMTP password from the environment, else from the git-ignored secrets file, else None."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    path = Path(repo_dir) / SECRETS_PATH
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ClausewiseError(f"{path}: invalid TOML ({exc})") from None
    value = data.get("smtp_password")
    if value is not None and not isinstance(value, str):
        raise ClausewiseError(f"{path}: 'smtp_password' must be a string")
    return value
