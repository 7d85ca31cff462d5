"""Campaigns and customers for the mail tests, on top of conftest's ``legal_repo``/``repo_store``.

trial-en has v1 and v2 (clause 1.1 changed); service-zh has v1 and an assignment clause 2.1.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from clausewise.notifier.store import Campaign, CustomerRow, Store

EFFECTIVE = date(2030, 3, 1)


def version_campaign(agreement: str = "trial-en", to_version: int = 2, *, effective: date = EFFECTIVE,
                     notice_days: int = 30) -> Campaign:
    return Campaign(
        id=f"{agreement}/v{to_version}", kind="version", agreement=agreement, from_versions="v1",
        to_version=to_version, effective=effective, notice_days=notice_days,
        send_by=effective - timedelta(days=notice_days), created_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
        summary="Shorter trial period", clause_label="2.1",
        clause_text="We will give you notice of any change to these terms at least thirty days before it "
                    "takes effect.",
        new_party=None)


def assignment_campaign(agreement: str = "service-zh", *, to_version: int = 1,
                        new_party: str = "示例云计算（北京）有限公司", effective: date = EFFECTIVE) -> Campaign:
    return Campaign(
        id=f"{agreement}/assignment-{effective.isoformat()}", kind="assignment", agreement=agreement,
        from_versions=None, to_version=to_version, effective=effective, notice_days=15,
        send_by=effective - timedelta(days=15), created_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
        summary="", clause_label="2.1", clause_text="我方可在提前通知您后，将本协议项下的权利义务转让给关联公司。",
        new_party=new_party)


def customers(count: int, *, agreement: str, version: int = 1, language: str = "en",
              prefix: str = "C") -> list[CustomerRow]:
    return [CustomerRow(customer_id=f"{prefix}{i:05d}", name=f"Customer {i}" if language == "en" else f"客户{i}号",
                        email=f"{prefix.lower()}{i:05d}@example.com", language=language, agreement=agreement,
                        version=version)
            for i in range(count)]


def setup(store: Store, *campaigns: Campaign, rows: list[CustomerRow]) -> None:
    store.upsert_customers(rows)
    for campaign in campaigns:
        store.create_campaign(campaign)
    store.sync_notices()
