"""Inline ops of one clause: long texts go sentence by sentence first, and the ops always give the
new text back."""

from __future__ import annotations

import random

from clausewise.differ.inline import LONG_TEXT, inline_ops

SENTENCES = [
    "The operator keeps the pipeline clean of debris at its own cost.",
    "Inspections take place every third month unless the regulator asks for more.",
    "A report of each inspection reaches the owner within ten working days.",
    "Repairs that cost more than the agreed limit need the owner's written consent.",
    "The owner may attend any inspection after giving two days' notice.",
    "Spare parts come from the approved list annexed to this schedule.",
]


def _long(sentences: list[str], repeat: int) -> str:
    return " ".join(f"{sentence[:-1]} in zone {zone}." for zone in range(repeat) for sentence in sentences)


def test_a_long_text_with_two_word_edits_shows_exactly_those_edits():
    old = _long(SENTENCES, 30)
    assert len(old.split()) * 2 > LONG_TEXT  # takes the sentence-first path
    new = old.replace("within ten working days in zone 7.", "within five working days in zone 7.")
    new = new.replace("approved list annexed to this schedule in zone 29", "approved list attached to this schedule in zone 29")
    edits = [(op, text) for op, text in inline_ops(old, new) if op != "="]
    assert edits == [("-", "ten"), ("+", "five"), ("-", "annexed"), ("+", "attached")]


def test_a_long_rewrite_that_shares_few_words_is_shown_replaced_whole():
    old = _long(SENTENCES, 25)
    other = ["Catering staff wear hairnets and gloves near open food.",
             "Menus change weekly and list every allergen by name.",
             "Leftovers go to the food bank before closing time."]
    new = _long(other, 50)
    assert inline_ops(old, new) == [("-", old), ("+", new)]


def test_the_ops_always_give_the_new_text_back():
    rng = random.Random(5)
    alphabet = list("ab xy.;。三十日\n\u202eА-=\\1") + ["Section 3", "\n\n", "1. ", "第三条 "]
    for round_ in range(400):
        length = 2000 if round_ % 20 == 0 else rng.randint(0, 200)
        old = "".join(rng.choice(alphabet) for _ in range(length))
        new = list(old)
        for _ in range(rng.randint(0, 15)):
            if new:
                new[rng.randrange(len(new))] = rng.choice(alphabet)
        new = "".join(new)
        ops = inline_ops(old, new)
        assert "".join(text for op, text in ops if op != "-") == new
