"""The agreements repository's configuration file, ``clausewise.toml``.

The file is committed with the agreements. It holds no secrets: the SMTP password comes from the
environment (``CLAUSEWISE_SMTP_PASSWORD``) or from ``.clausewise/secrets.toml``, which git ignores.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .errors import ClausewiseError, UsageProblem

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
# Where customers read the full text; {agreement} and {version} are filled in.
reading_url = "https://example.com/legal/{agreement}/v{version}"
"""


@dataclass(frozen=True)
class Config:
    sender: str = "Legal Team <legal@example.com>"
    default_notice_days: int = 30
    state_db: str = ".clausewise/state.sqlite3"
    smtp_url: str = "smtp://127.0.0.1:8025"
    smtp_username: str = ""
    smtp_allow_plaintext: bool = False
    reading_url: str = "https://example.com/legal/{agreement}/v{version}"


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
    known = {f.name: f for f in fields(Config)}
    values = {}
    for key, value in section.items():
        if key not in known:
            raise ClausewiseError(f"{path}: unknown setting '{key}'; known settings: {', '.join(known)}")
        expected = type(getattr(Config(), key))
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ClausewiseError(f"{path}: '{key}' must be a {expected.__name__}, not {value!r}")
        values[key] = value
    config = Config(**values)
    if config.default_notice_days < 0:
        raise ClausewiseError(f"{path}: 'default_notice_days' must be 0 or more")
    return config


# Domains reserved for examples (RFC 2606): mail from or links to them are placeholders, not yours.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")


def _is_example_domain(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in EXAMPLE_DOMAINS)


def example_defaults(config: Config) -> list[str]:
    """The settings that still hold example values (sender on example.com, reading_url on example.com),
    each as 'name value'; empty when the repository is set up to mail real customers."""
    from email.utils import parseaddr
    from urllib.parse import urlsplit

    found = []
    address = parseaddr(config.sender)[1]
    if _is_example_domain(address.rpartition("@")[2]):
        found.append(f"sender {config.sender!r}")
    try:
        host = urlsplit(config.reading_url).hostname or ""
    except ValueError:
        host = ""
    if _is_example_domain(host):
        found.append(f"reading_url {config.reading_url!r}")
    return found


def smtp_password(repo_dir: str | os.PathLike[str]) -> str | None:
    """The SMTP password from the environment, else from the git-ignored secrets file, else None.

    No error message ever quotes the password or a byte of the secrets file.
    """
    if os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV]
        if not _encodable(value):  # a non-UTF-8 byte, kept by Python as a lone surrogate
            raise ClausewiseError(f"{PASSWORD_ENV} is not valid UTF-8 text; set it again in UTF-8")
        return value
    path = Path(repo_dir) / SECRETS_PATH
    if not path.exists():
        return None
    data = _read_toml_file(path, 'write it as smtp_password = "..."', echo_errors=False)
    value = data.get("smtp_password")
    if value is not None and not isinstance(value, str):
        raise ClausewiseError(f"{path}: 'smtp_password' must be a string")
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
