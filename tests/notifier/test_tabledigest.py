"""The order-independent table digest that state copy computes on both sides."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from clausewise.notifier.tabledigest import DigestBuilder, encode_value, row_digest

ROWS = [("C1", "trial", "Ann", 1, None), ("C2", "trial", "王小明", 2, "2030-01-01T00:00:00.000000Z"),
        ("C3", "sla", "", 0, "x")]


def digest(rows) -> str:
    return DigestBuilder("t").add_all(rows).result().sha256


def test_the_digest_ignores_row_order_but_counts_every_row() -> None:
    assert digest(ROWS) == digest(reversed(ROWS))
    assert DigestBuilder("t").add_all(ROWS).result().rows == 3
    assert digest(ROWS + [ROWS[0]]) != digest(ROWS)  # a row copied twice shows
    assert digest(ROWS[:2]) != digest(ROWS)


def test_any_changed_value_changes_the_digest() -> None:
    changed = [ROWS[0], ("C2", "trial", "王小明", 2, "2030-01-01T00:00:00.000001Z"), ROWS[2]]
    assert digest(changed) != digest(ROWS)
    assert digest([("C1", "ab", "c")]) != digest([("C1", "a", "bc")])  # values cannot shift across columns


def test_null_empty_zero_and_number_as_text_are_different_values() -> None:
    encodings = {encode_value(v) for v in (None, "", 0, "0", b"0", 0.0)}
    assert len(encodings) == 6


def test_a_timestamp_or_date_read_as_such_equals_the_text_sqlite_keeps() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    assert row_digest([moment]) == row_digest(["2030-01-02T03:04:05.000006Z"])
    assert row_digest([date(2030, 1, 2)]) == row_digest(["2030-01-02"])


def test_an_unknown_type_is_an_error_not_a_silent_match() -> None:
    with pytest.raises(TypeError):
        encode_value(object())
