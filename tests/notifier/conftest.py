"""Fixtures for the notifier tests: a real state database in tmp_path, campaigns to put in it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clausewise.notifier.store import Campaign, CustomerRow, Store, open_store

from ..state_backends import config_with_state_db


@pytest.fixture
def store(state_db: str) -> Store:
    """A new, empty state database on this test's back end (SQLite file or PostgreSQL database)."""
    opened = open_store(state_db)
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


TODAY = date(2030, 1, 1)
TRIAL_V1 = """# Speech Trial Agreement

## 1. Fees

1.1 The trial is free of charge for thirty days.

## 2. Changes

2.1 We will give you notice of any change to these terms at least thirty days before it takes effect.

## 3. Assignment

3.1 We may assign our rights and obligations under this agreement to an affiliate after notifying you in advance.
"""
SERVICE_ZH = """# 语音服务协议

## 第一条 服务费用

1.1 试用期内服务免费。

## 第二条 协议转让

2.1 我方可在提前通知您后，将本协议项下的权利义务转让给关联公司。
"""


def edit_agreement(repo, agreement_id: str, old: str, new: str) -> None:
    path = repo.agreement(agreement_id).path
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def legal_repo(tmp_path: Path, repo_state_db: str | None):
    """A real agreements repository: trial-en at v2 (v1, v2 published), service-zh at v1. Its state_db
    is the default SQLite file, or a fresh PostgreSQL database when the test runs on PostgreSQL."""
    from clausewise.versions import init_repo

    config_with_state_db(tmp_path / "legal", repo_state_db)
    repo = init_repo(tmp_path / "legal")
    repo.add("trial-en", TRIAL_V1, title="Speech Trial Agreement", language="en", kind="trial", notice_days=30)
    repo.publish("trial-en", date(2030, 2, 15), summary="First edition", today=TODAY)
    edit_agreement(repo, "trial-en", "free of charge for thirty days", "free of charge for fourteen days")
    repo.publish("trial-en", date(2030, 3, 1), summary="Shorter trial period", today=TODAY)
    repo.add("service-zh", SERVICE_ZH, title="语音服务协议", language="zh-CN", kind="commercial", notice_days=15)
    repo.publish("service-zh", date(2030, 2, 1), summary="首版", today=TODAY)
    return repo


@pytest.fixture
def repo_store(legal_repo):
    """The state database of ``legal_repo``, where the CLI finds it."""
    from clausewise.notifier.store import store_for_repo

    opened = store_for_repo(legal_repo)
    yield opened
    opened.close()
