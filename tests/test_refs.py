"""clausewise.refs: refs to texts, above the versions and differ stages (which never import each other)."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest

from clausewise.differ.model import DocumentRef
from clausewise.errors import UsageProblem
from clausewise.refs import load_document, resolve_in
from clausewise.versions import init_repo

PACKAGE = Path(__file__).resolve().parents[1] / "clausewise"
TEXT = "# Trial\n\n1. The trial lasts thirty days.\n"


def imported_modules(folder: Path) -> set[str]:
    """Every module the .py files in ``folder`` import, at any depth, as absolute names."""
    names: set[str] = set()
    package = f"clausewise.{folder.name}"
    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                module = f"{base}.{node.module}" if base and node.module else (node.module or base)
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_versions_never_imports_the_differ_and_the_differ_never_opens_a_repository():
    assert not {name for name in imported_modules(PACKAGE / "versions") if name.startswith("clausewise.differ")}
    differ_imports = imported_modules(PACKAGE / "differ")
    assert not {name for name in differ_imports
                if name.startswith(("clausewise.versions", "clausewise.refs", "git"))}


def test_a_file_path_needs_no_repository(tmp_path):
    path = tmp_path / "draft.md"
    path.write_text('+++\ntitle = "Draft Trial"\nlanguage = "en"\nkind = "trial"\n+++\n' + TEXT, "utf-8")
    text, ref = load_document(str(path), tmp_path / "no-repository-here")
    assert text == TEXT
    assert ref == DocumentRef(ref=str(path), title="Draft Trial")


def test_repository_refs_become_document_refs(tmp_path):
    repo = init_repo(tmp_path / "legal")
    repo.add("trial", TEXT, title="Cloud Trial", language="en", kind="trial")
    effective = date.today() + timedelta(days=60)
    repo.publish("trial", effective)
    repo.write_text("trial", TEXT.replace("thirty", "fifteen"))
    for ref in ("trial@v1", "trial@latest"):
        text, document = load_document(ref, repo.root)
        assert text == TEXT
        assert document == DocumentRef(ref=ref, title="Cloud Trial", version=1, effective=effective.isoformat())
    text, document = resolve_in(repo, "trial")
    assert "fifteen" in text and document == DocumentRef(ref="trial", title="Cloud Trial")


@pytest.mark.parametrize(("ref", "hint"), [
    ("cloud-trial/v1", "write cloud-trial@v1"),
    ("cloud-trial/latest", "write cloud-trial@latest"),
    ("drafts/missing.md", "no such file; give a path to a text file, an agreement ID or ID@vN"),
])
def test_a_path_that_is_no_file_names_the_fix(tmp_path, ref, hint):
    with pytest.raises(UsageProblem, match=hint):
        load_document(ref, tmp_path)


def test_a_word_file_is_read_as_import_reads_it_and_compares_with_its_text(tmp_path: Path):
    from tests.versions.office import docx_bytes, wp

    word = tmp_path / "trial.docx"
    word.write_bytes(docx_bytes(wp("Trial") + wp("1. The trial lasts thirty days.")))
    text, document = load_document(str(word))
    assert "1. The trial lasts thirty days." in text
    assert document == DocumentRef(ref=str(word))


def test_a_pdf_is_read_with_its_page_artifacts_cleaned(tmp_path: Path):
    from tests.versions.pdf_maker import make_pdf, text_page

    pages = [text_page([(72, 780, 11, "1. The trial lasts thirty days."), (290, 40, 9, "1")]),
             text_page([(72, 780, 11, "2. Either party may end it."), (290, 40, 9, "2")])]
    pdf = tmp_path / "trial.pdf"
    pdf.write_bytes(make_pdf(pages))
    text, _ = load_document(str(pdf))
    assert "1. The trial lasts thirty days." in text and "2. Either party may end it." in text
    assert not any(line.strip() in {"1", "2"} for line in text.splitlines()), "page numbers are cleaned away"


def test_a_word_file_with_unaccepted_revisions_is_refused_by_name(tmp_path: Path):
    from clausewise.errors import ClausewiseError
    from tests.versions.office import docx_bytes

    revised = ('<w:p><w:ins w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z"><w:r><w:t>1. New text.</w:t></w:r>'
               "</w:ins></w:p>")
    word = tmp_path / "revised.docx"
    word.write_bytes(docx_bytes(revised))
    with pytest.raises(ClausewiseError, match=r"revised\.docx has unaccepted tracked changes"):
        load_document(str(word))
