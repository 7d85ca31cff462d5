"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS_NAME = "000_7877eb3dfe678d1c.txt"


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    """The seed document, from $CLAUSEWISE_CORPUS or ../shared/corpus beside the checkout (CI lays it
    there); a test that needs it is skipped, saying so, when it is absent (e.g. a clone on its own)."""
    candidates = [Path(os.environ["CLAUSEWISE_CORPUS"])] if os.environ.get("CLAUSEWISE_CORPUS") else []
    candidates.append(ROOT.parent / "shared" / "corpus" / CORPUS_NAME)
    for path in candidates:
        if path.is_file():
            return path
    pytest.skip(f"seed corpus {CORPUS_NAME} not found (looked at {', '.join(map(str, candidates))}); "
                "set CLAUSEWISE_CORPUS to the file or lay the project's shared folder beside the checkout as ../shared")


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    """The real version pairs (``corpus/real``) beside the seed document; skips when absent."""
    candidates = [Path(os.environ["CLAUSEWISE_CORPUS"]).parent] if os.environ.get("CLAUSEWISE_CORPUS") else []
    candidates.append(ROOT.parent / "shared" / "corpus")
    for folder in candidates:
        if (folder / "real").is_dir():
            return folder / "real"
    pytest.skip(f"real corpus not found under {candidates}; lay ../shared beside the checkout")


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's ~/.gitconfig; CI machines have no git identity at all."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                "CLAUSEWISE_REPO", "CLAUSEWISE_SMTP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole test run (tests/pg_server.py), started on first use;
    tests that need it are skipped, saying so, when Debian's postgresql binaries are absent."""
    from .pg_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, "
                    "as .ci/run does, or set CLAUSEWISE_PG_BIN)")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the test server, dropped after the test: its URL, without a password."""
    name = postgres_server.new_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
