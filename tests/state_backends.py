"""Agreements repositories whose state_db is a given database (a fresh PostgreSQL one, in tests that
run on both back ends: see ``state_backend`` and ``repo_state_db`` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from clausewise.config import DEFAULT_CONFIG_TEXT

DEFAULT_STATE_DB = 'state_db = ".clausewise/state.sqlite3"'


def config_with_state_db(root: Path, state_db: str | None) -> None:
    """Write clausewise.toml into the new folder ``root`` with ``state_db`` (None: the default SQLite
    file), before ``init_repo(root)``, which adopts and commits it."""
    root.mkdir(parents=True, exist_ok=True)
    text = DEFAULT_CONFIG_TEXT if state_db is None else DEFAULT_CONFIG_TEXT.replace(
        DEFAULT_STATE_DB, f'state_db = "{state_db}"')
    (root / "clausewise.toml").write_text(text, "utf-8")
