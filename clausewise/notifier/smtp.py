"""Send pending notices with aiosmtplib over a few reused connections, and record each outcome.

The ledger is the truth. A notice is claimed in a batch (status 'sending'), marked in the ledger
just before its DATA starts, sent, and recorded 'sent' right after the server's 250 reply to
DATA, so a re-run never sends it again. A 4xx reply, a dropped connection or a timeout puts it
back to 'pending' and it is retried with exponential backoff (a bounded number of times per run;
after that it stays pending for the next run); a 5xx reply, an address the server cannot take
(no SMTPUTF8) or customer data that cannot make a safe message marks it 'failed' with the reason.
A local problem (a template or rendering error, the configuration, the state database) is not the
customer's: it stops the run with one error and leaves the notices pending. If the process is
killed, only the messages whose DATA had started (at most one per connection) may go out twice,
with the same Message-ID, and only those say so in the proof.

Several senders may run at once on one ledger, on one machine or many: each claims under a lease
(leases.py) and, when the relay's limits are set, takes a slot shared through the ledger before
each message (ratelimit.py). A sender with nothing left to claim waits while others still hold
notices, and takes over those of a sender whose lease expired.
"""

from __future__ import annotations

import asyncio
import heapq
import ipaddress
import itertools
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import aiosmtplib

from ..config import CONFIG_NAME, example_defaults, smtp_password, split_smtp_url
from ..errors import ClausewiseError, UsageProblem
from .bounces import verp_address
from .compose import Composer
from .message import date_header, sha256_hex
from .schedule import notice_timing
from . import leases, ratelimit
from .statedb import database_errors
from .store import INTERRUPTED, Campaign, LeaseLost, Notice, Store, utc_now

MAX_ATTEMPTS = 5  # per notice and per run; a notice still failing stays pending for the next run
BACKOFF_SECONDS = 1.0  # first retry delay; doubles on every further attempt
CONNECT_ATTEMPTS = 4
GREETING_TIMEOUT = 10.0  # at most this long (or the timeout, if shorter) to connect and be greeted
STOP_GRACE = 3.0  # after Ctrl-C, messages in flight get this long to finish before they are abandoned
POSSIBLE_DUPLICATE = (" (resent after a dropped connection, a timeout or an interrupted run: an earlier copy "
                      "may have arrived too)")
DEFER_AFTER = 2.0  # a notice whose domain has no slot for longer than this goes back to the ledger until then

Progress = Callable[[int, int], None]  # (notices finished, total)


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect. Holds no password."""

    scheme: str
    host: str
    port: int
    username: str
    use_tls: bool  # implicit TLS (smtps)
    start_tls: bool | None  # True: required; False: plain (loopback); None: if offered (allowed plaintext)

    def display(self) -> str:
        """The URL to show in messages and logs (never with a password)."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_smtp_url(url: str, *, username: str = "", allow_plaintext: bool = False) -> SmtpTarget:
    """``smtp://[user@]host[:port]`` (STARTTLS, port 587) or ``smtps://[user@]host[:port]`` (TLS, 465).

    Plain SMTP without STARTTLS is used only for a loopback host or when ``allow_plaintext``.
    A password in the URL is refused: it belongs in the environment or the secrets file.
    """
    parts = split_smtp_url(url)
    implicit_tls = parts.scheme == "smtps"
    if implicit_tls:
        start_tls: bool | None = False
    elif is_loopback(parts.host):
        start_tls = False
    elif allow_plaintext:
        start_tls = None
    else:
        start_tls = True
    return SmtpTarget(
        scheme=parts.scheme,
        host=parts.host,
        port=parts.port or (465 if implicit_tls else 587),
        username=parts.username or username,
        use_tls=implicit_tls,
        start_tls=start_tls,
    )


@dataclass
class SendReport:
    """What one run did."""

    total: int = 0  # notices pending when the run started
    sent: int = 0
    failed: int = 0
    retries: int = 0  # attempts that ended in a retryable error
    left_pending: int = 0  # pending in the ledger when the run ended (in its scope), whatever the reason
    possibly_duplicated: int = 0  # resends after an ambiguous error or a killed run (the server may have had it)
    rendered: int = 0  # dry run: messages rendered
    interrupted: bool = False
    dry_run: bool = False
    elapsed: float = 0.0
    smtp: str = ""
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (campaign, customer, reply)
    held_after_effective: dict[str, int] = field(default_factory=dict)  # campaign -> pending, not sent
    late: int = 0  # sent after the send-by date (before the effective date)
    after_effective: int = 0  # sent on or after the effective date (with --after-effective)
    deferred: int = 0  # given back to wait for the recipient domain's cap (domain_rate)
    taken_over: int = 0  # lost to another sender before their DATA (this sender's lease had expired)

    def summary(self) -> str:
        """One line for the user."""
        if self.dry_run:
            return (f"dry run: {self.rendered} of {self.total} pending notices rendered, "
                    f"{len(self.failures)} could not be; nothing sent or recorded")
        rate = f", {self.sent / self.elapsed:.1f}/s" if self.elapsed and self.sent else ""
        extra = f", {self.possibly_duplicated} resent after an ambiguous error" if self.possibly_duplicated else ""
        if self.deferred:
            extra += f", {self.deferred} deferred for their domain's rate"
        if self.taken_over:
            extra += f", {self.taken_over} taken over by other senders"
        if self.late or self.after_effective:
            extra += f", {self.late} LATE, {self.after_effective} after the effective date"
        return (f"{self.sent} sent, {self.failed} failed, {self.left_pending} left pending "
                f"(of {self.total}; {self.retries} retries{extra}) via {self.smtp} in {self.elapsed:.1f}s{rate}")

    def held_message(self) -> str | None:
        """The line on notices not sent because their campaign already took effect, or None."""
        if not self.held_after_effective:
            return None
        named = ", ".join(f"{c} ({n})" for c, n in self.held_after_effective.items())
        return (f"not sent, because the campaign already took effect and a notice now gives no advance notice: "
                f"{named}; send them anyway with --after-effective REASON (recorded in the proof), or, for a campaign "
                "none of which was sent, cancel it with 'clausewise notify cancel'")


class _DryRunRollback(Exception):
    """Raised inside the dry run's transaction so that nothing it did is kept."""


class _RateLimiter:
    """At most ``rate`` sends per second across all connections (evenly spaced)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


def send_pending(
    repo: Any,
    store: Store,
    *,
    campaign_id: str | None = None,
    smtp_url: str | None = None,
    concurrency: int = 4,
    rate: float | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    backoff: float = BACKOFF_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
    timeout: float | None = None,
    after_effective: str | None = None,
    today: date | None = None,
) -> SendReport:
    """Send every pending notice (of one campaign, or all); see the module docstring.

    Notices of a campaign that takes effect today or earlier are sent only with an
    ``after_effective`` reason (recorded with each of them); otherwise they stay pending and the
    report's ``held_after_effective`` names them. ``timeout`` defaults to ``smtp_timeout``.
    Other senders may work on the same ledger at the same time (see leases.py); the relay's limits
    in clausewise.toml (relay_rate, relay_connections, domain_rate) hold for all of them together.
    """
    if concurrency < 1:
        raise UsageProblem(f"--concurrency must be 1 or more, not {concurrency}")
    if rate is not None and rate <= 0:
        raise UsageProblem(f"--rate must be more than 0, not {rate}")
    if after_effective is not None and not after_effective.strip():
        raise UsageProblem("--after-effective needs a reason, e.g. --after-effective 'address corrected after a "
                           "bounce'")
    config = repo.config
    timeout = config.smtp_timeout if timeout is None else timeout
    if timeout <= 0:
        raise UsageProblem(f"the SMTP timeout must be more than 0 seconds, not {timeout}")
    target = parse_smtp_url(smtp_url or config.smtp_url, username=config.smtp_username,
                            allow_plaintext=config.smtp_allow_plaintext)
    if campaign_id is not None:
        store.campaign(campaign_id)  # UsageProblem naming the known campaigns
    placeholders = example_defaults(config)
    if placeholders and not dry_run and not is_loopback(target.host):
        raise ClausewiseError(
            f"{CONFIG_NAME}: {' and '.join(placeholders)} "
            f"{'is still the example value' if len(placeholders) == 1 else 'are still the example values'}, and {target.display()} is a real mail relay: "
            f"customers would get notices from or linking to example.com. Set them to your own in {CONFIG_NAME}, "
            "commit it, and send again (a server on 127.0.0.1 accepts the examples, for trying things out)")
    composer = Composer(repo)
    if dry_run:
        return _dry_run(composer, store, campaign_id, target, progress)
    password = smtp_password(repo.root) if target.username else None
    if target.username and not password:
        raise ClausewiseError(f"{target.display()}: login '{target.username}' needs a password; set "
                              "CLAUSEWISE_SMTP_PASSWORD or smtp_password in .clausewise/secrets.toml")
    limits = ratelimit.limits_from_settings(config.relay_rate, config.relay_connections, config.domain_rate,
                                            config.domain_rates, CONFIG_NAME)
    sender = _Sender(composer, store, target, password, campaign_id=campaign_id, concurrency=concurrency,
                     rate=rate, progress=progress, backoff=backoff, max_attempts=max_attempts, timeout=timeout,
                     after_effective=after_effective.strip() if after_effective else None,
                     today=today or datetime.now(timezone.utc).date(), limits=limits,
                     lease_seconds=config.send_lease_seconds)
    return asyncio.run(sender.run())


def _dry_run(composer: Composer, store: Store, campaign_id: str | None, target: SmtpTarget,
             progress: Progress | None = None) -> SendReport:
    """Render every notice a real run would send; record nothing (the sync is rolled back)."""
    report = SendReport(dry_run=True, smtp=target.display())
    started = time.monotonic()
    campaigns: dict[str, Campaign] = {}
    now = date_header()
    try:
        with store.transaction():
            store.sync_notices(campaign_id)
            totals = store.totals()
            pending = sum(totals.get(c, {}).get("pending", 0) for c in ([campaign_id] if campaign_id else totals))
            for notice in store.notices(campaign_id):
                if notice.status != "pending":
                    continue
                if progress is not None:
                    progress(report.total, pending)
                report.total += 1
                campaign = campaigns.get(notice.campaign_id) or campaigns.setdefault(
                    notice.campaign_id, store.campaign(notice.campaign_id))
                try:
                    composer.recipient(notice)
                except ClausewiseError as exc:
                    report.failures.append((notice.campaign_id, notice.customer_id, f"not sent: {exc}"))
                    continue
                _build(composer, campaign, notice, notice.date_header or now)
                report.rendered += 1
            if progress is not None:
                progress(report.total, pending)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    report.elapsed = time.monotonic() - started
    return report


class _NoLongerHeld(Exception):
    """The ledger says another sender holds the notice now (this sender's lease had expired)."""


class _Sender:
    """One run: N connection workers sharing one worker id and lease, one claim buffer and one rate limit."""

    def __init__(self, composer: Composer, store: Store, target: SmtpTarget, password: str | None, *,
                 campaign_id: str | None, concurrency: int, rate: float | None, progress: Progress | None,
                 backoff: float, max_attempts: int, timeout: float, after_effective: str | None,
                 today: date, limits: ratelimit.RateLimits, lease_seconds: float) -> None:
        self.composer = composer
        self.store = store
        self.target = target
        self.password = password
        self.campaign_id = campaign_id
        self.concurrency = concurrency
        self.rate = rate
        self.progress = progress
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.after_effective = after_effective
        self.today = today
        self.verp = composer.config.bounce_verp
        self.identity = leases.SenderIdentity()
        self.worker = self.identity.worker
        self.relay = target.display()
        self.limits = limits
        self.lease_seconds = lease_seconds
        self.connections = 0  # connection slots this sender holds (see relay_connections)
        self.waiting = False  # told the others it has nothing left but to wait for them
        self.batch_size = max(8, concurrency * 8)
        self.report = SendReport(smtp=target.display())
        self.campaigns: dict[str, Campaign] = {}
        self.buffer: deque[Notice] = deque()
        self.delayed: list[tuple[float, int, Notice]] = []  # (loop time due, seq, notice)
        self.sequence = itertools.count()
        self.tries: dict[tuple[str, str], int] = {}
        self.retry_at: dict[tuple[str, str], float] = {}
        self.ambiguous: set[tuple[str, str]] = set()
        self.data_started: set[tuple[str, str]] = set()  # notices whose DATA is under way
        self.unrecorded: list[tuple[str, str]] = []  # accepted by the server, but the ledger write failed
        self.ledger_cause: str | None = None  # the first state database error of the run
        self.in_flight = 0
        self.done = 0
        self.stopping = False
        self.fatal: ClausewiseError | None = None
        self.tasks: list[asyncio.Task] = []
        self.changed: asyncio.Event
        self.limiter: _RateLimiter

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> SendReport:
        started = time.monotonic()
        self.changed = asyncio.Event()
        self.limiter = _RateLimiter(self.rate)
        self.store.sync_notices(self.campaign_id)
        self.store.end_stalled_transactions(self.lease_seconds)
        self.store.register_sender(self.worker, host=self.identity.host, pid=self.identity.pid,
                                   process=self.identity.process, relay=self.relay,
                                   campaign_id=self.campaign_id,
                                   lease_until=leases.lease_until(utc_now(), self.lease_seconds))
        heartbeat = leases.Heartbeat(self._renew_lease, leases.renew_every(self.lease_seconds), self._lease_lost)
        restore = self._install_signal_handlers()
        try:
            self.store.reclaim_expired(self.lease_seconds)
            self.report.total = self._pending()
            self._report_progress()
            heartbeat.start()
            self.tasks = [asyncio.create_task(self._connection_worker()) for _ in range(self.concurrency)]
            outcomes = await asyncio.gather(*self.tasks, return_exceptions=True)
        finally:
            await heartbeat.stop()
            restore()
            self.report.elapsed = time.monotonic() - started
            try:
                self.store.end_lease(self.worker)
                self.report.left_pending = self._pending()
                if self.after_effective is None:
                    self.report.held_after_effective = self.store.pending_after_effective(self.today,
                                                                                          self.campaign_id)
            except database_errors() as exc:  # the next run reclaims what this one could not release
                self.fatal = self.fatal or self._ledger_error(exc)
        if self.unrecorded:
            self.fatal = self._ledger_error(None)
        if self.fatal is not None:
            raise self.fatal
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
                raise outcome
        return self.report

    def _renew_lease(self) -> bool:
        return self.store.renew_lease(self.worker, leases.lease_until(utc_now(), self.lease_seconds),
                                      self.report.sent)

    def _lease_lost(self, reason: str) -> None:
        self.fatal = self.fatal or ClausewiseError(
            f"{self.store.path}: this sender's lease could not be renewed ({reason}); it stopped claiming notices "
            "and the other senders (or the next 'clausewise notify send') take over the rest")
        self._halt()

    def _pending(self) -> int:
        totals = self.store.totals()
        ids = [self.campaign_id] if self.campaign_id else list(totals)
        return sum(totals.get(c, {}).get("pending", 0) for c in ids)

    def stop(self) -> None:
        """Ctrl-C: claim nothing more; messages in flight get STOP_GRACE seconds to finish and be
        recorded, then are abandoned (a second Ctrl-C abandons them at once)."""
        if self.report.interrupted:
            self._abandon()
            return
        self.report.interrupted = True
        self._halt()
        asyncio.get_running_loop().call_later(min(STOP_GRACE, self.timeout), self._abandon)

    def _abandon(self) -> None:
        for task in self.tasks:
            task.cancel()

    def _halt(self) -> None:
        self.stopping = True
        self.changed.set()

    def _install_signal_handlers(self) -> Callable[[], None]:
        loop = asyncio.get_running_loop()
        installed = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.stop)
                installed.append(signum)
            except (ValueError, RuntimeError, NotImplementedError):
                pass  # not the main thread: the caller handles interruption

        def restore() -> None:
            for signum in installed:
                loop.remove_signal_handler(signum)
        return restore

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.report.total)

    def _ledger_error(self, exc: BaseException | None) -> ClausewiseError:
        if exc is not None and self.ledger_cause is None:
            self.ledger_cause = " ".join(str(exc).split())
        cause = f" ({self.ledger_cause})" if self.ledger_cause else ""
        lost = ""
        if self.unrecorded:
            named = ", ".join(f"{c} {k}" for c, k in self.unrecorded[:5])
            lost = (f"; the server accepted {len(self.unrecorded)} notices that could not be recorded ({named}"
                    f"{' ...' if len(self.unrecorded) > 5 else ''}): the next run resends them with the same "
                    "Message-ID and marks them as possible duplicates")
        return ClausewiseError(f"{self.store.name}: the state database could not be written{cause}; sending "
                               f"stopped{lost}; free disk space or fix the database, then run "
                               "'clausewise notify send' again")

    # -- handing out work ------------------------------------------------------------------

    async def _next_notice(self) -> Notice | None:
        """The next notice to send, or None when there is nothing left (or the run stops)."""
        loop = asyncio.get_running_loop()
        held = None if self.after_effective is not None else self.today
        while not self.stopping:
            if self.delayed and self.delayed[0][0] <= loop.time():
                return self._take(heapq.heappop(self.delayed)[2])
            if self.buffer:
                return self._take(self.buffer.popleft())
            try:
                batch = self.store.claim_batch(self.worker, self.batch_size, self.campaign_id, effective_after=held,
                                               lease_until=leases.lease_until(utc_now(), self.lease_seconds))
            except LeaseLost as exc:
                self._lease_lost(str(exc))
                return None
            if batch and self.waiting:
                self._set_waiting(False)
            for notice in batch:
                key = (notice.campaign_id, notice.customer_id)
                tries = self.tries.get(key, 0)
                if tries >= self.max_attempts:
                    continue  # given up for this run: stays claimed, released at the end
                if tries:
                    heapq.heappush(self.delayed, (self.retry_at[key], next(self.sequence), notice))
                else:
                    self.buffer.append(notice)
            if batch:
                continue
            if self.in_flight == 0 and not self.delayed:
                wait = self._idle_wait(held)
                if wait is None:
                    return None
            else:
                wait = self.delayed[0][0] - loop.time() if self.delayed else None
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), wait)
            except TimeoutError:
                pass
        return None

    def _idle_wait(self, held: date | None) -> float | None:
        """Nothing to claim and nothing of this sender's own under way: seconds to wait before
        looking again, or None when the run is done (no other working sender holds a notice in its
        scope and none waits for its domain's slot)."""
        if self.store.reclaim_expired(self.lease_seconds):
            return 0.0  # a dead sender's notices came back: claim them now
        others, next_slot = self.store.outstanding(self.worker, self.campaign_id, effective_after=held)
        if not others and next_slot is None:
            return None
        if not self.waiting:
            self._set_waiting(True)
        wait = leases.idle_poll(self.lease_seconds)
        if next_slot is not None:
            wait = min(wait, max(0.0, (next_slot - utc_now()).total_seconds()))
        return wait

    def _set_waiting(self, waiting: bool) -> None:
        self.store.set_waiting(self.worker, waiting)
        self.waiting = waiting

    def _take(self, notice: Notice) -> Notice:
        self.in_flight += 1
        return notice

    def _finish(self, counted: bool) -> None:
        self.in_flight -= 1
        if counted:
            self.done += 1
            self._report_progress()
        self.changed.set()

    # -- one connection --------------------------------------------------------------------

    async def _connection_worker(self) -> None:
        client: aiosmtplib.SMTP | None = None
        holding = False  # this worker holds one of the relay's connection slots
        try:
            while True:
                try:
                    # A connection slot first: a sender never holds notices it has no connection for.
                    if not holding and not (holding := await self._connection_slot()):
                        return
                    notice = await self._next_notice()
                except database_errors() as exc:
                    self.fatal = self.fatal or self._ledger_error(exc)
                    self._halt()
                    return
                if notice is None:
                    return
                finished = False
                try:
                    if client is None or not client.is_connected:
                        client = await self._connect()
                    finished = await self._deliver(client, notice)
                except ClausewiseError as exc:  # a local problem: the notice stays claimed until
                    self.fatal = self.fatal or exc  # the release at the end of the run (pending again)
                    self._halt()
                except database_errors() as exc:
                    self.fatal = self.fatal or self._ledger_error(exc)
                    self._halt()
                except BaseException:  # a bug, or Ctrl-C's grace ran out: the others finish what is in flight
                    self._halt()
                    raise
                finally:
                    self._finish(finished)
        finally:
            if client is not None and client.is_connected:
                if self.report.interrupted:
                    client.close()
                else:
                    try:
                        await client.quit()
                    except (aiosmtplib.SMTPException, OSError):
                        client.close()
            if holding:
                self.connections -= 1
                try:
                    self.store.drop_connection(self.worker)
                except database_errors():
                    pass  # the count ends with the lease anyway

    async def _connection_slot(self) -> bool:
        """One of the relay's connections (relay_connections, counted over every sender's live
        lease). A sender that holds some does with those (False); one that holds none waits for
        one while there is work left (False when there is none)."""
        while not self.stopping:
            if self.store.take_connection(self.worker, self.relay, self.limits.connections):
                self.connections += 1
                return True
            if self.connections or not self._work_left():
                return False
            await asyncio.sleep(leases.idle_poll(self.lease_seconds))
        return False

    def _work_left(self) -> bool:
        """Whether any notice in this run's scope is claimable, held by a working sender, or waiting
        for its domain's slot."""
        held = None if self.after_effective is not None else self.today
        self.store.reclaim_expired(self.lease_seconds)
        if self.store.claimable(self.campaign_id, effective_after=held):
            return True
        others, next_slot = self.store.outstanding(self.worker, self.campaign_id, effective_after=held)
        return bool(others) or next_slot is not None

    async def _connect(self) -> aiosmtplib.SMTP:
        """A logged-in connection; retried with backoff, then a ClausewiseError for the whole run."""
        t = self.target
        error = ""
        greeting = min(GREETING_TIMEOUT, self.timeout)
        for attempt in range(CONNECT_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            client = aiosmtplib.SMTP(hostname=t.host, port=t.port, use_tls=t.use_tls, start_tls=t.start_tls,
                                     timeout=self.timeout, local_hostname=socket.gethostname())
            try:
                await client.connect(timeout=greeting)
                if t.username:
                    await client.login(t.username, self.password)
                return client
            except aiosmtplib.SMTPAuthenticationError as exc:
                client.close()
                raise ClausewiseError(f"{t.display()}: login as '{t.username}' refused ({exc.code} "
                                      f"{exc.message}); check smtp_username and the password") from None
            except aiosmtplib.SMTPConnectTimeoutError as exc:
                client.close()
                if "ready message" in str(exc):  # connected, but no greeting: retrying will not help
                    raise ClausewiseError(
                        f"{t.display()}: the server accepted the connection but sent no SMTP greeting within "
                        f"{greeting:g}s; check smtp_url (an SMTP port? smtps:// for implicit TLS on 465, "
                        "smtp:// for 25/587)") from None
                error = _describe(exc)
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()
                error = _describe(exc)
        raise ClausewiseError(f"{t.display()}: cannot connect ({error}); check smtp_url and that the "
                              "server is up, then run 'clausewise notify send' again")

    async def _deliver(self, client: aiosmtplib.SMTP, notice: Notice) -> bool:
        """Send one notice and record the outcome; True when it is final (sent or failed)."""
        key = (notice.campaign_id, notice.customer_id)
        campaign = self._campaign(notice.campaign_id)
        stamp = notice.date_header or date_header()
        try:
            self.composer.recipient(notice)
        except ClausewiseError as exc:  # the customer's data cannot make a safe message
            return self._failed(notice, f"not sent: {exc}")
        data = _build(self.composer, campaign, notice, stamp)  # a local error stops the run
        message_id = self.composer.message_id(campaign.id, notice.customer_id)
        sender, recipient = self.composer.sender.address, notice.email
        if self.verp:
            sender = verp_address(sender, message_id)
        utf8 = not (recipient.isascii() and sender.isascii())
        if utf8 and client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except (aiosmtplib.SMTPException, OSError) as exc:
                client.close()
                return self._retry(notice, _describe(exc))
        if utf8 and not client.supports_extension("smtputf8"):
            return self._failed(notice, "not sent: the address needs SMTPUTF8 (internationalised email), which the "
                                        f"server {self.target.display()} does not offer; use a server that does, "
                                        "or an ASCII address for this customer, then 'clausewise notify retry'")
        await self.limiter.wait()
        if self.limits.paces_messages and not await self._paced(notice):
            return False
        try:
            reply = await self._transfer(client, notice, sender, recipient, data, utf8)
        except _NoLongerHeld:
            self.report.taken_over += 1
            return False
        except aiosmtplib.SMTPRecipientRefused as exc:
            return self._reply_error(client, notice, exc.code, exc.message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, ConnectionError,
                TimeoutError) as exc:
            client.close()
            if key not in self.data_started:
                return self._retry(notice, _describe(exc))
            self.ambiguous.add(key)
            return self._retry(notice, f"{_describe(exc)} (the server may have received it; "
                                       "the resend carries the same Message-ID)")
        except aiosmtplib.SMTPResponseException as exc:
            return self._reply_error(client, notice, exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            return self._retry(notice, _describe(exc))
        finally:
            self.data_started.discard(key)
        evidence = f"250 {reply}".strip()
        if key in self.ambiguous or notice.last_error == INTERRUPTED:
            self.report.possibly_duplicated += 1
            evidence += POSSIBLE_DUPLICATE
        sent_at = datetime.now(timezone.utc)
        timing = notice_timing(sent_at.date(), campaign.send_by, campaign.effective)
        try:
            recorded = self.store.record_sent(
                notice.campaign_id, notice.customer_id, message_id=message_id, sha256=sha256_hex(data),
                reply=evidence, sent_at=sent_at, date_header=stamp, timing=timing,
                after_effective_reason=self.after_effective if timing == "after effective" else None,
                worker=self.worker, duplicate_note=POSSIBLE_DUPLICATE)
        except database_errors():
            self.unrecorded.append(key)
            raise
        if not recorded:  # another sender's copy was recorded first (this one's lease had expired)
            self.report.possibly_duplicated += 1
            return True
        self.report.sent += 1
        if timing == "late":
            self.report.late += 1
        elif timing == "after effective":
            self.report.after_effective += 1
        return True

    async def _paced(self, notice: Notice) -> bool:
        """Wait for the relay's and the recipient domain's next slot, shared with every sender; False
        (the notice given back to the ledger until then) if the domain has none for DEFER_AFTER seconds."""
        intervals = {}
        if self.limits.relay is not None:
            intervals[ratelimit.relay_key(self.relay)] = self.limits.relay.interval
        domain = ratelimit.recipient_domain(notice.email)
        domain_limit = self.limits.domain_limit(domain)
        if domain_limit is not None:
            intervals[ratelimit.domain_key(domain)] = domain_limit.interval
        if not intervals:
            return True
        slot = self.store.take_slot(intervals, deferrable=frozenset([ratelimit.domain_key(domain)]),
                                    horizon=DEFER_AFTER)
        if isinstance(slot, ratelimit.Deferred):
            self.store.defer(notice.campaign_id, notice.customer_id, self.worker,
                             datetime.fromtimestamp(slot.until, timezone.utc))
            self.report.deferred += 1
            return False
        delay = slot.start - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return True

    async def _transfer(self, client: aiosmtplib.SMTP, notice: Notice, sender: str, recipient: str, data: bytes,
                        utf8: bool) -> str:
        """MAIL, RCPT, then DATA; the ledger marks the notice just before DATA. Returns the reply text."""
        encoding = "utf-8" if utf8 else "ascii"
        options = ["SMTPUTF8"] if utf8 else []
        try:
            await client.mail(sender, options=options, encoding=encoding)
            await client.rcpt(recipient, encoding=encoding)
        except aiosmtplib.SMTPResponseException:
            try:
                await client.rset()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
            raise
        if not self.store.mark_data_started(notice.campaign_id, notice.customer_id, self.worker):
            try:
                await client.rset()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
            raise _NoLongerHeld
        self.data_started.add((notice.campaign_id, notice.customer_id))
        response = await client.data(data)
        return response.message

    def _reply_error(self, client: aiosmtplib.SMTP, notice: Notice, code: int, message: str) -> bool:
        if code == 421:  # the server is closing this connection
            client.close()
        reply = f"{code} {message}".strip()
        if 500 <= code < 600:
            return self._failed(notice, reply)
        return self._retry(notice, reply)

    def _failed(self, notice: Notice, reply: str) -> bool:
        self.store.record_failed(notice.campaign_id, notice.customer_id, reply=reply)
        self.report.failed += 1
        self.report.failures.append((notice.campaign_id, notice.customer_id, reply))
        return True

    def _retry(self, notice: Notice, error: str) -> bool:
        key = (notice.campaign_id, notice.customer_id)
        tries = self.tries.get(key, 0) + 1
        self.tries[key] = tries
        self.retry_at[key] = asyncio.get_running_loop().time() + self.backoff * 2 ** (tries - 1)
        self.store.record_retry(notice.campaign_id, notice.customer_id, error=error)
        self.report.retries += 1
        if tries >= self.max_attempts:
            self.done += 1
            self._report_progress()
        return False

    def _campaign(self, campaign_id: str) -> Campaign:
        if campaign_id not in self.campaigns:
            self.campaigns[campaign_id] = self.store.campaign(campaign_id)
        return self.campaigns[campaign_id]


def _build(composer: Composer, campaign: Campaign, notice: Notice, stamp: str) -> bytes:
    """The notice's message bytes; any rendering problem is a local error that stops the run (ClausewiseError)."""
    try:
        return composer.build_bytes(campaign, notice, stamp)
    except ClausewiseError as exc:
        raise ClausewiseError(f"cannot render the notice of campaign {campaign.id} to customer "
                              f"'{notice.customer_id}': {exc}; nothing was sent for it and the notices stay "
                              "pending: fix this and run 'clausewise notify send' again") from None
    except (ValueError, TypeError, LookupError) as exc:
        raise ClausewiseError(f"cannot render the notice of campaign {campaign.id} to customer "
                              f"'{notice.customer_id}' ({type(exc).__name__}: {exc}); check the agreement text, "
                              "the summary and the templates for control characters such as NUL; the notices "
                              "stay pending") from None


def _describe(exc: BaseException) -> str:
    """A one-line description of a connection or protocol error (never contains the password)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
