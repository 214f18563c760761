"""The HugeTLB page sizes (hstates) each arch profile has.

``hugepagesz=`` (hugepagesz_setup() in mm/hugetlb.c) asks arch_hugetlb_valid_size() whether a
size is one the arch can map; a size it refuses gets no hstate, and the ``hugepages=`` after it
is ignored. vmemplan refuses such a size instead, and names the ones the arch has.

One table per arch profile of vmemplan/kernel/arch.py, each read from the arch's source:

- x86_64 (both paging modes): arch_hugetlb_valid_size() in arch/x86/mm/hugetlbpage.c (before
  v5.8: setup_hugepagesz()): ``PMD_SIZE`` (2M), and ``PUD_SIZE`` (1G) when the CPU has
  ``X86_FEATURE_GBPAGES`` (pdpe1gb).
- arm64: __hugetlb_valid_size() in arch/arm64/mm/hugetlbpage.c and its "HugeTLB Support
  Matrix": ``CONT_PTE_SIZE``, ``PMD_SIZE``, ``CONT_PMD_SIZE``, and ``PUD_SIZE`` only where
  pud_sect_supported() (4K pages):
  4K: 64K, 2M, 32M, 1G; 16K: 2M, 32M, 1G; 64K: 2M, 512M, 16G.
- powerpc book3s64 radix (4K and 64K pages): arch_hugetlb_valid_size() in
  arch/powerpc/mm/hugetlbpage.c through check_and_get_huge_psize() in
  arch/powerpc/include/asm/book3s/64/hugetlb.h ("Radix: 2M and 1G").
- riscv64: arch_hugetlb_valid_size() in arch/riscv/mm/hugetlbpage.c: ``HPAGE_SIZE`` (2M),
  ``PUD_SIZE`` (1G), and the Svnapot sizes (``NAPOT_CONT64KB_ORDER``: 64K) when the CPU has
  Svnapot (has_svnapot(), CONFIG_RISCV_ISA_SVNAPOT).
"""

from __future__ import annotations

from typing import NamedTuple

from vmemplan.errors import InputError
from vmemplan.units import GiB, KiB, MiB, format_size_exact


class HugetlbPageSize(NamedTuple):
    """One HugeTLB page size of an arch, and what it needs besides the arch (None: nothing)."""

    size_bytes: int
    needs: str | None = None


_X86_64 = (HugetlbPageSize(2 * MiB), HugetlbPageSize(1 * GiB, "the CPU's gbpages flag (pdpe1gb)"))
_PPC64_RADIX = (HugetlbPageSize(2 * MiB), HugetlbPageSize(1 * GiB))

# Keyed by ArchProfile.name; a test checks that every profile has its table.
HUGETLB_PAGE_SIZES: dict[str, tuple[HugetlbPageSize, ...]] = {
    "x86_64": _X86_64,
    "x86_64-la57": _X86_64,
    # CONT_PTE, PMD, CONT_PMD, PUD of the arm64 4K granule.
    "arm64-4k": (
        HugetlbPageSize(64 * KiB),
        HugetlbPageSize(2 * MiB),
        HugetlbPageSize(32 * MiB),
        HugetlbPageSize(1 * GiB),
    ),
    # CONT_PTE, PMD, CONT_PMD of the 16K granule (no PUD block: pud_sect_supported() false).
    "arm64-16k": (
        HugetlbPageSize(2 * MiB),
        HugetlbPageSize(32 * MiB),
        HugetlbPageSize(1 * GiB),
    ),
    # CONT_PTE, PMD, CONT_PMD of the 64K granule.
    "arm64-64k": (
        HugetlbPageSize(2 * MiB),
        HugetlbPageSize(512 * MiB),
        HugetlbPageSize(16 * GiB),
    ),
    "ppc64-radix-64k": _PPC64_RADIX,
    "ppc64-radix-4k": _PPC64_RADIX,
    "riscv64": (
        HugetlbPageSize(64 * KiB, "the CPU's Svnapot extension"),
        HugetlbPageSize(2 * MiB),
        HugetlbPageSize(1 * GiB),
    ),
}


def hugetlb_page_sizes(arch_name: str) -> tuple[HugetlbPageSize, ...]:
    """The HugeTLB page sizes of the arch profile called ``arch_name``, smallest first."""
    return HUGETLB_PAGE_SIZES[arch_name]


def describe_hugetlb_page_sizes(arch_name: str) -> str:
    """``2M, 1G; 1G needs the CPU's gbpages flag (pdpe1gb)``: the list an error names."""
    sizes = hugetlb_page_sizes(arch_name)
    text = ", ".join(format_size_exact(s.size_bytes) for s in sizes)
    needs = [f"{format_size_exact(s.size_bytes)} needs {s.needs}" for s in sizes if s.needs]
    return "; ".join([text, *needs])


# Follows arch_hugetlb_valid_size() in arch/*/mm/hugetlbpage.c (the tables above).
def arch_hugetlb_valid_size(arch_name: str, size_bytes: int) -> bool:
    """Whether the arch has HugeTLB pages of ``size_bytes``."""
    return any(s.size_bytes == size_bytes for s in hugetlb_page_sizes(arch_name))


def check_hugetlb_page_size(arch_name: str, size_bytes: int, option: str) -> None:
    """Raise an InputError naming the arch's sizes unless it has pages of ``size_bytes``."""
    if not arch_hugetlb_valid_size(arch_name, size_bytes):
        raise InputError(
            option,
            f"{format_size_exact(size_bytes)}: not a HugeTLB page size of {arch_name} "
            f"(its sizes: {describe_hugetlb_page_sizes(arch_name)})",
        )
