"""Laws of the three range spellings: START-END (inclusive), START..END (exclusive) and
START+SIZE name the same half-open range, and each keeps the text it was written in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vmemplan.units import format_range, format_size_exact, parse_range

_LIMIT = 1 << 64


# END must itself be a size (below 2^64) for START..END to spell it
@given(
    start=st.integers(0, _LIMIT - 2),
    size=st.integers(1, _LIMIT - 1),
    hex_style=st.booleans(),
    pad=st.sampled_from(["", " ", "  "]),
)
def test_spellings_agree(start: int, size: int, hex_style: bool, pad: str) -> None:
    end = min(start + size, _LIMIT - 1)

    def show(value: int) -> str:
        return f"{value:#x}" if hex_style else format_size_exact(value)

    spellings = [
        f"{show(start)}-{show(end - 1)}",
        f"{show(start)}..{show(end)}",
        f"{show(start)}+{show(end - start)}",
    ]
    for text in spellings:
        r = parse_range(pad + text + pad, "--dax-range")
        assert r == (start, end)
        assert r.text == text
        assert format_range(r) == text
    # a plain tuple is shown as START+SIZE, in the shortest exact units
    assert parse_range(format_range((start, end)), "--dax-range") == (start, end)
