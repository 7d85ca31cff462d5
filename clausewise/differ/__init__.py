"""Clause-aware diffs of agreements (diff stage).

Public API: parse_agreement, diff_texts, render_text, render_json, render_markdown, render_html,
topic_tags, find_clauses. Parsing and alignment load on first use. The renderers
share their modules' names, so they are imported here, eagerly: importing a submodule later would
rebind the package attribute to the module. They are light; ``render_html`` loads Jinja2 and its
templates only when called.
"""

from __future__ import annotations

import importlib

from .render_html import render_html
from .render_json import render_json
from .render_markdown import render_markdown
from .render_text import render_text

_LAZY = {
    "parse_agreement": "parse",
    "diff_texts": "diff",
    "topic_tags": "topics",
    "find_clauses": "topics",
    "TOPICS": "topics",
}

__all__ = sorted([*_LAZY, "render_json", "render_markdown", "render_text", "render_html"])


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
