"""Inline changes inside one modified clause, from diff-match-patch.

Latin text is diffed word by word and CJK text character by character: each token (a word, a
number, one CJK character, a space run, one punctuation mark) becomes one private-use character,
the two strings are diffed with no timeout, and ``diff_cleanupSemantic`` makes a change read as a
phrase. Tokens that differ only in width (``（`` vs ``(``) compare equal, and an edit that cuts into
a number with its unit (``三十日`` -> ``十五个工作日``) is widened to take the whole of it.
"""

from __future__ import annotations

import re
import unicodedata

from .model import OpKind

_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+"
                    r"|[\s\u00a0\u3000]+|.", re.S)
# One code per distinct token: the supplementary private use planes, then the BMP's private use
# area (137,468 in all). A pair with more distinct tokens than that is diffed coarsely.
_CODE_RANGES = ((0xF0000, 0x10FFFE), (0xE000, 0xF900))
_CODE_CAPACITY = sum(end - start for start, end in _CODE_RANGES)
_FIRST_RANGE = _CODE_RANGES[0][1] - _CODE_RANGES[0][0]
# Characters of a number and its unit, widened as one: 三十日, 15个工作日, 50%, 1.5倍
_NUMBER_OR_UNIT = set("0123456789０１２３４５６７８９零〇一二三四五六七八九十百千万亿两半.．%％"
                      "日天周月年季时分秒元角倍个工作小")
_OP_KIND: dict[int, OpKind] = {0: "=", -1: "-", 1: "+"}
LONG_TEXT = 800  # tokens of both texts together above which sentences are diffed first
REWRITE_WORK = 250_000  # old x new tokens above which a run of changed sentences must share words
REWRITE_SHARED = 0.6  # ... this share of distinct words (Dice) to be diffed word by word
_SENTENCE_END = frozenset(".;:!?。；：！？")
_CJK_SENTENCE_END = frozenset("。；！？")


def inline_ops(old: str, new: str) -> list[tuple[OpKind, str]]:
    """The edit script from ``old`` to ``new``: ``=`` (kept, as written in ``new``), ``-``, ``+``."""
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    codebook = _Codebook()
    try:
        encoded_old = "".join(map(codebook.__getitem__, old_tokens))
        encoded_new = "".join(map(codebook.__getitem__, new_tokens))
        if len(old_tokens) + len(new_tokens) <= LONG_TEXT:
            ops = _token_diff(encoded_old, encoded_new, old_tokens, new_tokens)
        else:
            ops = _sentence_first_diff(encoded_old, encoded_new, old_tokens, new_tokens)
    except _OutOfCodes:
        return _coarse_ops(old_tokens, new_tokens)
    return _widen_numbers(_absorb_short_equalities(_drop_space_only_edits(ops)))


def _token_diff(encoded_old: str, encoded_new: str, old_tokens: list[str], new_tokens: list[str]
                ) -> list[tuple[OpKind, str]]:
    """diff-match-patch on the token-encoded texts, mapped back to the tokens."""
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    diffs = dmp.diff_main(encoded_old, encoded_new, False)
    dmp.diff_cleanupSemantic(diffs)
    ops: list[tuple[OpKind, str]] = []
    at_old = at_new = 0
    for op, chunk in diffs:
        count = len(chunk)
        if op == 0:
            text = "".join(new_tokens[at_new:at_new + count])
            at_old += count
            at_new += count
        elif op == -1:
            text = "".join(old_tokens[at_old:at_old + count])
            at_old += count
        else:
            text = "".join(new_tokens[at_new:at_new + count])
            at_new += count
        ops.append((_OP_KIND[op], text))
    return ops


def _sentence_first_diff(encoded_old: str, encoded_new: str, old_tokens: list[str], new_tokens: list[str]
                         ) -> list[tuple[OpKind, str]]:
    """For long texts: diff sentence by sentence first (each sentence one code), then word by word
    inside each run of changed sentences; a long run that shares few words is shown replaced as a
    whole. The cost of a word diff grows with length times difference: this keeps a rewritten
    chapter from taking seconds."""
    from diff_match_patch import diff_match_patch

    old_bounds, new_bounds = _sentence_bounds(old_tokens), _sentence_bounds(new_tokens)
    sentence_codes: dict[str, str] = {}

    def encode(encoded: str, bounds: list[int]) -> str:
        codes = []
        for start, end in zip(bounds, bounds[1:]):
            sentence = encoded[start:end]
            code = sentence_codes.get(sentence)
            if code is None:
                code = sentence_codes[sentence] = _code(len(sentence_codes))
            codes.append(code)
        return "".join(codes)

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    diffs = dmp.diff_main(encode(encoded_old, old_bounds), encode(encoded_new, new_bounds), False)
    dmp.diff_cleanupSemantic(diffs)  # no chance equalities (a repeated short sentence) as anchors
    ops: list[tuple[OpKind, str]] = []
    at_old = at_new = 0  # in sentences
    pending_old = pending_new = 0  # sentences of the current run of changes

    def flush() -> None:
        old_start, old_end = old_bounds[at_old - pending_old], old_bounds[at_old]
        new_start, new_end = new_bounds[at_new - pending_new], new_bounds[at_new]
        if old_end > old_start and new_end > new_start and not _worth_a_word_diff(
                encoded_old[old_start:old_end], encoded_new[new_start:new_end]):
            ops.append(("-", "".join(old_tokens[old_start:old_end])))
            ops.append(("+", "".join(new_tokens[new_start:new_end])))
        else:
            ops.extend(_token_diff(encoded_old[old_start:old_end], encoded_new[new_start:new_end],
                                   old_tokens[old_start:old_end], new_tokens[new_start:new_end]))

    for op, chunk in diffs:
        count = len(chunk)
        if op == 0:
            if pending_old or pending_new:
                flush()
                pending_old = pending_new = 0
            ops.append(("=", "".join(new_tokens[new_bounds[at_new]:new_bounds[at_new + count]])))
            at_old += count
            at_new += count
        elif op == -1:
            at_old += count
            pending_old += count
        else:
            at_new += count
            pending_new += count
    if pending_old or pending_new:
        flush()
    return [(op, text) for op, text in ops if text]


def _sentence_bounds(tokens: list[str]) -> list[int]:
    """Token offsets where sentences start, plus the end: a sentence ends with the space after a
    full stop, semicolon, colon, question or exclamation mark, at a line break, or right after a
    CJK full stop, semicolon, question or exclamation mark."""
    bounds = [0]
    for index, token in enumerate(tokens):
        if token.isspace():
            ends = "\n" in token or (index > 0 and tokens[index - 1] in _SENTENCE_END)
        else:
            ends = token in _CJK_SENTENCE_END
        if ends:
            bounds.append(index + 1)
    if bounds[-1] != len(tokens):
        bounds.append(len(tokens))
    return bounds


def _worth_a_word_diff(encoded_old: str, encoded_new: str) -> bool:
    """A run of changed sentences is diffed word by word when it is short or shares most words."""
    if len(encoded_old) * len(encoded_new) <= REWRITE_WORK:
        return True
    old_words, new_words = set(encoded_old), set(encoded_new)
    return 2 * len(old_words & new_words) >= REWRITE_SHARED * (len(old_words) + len(new_words))


class _Codebook(dict[str, str]):
    """Token -> one private-use character; tokens equal after NFKC (or both whitespace) share it.
    Each distinct token is normalised once."""

    def __init__(self) -> None:
        super().__init__()
        self._by_key: dict[str, str] = {}

    def __missing__(self, token: str) -> str:
        key = " " if token.isspace() else token if token.isascii() else unicodedata.normalize("NFKC", token)
        code = self._by_key.get(key)
        if code is None:
            code = self._by_key[key] = _code(len(self._by_key))
        self[token] = code
        return code


class _OutOfCodes(Exception):
    """More distinct tokens than there are private-use characters."""


def _code(number: int) -> str:
    if number < _FIRST_RANGE:
        return chr(_CODE_RANGES[0][0] + number)
    for start, end in _CODE_RANGES:
        if number < end - start:
            return chr(start + number)
        number -= end - start
    raise _OutOfCodes


def _coarse_ops(old_tokens: list[str], new_tokens: list[str]) -> list[tuple[OpKind, str]]:
    """The common start and end kept, everything between replaced: for texts too varied to diff
    token by token (more distinct words than ``_CODE_CAPACITY``)."""
    start = 0
    limit = min(len(old_tokens), len(new_tokens))
    while start < limit and old_tokens[start] == new_tokens[start]:
        start += 1
    end = 0
    while end < limit - start and old_tokens[-1 - end] == new_tokens[-1 - end]:
        end += 1
    ops: list[tuple[OpKind, str]] = [
        ("=", "".join(new_tokens[:start])),
        ("-", "".join(old_tokens[start:len(old_tokens) - end])),
        ("+", "".join(new_tokens[start:len(new_tokens) - end])),
        ("=", "".join(new_tokens[len(new_tokens) - end:])),
    ]
    return [(op, text) for op, text in ops if text]


def _drop_space_only_edits(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Whitespace is never a change: a deleted space disappears, an inserted one is kept text."""
    merged: list[tuple[OpKind, str]] = []
    for op, text in ops:
        if op != "=" and not text.strip():
            if op == "-":
                continue
            op = "="
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        elif text:
            merged.append((op, text))
    return merged


def _absorb_short_equalities(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Fold a one-character or number-only equality between two edits into them, so that
    ``-三 =十 +五个工作`` reads as one replacement ``-三十 +十五个工作``."""
    result: list[tuple[OpKind, str]] = []
    for index, (op, text) in enumerate(ops):
        between_edits = 0 < index < len(ops) - 1 and ops[index - 1][0] != "=" and ops[index + 1][0] != "="
        if op == "=" and between_edits and (len(text) == 1 or all(c in _NUMBER_OR_UNIT for c in text)):
            result.extend([("-", text), ("+", text)])
        else:
            result.append((op, text))
    return _group_edits(result)


def _group_edits(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Each run of edits between two equalities as one deletion followed by one insertion."""
    grouped: list[tuple[OpKind, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in ops + [("=", "")]:
        if op == "-":
            deleted.append(text)
        elif op == "+":
            inserted.append(text)
        else:
            if deleted:
                grouped.append(("-", "".join(deleted)))
            if inserted:
                grouped.append(("+", "".join(inserted)))
            deleted, inserted = [], []
            if text:
                grouped.append(("=", text))
    return grouped


def _widen_numbers(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Widen a replacement that touches a number to the whole number and its unit."""
    ops = list(ops)
    result: list[tuple[OpKind, str]] = []
    index = 0
    while index < len(ops):
        if ops[index][0] == "=":
            result.append(ops[index])
            index += 1
            continue
        end = index
        while end < len(ops) and ops[end][0] != "=":
            end += 1
        deleted = "".join(text for op, text in ops[index:end] if op == "-")
        inserted = "".join(text for op, text in ops[index:end] if op == "+")
        if deleted and inserted and any(c in _NUMBER_OR_UNIT for c in deleted + inserted):
            before = result[-1][1] if result and result[-1][0] == "=" else ""
            cut = len(before)
            while cut and before[cut - 1] in _NUMBER_OR_UNIT:
                cut -= 1
            if cut < len(before):
                result.pop()
                if cut:
                    result.append(("=", before[:cut]))
                deleted, inserted = before[cut:] + deleted, before[cut:] + inserted
            after = ops[end][1] if end < len(ops) else ""
            keep = 0
            while keep < len(after) and after[keep] in _NUMBER_OR_UNIT:
                keep += 1
            if keep:
                deleted, inserted = deleted + after[:keep], inserted + after[:keep]
                ops[end] = ("=", after[keep:])
        if deleted:
            result.append(("-", deleted))
        if inserted:
            result.append(("+", inserted))
        index = end
    return [(op, text) for op, text in result if text]


def similarity_of(ops: list[tuple[OpKind, str]]) -> float:
    """Share of the two texts that the ops keep: 1.0 identical, 0.0 nothing in common."""
    kept = sum(len(text) for op, text in ops if op == "=")
    total = sum(len(text) for op, text in ops) + kept
    return 2 * kept / total if total else 1.0
