"""Version and assignment campaigns on a real agreements repository and state database."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError, UsageProblem
from clausewise.notifier.campaigns import announce_assignment, create_version_campaign, notified_count
from clausewise.notifier.store import Store, store_for_repo

from .conftest import TODAY, customer, edit_agreement

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

FEES_ONLY = """# Fees Schedule

1. The monthly fee is ten units.

2. Invoices are payable within thirty days.
"""


def notified(store: Store, campaign_id: str) -> list[tuple[str, int]]:
    return [(n.customer_id, n.accepted_version) for n in store.notices(campaign_id)]


def test_version_campaign_reaches_customers_on_earlier_versions(legal_repo, repo_store: Store) -> None:
    repo_store.upsert_customers([customer("A", 1), customer("B", 2), customer("Z", 1, agreement="service-zh")])
    campaign = create_version_campaign(legal_repo, repo_store, legal_repo.version("trial-en", 2), today=TODAY)
    assert (campaign.id, campaign.kind, campaign.from_versions, campaign.to_version) == ("trial-en/v2", "version", "v1", 2)
    assert (campaign.effective, campaign.notice_days, campaign.send_by) == (date(2030, 3, 1), 30, date(2030, 1, 30))
    assert campaign.summary == "Shorter trial period"
    assert campaign.clause_label == "2.1" and "notice of any change" in campaign.clause_text
    assert notified_count(repo_store, campaign) == 1
    assert notified(repo_store, "trial-en/v2") == [("A", 1)]
    # Idempotent: the publish hook or 'announce version' run again change nothing.
    assert create_version_campaign(legal_repo, repo_store, legal_repo.version("trial-en", 2), today=TODAY) == campaign
    assert len(repo_store.campaigns()) == 1
    # Customers imported after the campaign are picked up.
    repo_store.upsert_customers([customer("C", 1)])
    assert notified_count(repo_store, campaign) == 2


def test_first_version_has_no_campaign_and_ranges_name_every_earlier_version(legal_repo, repo_store: Store) -> None:
    assert create_version_campaign(legal_repo, repo_store, legal_repo.version("trial-en", 1), today=TODAY) is None
    edit_agreement(legal_repo, "trial-en", "an affiliate", "an affiliate or a successor")
    v3 = legal_repo.publish("trial-en", date(2030, 4, 1), summary="Successors", today=TODAY)
    repo_store.upsert_customers([customer("A", 1), customer("B", 2), customer("C", 3)])
    campaign = create_version_campaign(legal_repo, repo_store, v3, today=TODAY)
    assert campaign.from_versions == "v1-v2"
    assert notified_count(repo_store, campaign) == 2


def test_version_campaign_never_cites_an_assignment_clause_as_its_notice_clause(legal_repo, repo_store: Store) -> None:
    edit_agreement(legal_repo, "service-zh", "试用期内服务免费", "试用期内服务免费，期满后按月收费")
    v2 = legal_repo.publish("service-zh", date(2030, 3, 1), summary="试用期后收费", today=TODAY)
    campaign = create_version_campaign(legal_repo, repo_store, v2, today=TODAY)
    assert (campaign.clause_label, campaign.clause_text, campaign.notice_days) == (None, None, 15)


def test_version_campaign_refuses_short_notice_unless_the_version_has_a_reason(legal_repo, repo_store: Store) -> None:
    late = TODAY + timedelta(days=45)  # trial-en v2 takes effect 2030-03-01 with 30 days' notice
    with pytest.raises(ClausewiseError, match="less than the 30 days required"):
        create_version_campaign(legal_repo, repo_store, legal_repo.version("trial-en", 2), today=late)
    campaign = create_version_campaign(legal_repo, repo_store, legal_repo.version("trial-en", 2), today=late,
                                       allow_short_notice="state database was lost")
    assert (campaign.send_by, campaign.short_notice_reason) == (late, "state database was lost")


def test_assignment_campaign_cites_the_assignment_clause_and_reaches_everyone(legal_repo, repo_store: Store) -> None:
    repo_store.upsert_customers([customer("A", 1), customer("B", 2), customer("Z", 1, agreement="service-zh")])
    campaign = announce_assignment(legal_repo, repo_store, "trial-en", "  Example Cloud Ltd ", date(2030, 6, 1),
                                   today=TODAY)
    assert (campaign.id, campaign.kind, campaign.new_party) == ("trial-en/assignment-2030-06-01", "assignment",
                                                                 "Example Cloud Ltd")
    assert (campaign.from_versions, campaign.to_version, campaign.send_by) == (None, 2, date(2030, 5, 2))
    assert campaign.clause_label == "3.1" and campaign.clause_text.startswith("We may assign our rights")
    assert notified_count(repo_store, campaign) == 2
    again = announce_assignment(legal_repo, repo_store, "trial-en", "Example Cloud Ltd", date(2030, 6, 1), today=TODAY)
    assert again == campaign
    with pytest.raises(ClausewiseError, match="already announces the assignment to 'Example Cloud Ltd'"):
        announce_assignment(legal_repo, repo_store, "trial-en", "Other Party", date(2030, 6, 1), today=TODAY)
    chinese = announce_assignment(legal_repo, repo_store, "service-zh", "示例云有限公司", date(2030, 6, 1), today=TODAY)
    assert chinese.clause_label == "2.1" and "转让给关联公司" in chinese.clause_text
    assert chinese.notice_days == 15


def test_assignment_without_an_assignment_clause_needs_clause_label(legal_repo, repo_store: Store) -> None:
    legal_repo.add("fees", FEES_ONLY, title="Fees Schedule", language="en", kind="general")
    legal_repo.publish("fees", date(2030, 3, 1), today=TODAY)
    with pytest.raises(ClausewiseError, match=r"no clause of fees v1 reads as an assignment clause.*--clause LABEL"):
        announce_assignment(legal_repo, repo_store, "fees", "New Co", date(2030, 6, 1), today=TODAY)
    with pytest.raises(UsageProblem, match=r"no clause labelled '9' in fees v1; its labels are: 1., 2."):
        announce_assignment(legal_repo, repo_store, "fees", "New Co", date(2030, 6, 1), clause="9", today=TODAY)
    campaign = announce_assignment(legal_repo, repo_store, "fees", "New Co", date(2030, 6, 1), clause="2", today=TODAY)
    assert (campaign.clause_label, campaign.clause_text) == ("2.", "Invoices are payable within thirty days.")
    assert repo_store.campaigns() == [campaign]


def test_assignment_refuses_short_notice_bad_parties_and_unpublished_agreements(legal_repo, repo_store: Store) -> None:
    with pytest.raises(ClausewiseError, match=r"leaves 10 days of notice.*--allow-short-notice REASON"):
        announce_assignment(legal_repo, repo_store, "trial-en", "New Co", TODAY + timedelta(days=10), today=TODAY)
    short = announce_assignment(legal_repo, repo_store, "trial-en", "New Co", TODAY + timedelta(days=10), today=TODAY,
                                allow_short_notice="merger closes early")
    assert (short.send_by, short.short_notice_reason) == (TODAY, "merger closes early")
    with pytest.raises(UsageProblem, match="must name the new party on one line"):
        announce_assignment(legal_repo, repo_store, "trial-en", "New Co\r\nBcc: x@evil.example", date(2030, 6, 2),
                            today=TODAY)
    legal_repo.add("draft", FEES_ONLY, title="Draft", language="en", kind="general")
    with pytest.raises(ClausewiseError, match="draft has no published version"):
        announce_assignment(legal_repo, repo_store, "draft", "New Co", date(2030, 6, 1), today=TODAY)
    assert [c.id for c in repo_store.campaigns()] == [short.id]


def test_cli_publish_creates_the_campaign_and_the_state_database(legal_repo, state_backend: str) -> None:
    # On PostgreSQL the database exists but is empty: publish creates the schema in it.
    state = legal_repo.root / legal_repo.config.state_db if state_backend == "sqlite" else None
    assert state is None or not state.exists()
    edit_agreement(legal_repo, "trial-en", "an affiliate", "an affiliate or a successor")
    effective = date(2030, 6, 1)
    result = CliRunner().invoke(main, ["publish", "trial-en", "--effective", effective.isoformat(), "-m", "Successors",
                                       "--repo", str(legal_repo.root)])
    assert result.exit_code == 0, result.output
    send_by = (effective - timedelta(days=30)).isoformat()
    assert f"notice campaign trial-en/v3: 0 customers to notify by {send_by}" in result.output
    assert state is None or state.exists()
    with store_for_repo(legal_repo) as store:
        assert store.campaign("trial-en/v3").summary == "Successors"


def test_cli_announce(legal_repo, tmp_path: Path) -> None:
    with store_for_repo(legal_repo) as store:
        store.upsert_customers([customer("A", 1), customer("B", 2)])
    runner, repo = CliRunner(), ["--repo", str(legal_repo.root)]
    effective = (date.today() + timedelta(days=90)).isoformat()
    result = runner.invoke(main, ["announce", "assignment", "trial-en", "--to", "Example Cloud Ltd",
                                  "--effective", effective, *repo])
    assert result.exit_code == 0, result.output
    assert f"notice campaign trial-en/assignment-{effective}: 2 customers" in result.output
    assert "citing clause 3.1" in result.output
    bad_date = runner.invoke(main, ["announce", "assignment", "trial-en", "--to", "X", "--effective", "2030-02-30", *repo])
    assert bad_date.exit_code == 2 and "--effective '2030-02-30' is not a valid date" in bad_date.output
    legal_repo.add("fees", FEES_ONLY, title="Fees Schedule", language="en", kind="general")
    runner.invoke(main, ["publish", "fees", "--effective", effective, *repo])
    missing = runner.invoke(main, ["announce", "assignment", "fees", "--to", "X", "--effective", effective, *repo])
    assert missing.exit_code == 1 and "--clause LABEL" in missing.output
    version = runner.invoke(main, ["announce", "version", "trial-en", "--allow-short-notice", "late import", *repo])
    assert version.exit_code == 0, version.output
    assert "notice campaign trial-en/v2: 1 customer to notify" in version.output


@pytest.mark.parametrize(("text", "expected"), [
    # A clause on changing the agreement itself beats one on changing prices.
    ("## 4. Fees\n\n4.1 Provider may change its prices by giving Customer sixty days' notice.\n\n"
     "## 9. General\n\n9.1 Notices are sent by email.\n\n"
     "9.2 Provider may change this Agreement by notifying Customer thirty days before the change.\n", "9.2"),
    ("四、费用\n4.1 北风云调整价格的，应提前六十日通知用户。\n九、其他\n9.1 北风云修改本协议的，应提前十五日通知用户。\n", "9.1"),
    # Clauses about other notices (ending a trial, where notices go) are never cited as the change clause.
    ("1. Either party may end the trial at any time by notifying the other.\n\n"
     "2. Notices to Customer are sent to the registered email address.\n", None),
    ("1. 任何一方均可随时通知对方提前结束试用。\n2. 通知发送至用户登记的电子邮箱。\n", None),
])
def test_version_campaign_cites_only_a_clause_about_changing_the_agreement(text: str, expected: str | None) -> None:
    from clausewise.notifier.campaigns import clause_label, notice_clause

    clause = notice_clause(text)
    assert (clause_label(clause) if clause else None) == expected


def test_cli_publish_of_a_typographic_change_creates_no_campaign_until_announced(legal_repo) -> None:
    with store_for_repo(legal_repo) as store:
        store.upsert_customers([customer("A", 2)])
    # Punctuation width and spacing only: nothing a customer needs to hear about.
    edit_agreement(legal_repo, "trial-en", "thirty days before it takes effect.",
                   "thirty  days before it takes effect．")
    effective = date(2030, 6, 1).isoformat()
    args = ["--repo", str(legal_repo.root)]
    result = CliRunner().invoke(main, ["publish", "trial-en", "--effective", effective, *args])
    assert result.exit_code == 0, result.output
    assert "no notice campaign: every change from v2 to v3 is typographic only" in result.output
    assert "clausewise announce version trial-en" in result.output
    with store_for_repo(legal_repo) as store:
        assert store.find_campaign("trial-en/v3") is None
    announced = CliRunner().invoke(main, ["announce", "version", "trial-en", *args])
    assert announced.exit_code == 0, announced.output
    assert "notice campaign trial-en/v3: 1 customer to notify" in announced.output
