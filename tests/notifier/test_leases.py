"""Leases on a real state database: senders' claims, their expiry, and what a sender that lost its
lease may no longer do. (Whole senders in real processes: test_many_senders.py.)"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from clausewise.notifier.leases import SenderIdentity, idle_poll, lease_until, renew_every
from clausewise.notifier.store import INTERRUPTED, UNSTARTED, LeaseLost, Store, open_store, utc_now

from .conftest import customer, make_campaign

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run
CAMPAIGN = "trial-en/v2"


def _ledger(store: Store, count: int) -> None:
    store.upsert_customers([customer(f"C{i:03d}", 1) for i in range(count)])
    store.create_campaign(make_campaign())
    store.sync_notices()


def _register(store: Store, identity: SenderIdentity, *, seconds: float = 60, relay: str = "smtp://127.0.0.1:25",
              now: datetime | None = None) -> None:
    store.register_sender(identity.worker, host=identity.host, pid=identity.pid, process=identity.process,
                          relay=relay, campaign_id=None, lease_until=lease_until(now or utc_now(), seconds))


def _dead_process() -> str:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return f"{socket.gethostname()}:{child.stdout.strip()}:12345"


def _send(store: Store, notice, worker: str, reply: str = "250 ok") -> bool:
    return store.record_sent(notice.campaign_id, notice.customer_id, message_id=f"<{notice.customer_id}@x>",
                             sha256="ab" * 32, reply=reply, sent_at=utc_now(), date_header=notice.date_header,
                             worker=worker, duplicate_note=" (may be a duplicate)")


def test_identities_are_unique_and_timings_follow_the_lease() -> None:
    first, second = SenderIdentity(), SenderIdentity()
    assert first.worker != second.worker and len(first.worker) == 32
    assert first.process.startswith(f"{socket.gethostname()}:")
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert lease_until(now, 60) == now + timedelta(seconds=60)
    assert renew_every(60) == 20 and idle_poll(60) == 1.0 and idle_poll(2) == 0.5


def test_a_live_lease_keeps_its_claims_and_its_end_gives_them_back(store: Store) -> None:
    _ledger(store, 6)
    me, other = SenderIdentity(), SenderIdentity()
    _register(store, me)
    _register(store, other)
    mine = store.claim_batch(me.worker, 4, lease_until=lease_until(utc_now(), 60))
    assert len(mine) == 4
    assert store.reclaim_expired(60) == 0  # both leases live, both processes (this one) alive
    assert {s.worker_id for s in store.senders()} == {me.worker, other.worker}
    assert store.renew_lease(me.worker, lease_until(utc_now(), 60), sent=3)
    assert next(s for s in store.senders() if s.worker_id == me.worker).sent == 3
    assert store.end_lease(me.worker) == 4
    assert {s.worker_id for s in store.senders()} == {other.worker}
    assert store.totals()[CAMPAIGN]["pending"] == 6


def test_an_expired_lease_loses_its_claims_with_the_data_phase_rule(store: Store) -> None:
    _ledger(store, 5)
    gone, live = SenderIdentity(process="elsewhere:1:1"), SenderIdentity()
    long_ago = utc_now() - timedelta(seconds=120)
    _register(store, gone, now=long_ago)  # its lease ran out a minute ago
    _register(store, live)
    claimed = store.claim_batch(gone.worker, 3)
    assert store.mark_data_started(claimed[0].campaign_id, claimed[0].customer_id, gone.worker)
    kept = store.claim_batch(live.worker, 2)

    assert store.reclaim_expired(60) == 3
    back = {n.customer_id: n for n in store.notices() if n.status == "pending"}
    assert set(back) == {n.customer_id for n in claimed}
    assert back[claimed[0].customer_id].last_error == INTERRUPTED  # its DATA had started: may have arrived
    assert {back[n.customer_id].last_error for n in claimed[1:]} == {UNSTARTED}
    assert all(n.status == "sending" for n in store.notices() if n.customer_id in {k.customer_id for k in kept})

    # The sender that lost its lease can neither renew, nor claim, nor start a message it held.
    assert not store.renew_lease(gone.worker, lease_until(utc_now(), 60), sent=0)
    with pytest.raises(LeaseLost, match="expired and another sender took its notices"):
        store.claim_batch(gone.worker, 5, lease_until=lease_until(utc_now(), 60))
    assert not store.mark_data_started(claimed[1].campaign_id, claimed[1].customer_id, gone.worker)
    assert store.totals()[CAMPAIGN] == {"pending": 3, "sending": 2, "sent": 0, "failed": 0, "cancelled": 0}


def test_a_dead_sender_on_this_host_loses_its_lease_at_once(store: Store) -> None:
    _ledger(store, 3)
    dead = SenderIdentity(process=_dead_process())
    _register(store, dead)  # its lease has a minute left
    store.claim_batch(dead.worker, 3)
    assert store.reclaim_expired(60) == 3
    assert store.senders() == []


def test_claims_without_a_lease_come_back_once_old(store: Store) -> None:
    _ledger(store, 2)
    store.claim_batch("host:123:456", 2)  # as a clausewise before leases left them
    assert store.reclaim_expired(60) == 0
    assert store.reclaim_expired(60, now=utc_now() + timedelta(seconds=61)) == 2


def test_a_sender_that_lost_the_notice_during_data_flags_its_record(store: Store) -> None:
    _ledger(store, 2)
    slow, other = SenderIdentity(process="elsewhere:1:1"), SenderIdentity()
    _register(store, slow, now=utc_now() - timedelta(seconds=120))
    first, second = store.claim_batch(slow.worker, 2)
    for notice in (first, second):
        assert store.mark_data_started(notice.campaign_id, notice.customer_id, slow.worker)
    assert store.reclaim_expired(60) == 2  # the slow sender stalled past its lease in both DATA phases
    _register(store, other)
    [again, again2] = store.claim_batch(other.worker, 2)
    # first: the stalled sender's 250 comes in before the other sender's copy: recorded, flagged.
    assert _send(store, first, slow.worker, "250 queued as A")
    assert store.notice(CAMPAIGN, first.customer_id).reply == "250 queued as A (may be a duplicate)"
    assert not store.mark_data_started(again.campaign_id, again.customer_id, other.worker)  # not sent again
    # second: the other sender's copy is recorded first; the late one only goes to the journal.
    assert _send(store, again2, other.worker, "250 queued as B (resent)")
    assert not _send(store, second, slow.worker, "250 queued as C")
    assert store.notice(CAMPAIGN, second.customer_id).reply == "250 queued as B (resent)"
    events = [e[3:] for e in store.events(customer_id=second.customer_id)]
    assert ("accepted again (a copy sent by another sender)", "250 queued as C") in events


def test_waiting_senders_never_wait_for_each_other(store: Store) -> None:
    _ledger(store, 4)
    a, b = SenderIdentity(), SenderIdentity()
    _register(store, a)
    _register(store, b)
    store.claim_batch(a.worker, 1)
    store.claim_batch(b.worker, 1)
    assert store.outstanding(a.worker) == (1, None)  # b holds one and is working
    store.set_waiting(b.worker, True)
    assert store.outstanding(a.worker) == (0, None)  # b only holds what it gave up
    assert store.outstanding(b.worker) == (1, None)
    store.set_waiting(a.worker, True)
    assert store.outstanding(b.worker) == (0, None)


def test_a_deferred_notice_waits_for_its_moment(store: Store) -> None:
    _ledger(store, 2)
    me = SenderIdentity()
    _register(store, me)
    first, second = store.claim_batch(me.worker, 2)
    until = utc_now() + timedelta(seconds=30)
    store.defer(first.campaign_id, first.customer_id, me.worker, until)
    assert store.claim_batch(me.worker, 5) == []
    assert store.outstanding(me.worker) == (0, until)
    store.release(me.worker)
    assert [n.customer_id for n in store.claim_batch(me.worker, 5)] == [second.customer_id]


def test_connection_slots_are_shared_and_end_with_the_lease(store: Store) -> None:
    relay = "smtp://relay.test:587"
    a, b, c = SenderIdentity(), SenderIdentity(process="elsewhere:1:1"), SenderIdentity()
    _register(store, a, relay=relay)
    _register(store, b, relay=relay, seconds=2)
    _register(store, c, relay="smtp://other.test:587")
    for _ in range(3):
        assert store.take_connection(c.worker, "smtp://other.test:587", 3)  # another relay counts apart
    assert store.take_connection(a.worker, relay, 3)
    assert store.take_connection(b.worker, relay, 3)
    assert store.take_connection(b.worker, relay, 3)
    assert not store.take_connection(a.worker, relay, 3)  # three open at the relay
    store.drop_connection(b.worker)
    assert store.take_connection(a.worker, relay, 3)
    assert not store.take_connection(a.worker, relay, 3)
    time.sleep(2.1)  # b's lease runs out: its connection no longer counts
    assert store.take_connection(a.worker, relay, 3)


def test_rate_slots_are_shared_by_every_connection(state_db: str) -> None:
    path = state_db
    open_store(path).close()
    starts: list[float] = []
    lock = threading.Lock()

    def take(count: int) -> None:
        with open_store(path) as own:  # a connection of its own, as another sender would have
            for _ in range(count):
                slot = own.take_slot({"relay smtp://r": 0.01})
                with lock:
                    starts.append(slot.start)

    threads = [threading.Thread(target=take, args=(40,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 120
    assert all(later - earlier >= 0.01 - 1e-6 for earlier, later in zip(starts, starts[1:]))  # no slot given twice


def test_postgresql_ends_the_session_of_a_sender_stalled_mid_transaction(postgres_url: str) -> None:
    """A sender frozen inside a transaction (SIGSTOP, a machine cut off with its connection open)
    holds row locks; the server ends its session after the lease, so the others go on."""
    from clausewise.notifier.statedb import database_errors

    with open_store(postgres_url) as frozen, open_store(postgres_url) as other:
        stalled = SenderIdentity(process="elsewhere:1:1")
        _register(frozen, stalled, seconds=1, now=utc_now() - timedelta(seconds=5))
        frozen.end_stalled_transactions(1)
        outcome: list[BaseException] = []

        def stall() -> None:
            try:
                with frozen.transaction():
                    frozen.renew_lease(stalled.worker, utc_now() - timedelta(seconds=5), sent=0)  # its row locked
                    time.sleep(4)
            except database_errors() as exc:
                outcome.append(exc)

        thread = threading.Thread(target=stall)
        thread.start()
        time.sleep(0.3)
        other.reclaim_expired(60)  # waits for the lock until the server ends the stalled session
        thread.join()
        assert other.senders() == []  # its lease ended
        # ... because the server ended the stalled session (without the setting its commit would succeed)
        assert len(outcome) == 1 and "idle-in-transaction" in str(outcome[0])
