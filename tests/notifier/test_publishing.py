"""publish and announce: the notice period read from the agreement's clause, presets, dry runs,
summaries, and the messages of issue 11."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.store import CustomerRow, store_for_repo
from clausewise.versions import init_repo

FAR = date(2099, 1, 1)
TERMS = """# Cloud Terms

## 1. Service

1.1 The trial lasts thirty days.

## 2. Changes

2.1 We will give you notice of any change to this agreement at least sixty (60) days before it takes effect.

## 3. Assignment

3.1 We may assign this agreement to an affiliate upon 30 days' prior written notice to you.
"""
TERMS_ZH = """# 云服务条款

## 第一条 服务

1.1 试用期为三十日。

## 第二条 变更

2.1 我方修改本协议的，将提前十五（15）日通知您。
"""


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--repo", str(root)])


@pytest.fixture
def legal(tmp_path: Path) -> Path:
    """cloud (en) and cloud-zh at v1, published with the CLI, two customers each on v1; v2 text edited."""
    repo = init_repo(tmp_path / "legal")
    repo.add("cloud", TERMS, title="Cloud Terms", language="en", kind="general")
    repo.add("cloud-zh", TERMS_ZH, title="云服务条款", language="zh-CN", kind="general")
    for agreement in ("cloud", "cloud-zh"):
        first = cli(repo.root, "publish", agreement, "--effective", (date.today() + timedelta(days=1)).isoformat())
        assert first.exit_code == 0 and "v1 is the first version: no customer has accepted an earlier one" in first.output
    with store_for_repo(repo) as store:
        store.upsert_customers([
            CustomerRow("c1", "Ann", "ann@example.com", "en", "cloud", 1),
            CustomerRow("c2", "Bo", "bo@example.com", "zh-CN", "cloud", 1),
            CustomerRow("c3", "Cy", "cy@example.com", "zh-CN", "cloud-zh", 1)])
    for name, old, new in (("cloud.md", "thirty days", "fourteen days"), ("cloud-zh.md", "三十日", "十五日")):
        path = repo.root / "agreements" / name
        path.write_text(path.read_text().replace(old, new))
    return repo.root


def test_publish_takes_the_notice_period_from_the_clause_in_force(legal: Path) -> None:
    soon = (date.today() + timedelta(days=45)).isoformat()
    refused = cli(legal, "publish", "cloud", "--effective", soon)
    assert refused.exit_code == 1 and "less than the 60 days required" in refused.stderr
    short = cli(legal, "publish", "cloud", "--effective", FAR.replace(month=6).isoformat(), "--notice-days", "30")
    assert short.exit_code == 2
    assert ("--notice-days gives 30 days' notice, but clause 2.1 of cloud/v1 requires 60 (\u201csixty (60) days\u201d)"
            in short.stderr)
    published = cli(legal, "publish", "cloud", "--effective", FAR.replace(month=6).isoformat())
    assert published.exit_code == 0, published.output
    assert "with 60 days' notice" in published.stdout
    assert "notice period: 60 days, as clause 2.1 of cloud/v1 requires" in published.output
    assert "2 customers to notify by 2099-04-02" in published.output


def test_a_shorter_period_is_accepted_with_a_recorded_reason(legal: Path) -> None:
    result = cli(legal, "publish", "cloud-zh", "--effective", FAR.replace(month=6).isoformat(), "--notice-days", "10",
                 "--allow-short-notice", "regulator's order")
    assert result.exit_code == 0, result.output
    assert "10 days' notice is shorter than the 15 days clause 2.1 of cloud-zh/v1 requires" in result.output
    assert "1 customer to notify" in result.output  # one customer: singular


def test_announce_assignment_refuses_less_notice_than_the_assignment_clause(legal: Path) -> None:
    effective = (date.today() + timedelta(days=120)).isoformat()
    refused = cli(legal, "announce", "assignment", "cloud", "--to", "Example Cloud Ltd", "--effective", effective,
                  "--notice-days", "10")
    assert refused.exit_code == 2
    assert "--notice-days gives 10 days' notice, but clause 3.1 of cloud/v1 requires 30" in refused.stderr
    done = cli(legal, "announce", "assignment", "cloud", "--to", "Example Cloud Ltd", "--effective", effective,
               "-m", "Our cloud business moves to our affiliate")
    assert done.exit_code == 0, done.output
    with sqlite3.connect(legal / ".clausewise" / "state.sqlite3") as db:
        summary, days = db.execute("SELECT summary, notice_days FROM campaigns WHERE kind = 'assignment'").fetchone()
    assert (summary, days) == ("Our cloud business moves to our affiliate", 30)


def test_in_advance_without_a_number_uses_the_default_and_says_so(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "legal")
    repo.add("trial", TERMS.replace("upon 30 days' prior written notice to you", "after notifying you in advance"),
             title="Trial", language="en", kind="trial")
    assert cli(repo.root, "publish", "trial", "--effective", FAR.isoformat()).exit_code == 0
    result = cli(repo.root, "announce", "assignment", "trial", "--to", "Example Cloud Ltd", "--effective",
                 FAR.isoformat())
    assert result.exit_code == 0, result.output
    assert "asks for notice \u201c" in result.stderr and "using the default, 30 days" in result.stderr


def test_presets_in_front_matter_and_clausewise_toml(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "legal")
    repo.add("shop", "1.1 Platform rules.", title="Shop Rules", language="zh-CN", kind="general",
             notice_days="prc-ecommerce")
    assert '\nnotice_days = "prc-ecommerce"\n' in (repo.root / "agreements" / "shop.md").read_text()
    assert repo.agreement("shop").notice_days == 7
    config = repo.root / "clausewise.toml"
    config.write_text(config.read_text().replace("default_notice_days = 30", 'default_notice_days = "eu-p2b"'))
    repo.add("terms", "1.1 Terms.", title="Terms", language="en", kind="general")
    assert init_repo(repo.root).agreement("terms").notice_days == 15
    config.write_text(config.read_text().replace('"eu-p2b"', '"gdpr"'))
    bad = cli(repo.root, "list")
    assert bad.exit_code == 1 and "must be a number of days or a preset: 'eu-p2b' (15 days" in bad.stderr


def test_dry_run_shows_the_commit_campaign_and_one_email_per_language_and_writes_nothing(legal: Path) -> None:
    database = legal / ".clausewise" / "state.sqlite3"
    before = (database.read_bytes(), sorted(p.name for p in (legal / ".git").rglob("*")))
    result = cli(legal, "publish", "cloud", "--effective", FAR.replace(month=6).isoformat(), "-m", "Shorter trial",
                 "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Dry run: nothing was written.")
    assert "Would commit agreements/cloud.md as cloud v2 (tag cloud/v2)" in out
    assert "Summary (customers read it word for word): Shorter trial" in out
    assert "notice campaign cloud/v2: 2 customers to notify by 2099-04-02" in out
    assert "--- the notice in en," in out and "--- the notice in zh-CN," in out
    assert "Shorter trial" in out.split("--- the notice in en,")[1]
    assert (database.read_bytes(), sorted(p.name for p in (legal / ".git").rglob("*"))) == before
    data = json.loads(cli(legal, "publish", "cloud", "--effective", FAR.replace(month=6).isoformat(), "--dry-run",
                          "--format", "json").stdout)
    assert data["dry_run"] and data["campaign"]["customers"] == 2 and set(data["emails"]) == {"en", "zh-CN"}


def test_publish_help_says_the_summary_goes_to_customers_word_for_word() -> None:
    text = CliRunner().invoke(main, ["publish", "--help"]).output
    assert "Customers read it word for word" in " ".join(text.split())
