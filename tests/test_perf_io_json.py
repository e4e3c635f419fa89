"""Issue 14: the JSON report skips ``json_safe`` only when it would change nothing."""

from __future__ import annotations

import json

import pytest

from portlint.formatters.escape import json_safe
from portlint.formatters.json_report import _dumps


@pytest.mark.parametrize("text", [
    "plain", "caf\u00e9", "\U0001f600 astral", "lone \udcff surrogate", "\ud800", "a\\ud800 text, not a surrogate",
    "\\udcff", "pair \ud83d\ude00 written as two", "\u2028", "",
])
def test_the_fast_path_writes_what_json_safe_writes(text):
    document = {"findings": [{"message": text, text: [text, (text, 1)], "n": 1.5, "ok": None}],
                "summary": {"x": [text] * 3}}
    assert _dumps(document) == json.dumps(json_safe(document), indent=2) + "\n"

