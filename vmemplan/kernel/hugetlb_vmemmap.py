"""HugeTLB Vmemmap Optimization (HVO): vmemmap pages a HugeTLB pool keeps and frees.

Follows mm/hugetlb_vmemmap.c and mm/hugetlb_vmemmap.h (HUGETLB_VMEMMAP_RESERVE_SIZE)
and Documentation/mm/vmemmap_dedup.rst. The pool's vmemmap is boot memory mapped with
PMD leaves; HVO splits each PMD it touches into a PTE table
(split_vmemmap_huge_pmd()), then frees every vmemmap page of a folio but the ones kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan.kernel.arch import ArchProfile
from vmemplan.units import div_round_up, is_power_of_2

# Muchun Song's HVO (in v5.14) kept 2 vmemmap pages per HugeTLB folio (RESERVE_VMEMMAP_NR);
# Linux kernel commit e7d324850bfc ("mm: hugetlb: free the 2nd vmemmap page associated
# with each HugeTLB page") (in v5.18) keeps 1 (HUGETLB_VMEMMAP_RESERVE_SIZE = PAGE_SIZE).
HVO_SINCE = (5, 14)
HVO_KEEP_ONE_SINCE = (5, 18)


def hugetlb_vmemmap_reserve_pages(version: tuple[int, int]) -> int:
    """Vmemmap pages HVO keeps per folio on ``version`` (0 when HVO does not exist)."""
    if version < HVO_SINCE:
        return 0
    return 1 if version >= HVO_KEEP_ONE_SINCE else 2


@dataclass(frozen=True)
class HugetlbVmemmap:
    """The vmemmap of ``nr_folios`` HugeTLB folios of ``folio_bytes`` each, with and without HVO."""

    folio_pages: int  # base pages per folio
    vmemmap_pages_per_folio: int  # VH: vmemmap pages describing one folio
    optimized: bool
    kept_pages_per_folio: int
    freed_pages_per_folio: int
    vmemmap_pages: int  # without HVO, the whole pool
    kept_pages: int  # with HVO (or all of them when not optimized)
    freed_pages: int
    pte_tables: int  # PMD leaves split into PTE tables

    @property
    def net_pages(self) -> int:
        """DRAM pages the pool's vmemmap costs with HVO: kept pages plus split PTE tables."""
        return self.kept_pages + self.pte_tables


def hugetlb_vmemmap(
    arch: ArchProfile,
    version: tuple[int, int],
    *,
    folio_bytes: int,
    nr_folios: int,
    struct_page_size: int | None = None,
    hvo_enabled: bool = True,
) -> HugetlbVmemmap:
    """Follows hugetlb_vmemmap_optimizable_size() and hugetlb_vmemmap_optimize_folio().

    A folio is optimizable when HVO exists on the kernel and arch, ``sizeof(struct page)``
    is a power of two, and its vmemmap is larger than the pages HVO keeps.
    """
    s = struct_page_size if struct_page_size is not None else arch.struct_page_size
    p = arch.page_size
    folio_pages = folio_bytes // p
    vh = folio_pages * s // p
    keep = hugetlb_vmemmap_reserve_pages(version)
    optimized = hvo_enabled and arch.hvo_hugetlb and keep > 0 and is_power_of_2(s) and vh > keep
    kept = keep if optimized else vh
    pool_vmemmap = nr_folios * vh
    # One PTE table per PMD of vmemmap VA the pool spans (a pool aligned to PMD_SIZE).
    pte_tables = div_round_up(nr_folios * folio_pages * s, arch.pmd_size) if optimized else 0
    return HugetlbVmemmap(
        folio_pages=folio_pages,
        vmemmap_pages_per_folio=vh,
        optimized=optimized,
        kept_pages_per_folio=kept,
        freed_pages_per_folio=vh - kept,
        vmemmap_pages=pool_vmemmap,
        kept_pages=nr_folios * kept,
        freed_pages=nr_folios * (vh - kept),
        pte_tables=pte_tables,
    )
