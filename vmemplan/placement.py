"""Where a refused dax range could go instead: the nearest aligned placements that are valid.

A dax range must start and end on its step (the device align and the 2M subsection,
check_pfn_span()), must not share a subsection with System RAM (pagemap_range()), and must
end below MAX_PHYSMEM_BITS. Suggesting an aligned range that breaks one of the other rules
only trades one refusal for the next, so only placements that keep all three are offered.
Ranges are half-open ``[start, end)`` in bytes; the cost is linear in the spans avoided.
"""

from __future__ import annotations

from collections.abc import Sequence

from vmemplan.units import align_down, align_up


def _merged(avoid: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``avoid`` sorted, with overlapping or touching spans merged (a linear pass)."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(avoid):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def nearest_placements(
    start: int, end: int, step: int, avoid: Sequence[tuple[int, int]], limit: int
) -> list[tuple[int, int]]:
    """The nearest ``[start, end)`` below and above ``start``, aligned to ``step``, of the
    aligned size closest to the given one, clear of every span of ``avoid`` (already widened
    to what they occupy, e.g. whole subsections) and below ``limit``; sorted, at most two.

    One pass over the merged spans each way: a candidate that hits a span moves past it.
    """
    size = max(step, align_down(end, step) - align_down(start, step))
    spans = _merged(avoid)
    out: list[tuple[int, int]] = []
    down: int | None = align_down(start, step)
    for lo, hi in reversed(spans):
        if down is None or hi <= down:
            break
        if lo < down + size:  # it hits the candidate: go below it
            down = align_down(lo - size, step) if lo >= size else None
    if down is not None and down + size <= limit:
        out.append((down, down + size))
    up = align_up(start, step)
    for lo, hi in spans:
        if lo >= up + size:
            break
        if hi > up:  # it hits the candidate: go above it
            up = align_up(hi, step)
    if up + size <= limit and (up, up + size) not in out:
        out.append((up, up + size))
    return sorted(out)
