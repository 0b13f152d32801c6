"""Comparing result rows from two ways of producing them (CLI, dashboard, case store, Ray)."""

from __future__ import annotations

import re

# Classifier scores may differ in the last digits: the runtimes' parallel sums depend on how
# many cores are free at that moment (a busy machine alone does it).
SCORE_TOLERANCE = 1e-5
_SCORE_IN_TEXT = re.compile(r"\b0\.\d\d\b")


def assert_same(
    a, b, where: str = "row", tolerance: float = SCORE_TOLERANCE, scores_in_text: bool = False
) -> None:
    """Equal rows: every key and value, floats within ``tolerance``. With ``scores_in_text``,
    sentences may differ only in a score they quote to two decimals (a score of 0.4449 and one
    of 0.4451 print differently)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}", tolerance, scores_in_text)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]", tolerance, scores_in_text)
    elif isinstance(a, float) and isinstance(b, float):
        assert abs(a - b) <= tolerance, f"{where}: {a} != {b}"
    elif scores_in_text and isinstance(a, str) and isinstance(b, str):
        assert _SCORE_IN_TEXT.sub("0.##", a) == _SCORE_IN_TEXT.sub("0.##", b), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
