"""The five drawings of ``vmemplan explain`` at 60, 80 and 120 columns equal their golden
files (tests/golden/explain/, refreshed by ``python -m tests.cli.explain_golden``)."""

from __future__ import annotations

import pytest

from tests.cli.explain_golden import CASES, WIDTHS, path, render


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(CASES))
def test_drawing_equals_its_golden_file(name: str, width: int) -> None:
    assert render(name, width) == path(name, width).read_text(encoding="utf-8")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(CASES))
def test_drawing_fits_the_width(name: str, width: int) -> None:
    """No line is longer than the terminal (a word wider than it would stand alone; none
    of these drawings has one)."""
    lines = render(name, width).splitlines()
    assert lines
    assert max(len(line) for line in lines) <= width
