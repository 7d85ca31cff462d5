"""Pairs for the Word redline tests, and what accepting or rejecting all its changes must give.

The expected paragraphs come from the differ's own parse of each text (``parse_agreements``), laid
out by ``clause_paragraphs``, clause by clause; control characters as the renderer shows them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from clausewise.differ import diff_texts
from clausewise.differ.align import layout_key
from clausewise.differ.describe import show_controls
from clausewise.differ.model import AgreementDiff, DocumentRef
from clausewise.differ.normalize import comparison_key
from clausewise.differ.parse import parse_agreements
from clausewise.differ.render_docx import TITLE_BLOCK_PARAGRAPHS, clause_paragraphs, render_docx

from . import pairs

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "clausewise" / "samples"
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_pair import make_hard_pair, make_pair  # noqa: E402

sys.path.pop(0)


def real_corpus() -> Path | None:
    """corpus/real of the shared folder beside the checkout (or $CLAUSEWISE_CORPUS), if present."""
    from .test_real_pairs import REAL

    return REAL


@dataclass(frozen=True)
class Case:
    name: str
    old: str
    new: str

    @property
    def layout_only(self) -> bool:
        """The differ reads both texts with one set of clause boundaries: they differ in layout only
        (whitespace), and the redline shows the new layout on both sides."""
        return self.old != self.new and layout_key(comparison_key(self.old)) == layout_key(comparison_key(self.new))


def sample_cases() -> list[Case]:
    cases = []
    for new in sorted(SAMPLES.glob("*.v2.*")):
        old = new.with_name(new.name.replace(".v2", ""))
        cases.append(Case(old.name, old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8")))
    cases.append(Case("pairs-en", pairs.OLD_EN, pairs.NEW_EN))
    cases.append(Case("pairs-zh", pairs.OLD_ZH, pairs.NEW_ZH))
    hard = make_hard_pair()
    cases.append(Case("generated-hard", hard.old, hard.new))
    generated = make_pair(sections=20)
    cases.append(Case("generated-200", generated.old, generated.new))
    return cases


def real_cases() -> list[Case]:
    real = real_corpus()
    if real is None:
        return []
    return [Case(f"{old.parent.name}/{old.name[:3]}", old.read_text(encoding="utf-8"),
                 old.with_name(old.name.replace("-old", "-new")).read_text(encoding="utf-8"))
            for folder in ("ota", "zh-laws") for old in sorted((real / folder).glob("*-old.md"))]


@cache
def diff_of(case: Case) -> AgreementDiff:
    return diff_texts(case.old, case.new, DocumentRef(f"{case.name}-old"), DocumentRef(f"{case.name}-new"))


@cache
def docx_of(case: Case) -> bytes:
    return render_docx(diff_of(case), author="Reviewer")


def expected_paragraphs(case: Case) -> tuple[list[str], list[str]]:
    """The old text's and the new text's paragraphs, clause by clause, as the differ parses them."""
    old_root, new_root = parse_agreements(case.old, case.new)
    return tuple([show_controls(paragraph) for node in root.walk() for paragraph in clause_paragraphs(node)]
                 for root in (old_root, new_root))  # type: ignore[return-value]


def body(paragraphs: list[str]) -> list[str]:
    """The clause paragraphs of a redline: without the title block and the closing empty paragraph."""
    assert paragraphs[-1] == "", paragraphs[-1]
    return paragraphs[TITLE_BLOCK_PARAGRAPHS:-1]


def assert_same_text(case: Case, got: list[str], expected: list[str], side: str) -> None:
    """``got`` is ``expected``, paragraph by paragraph. The texts of a layout-only pair differ in
    whitespace alone, even where a line break changes how a line parses (``# Agreement`` against
    ``#`` above ``Agreement``): the differ reads both with the new text's clause boundaries, so the
    old side is the new text's paragraphs, exactly."""
    if side == "old" and case.layout_only:
        expected = expected_paragraphs(case)[1]
    for index, (found, wanted) in enumerate(zip(got, expected)):
        assert found == wanted, f"{case.name} {side} paragraph {index}: {found!r} != {wanted!r}"
    assert len(got) == len(expected), f"{case.name} {side}: {len(got)} paragraphs, expected {len(expected)}"
