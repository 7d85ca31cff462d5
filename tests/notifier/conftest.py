"""Fixtures for the notifier tests: a real state database in tmp_path, campaigns to put in it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clausewise.notifier.store import Campaign, CustomerRow, Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(tmp_path / "state" / "state.sqlite3")
    yield opened
    opened.close()


def make_campaign(campaign_id: str = "trial-en/v2", *, kind: str = "version", agreement: str = "trial-en",
                  to_version: int = 2, effective: date = date(2030, 1, 31), notice_days: int = 30,
                  new_party: str | None = None) -> Campaign:
    return Campaign(
        id=campaign_id, kind=kind, agreement=agreement,
        from_versions=None if kind == "assignment" else "v1", to_version=to_version,
        effective=effective, notice_days=notice_days, send_by=effective - timedelta(days=notice_days),
        created_at=datetime(2029, 12, 1, 9, 30, tzinfo=timezone.utc), summary="Fees clause rewritten",
        clause_label="9.3", clause_text="We may assign this agreement after notifying you.",
        new_party=new_party)


def customer(customer_id: str, version: int = 1, *, agreement: str = "trial-en", name: str | None = None,
             email: str | None = None, language: str = "en") -> CustomerRow:
    return CustomerRow(customer_id=customer_id, name=name or f"Customer {customer_id}",
                       email=email or f"{customer_id.lower()}@example.com", language=language,
                       agreement=agreement, version=version)
