"""A real PostgreSQL server for the tests: Debian's binaries, a cluster in a temp folder, 127.0.0.1 only.

PostgreSQL refuses to run as root, so when the tests run as root (CI, containers) ``initdb`` and
``postgres`` run as ``nobody`` (``setpriv``), in a temp folder handed to that user. The server
listens on a free port of 127.0.0.1 and on a Unix socket inside the temp folder; loopback clients
connect as ``clausewise`` without a password (trust), except the role ``PASSWORD_ROLE``, which
must give ``PASSWORD`` (scram-sha-256) so that wrong and missing passwords can be tested. fsync is
off: a test cluster never needs to survive a crash of the machine.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "clausewise"
PASSWORD_ROLE = "clausewise_pw"
PASSWORD = "s3cret-Pg-pässword"
TEMPLATE = "clausewise_template"


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and postgres ($CLAUSEWISE_PG_BIN wins)."""
    if os.environ.get("CLAUSEWISE_PG_BIN"):
        candidates = [os.environ["CLAUSEWISE_PG_BIN"]]
    else:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                            key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                            reverse=True)
    for folder in map(Path, candidates):
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One throw-away cluster: ``start()``, ``new_database()`` per test, ``stop()`` at the end."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="clausewise-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "socket"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._run_as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)

    def start(self) -> None:
        """initdb, then postgres on a free port; returns once it accepts connections."""
        self.socket_dir.mkdir()
        if self._run_as:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.socket_dir, nobody.pw_uid, nobody.pw_gid)
        self._run([str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--no-locale", "-E", "UTF8",
                   "--auth-local=trust", "--auth-host=trust", "--no-sync"])
        hba = self.data / "pg_hba.conf"
        # The first matching line wins: the password role must authenticate; everyone else is trusted.
        hba.write_text(f"local all all trust\nhost all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
                       "host all all 127.0.0.1/32 trust\n")
        for attempt in range(5):
            self.port = _free_port()
            log = open(self.folder / "server.log", "ab")
            self._process = subprocess.Popen(
                [*self._run_as, str(self.bin_dir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.socket_dir}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=200", "-c", "log_min_messages=warning"],
                stdout=log, stderr=subprocess.STDOUT, env=self._env())
            log.close()
            if self._wait_ready():
                break
            self._process.kill()
            self._process.wait()
            self._process = None
        else:
            raise RuntimeError(f"PostgreSQL did not start; see {self.folder / 'server.log'}")
        self.admin(f"CREATE ROLE {PASSWORD_ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'",
                   f"CREATE DATABASE {TEMPLATE}")

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", HOME=str(self.folder))
        return env

    def _run(self, command: list[str]) -> None:
        result = subprocess.run([*self._run_as, *command], capture_output=True, text=True, env=self._env(),
                                cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                return False  # exited: most likely the port was taken meanwhile
            result = subprocess.run([str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
                                     "-U", SUPERUSER, "-d", "postgres"], env=self._env())
            if result.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str) -> None:
        """Run statements (outside a transaction, as CREATE DATABASE needs) as the superuser."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def new_database(self, owner: str = SUPERUSER) -> str:
        """A fresh, empty database (a copy of the empty template) owned by ``owner``; returns its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {owner} STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Fast shutdown (SIGINT: active sessions are ended), then remove the cluster's folder."""
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.folder, ignore_errors=True)
