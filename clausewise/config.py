"""The agreements repository's configuration file, ``clausewise.toml``.

The file is committed with the agreements. It holds no secrets: the SMTP password comes from the
environment (``CLAUSEWISE_SMTP_PASSWORD``) or from ``.clausewise/secrets.toml``, which git ignores.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .errors import ClausewiseError, UsageProblem

CONFIG_NAME = "clausewise.toml"
SECRETS_PATH = ".clausewise/secrets.toml"
PASSWORD_ENV = "CLAUSEWISE_SMTP_PASSWORD"
STATE_PASSWORD_ENV = "CLAUSEWISE_STATE_PASSWORD"  # a PostgreSQL state_db's password

DEFAULT_CONFIG_TEXT = """\
# clausewise configuration (committed with the agreements; put no secrets here).
# The SMTP password comes from the environment (CLAUSEWISE_SMTP_PASSWORD) or from
# .clausewise/secrets.toml (git-ignored) as: smtp_password = "..."

[clausewise]
# From: address of notices.
sender = "Legal Team <legal@example.com>"
# Advance-notice period used when an agreement does not set its own notice_days.
default_notice_days = 30
# State database (customers, campaigns, the notice ledger): a SQLite file relative to the repository,
# or postgresql://user@host:port/database (its password: CLAUSEWISE_STATE_PASSWORD or PGPASSWORD,
# or state_password in .clausewise/secrets.toml; never here).
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
# Several senders ('clausewise notify send' on one machine or many) share the state database. Each
# holds a lease on the notices it claimed and renews it while it works; when a sender stops for
# longer than this (killed, machine gone), the others take its notices over. Seconds.
send_lease_seconds = 60
# The relay's limits, kept by all senders together through the state database (0 or "": none):
# messages per second, SMTP connections open at once, and a cap per recipient domain ("100/hour",
# "5/second"); [domain_rates] sets a domain's own cap.
relay_rate = 0
relay_connections = 0
domain_rate = ""
# [domain_rates]
# "example.org" = "500/hour"
# Where customers read the full text; {agreement} and {version} are filled in.
reading_url = "https://example.com/legal/{agreement}/v{version}"
# How the full redline reaches customers: "link" (to redline_url; the safe default: a large .html
# attachment with JavaScript is a common quarantine trigger in mail filters), "attach", or "both".
redline_delivery = "link"
# Where you publish the redline (clausewise diff ID@vA ID@vB --format html -o FILE);
# {agreement}, {from_version} and {to_version} are filled in.
redline_url = "https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html"
# The file attached with "attach" or "both": "html" (the page), "pdf" (printed by headless Chromium)
# or "docx" (Word, with tracked changes by redline_author).
redline_format = "html"
# Who the tracked changes of a Word redline (diff --format docx) are by; empty: clausewise.
redline_author = ""

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
REDLINE_FORMATS = ("html", "pdf", "docx")
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
    send_lease_seconds: float = 60.0
    relay_rate: float = 0.0
    relay_connections: int = 0
    domain_rate: str = ""
    reading_url: str = "https://example.com/legal/{agreement}/v{version}"
    redline_delivery: str = "link"
    redline_url: str = "https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html"
    redline_format: str = "html"  # of the attached redline: one of REDLINE_FORMATS
    redline_author: str = ""  # of the tracked changes in a Word redline; empty: clausewise
    # From the tables [provider] (and [provider."<lang>"]), [assignees."<name>"], [notice_text.<lang>]:
    provider: dict[str, Party] = field(default_factory=dict)  # by language; "" for every language
    assignees: dict[str, Party] = field(default_factory=dict)  # by name, as given to announce --to
    notice_text: dict[str, dict[str, str]] = field(default_factory=dict)  # by language, then key
    domain_rates: dict[str, str] = field(default_factory=dict)  # [domain_rates]: lower-case domain -> "N/unit"

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


_TABLES = ("provider", "assignees", "notice_text", "domain_rates")


def parse_toml(text: str, problem: str, fix: str) -> dict[str, Any]:
    """``text`` parsed as TOML; else ClausewiseError ``"<problem> (<reason>); <fix>"``, where
    ``problem`` names the file, e.g. ``"clausewise.toml: invalid TOML"``.

    tomllib recurses once per nesting level, so a file nested thousands deep exhausts the stack:
    that is reported like any other invalid TOML, not as a traceback.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClausewiseError(f"{problem} ({exc}); {fix}") from None
    except RecursionError:
        raise ClausewiseError(f"{problem} (arrays or tables nested too deeply); {fix}") from None


def _read_toml_file(path: Path, fix: str, *, echo_errors: bool = True) -> dict[str, Any]:
    """Parse the TOML file at ``path``. With ``echo_errors`` False (a file that holds a secret), the
    error names only the line, never a byte or a character of the file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ClausewiseError(f"{path}: line {line} is not UTF-8; {fix}") from None
    if echo_errors:
        return parse_toml(text, f"{path}: invalid TOML", fix)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line \d+, column \d+\)|\(at end of document\)", str(exc))
        raise ClausewiseError(f"{path}: invalid TOML {where.group(0) if where else ''}; {fix}") from None
    except RecursionError:
        raise ClausewiseError(f"{path}: invalid TOML (nested too deeply); {fix}") from None


def load_config(repo_dir: str | os.PathLike[str]) -> Config:
    """Read ``clausewise.toml`` in ``repo_dir``; missing keys take their defaults."""
    path = Path(repo_dir) / CONFIG_NAME
    try:
        data = _read_toml_file(path, "fix the file or delete it and run 'clausewise init'")
    except FileNotFoundError:
        raise ClausewiseError(
            f"{path}: not found; run 'clausewise init {repo_dir}' to create an agreements repository"
        ) from None
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
    values["domain_rates"] = _domain_rates(path, data.get("domain_rates", {}))
    config = Config(**values)
    _check_sending_limits(path, config)
    if not 0 <= config.default_notice_days <= 3650:
        raise ClausewiseError(f"{path}: 'default_notice_days' must be from 0 to 3650 days (ten years)")
    if not 0 < config.smtp_timeout <= 3600:
        raise ClausewiseError(f"{path}: 'smtp_timeout' must be more than 0 and at most 3600 seconds")
    if config.redline_delivery not in REDLINE_DELIVERIES:
        raise ClausewiseError(f"{path}: 'redline_delivery' must be one of {', '.join(REDLINE_DELIVERIES)}, "
                              f"not {config.redline_delivery!r}")
    if config.redline_format not in REDLINE_FORMATS:
        raise ClausewiseError(f"{path}: 'redline_format' must be one of {', '.join(REDLINE_FORMATS)} (the file "
                              f"attached when redline_delivery is attach or both), not {config.redline_format!r}")
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


def _domain_rates(path: Path, table: object) -> dict[str, str]:
    """[domain_rates]: "domain" = "COUNT/UNIT" (checked by _check_sending_limits)."""
    rates = {}
    for domain, text in _table(path, "domain_rates", table).items():
        if not isinstance(text, str):
            raise ClausewiseError(f'{path}: [domain_rates] "{domain}" must be a string such as "500/hour"')
        rates[domain.strip().lower().rstrip(".")] = text
    return rates


def _check_sending_limits(path: Path, config: Config) -> None:
    from .notifier.ratelimit import parse_limit  # pure; imported here to keep start-up light

    if not 1 <= config.send_lease_seconds <= 86400:
        raise ClausewiseError(f"{path}: 'send_lease_seconds' must be from 1 to 86400 seconds (default 60)")
    if config.relay_rate < 0:
        raise ClausewiseError(f"{path}: 'relay_rate' must be 0 (no limit) or more messages per second")
    if config.relay_connections < 0:
        raise ClausewiseError(f"{path}: 'relay_connections' must be 0 (no limit) or more connections")
    if config.domain_rate.strip():
        parse_limit(config.domain_rate, f"{path}: 'domain_rate'")
    for domain, text in config.domain_rates.items():
        parse_limit(text, f'{path}: [domain_rates] "{domain}"')


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
    """The SMTP password from the environment, else from the git-ignored secrets file, else None.

    No error message ever quotes the password or a byte of the secrets file.
    """
    return _secret(repo_dir, PASSWORD_ENV, "smtp_password")


def state_password(repo_dir: str | os.PathLike[str]) -> str | None:
    """The PostgreSQL state database's password: CLAUSEWISE_STATE_PASSWORD, else ``state_password`` in
    the git-ignored secrets file, else None (libpq then reads PGPASSWORD or ~/.pgpass itself)."""
    return _secret(repo_dir, STATE_PASSWORD_ENV, "state_password")


def _secret(repo_dir: str | os.PathLike[str], env: str, key: str) -> str | None:
    if os.environ.get(env):
        value = os.environ[env]
        if not _encodable(value):  # a non-UTF-8 byte, kept by Python as a lone surrogate
            raise ClausewiseError(f"{env} is not valid UTF-8 text; set it again in UTF-8")
        return value
    path = Path(repo_dir) / SECRETS_PATH
    if not path.exists():
        return None
    data = _read_toml_file(path, f'write it as {key} = "..."', echo_errors=False)
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ClausewiseError(f"{path}: '{key}' must be a string")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- SMTP URLs ------------------------------------------------------------------------------------
# smtp://[user@]host[:port]. Parsed here, not with urllib, because urllib's errors and a naive mask
# quote the text around a password that contains '/', '?', '#' or '@' (see docs/architecture.md,
# "Security and faults"). Rule: everything before the LAST '@' is user information; a ':' in it means
# a password, which is refused. No error message quotes any part of the user information other than
# a valid user name, and none quotes a part that failed to parse.

SMTP_SCHEMES = ("smtp", "smtps")
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]{2,45}\]")
_PORT = re.compile(r"[0-9]{1,5}")
_USER_NAME = re.compile(r"[A-Za-z0-9._~!$&'*+=,;%@-]{1,256}")
SMTP_URL_HELP = "write smtp://[user@]host[:port] (STARTTLS) or smtps://[user@]host[:port] (TLS)"


@dataclass(frozen=True)
class SmtpUrl:
    """The parts of an SMTP URL; it never holds a password."""

    scheme: str
    host: str  # a host name, an IPv4 address or an IPv6 address without brackets
    port: int | None
    username: str  # percent-decoded; empty for none


def split_smtp_url(url: str) -> SmtpUrl:
    """Split ``smtp[s]://[user@]host[:port]``; UsageProblem (exit 2) if it is anything else.

    A password in the URL is refused with a message that never contains any character of it.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SMTP_SCHEMES:
        raise UsageProblem(f"SMTP URL: must start with smtp:// or smtps://; {SMTP_URL_HELP}")
    userinfo, at, hostport = rest.rpartition("@")
    username = ""
    if at:
        name, colon, _ = userinfo.partition(":")
        shown_user = f"{name}" if _USER_NAME.fullmatch(name) else "…"
        if colon:
            raise UsageProblem(
                f"SMTP URL {scheme}://{shown_user}:***@…: contains a password; remove it and set "
                "CLAUSEWISE_SMTP_PASSWORD or smtp_password in .clausewise/secrets.toml")
        if not _USER_NAME.fullmatch(name):
            raise UsageProblem(f"SMTP URL {scheme}://…@…: the user name may hold only letters, digits and "
                               f"._~!$&'*+=,;%@- ; {SMTP_URL_HELP}")
        username = unquote(name)
    hostport = hostport.removesuffix("/")
    host, port_text = _split_host_port(hostport)
    shown = f"{scheme}://{username + '@' if username else ''}"
    if host is None:
        raise UsageProblem(f"SMTP URL {shown}…: no valid host name or address (only scheme, user, host and port "
                           f"are allowed); {SMTP_URL_HELP}")
    shown += f"[{host}]" if ":" in host else host
    port = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            raise UsageProblem(f"SMTP URL {shown}:…: the port must be a number from 1 to 65535; {SMTP_URL_HELP}")
        port = int(port_text)
    return SmtpUrl(scheme=scheme, host=host, port=port, username=username)


def _split_host_port(hostport: str) -> tuple[str | None, str | None]:
    """(host or None if invalid, port text or None if absent)."""
    if hostport.startswith("["):
        end = hostport.find("]")
        host_text, rest = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or not _IPV6.fullmatch(host_text):
            return None, None
        host = host_text[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None, None
    else:
        host, colon, rest = hostport.partition(":")
        rest = colon + rest
        if not _HOST_NAME.fullmatch(host) or len(host) > 253:
            return None, None
        host = host.lower()
    if rest and not rest.startswith(":"):
        return None, None
    return host, rest[1:] if rest else None
