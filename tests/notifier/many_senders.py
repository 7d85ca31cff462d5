"""Several real `clausewise notify send` processes on one state database, for the tests of many
senders (SQLite and PostgreSQL alike): start them, watch the ledger, and check what arrived."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .smtp_server import ProgrammableHandler

CLAUSEWISE = str(Path(sys.executable).with_name("clausewise"))  # the venv's console script
DUPLICATE_NOTE = "an earlier copy may have arrived too"


def set_settings(repo_root: Path, **settings: object) -> None:
    """Put ``key = value`` settings into the repository's [clausewise] table (replacing any there)."""
    config = repo_root / "clausewise.toml"
    text = config.read_text("utf-8")
    for key, value in settings.items():
        line = f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}"
        text, found = re.subn(rf"(?m)^{key} = .*$", line, text)
        if not found:
            text = text.replace("[clausewise]\n", f"[clausewise]\n{line}\n", 1)
    config.write_text(text, "utf-8")


@dataclass
class Senders:
    processes: list[subprocess.Popen]

    def wait(self, timeout: float = 300) -> list[tuple[int, str, str]]:
        """(exit code, stdout, stderr) of each, once all have ended."""
        outputs = [p.communicate(timeout=timeout) for p in self.processes]
        return [(p.returncode, out, err) for p, (out, err) in zip(self.processes, outputs)]

    def running(self) -> bool:
        return any(p.poll() is None for p in self.processes)


def start_senders(repo_root: Path, smtp_url: str, count: int, *, concurrency: int = 2) -> Senders:
    command = [CLAUSEWISE, "notify", "send", "--repo", str(repo_root), "--smtp", smtp_url,
               "--concurrency", str(concurrency)]
    return Senders([subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(count)])


def wait_until(condition: Callable[[], bool], timeout: float = 120, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout}s")
        time.sleep(step)


def sent_count(summary: str) -> int:
    """The N of the ``N sent, ...`` summary line of `notify send`."""
    match = re.search(r"(?m)^(\d+) sent, ", summary)
    assert match, summary
    return int(match.group(1))


def copies_by_message_id(received) -> Counter[str]:
    """How many copies of each Message-ID the SMTP server accepted."""
    return Counter(item.message_id for item in received)


class GatedHandler(ProgrammableHandler):
    """Holds the reply to every message's DATA until ``gate`` is set (the message is already
    received and kept, as a relay that queued it), so a test can see every sender mid-message, in
    the ambiguous moment when the server has a message and its sender does not know it yet."""

    def __init__(self, *, open_gate: bool = False, **options) -> None:
        super().__init__(**options)
        self.gate = threading.Event()
        if open_gate:
            self.gate.set()
        self.at_gate: Counter[str] = Counter()
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic(), recipient) of each message received
        self.sessions: set[int] = set()  # SMTP sessions between EHLO and QUIT
        self.most_sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd API)
        session.host_name = hostname
        with self._lock:
            self.sessions.add(id(session))
            self.most_sessions = max(self.most_sessions, len(self.sessions))
        return responses

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        with self._lock:
            self.sessions.discard(id(session))
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        recipient = envelope.rcpt_tos[0]
        reply = await super().handle_DATA(server, session, envelope)
        with self._lock:
            self.arrivals.append((time.monotonic(), recipient))
            self.at_gate[recipient] += 1
        while not self.gate.is_set():
            await asyncio.sleep(0.01)
        with self._lock:
            self.at_gate[recipient] -= 1
        return reply

    def waiting(self) -> set[str]:
        with self._lock:
            return {recipient for recipient, count in self.at_gate.items() if count > 0}


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of ``times`` inside any half-open window [t, t + window)."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - window:
            first += 1
        most = max(most, last - first + 1)
    return most
