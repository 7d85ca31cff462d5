"""The agreements repository's configuration file, ``clausewise.toml``.

The file is committed with the agreements. It holds no secrets: the SMTP password comes from the
environment (``CLAUSEWISE_SMTP_PASSWORD``) or from ``.clausewise/secrets.toml``, which git ignores.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

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
    if not 0 <= config.default_notice_days <= 3650:
        raise ClausewiseError(f"{path}: 'default_notice_days' must be from 0 to 3650 days (ten years)")
    return config


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
