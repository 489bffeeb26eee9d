"""Record text with braces inside a report sentence's template stays text, not a placeholder."""

from __future__ import annotations

import pytest

from moesaic.reports.diagnose.wording import literal_braces


@pytest.mark.parametrize(
    ("template", "count", "filled"),
    [
        ("seal {worn} on {0}", 1, "seal {worn} on 3.5"),
        ("note '{0}' and {1}", 1, "note '3.5' and {1}"),  # only the sentence's own placeholders
        ("{0} then {1}", 2, "3.5 then 7"),
        ("a } b {", 0, "a } b {"),
    ],
)
def test_braces_of_record_text_survive_formatting(template: str, count: int, filled: str) -> None:
    values = ("3.5", "7")[:count]
    assert literal_braces(template, count).format(*values) == filled
