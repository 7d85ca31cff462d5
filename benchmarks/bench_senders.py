"""Benchmark: 1, 2, 4 and 8 `clausewise notify send` processes on one state database, through a
local SMTP sink that answers each message after a relay's latency.

    .venv/bin/python benchmarks/bench_senders.py                      # 100,000 notices, PostgreSQL and SQLite
    .venv/bin/python benchmarks/bench_senders.py --notices 5000       # a quicker run
    .venv/bin/python benchmarks/bench_senders.py --backends sqlite    # without PostgreSQL

The sink (aiosmtpd, its own process on 127.0.0.1) waits --latency seconds (default 0.05, a relay
across a network) before it accepts each message, and writes every accepted Message-ID to a file.
PostgreSQL is a throw-away cluster (tests/pg_server.py: Debian's binaries, a temp folder, a free
port). Every run starts from the same ledger: all notices pending.

Printed: throughput per number of senders and the ratios against one sender (target: 4 senders
>= 3.5x one), one sender on PostgreSQL against one on SQLite (target >= 80%), and a run of four
senders with one SIGKILLed mid-run: duplicates at the sink and notices lost (targets: zero), and
how many notices were resent because the killed sender was in their DATA phase (flagged in the
proof as possible duplicates; the sink had not accepted them, so none arrived twice).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/pg_server.py

from clausewise.notifier.campaigns import create_version_campaign  # noqa: E402
from clausewise.notifier.store import CustomerRow, store_for_repo  # noqa: E402
from clausewise.versions import init_repo, open_repo  # noqa: E402

BIN = Path(sys.executable).parent
AGREEMENT = "bench-cloud"
DUPLICATE_NOTE = "an earlier copy may have arrived too"

# The sink: accept each message after LATENCY seconds (a message whose connection drops meanwhile
# is not accepted, as a relay that never sent its 250), and write its Message-ID to IDS.
SINK = r"""
import asyncio, re, signal, sys
from aiosmtpd.controller import Controller
port, latency, ids = int(sys.argv[1]), float(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*(<[^>]+>)")
class Handler:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(latency)
        ids.write(MESSAGE_ID.search(envelope.content).group(1).decode() + "\n")
        return "250 2.0.0 queued"
controller = Controller(Handler(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
controller.start()
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
ids.close()
"""


def agreement_text(version: int) -> str:
    lines = ["# Bench Cloud Services Agreement", ""]
    for section in range(1, 11):
        lines += [f"## {section}. Section {section}", ""]
        for clause in range(1, 4):
            days = "fifteen" if version == 2 and section % 4 == 0 and clause == 2 else "thirty"
            lines += [f"{section}.{clause} The provider shall perform obligation {section}.{clause} within {days} "
                      "days of a written request.", ""]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(self, folder: Path, latency: float) -> None:
        self.ids_path = folder / "sink-ids.txt"
        self.port = free_port()
        self.process = subprocess.Popen([str(BIN / "python"), "-c", SINK, str(self.port), str(latency),
                                         str(self.ids_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("the SMTP sink did not start")
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.ids_path.write_text("")

    def accepted(self) -> Counter[str]:
        return Counter(self.ids_path.read_text().split())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def set_state_db(repo_root: Path, state_db: str) -> None:
    config = repo_root / "clausewise.toml"
    text = re.sub(r'(?m)^state_db = .*$', f'state_db = "{state_db}"', config.read_text("utf-8"))
    config.write_text(text, "utf-8")


def make_repo(root: Path) -> Path:
    """An agreements repository with v1 and v2 of one agreement published."""
    repo = init_repo(root)
    repo.add(AGREEMENT, agreement_text(1), title="Bench Cloud Services Agreement", language="en", kind="commercial")
    repo.publish(AGREEMENT, date(2031, 1, 1), today=date(2030, 1, 1))
    path = repo.agreement(AGREEMENT).path
    path.write_text(path.read_text("utf-8").replace(agreement_text(1), agreement_text(2)), "utf-8")
    repo.publish(AGREEMENT, date(2031, 6, 1), summary="Shorter response times", today=date(2030, 1, 1))
    return repo.root


def fill_ledger(root: Path, state_db: str, notices: int):
    """Point the repository at ``state_db`` and fill it: ``notices`` customers on v1 and the v2
    campaign's notices, all pending. Returns the repository."""
    set_state_db(root, state_db)
    repo = open_repo(root)
    with store_for_repo(repo) as store:
        store.upsert_customers(CustomerRow(f"K{i:07d}", f"Customer {i}", f"k{i:07d}@example.com", "en", AGREEMENT, 1)
                               for i in range(notices))
        create_version_campaign(repo, store, repo.version(AGREEMENT, 2), today=date(2030, 1, 1))
        store.sync_notices()
    return repo


class SqliteLedger:
    """A prepared SQLite ledger, copied back before every run."""

    name = "SQLite"

    def __init__(self, root: Path, folder: Path, notices: int) -> None:
        self.path = folder / "state.sqlite3"
        self.repo = fill_ledger(root, str(self.path), notices)
        self.pristine = folder / "pristine.sqlite3"
        shutil.copy(self.path, self.pristine)

    def fresh(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        shutil.copy(self.pristine, self.path)
        set_state_db(self.repo.root, str(self.path))

    def close(self) -> None:
        pass


class PostgresLedger:
    """A prepared PostgreSQL database; each run gets a copy of it (CREATE DATABASE ... TEMPLATE)."""

    name = "PostgreSQL"

    def __init__(self, root: Path, notices: int) -> None:
        from tests.pg_server import PostgresServer, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; use --backends sqlite")
        self.server = PostgresServer(bin_dir)
        self.server.start()
        self.pristine = self.server.new_database()
        self.repo = fill_ledger(root, self.server.url(self.pristine), notices)
        self.current: str | None = None

    def fresh(self) -> None:
        if self.current:
            self.server.drop_database(self.current)
        self.current = f"run_{time.monotonic_ns()}"
        self.server.admin(f"CREATE DATABASE {self.current} TEMPLATE {self.pristine}")
        set_state_db(self.repo.root, self.server.url(self.current))

    def close(self) -> None:
        self.server.stop()


def start_senders(repo_root: Path, sink: Sink, count: int, concurrency: int) -> list[subprocess.Popen]:
    command = [str(BIN / "clausewise"), "notify", "send", "--repo", str(repo_root), "--smtp", sink.url,
               "--concurrency", str(concurrency)]
    return [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]


def finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    outputs = [p.communicate() for p in processes]
    return [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs)]


def ledger_totals(repo) -> tuple[dict[str, int], list]:
    with store_for_repo(open_repo(repo.root)) as store:  # the state_db of this run (see fresh())
        [campaign] = store.campaigns()
        return store.totals()[campaign.id], list(store.notices())


def run(ledger, sink: Sink, senders: int, notices: int, concurrency: int) -> float:
    """Notices per second of ``senders`` processes together (first start to last exit)."""
    ledger.fresh()
    sink.reset()
    started = time.perf_counter()
    results = finish(start_senders(ledger.repo.root, sink, senders, concurrency))
    elapsed = time.perf_counter() - started
    failed = [(code, err.strip()) for code, _, err in results if code != 0]
    if failed:
        raise SystemExit(f"notify send failed: {failed}")
    totals, _ = ledger_totals(ledger.repo)
    accepted = sink.accepted()
    if totals["sent"] != notices or len(accepted) != notices or max(accepted.values()) != 1:
        raise SystemExit(f"{ledger.name}, {senders} senders: ledger {totals}, sink {len(accepted)} distinct, "
                         f"{sum(accepted.values())} in all")
    rate = notices / elapsed
    print(f"{ledger.name:<11} {senders} sender{'s' if senders > 1 else ' '} x {concurrency} connections "
          f"{elapsed:8.1f} s {rate:8.1f} notices/s", flush=True)
    return rate


def kill_run(ledger, sink: Sink, senders: int, notices: int, concurrency: int) -> None:
    """``senders`` processes, one SIGKILLed once a third of the notices are sent; then every
    notice's copies at the sink."""
    ledger.fresh()
    sink.reset()
    processes = start_senders(ledger.repo.root, sink, senders, concurrency)
    while sum(sink.accepted().values()) < notices // 3 and all(p.poll() is None for p in processes):
        time.sleep(0.05)
    processes[0].send_signal(signal.SIGKILL)
    results = finish(processes)
    survivors = [code for code, _, _ in results[1:]]
    totals, ledger_rows = ledger_totals(ledger.repo)
    accepted = sink.accepted()
    lost = [n.customer_id for n in ledger_rows if n.status != "sent" or n.message_id not in accepted]
    duplicates = [mid for mid, count in accepted.items() if count > 1]
    flagged = [n for n in ledger_rows if n.reply and DUPLICATE_NOTE in n.reply]
    unflagged_duplicates = set(duplicates) - {n.message_id for n in flagged}
    print(f"{ledger.name}, {senders} senders, one SIGKILLed after {notices // 3:,} notices: survivors exited "
          f"{survivors}; ledger {totals['sent']:,} sent of {notices:,}")
    print(f"  duplicates at the sink {len(duplicates)} (unflagged {len(unflagged_duplicates)}; target 0), "
          f"lost {len(lost)} (target 0), resent after the kill in their DATA phase and flagged {len(flagged)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the sink takes per message")
    parser.add_argument("--concurrency", type=int, default=4, help="SMTP connections per sender")
    parser.add_argument("--senders", default="1,2,4,8", help="numbers of senders to run, comma-separated")
    parser.add_argument("--backends", default="postgresql,sqlite", help="postgresql, sqlite or both")
    args = parser.parse_args()
    counts = [int(n) for n in args.senders.split(",")]
    backends = args.backends.split(",")
    for name, value in (("GIT_AUTHOR_NAME", "bench"), ("GIT_AUTHOR_EMAIL", "bench@example.com"),
                        ("GIT_COMMITTER_NAME", "bench"), ("GIT_COMMITTER_EMAIL", "bench@example.com")):
        os.environ.setdefault(name, value)
    print(f"{args.notices:,} notices, sink latency {args.latency * 1000:.0f} ms, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    rates: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-senders-") as tmp:
        folder = Path(tmp)
        root = make_repo(folder / "legal")
        sink = Sink(folder, args.latency)
        try:
            for backend in backends:
                ledger = PostgresLedger(root, args.notices) if backend == "postgresql" else \
                    SqliteLedger(root, folder, args.notices)
                try:
                    for count in counts if backend == backends[0] else [1]:
                        rates[(ledger.name, count)] = run(ledger, sink, count, args.notices, args.concurrency)
                    if backend == backends[0]:
                        kill_run(ledger, sink, 4, args.notices, args.concurrency)
                finally:
                    ledger.close()
        finally:
            sink.stop()
    first = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[backends[0]]
    one = rates[(first, 1)]
    for count in counts[1:]:
        target = "  (target >= 3.5x)" if count == 4 else ""
        print(f"{count} senders / 1 sender ({first}) {rates[(first, count)] / one:6.2f}x{target}")
    if ("PostgreSQL", 1) in rates and ("SQLite", 1) in rates:
        print(f"1 sender, PostgreSQL / SQLite     {rates[('PostgreSQL', 1)] / rates[('SQLite', 1)]:6.0%}  "
              "(target >= 80%)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
