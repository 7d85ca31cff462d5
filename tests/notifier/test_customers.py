"""Customers import on a real repository and state database: streaming, validated, all-or-nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.errors import ClausewiseError
from clausewise.notifier.customers import import_customers, published_versions
from clausewise.notifier.store import Store

pytestmark = pytest.mark.both_states  # on SQLite and PostgreSQL in the default run

HEADER = "customer_id,name,email,language,agreement,version\n"
GOOD = HEADER + (
    "C1,Alice Example,alice@Example.COM,en-GB,trial-en,v1\n"
    "C2,王小明,wang@例子.公司,zh,trial-en,2\n"
    "C2,王小明,wang@例子.公司,zh_Hans,service-zh,1\n"
    '"C3","Bob, Jr.","bob+legal@sub.example.org","EN","trial-en","V2"\n'
)


def write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def snapshot(store: Store) -> list:
    return list(store.customers())


def run_import(legal_repo, store: Store, path: Path, **options):
    return import_customers(store, path, published_versions(legal_repo), **options)


def test_import_normalises_and_stores_every_row(legal_repo, repo_store: Store, tmp_path: Path) -> None:
    counts = run_import(legal_repo, repo_store, write(tmp_path, GOOD))
    assert (counts.rows, counts.new, counts.changed, counts.unchanged) == (4, 4, 0, 0)
    rows = {(c.customer_id, c.agreement): c for c in repo_store.customers()}
    assert rows["C1", "trial-en"].email == "alice@example.com"
    assert (rows["C1", "trial-en"].language, rows["C1", "trial-en"].version) == ("en", 1)
    assert rows["C2", "trial-en"].email == "wang@xn--fsqu00a.xn--55qx5d"
    assert rows["C2", "service-zh"].language == "zh-CN"
    assert rows["C3", "trial-en"].name == "Bob, Jr." and rows["C3", "trial-en"].version == 2


def test_import_is_an_upsert(legal_repo, repo_store: Store, tmp_path: Path) -> None:
    run_import(legal_repo, repo_store, write(tmp_path, GOOD))
    again = HEADER + "C1,Alice Example,alice@new.example.com,en,trial-en,2\nC3,\"Bob, Jr.\",bob+legal@sub.example.org,en,trial-en,2\nC4,Dan,dan@example.com,en,trial-en,1\n"
    counts = run_import(legal_repo, repo_store, write(tmp_path, again, "again.csv"))
    assert (counts.rows, counts.new, counts.changed, counts.unchanged) == (3, 1, 1, 1)
    [alice] = [c for c in repo_store.customer("C1")]
    assert (alice.email, alice.version) == ("alice@new.example.com", 2)
    assert repo_store.customer_count() == 5


def test_jsonl_import_and_identical_repeats(legal_repo, repo_store: Store, tmp_path: Path) -> None:
    record = {"customer_id": 7, "name": "Eve", "email": "eve@localhost", "language": "en",
              "agreement": "trial-en", "version": 2}
    text = "\n".join([json.dumps(record), "", json.dumps(record, ensure_ascii=False)]) + "\n"
    counts = run_import(legal_repo, repo_store, write(tmp_path, text, "customers.jsonl"))
    assert (counts.rows, counts.new) == (1, 1)
    assert repo_store.customer("7")[0].email == "eve@localhost"


BAD_ROWS = [
    ("customer_id,name,language,agreement,version\nC9,X,en,trial-en,1\n",
     "customers.csv:1: missing column 'email' in the header"),
    (HEADER + "C9,Nine,x@,en,trial-en,1\n", "customers.csv:2: invalid email 'x@' (column email)"),
    (HEADER + "C9,Nine,nine@example,en,trial-en,1\n", "customers.csv:2: invalid email 'nine@example'"),
    (HEADER + "C9,Nine,@example.com,en,trial-en,1\n", "customers.csv:2: invalid email '@example.com'"),
    (HEADER + "C9,Nine,a b@example.com,en,trial-en,1\n", "customers.csv:2: invalid email 'a b@example.com'"),
    (HEADER + 'C9,Nine,"a@example.com,b@example.com",en,trial-en,1\n', "customers.csv:2: invalid email"),
    (HEADER + "C9,Nine,<a@example.com>,en,trial-en,1\n", "customers.csv:2: invalid email '<a@example.com>'"),
    (HEADER + 'C9,Nine,"a@example.com\r\nBcc: x@evil.example",en,trial-en,1\n', "customers.csv:2: invalid email"),
    (HEADER + "C9,Nine,nine@example.com,en,no-such,1\n",
     "customers.csv:2: unknown agreement 'no-such' (column agreement); known agreements: service-zh, trial-en"),
    (HEADER + "C9,Nine,nine@example.com,en,trial-en,v3\n",
     "customers.csv:2: agreement 'trial-en' has no published version v3 (column version); published: v1, v2"),
    (HEADER + "C9,Nine,nine@example.com,en,trial-en,latest\n", "customers.csv:2: invalid version 'latest'"),
    (HEADER + "C9,Nine,nine@example.com,english,trial-en,1\n",
     "customers.csv:2: language 'english' is not a BCP 47 language tag (column language)"),
    (HEADER + "C9,,nine@example.com,en,trial-en,1\n", "customers.csv:2: empty name (column name)"),
    (HEADER + "C9,Nine,nine@example.com,en\n", "customers.csv:2: missing agreement (column agreement)"),
    (HEADER + "C9,Nine,nine@example.com,en,trial-en,1,extra\n", "customers.csv:2: 7 fields but the header names 6"),
    (HEADER + 'C9,"Nine\r\nBcc: victim@example.com",nine@example.com,en,trial-en,1\n',
     "customers.csv:2: line break in name"),
    (HEADER + "C8,Eight,eight@example.com,en,trial-en,1\nC9,Nine,nine@example.com,en,trial-en,1\n"
              "C8,Eight,eight@example.com,en,trial-en,2\n",
     "customers.csv:4: conflicts with line 2: customer 'C8' on agreement 'trial-en'"),
]


@pytest.mark.parametrize(("text", "message"), BAD_ROWS, ids=[m.split(": ", 1)[1][:40] for _, m in BAD_ROWS])
def test_every_bad_row_names_its_line_and_imports_nothing(legal_repo, repo_store: Store, tmp_path: Path,
                                                          text: str, message: str) -> None:
    run_import(legal_repo, repo_store, write(tmp_path, GOOD, "first.csv"))
    before = snapshot(repo_store)
    path = write(tmp_path, text)
    with pytest.raises(ClausewiseError) as caught:
        run_import(legal_repo, repo_store, path)
    assert str(caught.value).startswith(f"{path.parent}/{message}")
    assert str(caught.value).endswith("; fix the row and import again — nothing was imported")
    assert snapshot(repo_store) == before


def test_a_late_bad_row_rolls_back_batches_already_written(legal_repo, repo_store: Store, tmp_path: Path) -> None:
    good = "".join(f"N{i},Name {i},n{i}@example.com,en,trial-en,1\n" for i in range(50))
    path = write(tmp_path, HEADER + good + "N50,Name 50,bad@,en,trial-en,1\n")
    with pytest.raises(ClausewiseError, match=r"customers.csv:52: invalid email 'bad@'"):
        run_import(legal_repo, repo_store, path, batch_size=7)
    assert repo_store.customer_count() == 0


def test_conflict_across_batches_is_reported_before_a_later_bad_row(legal_repo, repo_store: Store,
                                                                     tmp_path: Path) -> None:
    rows = [f"N{i},Name {i},n{i}@example.com,en,trial-en,1\n" for i in range(10)]
    rows[8] = "N1,Someone else,n1@example.com,en,trial-en,1\n"  # line 10 contradicts line 3
    rows[9] = "N9,Nine,broken,en,trial-en,1\n"  # line 11
    with pytest.raises(ClausewiseError, match=r"customers.csv:10: conflicts with line 3"):
        run_import(legal_repo, repo_store, write(tmp_path, HEADER + "".join(rows)), batch_size=4)
    assert repo_store.customer_count() == 0


def test_multiline_record_is_reported_at_its_first_line_and_bad_bytes_on_theirs(legal_repo, repo_store: Store,
                                                                                 tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes((HEADER + 'C1,"Ann\nLee",ann@example.com,en,trial-en,1\n').encode())
    with pytest.raises(ClausewiseError, match=r"customers.csv:2: line break in name"):
        run_import(legal_repo, repo_store, path)
    path.write_bytes(HEADER.encode() + b"C1,Ann,ann@example.com,en,trial-en,1\nC2,\xff\xfe,b@example.com,en,trial-en,1\n")
    with pytest.raises(ClausewiseError, match=r"customers.csv:3: not UTF-8 text"):
        run_import(legal_repo, repo_store, path)
    jsonl = write(tmp_path, '{"customer_id": "C1"}\n[1, 2]\n', "customers.jsonl")
    with pytest.raises(ClausewiseError, match=r"customers.jsonl:1: missing name \(column name\)"):
        run_import(legal_repo, repo_store, jsonl)
    assert repo_store.customer_count() == 0


def test_cli_import_list_show(legal_repo, tmp_path: Path) -> None:
    runner = CliRunner()
    repo = ["--repo", str(legal_repo.root)]
    result = runner.invoke(main, ["customers", "import", str(write(tmp_path, GOOD)), *repo])
    assert result.exit_code == 0, result.output
    assert "imported 4 customer rows" in result.output and "4 new" in result.output
    listed = runner.invoke(main, ["customers", "list", "--agreement", "trial-en", "--format", "json", *repo])
    assert [json.loads(line)["customer_id"] for line in listed.output.splitlines()] == ["C1", "C2", "C3"]
    shown = runner.invoke(main, ["customers", "show", "C2", *repo])
    assert shown.exit_code == 0 and "service-zh v1: 王小明" in shown.output
    unknown = runner.invoke(main, ["customers", "show", "C404", *repo])
    assert unknown.exit_code == 2 and "unknown customer 'C404'" in unknown.output


def test_cli_bad_import_exits_1_with_one_line(legal_repo, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "C9,Nine,nine@example.com,en,trial-en,9\n")
    result = CliRunner().invoke(main, ["customers", "import", str(path), "--repo", str(legal_repo.root)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}:2: agreement 'trial-en' has no published version v9")
    assert result.output.count("\n") == 1
    wrong = CliRunner().invoke(main, ["customers", "import", str(write(tmp_path, GOOD, "c.txt")),
                                      "--repo", str(legal_repo.root)])
    assert wrong.exit_code == 2 and "--format csv|jsonl" in wrong.output
