"""Sets of integers kept as sorted, disjoint, half-open runs ``[lo, hi)``.

The walker stores page-table windows, PMD leaves and mapped vmemmap pages this way, so
the cost of an estimate grows with the number of runs, never with the number of pages
(the same idea as packaging's ``_union_ranges``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator


class IntervalSet:
    """A set of non-negative integers as sorted, disjoint, non-adjacent runs ``[lo, hi)``."""

    __slots__ = ("_his", "_los", "_owned")

    def __init__(self, runs: Iterable[tuple[int, int]] = ()) -> None:
        self._los: list[int] = []
        self._his: list[int] = []
        self._owned = True  # False: the lists may be shared with a copy (copy on write)
        for lo, hi in runs:
            self.add(lo, hi)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._los, self._his, strict=True)

    def __len__(self) -> int:
        """Number of runs (not of elements)."""
        return len(self._los)

    def size(self) -> int:
        """Number of integers in the set."""
        return sum(hi - lo for lo, hi in self)

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, int):
            return False
        i = bisect_right(self._los, x) - 1
        return i >= 0 and x < self._his[i]

    def overlapping(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The parts of the set inside ``[lo, hi)``, ascending."""
        if lo >= hi:
            return []
        i = max(bisect_right(self._his, lo), 0)
        out = []
        while i < len(self._los) and self._los[i] < hi:
            out.append((max(lo, self._los[i]), min(hi, self._his[i])))
            i += 1
        return out

    def count(self, lo: int, hi: int) -> int:
        """``|set ∩ [lo, hi)|``."""
        if lo >= hi:
            return 0
        los, his = self._los, self._his
        n = 0
        for k in range(bisect_right(his, lo), bisect_left(los, hi)):
            n += min(hi, his[k]) - max(lo, los[k])
        return n

    def gaps(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """The parts of ``[lo, hi)`` not in the set, ascending."""
        out = []
        cur = lo
        for a, b in self.overlapping(lo, hi):
            if a > cur:
                out.append((cur, a))
            cur = b
        if cur < hi:
            out.append((cur, hi))
        return out

    def add(self, lo: int, hi: int) -> int:
        """Add ``[lo, hi)``; return how many integers were not in the set before."""
        if lo >= hi:
            return 0
        if not self._owned:
            self._los, self._his, self._owned = list(self._los), list(self._his), True
        los, his = self._los, self._his
        # Runs i..j-1 overlap or touch [lo, hi); a touching run overlaps by 0.
        i = bisect_left(his, lo)
        j = bisect_right(los, hi)
        new = hi - lo
        if i < j:
            for k in range(i, j):
                new -= min(hi, his[k]) - max(lo, los[k])
            lo = min(lo, los[i])
            hi = max(hi, his[j - 1])
        los[i:j] = [lo]
        his[i:j] = [hi]
        return new

    def copy(self) -> IntervalSet:
        """An independent set with the same runs, in O(1): both share the runs until one
        of them changes (a machine copied per estimate mostly reads the boot runs)."""
        out = IntervalSet.__new__(IntervalSet)
        out._los, out._his, out._owned = self._los, self._his, False
        self._owned = False
        return out


def count_congruent(lo: int, hi: int, first: int, period: int) -> int:
    """How many ``x`` in ``[lo, hi)`` satisfy ``x = first + m * period`` for an integer ``m``."""
    if lo >= hi:
        return 0
    # Smallest member >= lo, then how many fit below hi.
    start = first + -(-(lo - first) // period) * period
    if start >= hi:
        return 0
    return (hi - 1 - start) // period + 1
