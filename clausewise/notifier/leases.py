"""Leases: how several ``notify send`` processes, on one machine or many, share one ledger.

Each sender has a worker id (a random uuid; with its host and pid for people) and a lease in the
``senders`` table that it renews while it works (a heartbeat every third of the lease). The notices
it claims are its own while its lease lasts. A sender that dies (SIGKILL, the machine gone) stops
renewing; once its lease has expired (at once, for a sender on the same host whose process is
gone), the next sender that looks ends it and puts its claims back
to 'pending' for everyone, with the DATA-phase rule of the ledger: a notice whose DATA had started
may have reached the server, so it is resent with the same Message-ID and its proof says so.

A sender whose renewal fails (its lease was ended by another sender after a long stall, or the
database is unreachable) stops claiming at once; a notice it no longer holds is never sent by it
(the ledger's DATA mark checks the holder), so two senders never both send a notice except one
that was already in its DATA phase.

Hosts' clocks must agree (NTP) to well within the lease length.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .store import worker_id

IDLE_POLL_SECONDS = 1.0  # at most this long between looks, while other senders hold the last notices


@dataclass(frozen=True)
class SenderIdentity:
    """Who a sender is: a worker id no other process on any host has, and where it runs."""

    worker: str = field(default_factory=lambda: uuid.uuid4().hex)
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    process: str = field(default_factory=worker_id)  # host:pid:start, for telling a dead local sender at once


def lease_until(now: datetime, lease_seconds: float) -> datetime:
    return now + timedelta(seconds=lease_seconds)


def renew_every(lease_seconds: float) -> float:
    """Seconds between renewals: three chances before the lease runs out."""
    return lease_seconds / 3


def idle_poll(lease_seconds: float) -> float:
    """How long a sender with nothing to claim waits before it looks again (for expired leases,
    notices given back, a domain's slot)."""
    return min(IDLE_POLL_SECONDS, lease_seconds / 4)


class Heartbeat:
    """Calls ``renew`` every ``every`` seconds in the running event loop until stopped; on the first
    renewal that returns False or raises, calls ``lost`` with the reason and stops."""

    def __init__(self, renew: Callable[[], bool], every: float, lost: Callable[[str], None]) -> None:
        self._renew = renew
        self._every = every
        self._lost = lost
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._beat())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                renewed = self._renew()
            except Exception as exc:  # the state database is unreachable or failing: the lease cannot be kept
                self._lost(" ".join(str(exc).split()) or type(exc).__name__)
                return
            if not renewed:
                self._lost("another sender ended this sender's lease after it expired")
                return
