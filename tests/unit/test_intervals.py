"""IntervalSet against a plain Python set."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from vmemplan.kernel.intervals import IntervalSet, count_congruent

runs = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)), max_size=12)


@given(runs, st.integers(0, 250), st.integers(0, 250))
def test_interval_set_matches_a_python_set(adds: list[tuple[int, int]], lo: int, hi: int) -> None:
    s = IntervalSet()
    ref: set[int] = set()
    for start, length in adds:
        new = s.add(start, start + length)
        fresh = set(range(start, start + length)) - ref
        assert new == len(fresh)
        ref |= fresh
    assert s.size() == len(ref)
    assert s.count(lo, hi) == len({x for x in ref if lo <= x < hi})
    gaps = {x for a, b in s.gaps(lo, hi) for x in range(a, b)}
    assert gaps == {x for x in range(lo, hi) if x not in ref}
    runs_ = list(s)
    assert all(a < b for a, b in runs_)
    assert all(b1 < a2 for (_, b1), (a2, _) in itertools.pairwise(runs_))


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 9))
def test_count_congruent(lo: int, hi: int, first: int, period: int) -> None:
    expected = sum(1 for x in range(lo, hi) if (x - first) % period == 0)
    assert count_congruent(lo, hi, first, period) == expected


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=8),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=8),
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=8),
)
def test_a_copy_and_its_original_change_independently(
    common: list[tuple[int, int]], mine: list[tuple[int, int]], theirs: list[tuple[int, int]]
) -> None:
    """copy() shares the runs until one side adds: each side then sees only its own adds."""
    original = IntervalSet((lo, lo + n) for lo, n in common)
    copy = original.copy()
    second = copy.copy()
    for lo, n in mine:
        original.add(lo, lo + n)
    for lo, n in theirs:
        copy.add(lo, lo + n)
    assert list(original) == list(IntervalSet((lo, lo + n) for lo, n in common + mine))
    assert list(copy) == list(IntervalSet((lo, lo + n) for lo, n in common + theirs))
    assert list(second) == list(IntervalSet((lo, lo + n) for lo, n in common))
