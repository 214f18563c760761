"""How many struct pages the kernel writes when it enables a ZONE_DEVICE range.

Follows memmap_init_zone_device(), compound_nr_pages() and memmap_init_compound() in
mm/mm_init.c, and memmap_init_range() for the altmap area.
"""

from __future__ import annotations

from typing import NamedTuple

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.intervals import IntervalSet, count_congruent
from vmemplan.kernel.pfn_devs import Altmap


class InitWork(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """Struct pages written for one pgmap range."""

    altmap_area: int  # memmap_init_range() over the altmap's free pfns
    zone_device: int  # memmap_init_zone_device()

    @property
    def total(self) -> int:
        """All struct pages written."""
        return self.altmap_area + self.zone_device


def memmap_init_zone_device(
    arch: ArchProfile,
    *,
    start_pfn: int,
    end_pfn: int,
    altmap: Altmap | None,
    nr_compound: int,
    optimized: bool,
    keep: int,
    struct_page_size: int,
    early: IntervalSet,
    early_init_fix: bool,
) -> InitWork:
    """Count the struct pages written for the pgmap range ``[start_pfn, end_pfn)``.

    Each compound page writes its head and ``compound_nr_pages() - 1`` tails: all of them
    unless the range is optimized, then only the struct pages of its ``keep`` unique
    vmemmap pages. With the 2026 early-section fix a compound whose head lies in an early
    section writes all of them, because the boot memmap it reuses is not deduplicated.
    A compound cut short by the end of the range writes only up to the end.
    """
    altmap_area = 0
    first = start_pfn
    if altmap is not None:
        altmap_area = altmap.free
        first = altmap.base_pfn + altmap.offset
    if first >= end_pfn:
        return InitWork(altmap_area=altmap_area, zone_device=0)
    n = nr_compound
    heads = (end_pfn - first + n - 1) // n
    last_head = first + (heads - 1) * n
    reduced = keep * (arch.page_size // struct_page_size) if optimized else n
    pps = arch.pages_per_section

    def compound_nr_pages(head_in_early_section: bool) -> int:
        return n if early_init_fix and head_in_early_section else reduced

    # Every compound but the last is whole; count those whose head is in an early section.
    body_early = 0
    if reduced != n and early_init_fix:
        for s0, s1 in early.overlapping(first // pps, (last_head - 1) // pps + 1):
            lo, hi = max(first, s0 * pps), min(last_head, s1 * pps)
            body_early += count_congruent(lo, hi, first, n)
    writes = body_early * n + (heads - 1 - body_early) * reduced
    last_cnp = compound_nr_pages(last_head // pps in early)
    writes += min(last_cnp, end_pfn - last_head)
    return InitWork(altmap_area=altmap_area, zone_device=writes)
