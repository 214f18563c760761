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
# Which arches select the HugeTLB vmemmap Kconfig (ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP since
# 0b6f15824cc7 in v6.6; ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP before):
#   x86_64 from v5.14 (Muchun Song's series);
#   arm64 from Linux kernel commit 1e63ac088f20 ("arm64: mm: hugetlb: enable
#   HUGETLB_PAGE_OPTIMIZE_VMEMMAP") (in v5.19) until 060a2c92d1b6 ("arm64: mm: hugetlb:
#   Disable HUGETLB_PAGE_OPTIMIZE_VMEMMAP") [tag unconfirmed; assumed v6.3, also in stable];
#   riscv from the v6.4 merge window ("RISC-V: fixup in-flight collision with
#   ARCH_WANT_OPTIMIZE_VMEMMAP rename"); powerpc never.
HVO_ARM64_SINCE = (5, 19)
HVO_ARM64_UNTIL = (6, 3)
HVO_RISCV_SINCE = (6, 4)
# Muchun Song's "mm: memory_hotplug: make hugetlb_optimize_vmemmap compatible with
# memmap_on_memory" (2022; hotplug-hvo-model.md A.5 puts it at ~v6.1, tag unconfirmed):
# before it, mhp_supports_memmap_on_memory() refused while HVO was on (HVO wins); since, HVO
# skips a folio whose vmemmap page is PageVmemmapSelfHosted.
HVO_SKIPS_SELF_HOSTED_SINCE = (6, 1)


# Follows the ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP selects in arch/*/Kconfig.
def hugetlb_vmemmap_arch_selects(arch: ArchProfile, version: tuple[int, int]) -> bool:
    """Whether the arch enables HVO on a kernel of ``version``."""
    if version < HVO_SINCE:
        return False
    if arch.hvo_hugetlb:  # x86_64
        return True
    if arch.dedup_gate == "arm64":
        return HVO_ARM64_SINCE <= version < HVO_ARM64_UNTIL and arch.page_shift == 12
    if arch.dedup_gate == "riscv":
        return version >= HVO_RISCV_SINCE
    return False


# Follows hugetlb_vmemmap_optimizable_size() in mm/hugetlb_vmemmap.h and the Kconfig gates.
def hugetlb_vmemmap_refusal(
    arch: ArchProfile,
    version: tuple[int, int],
    *,
    folio_bytes: int,
    struct_page_size: int | None = None,
    hvo_enabled: bool = True,
    self_hosted: bool = False,
) -> str | None:
    """Why the kernel does not optimize folios of ``folio_bytes`` (None when it does).

    ``self_hosted``: the folios are hot-added memory whose memmap lives on that memory
    (memmap_on_memory), as ``vmemmap_self_hosted()`` decides.
    """
    s = struct_page_size if struct_page_size is not None else arch.struct_page_size
    vh = folio_bytes // arch.page_size * s // arch.page_size
    keep = hugetlb_vmemmap_reserve_pages(version)
    if version < HVO_SINCE:
        return "HVO does not exist before v5.14 (mm/hugetlb_vmemmap.c added by Muchun Song)"
    if not hugetlb_vmemmap_arch_selects(arch, version):
        return (
            f"{arch.name} does not select ARCH_WANT_OPTIMIZE_HUGETLB_VMEMMAP on this kernel "
            "(no CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP)"
        )
    if not is_power_of_2(s):
        return (
            f"sizeof(struct page) = {s} is not a power of two: "
            "hugetlb_vmemmap_optimizable_size() is 0"
        )
    if vh <= keep:
        size = f"{vh} page(s)" if vh else f"{folio_bytes // arch.page_size * s} bytes"
        return (
            f"the folio's vmemmap is {size}, not more than the {keep} page(s) HVO keeps: "
            "hugetlb_vmemmap_optimizable_size() is 0"
        )
    if not hvo_enabled:
        return "disabled by hugetlb_free_vmemmap=off / vm.hugetlb_optimize_vmemmap=0"
    if self_hosted:
        return (
            "the folios' vmemmap is self-hosted (memmap_on_memory): HVO skips a folio whose "
            "vmemmap page is PageVmemmapSelfHosted"
        )
    return None


# Follows mhp_supports_memmap_on_memory() (the HVO test it had before v6.1) and the
# PageVmemmapSelfHosted() test of mm/hugetlb_vmemmap.c.
def vmemmap_self_hosted(
    arch: ArchProfile, version: tuple[int, int], *, memmap_on_memory: bool, hvo_enabled: bool
) -> bool:
    """Whether pages hot-added with memmap_on_memory keep their memmap on themselves.

    Before v6.1 the kernel refused memmap_on_memory while HVO was on (the memmap went to
    DRAM and HVO applied); since, the memmap is self-hosted and HVO skips those folios.
    """
    if not memmap_on_memory:
        return False
    hvo_on = hvo_enabled and hugetlb_vmemmap_arch_selects(arch, version)
    return version >= HVO_SKIPS_SELF_HOSTED_SINCE or not hvo_on


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
    self_hosted: bool = False  # the vmemmap lives on the pool's own (hot-added) memory

    @property
    def net_pages(self) -> int:
        """DRAM pages the pool's vmemmap costs with HVO: kept pages plus split PTE tables
        (none when the vmemmap is self-hosted: it is on the memory itself)."""
        return 0 if self.self_hosted else self.kept_pages + self.pte_tables

    @property
    def dram_pages_unoptimized(self) -> int:
        """DRAM pages the pool's vmemmap costs without HVO (none when self-hosted)."""
        return 0 if self.self_hosted else self.vmemmap_pages


def hugetlb_vmemmap(
    arch: ArchProfile,
    version: tuple[int, int],
    *,
    folio_bytes: int,
    nr_folios: int,
    struct_page_size: int | None = None,
    hvo_enabled: bool = True,
    self_hosted: bool = False,
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
    optimized = hvo_enabled and hugetlb_vmemmap_arch_selects(arch, version) and keep > 0
    optimized = optimized and is_power_of_2(s) and vh > keep and not self_hosted
    kept = keep if optimized else vh
    # The pool's struct pages, packed: a folio whose vmemmap is less than a page (arm64
    # 64K folios with 4K pages: 16 struct pages, 1 KiB) shares vmemmap pages with its
    # neighbours, so the pool is counted as a whole (pages of a PMD-aligned, contiguous
    # pool); a folio of whole vmemmap pages gives nr_folios * VH exactly.
    pool_vmemmap = div_round_up(nr_folios * folio_pages * s, p)
    # One PTE table per PMD of vmemmap VA the pool spans (a pool aligned to PMD_SIZE).
    pte_tables = div_round_up(nr_folios * folio_pages * s, arch.pmd_size) if optimized else 0
    return HugetlbVmemmap(
        folio_pages=folio_pages,
        vmemmap_pages_per_folio=vh,
        optimized=optimized,
        kept_pages_per_folio=kept,
        freed_pages_per_folio=vh - kept,
        vmemmap_pages=pool_vmemmap,
        kept_pages=nr_folios * kept if optimized else pool_vmemmap,
        freed_pages=nr_folios * (vh - kept) if optimized else 0,
        pte_tables=pte_tables,
        self_hosted=self_hosted,
    )
