"""Laws of nearest_placements(): every suggestion is one the dax-range checks accept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vmemplan.placement import nearest_placements

MiB = 1 << 20
LIMIT = 1 << 40


@given(
    start=st.integers(0, LIMIT // 2),
    length=st.integers(1, LIMIT // 8),
    step_shift=st.integers(21, 32),
    cuts=st.lists(st.integers(0, LIMIT), max_size=8, unique=True),
)
def test_suggestions_are_aligned_clear_and_below_the_limit(
    start: int, length: int, step_shift: int, cuts: list[int]
) -> None:
    """Each suggestion starts and ends on the step, avoids every span, ends below the limit,
    and has the size the refused range rounds to; at most one below and one above."""
    step = 1 << step_shift
    ordered = sorted(cuts)
    avoid = list(zip(ordered[::2], ordered[1::2], strict=False))
    near = nearest_placements(start, start + length, step, avoid, LIMIT)
    assert len(near) <= 2
    assert near == sorted(set(near))
    size = max(step, (start + length) // step * step - start // step * step)
    for lo, hi in near:
        assert lo % step == 0
        assert hi - lo == size
        assert hi <= LIMIT
        assert not any(lo < b and a < hi for a, b in avoid)


def test_nothing_to_avoid_gives_the_aligned_neighbours() -> None:
    """129M+64G at 1G with no boot RAM: 0+64G below, 1G+64G above."""
    got = nearest_placements(129 * MiB, 129 * MiB + (64 << 30), 1 << 30, [], LIMIT)
    assert got == [(0, 64 << 30), (1 << 30, 65 << 30)]
