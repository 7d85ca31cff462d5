"""Several real `clausewise notify send` processes on one state database, against a real SMTP server
(aiosmtpd on 127.0.0.1): no notice sent twice, none lost, the campaign's status right while they run;
a sender killed (SIGKILL) or cut off (SIGSTOP: alive, silent, as a machine off the network) mid-run
loses its notices to the others, and only a notice that was in its DATA phase arrives twice, with
the same Message-ID, flagged in the proof."""

from __future__ import annotations

import gc
import json
import re
import signal

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.store import CustomerRow, Store

from .many_senders import (DUPLICATE_NOTE, GatedHandler, copies_by_message_id, most_in_any_window, sent_count,
                           set_settings, start_senders, wait_until)
from .notices import assignment_campaign, customers, setup
from .smtp_server import smtp_server

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run
CAMPAIGN = "service-zh/assignment-2030-03-01"
SENDERS, CONCURRENCY = 3, 2


@pytest.fixture(autouse=True)
def _collect_cycles():
    """These tests leave reference cycles holding Popen objects, whose finalizer is Python code:
    collect them now, while the stack is shallow, not inside a later test that recurses deeply
    (a RecursionError in a finalizer there is reported as an unraisable exception)."""
    yield
    gc.collect()


def _statuses(store: Store) -> dict[str, int]:
    return store.totals()[CAMPAIGN]


def _all_mid_message(store: Store, handler: GatedHandler, count: int, *, all_connections_of: int | None = None) -> bool:
    """Every sender is registered and has messages in DATA, all of whose bytes reached the server;
    the sender with pid ``all_connections_of`` has every connection in DATA (so it is not inside a
    ledger transaction, except for a moment each heartbeat)."""
    senders = store.senders()
    if len(senders) < count:
        return False
    in_data = {s.pid: [n.email for n in store.held_by(s.worker_id) if n.data_started_at] for s in senders}
    if all_connections_of is not None and len(in_data.get(all_connections_of, [])) < CONCURRENCY:
        return False
    waiting = [email for emails in in_data.values() for email in emails]
    return all(in_data.values()) and set(waiting) == handler.waiting()


def test_several_senders_send_each_notice_once_and_the_status_stays_right(legal_repo, repo_store):
    rows = customers(150, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    set_settings(legal_repo.root, send_lease_seconds=10)
    with smtp_server(GatedHandler(delay=0.005)) as (url, handler):
        senders = start_senders(legal_repo.root, url, SENDERS, concurrency=CONCURRENCY)
        wait_until(lambda: _all_mid_message(repo_store, handler, SENDERS))
        shown = CliRunner().invoke(main, ["notify", "status", "--repo", str(legal_repo.root), "--format", "json"])
        text = CliRunner().invoke(main, ["notify", "status", "--repo", str(legal_repo.root)])
        handler.gate.set()
        observed = []
        while senders.running():
            observed.append(_statuses(repo_store))
        results = senders.wait()

    assert shown.exit_code == 0, shown.output
    listed = json.loads(shown.output)["senders"]
    assert len(listed) == SENDERS and all(s["connections"] >= 1 and not s["expired"] for s in listed)
    assert len({s["pid"] for s in listed}) == SENDERS and all(s["relay"] == url for s in listed)
    assert f"Senders ({SENDERS}):" in text.output and text.output.count("running, lease until") == SENDERS
    # While they ran, every look at the campaign accounted for every notice, and sent only grew.
    assert observed and all(sum(seen.values()) == 150 for seen in observed)
    assert all(a["sent"] <= b["sent"] for a, b in zip(observed, observed[1:]))
    assert all(code == 0 for code, _, _ in results), results
    assert sum(sent_count(out) for _, out, _ in results) == 150
    assert all(sent_count(out) > 0 for _, out, _ in results)  # all three took part
    assert sorted(handler.received_by().values()) == [1] * 150  # none twice, none lost
    assert set(copies_by_message_id(handler.received).values()) == {1}
    assert _statuses(repo_store) == {"pending": 0, "sending": 0, "sent": 150, "failed": 0, "cancelled": 0}
    assert repo_store.senders() == []  # each ended its lease
    assert not any(DUPLICATE_NOTE in n.reply for n in repo_store.notices())


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSTOP"])
def test_a_sender_lost_mid_run_leaves_nothing_lost_and_only_its_data_phase_twice(legal_repo, repo_store, how):
    """SIGKILL: the process is gone (on this host that is seen at once). SIGSTOP: it is alive but
    silent, as a machine cut off; the others take its notices once its lease expires, and when it
    comes back it finds its lease gone and sends nothing it no longer holds."""
    rows = customers(120, agreement="service-zh")
    setup(repo_store, assignment_campaign(), rows=rows)
    set_settings(legal_repo.root, send_lease_seconds=3)
    with smtp_server(GatedHandler(delay=0.005)) as (url, handler):
        senders = start_senders(legal_repo.root, url, SENDERS, concurrency=CONCURRENCY)
        lost = senders.processes[0]
        wait_until(lambda: _all_mid_message(repo_store, handler, SENDERS, all_connections_of=lost.pid))
        lost.send_signal(signal.SIGSTOP)
        [record] = [s for s in repo_store.senders() if s.pid == lost.pid]
        held = repo_store.held_by(record.worker_id)
        in_data = {n.email for n in held if n.data_started_at}
        assert len(in_data) == CONCURRENCY and len(held) > len(in_data)  # a batch claimed, some in DATA
        if how == "SIGKILL":
            lost.send_signal(signal.SIGKILL)
        handler.gate.set()
        survivors = [p.wait(timeout=300) for p in senders.processes[1:]]
        assert survivors == [0, 0]
        assert _statuses(repo_store)["sent"] == 120  # the others finished the lost sender's notices too
        if how == "SIGSTOP":
            lost.send_signal(signal.SIGCONT)  # back on the network: its lease is gone
        code, _, err = senders.wait()[0]

    if how == "SIGKILL":
        assert code == -signal.SIGKILL
    else:  # its lease is gone (or, on PostgreSQL, the server ended its session had it stalled mid-transaction)
        assert code == 1 and ("lease could not be renewed" in err or "could not be written" in err), err
    copies = handler.received_by()
    assert set(copies) == {row.email for row in rows}  # nobody was left out
    assert {address for address, n in copies.items() if n > 1} == in_data  # only the DATA phase twice
    assert max(copies.values()) == 2
    ledger = {n.email: n for n in repo_store.notices()}
    assert all(n.status == "sent" for n in ledger.values())
    for address in in_data:
        ids = {item.message_id for item in handler.received if item.rcpt_tos == (address,)}
        assert ids == {ledger[address].message_id}  # the same Message-ID both times
    flagged = {address for address, n in ledger.items() if DUPLICATE_NOTE in n.reply}
    assert flagged == in_data  # and the proof says so of those, and only those
    assert repo_store.senders() == []


def test_relay_and_domain_limits_hold_for_all_senders_together(legal_repo, repo_store):
    """relay_rate 20/s, relay_connections 3 and 20/minute for one domain, shared by three senders
    (six connections wanted). Each connection holds at most one slot it has not used yet, so in any
    second the server sees at most 20 + 1 + 3 messages, whatever the machine's load."""
    rows = customers(60, agreement="service-zh")
    slow = [CustomerRow(f"S{i}", f"Slow {i}", f"s{i}@slow.test", "en", "service-zh", 1) for i in range(4)]
    setup(repo_store, assignment_campaign(), rows=rows + slow)
    set_settings(legal_repo.root, send_lease_seconds=10, relay_rate=20, relay_connections=3)
    config = legal_repo.root / "clausewise.toml"
    config.write_text(config.read_text("utf-8") + '\n[domain_rates]\n"slow.test" = "20/minute"\n', "utf-8")
    with smtp_server(GatedHandler(open_gate=True, delay=0.005)) as (url, handler):
        results = start_senders(legal_repo.root, url, SENDERS, concurrency=CONCURRENCY).wait()

    assert all(code == 0 for code, _, _ in results), results
    assert sorted(handler.received_by().values()) == [1] * 64  # paced and deferred, never lost or doubled
    assert handler.most_sessions <= 3
    times = [moment for moment, _ in handler.arrivals]
    assert most_in_any_window(times, 1.0) <= 20 + 1 + 3
    slow_times = [moment for moment, recipient in handler.arrivals if recipient.endswith("@slow.test")]
    assert most_in_any_window(slow_times, 3.0) <= 2  # one every 3 s; a margin of one for a stalled machine
    assert sum(int(m.group(1)) for _, out, _ in results
               for m in [re.search(r"(\d+) deferred for their domain's rate", out)] if m) >= 1
    assert _statuses(repo_store)["sent"] == 64 and repo_store.senders() == []
