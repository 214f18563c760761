"""Brute-force HugeTLB Vmemmap Optimization oracle: a TEST ORACLE.

Written from /work/shared/spec/hotplug-hvo-model.md part B (B.1 sizes, B.2 mechanism,
B.3 versions and arches) and mm/hugetlb_vmemmap.c, without reading vmemplan's own HVO
code.  It is deliberately slow: it visits the ``struct page`` of every base page of every
folio, collects the vmemmap pages (and the PMD windows of vmemmap) they live in, and
counts set members.

Model
-----
* The pool is ``nr_folios`` folios packed one after the other from physical pfn
  ``start_pfn``; their vmemmap is boot memmap mapped with PMD leaves.
* ``hugetlb_vmemmap_optimizable_size()`` (mm/hugetlb_vmemmap.h): a folio is optimizable
  iff sizeof(struct page) is a power of two and the folio's vmemmap is larger than the
  pages HVO keeps (HUGETLB_VMEMMAP_RESERVE_PAGES worth of struct pages: one page from
  v5.18, two in v5.14-v5.17).
* ``vmemmap_should_optimize_folio()``: the switch (hugetlb_free_vmemmap= / sysctl) is on
  and the arch selects the Kconfig on that kernel (table below, spec B.3).
* ``split_vmemmap_huge_pmd()``: every PMD leaf of vmemmap an optimized folio touches is
  split once into one PTE table (a page from the buddy allocator), shared by the folios
  of that window.
* ``vmemmap_remap_free()``: of each optimized folio's vmemmap pages, the kept ones stay
  (a copy of the head page replaces the original, so the count is the same) and the
  others are freed.
"""

from __future__ import annotations

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

# (page size, PMD size) per arch name, from the arch headers.
_ARCHES = {
    "x86_64": (4 * KiB, 2 * MiB),
    "arm64-4k": (4 * KiB, 2 * MiB),
    "arm64-16k": (16 * KiB, 32 * MiB),
    "arm64-64k": (64 * KiB, 512 * MiB),
    "riscv64": (4 * KiB, 2 * MiB),
    "ppc64-radix-64k": (64 * KiB, 2 * MiB),
}


# spec B.3: which arch selects (ARCH_WANT_)HUGETLB_PAGE_OPTIMIZE_VMEMMAP on which kernel.
def _arch_selects(arch: str, version: tuple[int, int]) -> bool:
    if version < (5, 14):  # HVO introduced in v5.14 (x86_64 only)
        return False
    if arch == "x86_64":
        return True
    if arch == "arm64-4k":  # enabled in v5.19 (1e63ac088f20), disabled again (060a2c92d1b6)
        return (5, 19) <= version < (6, 3)
    if arch == "riscv64":  # selects from the v6.4 merge window (corrections.md 4)
        return version >= (6, 4)
    return False  # powerpc never; arm64 16K/64K not in the enabled set read


# spec B.3 first two rows: keep 2 (v5.14), keep 1 from e7d324850bfc (v5.18).
def _reserve_pages(version: tuple[int, int]) -> int:
    return 1 if version >= (5, 18) else 2


def hvo(
    arch: str,
    version: tuple[int, int],
    *,
    folio_bytes: int,
    nr_folios: int,
    struct_page_size: int = 64,
    hvo_enabled: bool = True,
    start_pfn: int = 0,
) -> dict[str, int | bool]:
    """Vmemmap pages of the pool without and with HVO, and the PTE tables splitting needs."""
    page, pmd = _ARCHES[arch]
    s = struct_page_size
    folio_pfns = folio_bytes // page
    keep = _reserve_pages(version)
    power_of_two = s & (s - 1) == 0

    all_pages: set[int] = set()
    per_folio: list[set[int]] = []
    for f in range(nr_folios):
        first = start_pfn + f * folio_pfns
        pages: set[int] = set()
        for pfn in range(first, first + folio_pfns):  # every struct page of the folio
            lo = pfn * s
            pages.add(lo // page)
            pages.add((lo + s - 1) // page)
        per_folio.append(pages)
        all_pages |= pages
    vh = len(per_folio[0]) if per_folio else 0
    optimized = hvo_enabled and _arch_selects(arch, version) and power_of_two and vh > keep
    kept = freed = 0
    windows: set[int] = set()
    for pages in per_folio:
        if not optimized:
            kept += len(pages)
            continue
        kept += keep
        freed += len(pages) - keep
        windows |= {p * page // pmd for p in pages}  # PMD leaves split into PTE tables
    return {
        "optimized": optimized,
        "vmemmap_pages_per_folio": vh,
        "vmemmap_pages": len(all_pages),
        "kept_pages": kept,
        "freed_pages": freed,
        "pte_tables": len(windows),
    }
