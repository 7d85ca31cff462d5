"""Rate limits as pure scheduling (clausewise.notifier.ratelimit): no clock, no database."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from clausewise.errors import ClausewiseError
from clausewise.notifier.ratelimit import (Deferred, Limit, Slot, limits_from_settings, parse_limit, plan,
                                           within_connections)


@pytest.mark.parametrize("text, count, seconds", [
    ("100/hour", 100, 3600), ("5/second", 5, 1), ("2.5 / s", 2.5, 1), ("30/min", 30, 60), ("2000/day", 2000, 86400),
    ("1/H", 1, 3600),
])
def test_parse_limit(text: str, count: float, seconds: float) -> None:
    limit = parse_limit(text, "clausewise.toml: 'domain_rate'")
    assert (limit.count, limit.seconds) == (count, seconds)
    assert limit.interval == pytest.approx(seconds / count)


@pytest.mark.parametrize("text", ["100", "100/fortnight", "fast", "0/hour", "-1/s", "/hour", "1e3/s"])
def test_bad_limits_name_the_setting_and_the_form(text: str) -> None:
    with pytest.raises(ClausewiseError) as caught:
        parse_limit(text, "clausewise.toml: 'domain_rate'")
    message = str(caught.value)
    assert message.startswith("clausewise.toml: 'domain_rate': ") and '"100/hour"' in message


def test_limits_from_settings() -> None:
    none = limits_from_settings(0, 0, "", {})
    assert not none.paces_messages and none.connections is None and none.domain_limit("a.test") is None
    limits = limits_from_settings(20, 3, "100/hour", {"Big.Example": "10/second"})
    assert limits.paces_messages and limits.connections == 3 and limits.relay == Limit(20, 1)
    assert limits.domain_limit("small.test") == Limit(100, 3600)
    assert limits.domain_limit("big.example") == Limit(10, 1)


def test_a_key_is_paced_evenly_from_its_first_use() -> None:
    intervals = {"relay": 0.5}
    first = plan(100.0, {"relay": None}, intervals)
    assert first == Slot(100.0, {"relay": 100.5})
    second = plan(100.1, first.tats, intervals)  # asked early: waits for its slot
    assert second == Slot(100.5, {"relay": 101.0})
    idle = plan(200.0, second.tats, intervals)  # after a pause: no credit piles up (no burst)
    assert idle == Slot(200.0, {"relay": 200.5})


def test_the_latest_key_decides_and_every_key_moves_past_the_start() -> None:
    outcome = plan(10.0, {"relay": 10.2, "domain a": 11.0}, {"relay": 0.1, "domain a": 2.0})
    assert outcome == Slot(11.0, {"relay": 11.1, "domain a": 13.0})


def test_a_domain_without_a_slot_soon_is_deferred_and_takes_nothing() -> None:
    tats = {"relay": 10.0, "domain a": 50.0}
    outcome = plan(10.0, tats, {"relay": 0.1, "domain a": 30.0}, deferrable=frozenset({"domain a"}), horizon=2.0)
    assert outcome == Deferred(50.0)
    within = plan(48.5, tats, {"relay": 0.1, "domain a": 30.0}, deferrable=frozenset({"domain a"}), horizon=2.0)
    assert within == Slot(50.0, {"relay": 50.1, "domain a": 80.0})
    # The relay's own pace is never deferred, however far its next slot is.
    assert isinstance(plan(0.0, {"relay": 99.0}, {"relay": 1.0}, deferrable=frozenset({"domain a"})), Slot)


def test_many_takers_at_random_moments_never_exceed_any_keys_pace() -> None:
    """Whoever asks, whenever: in every window of n intervals a key starts at most n messages."""
    rng = random.Random(13)
    intervals = {"relay": 0.05, "domain a": 0.5, "domain b": 0.2}
    tats: dict[str, float | None] = dict.fromkeys(intervals)
    starts: dict[str, list[float]] = {key: [] for key in intervals}
    now = 0.0
    for _ in range(3000):
        now += rng.expovariate(40)
        domain = rng.choice(["domain a", "domain b"])
        wanted = {"relay": intervals["relay"], domain: intervals[domain]}
        outcome = plan(now, {key: tats[key] for key in wanted}, wanted)
        assert isinstance(outcome, Slot) and outcome.start >= now
        tats.update(outcome.tats)
        for key in wanted:
            starts[key].append(outcome.start)
    for key, times in starts.items():
        times.sort()
        n = 10
        for first, last in zip(times, times[n:]):
            assert last - first >= n * intervals[key] - 1e-9, key


def test_connections_limit() -> None:
    assert within_connections(2, 0, None)
    assert within_connections(1, 1, 3) and not within_connections(2, 1, 3)


# -- the settings in clausewise.toml ---------------------------------------------------------------

def _config(tmp_path, text: str):
    from clausewise.config import load_config

    (tmp_path / "clausewise.toml").write_text(text, "utf-8")
    return load_config(tmp_path)


def test_the_readme_example_is_a_valid_configuration(tmp_path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme[readme.index("### Several senders"):readme.index("### Proof of notice")]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    config = _config(tmp_path, example)
    assert (config.send_lease_seconds, config.relay_rate, config.relay_connections) == (60, 50, 10)
    limits = limits_from_settings(config.relay_rate, config.relay_connections, config.domain_rate,
                                  config.domain_rates)
    assert limits.domain_limit("example.org") == Limit(20, 60) and limits.domain_limit("x.test") == Limit(3000, 3600)


def test_the_default_configuration_sets_no_limit(tmp_path) -> None:
    from clausewise.config import DEFAULT_CONFIG_TEXT

    config = _config(tmp_path, DEFAULT_CONFIG_TEXT)
    assert config.send_lease_seconds == 60
    assert not limits_from_settings(config.relay_rate, config.relay_connections, config.domain_rate,
                                    config.domain_rates).paces_messages


@pytest.mark.parametrize("text, message", [
    ("[clausewise]\nsend_lease_seconds = 0\n", "'send_lease_seconds' must be from 1 to 86400 seconds"),
    ("[clausewise]\nrelay_rate = -1\n", "'relay_rate' must be 0 (no limit) or more"),
    ("[clausewise]\nrelay_connections = -2\n", "'relay_connections' must be 0 (no limit) or more"),
    ("[clausewise]\nrelay_connections = 1.5\n", "'relay_connections' must be a int"),
    ('[clausewise]\ndomain_rate = "lots"\n', "'domain_rate': 'lots' is not a rate; write it as COUNT/UNIT"),
    ('[domain_rates]\n"a.test" = "5/fortnight"\n', '[domain_rates] "a.test": \'5/fortnight\' is not a rate'),
    ('[domain_rates]\n"a.test" = 5\n', '[domain_rates] "a.test" must be a string such as "500/hour"'),
])
def test_bad_sending_settings_are_one_clear_error(tmp_path, text: str, message: str) -> None:
    with pytest.raises(ClausewiseError) as caught:
        _config(tmp_path, text)
    assert str(caught.value).startswith(str(tmp_path / "clausewise.toml") + ": ") and message in str(caught.value)
