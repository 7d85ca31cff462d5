"""Clause-aware diffs of agreements (diff stage).

Public API: parse_agreement, diff_texts, render_text, render_json, render_markdown, render_html,
render_pdf, render_docx, topic_tags, find_clauses. Everything loads on first use, so that a text
diff never loads the HTML renderer or the JSON encoder.

The renderers share their modules' names (``render_html`` in ``render_html.py``). Importing a
submodule binds it on its package, which would hide the function of the same name; the package's
module class binds the function instead, so ``clausewise.differ.render_html`` is always the function
and ``from clausewise.differ.render_html import ...`` still reaches the module (``import
clausewise.differ.render_html as module`` would give the function: use the ``from`` form).
"""

from __future__ import annotations

import importlib
import sys
import types

_LAZY = {
    "parse_agreement": "parse",
    "diff_texts": "diff",
    "topic_tags": "topics",
    "find_clauses": "topics",
    "TOPICS": "topics",
    "render_text": "render_text",
    "render_json": "render_json",
    "render_markdown": "render_markdown",
    "render_html": "render_html",
    "render_pdf": "render_pdf",
    "render_docx": "render_docx",
}

__all__ = sorted(_LAZY)


class _DifferPackage(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)  # a renderer module being bound: bind its function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _DifferPackage


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
