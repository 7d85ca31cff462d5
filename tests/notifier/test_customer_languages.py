"""Any BCP 47 language in the customers file: kept, validated, and given the English notice unless the
repository has templates for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewise.cli import main
from clausewise.notifier.compose import PACKAGE_TEMPLATES
from clausewise.notifier.customers import canonical_language_tag

HEADER = "customer_id,name,email,language,agreement,version\n"


@pytest.mark.parametrize(("given", "canonical"), [
    ("fr", "fr"), ("de-ch", "de-CH"), ("zh-hant-tw", "zh-Hant-TW"), ("sr_Latn_RS", "sr-Latn-RS"),
    ("es-419", "es-419"), ("sl-rozaj-biske", "sl-rozaj-biske"), ("de-CH-x-Phonebk", "de-CH-x-phonebk"),
    ("en-US-u-ca-gregory", "en-US-u-ca-gregory"),
])
def test_valid_tags_are_kept_in_their_usual_case(given: str, canonical: str) -> None:
    assert canonical_language_tag(given) == canonical


@pytest.mark.parametrize("bad", ["", "english", "f", "fr-", "fr--ch", "de-CH-1", "123", "fr ch", "zh-CN\nBcc: x"])
def test_malformed_tags_are_refused(bad: str) -> None:
    assert canonical_language_tag(bad) is None


def run(repo: Path, *args: str):
    return CliRunner().invoke(main, ["--repo", str(repo), *args])


def test_a_french_customer_gets_the_english_notice_until_french_templates_exist(legal_repo, tmp_path: Path) -> None:
    root = legal_repo.root
    customers = tmp_path / "customers.csv"
    customers.write_text(HEADER + "C1,Claire,claire@example.com,fr,trial-en,1\n"
                                  "C2,Dieter,dieter@example.com,de-ch,trial-en,1\n")
    result = run(root, "customers", "import", str(customers))
    assert result.exit_code == 0, result.output
    listed = run(root, "customers", "list", "--format", "csv").stdout
    assert "C1,trial-en,1,fr," in listed and "C2,trial-en,1,de-CH," in listed
    assert run(root, "announce", "version", "trial-en").exit_code == 0
    english = run(root, "notify", "preview", "trial-en/v2", "--customer", "C1", "--part", "text").stdout
    assert english.startswith("Dear Claire,\n\nWe are writing to give you advance notice of changes")

    templates = root / "templates"
    templates.mkdir()
    for part in ("subject", "txt", "html", "labels"):
        source = (PACKAGE_TEMPLATES / f"notice.en.{part}.j2").read_text("utf-8")
        (templates / f"notice.fr.{part}.j2").write_text(source.replace("notice.en.", "notice.fr."), "utf-8")
    (templates / "notice.fr.subject.j2").write_text("Avis de modification : {{ agreement.title }}", "utf-8")
    french = run(root, "notify", "preview", "trial-en/v2", "--customer", "C1", "--part", "all").stdout
    assert "Avis de modification : Speech Trial Agreement" in french
    swiss = run(root, "notify", "preview", "trial-en/v2", "--customer", "C2", "--part", "all").stdout
    assert "Avis de modification" not in swiss


def test_a_bad_language_names_the_line_and_column(legal_repo, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(HEADER + "C1,Claire,claire@example.com,fr,trial-en,1\nC2,X,x@example.com,french,trial-en,1\n")
    result = run(legal_repo.root, "customers", "import", str(customers))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {customers}:3: language 'french' is not a BCP 47 language tag "
                                    "(column language); write e.g. en, zh-CN, fr or de-CH")
