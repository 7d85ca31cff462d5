"""Rate limits as relays impose them, as pure scheduling: no clock, no database, no sleeping.

Every limit is a steady pace (a generic cell rate algorithm without burst): a key ("the relay",
"the domain example.org") keeps one number, its *theoretical arrival time* (TAT), the earliest
moment its next message may start. Taking a slot at time ``t`` moves the TAT to
``max(TAT, t) + interval``. So in any window of ``n * interval`` seconds a key starts at most ``n``
messages, whoever sends them: every sender reads and moves the same TATs, kept in the state database
(the ``rate_slots`` table) under its write lock (SQLite) or a row lock (PostgreSQL).

A message that must wait for its recipient domain's cap longer than a short horizon is not held by
a connection: it goes back to the ledger with ``not_before`` = the moment its domain has a slot, and
the sender takes other work meanwhile. The relay's own pace is only ever a short wait.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import ClausewiseError

_UNITS = {"second": 1.0, "s": 1.0, "sec": 1.0, "minute": 60.0, "min": 60.0, "m": 60.0,
          "hour": 3600.0, "h": 3600.0, "day": 86400.0, "d": 86400.0}
_LIMIT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*([a-z]+)\s*")
LIMIT_HELP = 'write it as COUNT/UNIT, e.g. "100/hour", "5/second", "2000/day" (units: second, minute, hour, day)'


@dataclass(frozen=True)
class Limit:
    """At most ``count`` messages per ``seconds``, evenly paced."""

    count: float
    seconds: float

    @property
    def interval(self) -> float:
        """Seconds between two message starts."""
        return self.seconds / self.count

    def describe(self) -> str:
        unit = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day"}.get(self.seconds)
        return f"{self.count:g}/{unit}" if unit else f"{self.count:g} per {self.seconds:g}s"


def parse_limit(text: str, where: str) -> Limit:
    """``"100/hour"`` -> Limit(100, 3600); ClausewiseError naming ``where`` if it is anything else."""
    match = _LIMIT.fullmatch(text.lower())
    if match is None or match.group(2) not in _UNITS:
        raise ClausewiseError(f"{where}: {text!r} is not a rate; {LIMIT_HELP}")
    count = float(match.group(1))
    if count <= 0:
        raise ClausewiseError(f"{where}: {text!r} allows no message at all; {LIMIT_HELP}, or leave it empty "
                              "for no limit")
    return Limit(count, _UNITS[match.group(2)])


@dataclass(frozen=True)
class RateLimits:
    """What the relay allows, shared by every sender: messages per second, connections open at
    once, and a cap per recipient domain (the default, and domains' own)."""

    relay: Limit | None = None
    connections: int | None = None
    domain_default: Limit | None = None
    domains: Mapping[str, Limit] = field(default_factory=dict)  # lower-case domain -> its own cap

    @property
    def paces_messages(self) -> bool:
        """Whether any message needs a slot (false: no rate table is read or written)."""
        return self.relay is not None or self.domain_default is not None or bool(self.domains)

    def domain_limit(self, domain: str) -> Limit | None:
        return self.domains.get(domain.lower(), self.domain_default)


def relay_key(relay: str) -> str:
    return f"relay {relay}"


def domain_key(domain: str) -> str:
    return f"domain {domain.lower()}"


def recipient_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Slot:
    """Start at ``start``; then store ``tats`` (key -> new TAT)."""

    start: float
    tats: dict[str, float]


@dataclass(frozen=True)
class Deferred:
    """The domain's cap leaves no slot before ``until``: give the message back until then."""

    until: float


def plan(now: float, tats: Mapping[str, float | None], intervals: Mapping[str, float], *,
         deferrable: frozenset[str] = frozenset(), horizon: float = 0.0) -> Slot | Deferred:
    """When the next message may start, given each key's TAT (None: never used) and interval.

    If a ``deferrable`` key (a domain cap) has no slot within ``horizon`` seconds, nothing is taken
    and the result is Deferred. Otherwise the message starts at the latest of the keys' earliest
    moments, and every key's TAT moves past that start, so no key is ever used faster than its pace.
    """
    earliest = {key: max(now, _tat(tats, key, now)) for key in intervals}
    late = [earliest[key] for key in deferrable if key in earliest and earliest[key] > now + horizon]
    if late:
        return Deferred(max(late))
    start = max(earliest.values(), default=now)
    return Slot(start, {key: max(_tat(tats, key, start), start) + interval for key, interval in intervals.items()})


def _tat(tats: Mapping[str, float | None], key: str, unused: float) -> float:
    value = tats.get(key)
    return unused if value is None else value


def within_connections(open_elsewhere: int, mine: int, limit: int | None) -> bool:
    """Whether one more connection keeps the relay within ``limit`` connections in all."""
    return limit is None or open_elsewhere + mine < limit


def limits_from_settings(relay_rate: float, relay_connections: int, domain_rate: str,
                         domain_rates: Mapping[str, str], where: str = "clausewise.toml") -> RateLimits:
    """RateLimits from the settings of clausewise.toml (0 or "" meaning no limit)."""
    return RateLimits(
        relay=Limit(relay_rate, 1.0) if relay_rate > 0 else None,
        connections=relay_connections or None,
        domain_default=parse_limit(domain_rate, f"{where}: 'domain_rate'") if domain_rate.strip() else None,
        domains={domain.lower(): parse_limit(text, f'{where}: [domain_rates] "{domain}"')
                 for domain, text in domain_rates.items()})
