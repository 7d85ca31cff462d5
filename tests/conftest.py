"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS_NAME = "000_7877eb3dfe678d1c.txt"
# Which state back ends the tests that take ``state_backend`` run on: "sqlite", "postgresql" or "both".
# Unset: both for modules marked ``both_states`` (the key notifier files), SQLite for the rest.
STATE_ENV = "CLAUSEWISE_TEST_STATE"
STATE_BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_states: run this module's state tests on SQLite and on PostgreSQL "
                                       "in the default run (see STATE_ENV in tests/conftest.py)")
    config.addinivalue_line("markers", "sqlite_only: a state test about SQLite itself (its file, PRAGMAs)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that (directly or through a fixture) takes ``state_backend`` once per back end chosen."""
    if "state_backend" not in metafunc.fixturenames:
        return
    chosen = os.environ.get(STATE_ENV, "").strip().lower()
    if chosen not in ("", "both", *STATE_BACKENDS):
        raise pytest.UsageError(f"{STATE_ENV}={chosen!r}: use sqlite, postgresql or both")
    if metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ["sqlite"]
    elif chosen in STATE_BACKENDS:
        backends = [chosen]
    elif chosen == "both" or metafunc.definition.get_closest_marker("both_states"):
        backends = list(STATE_BACKENDS)
    else:
        backends = ["sqlite"]
    metafunc.parametrize("state_backend", backends, indirect=True)


@pytest.fixture
def state_backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" or "postgresql": the back end of this run of the test (pytest_generate_tests)."""
    return request.param


@pytest.fixture
def state_db(state_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state_db value for this test's back end: a SQLite file in tmp_path, or a fresh PostgreSQL
    database on the test server."""
    if state_backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return str(tmp_path / "state" / "state.sqlite3")


@pytest.fixture
def repo_state_db(state_backend: str, request: pytest.FixtureRequest) -> str | None:
    """The state_db an agreements repository of this test gets: None (its default SQLite file) or a
    fresh PostgreSQL database (see tests/state_backends.py)."""
    return request.getfixturevalue("postgres_url") if state_backend == "postgresql" else None


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
                "CLAUSEWISE_REPO", "CLAUSEWISE_SMTP_PASSWORD", "CLAUSEWISE_STATE_PASSWORD", "PGPASSWORD"):
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
