"""The character checks behind customer ids, names and addresses: the ASCII fast path finds exactly
what the per-character category check finds."""

from __future__ import annotations

import unicodedata

import pytest

from clausewise.textcheck import first_invisible, first_surrogate


def by_category(text: str, wide_spaces: bool) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        if category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} or (wide_spaces and category == "Zs" and char != " "):
            return char
    return None


@pytest.mark.parametrize("wide_spaces", [False, True])
def test_every_ascii_character_is_judged_as_its_unicode_category_says(wide_spaces: bool) -> None:
    for code in range(128):
        text = f"id{chr(code)}x\x01"
        assert first_invisible(text, wide_spaces=wide_spaces) == by_category(text, wide_spaces), code


def test_non_ascii_text_is_checked_character_by_character() -> None:
    assert first_invisible("王小明\u200b") == "\u200b"
    assert first_invisible("a\u00a0b") is None and first_invisible("a\u00a0b", wide_spaces=True) == "\u00a0"
    assert first_invisible("Ünal\u2028") == "\u2028"
    assert first_invisible("Ünal Çelik") is None


def test_the_first_lone_surrogate_is_found() -> None:
    assert first_surrogate("ab\udc80c\ud800") == "\udc80"
    assert first_surrogate("王小明 abc") is None
