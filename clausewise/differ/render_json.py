"""The diff as JSON, schema ``clausewise.diff/1`` (``AgreementDiff.to_dict()``)."""

from __future__ import annotations

import json

from .model import AgreementDiff


def render_json(diff: AgreementDiff) -> str:
    """Stable, versioned JSON: UTF-8 text as is (not \\u-escaped), indented by two spaces."""
    return json.dumps(diff.to_dict(), ensure_ascii=False, indent=2) + "\n"
