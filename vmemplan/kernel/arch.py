"""Architecture profiles: page size, sparsemem geometry and vmemmap page-table layout.

Each profile is data, not code. The values come from ``arch/*/include/asm/sparsemem.h``
(``SECTION_SIZE_BITS``, ``MAX_PHYSMEM_BITS``), the arch page-table headers and the
arch's ``vmemmap_populate()`` (see the ``populate`` field), as summarised in the spec's
table a.2.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from vmemplan.errors import InputError
from vmemplan.units import GiB, KiB, MiB, quote_value

# SUBSECTION_SHIFT is 21 (2 MiB) on every architecture (include/linux/mmzone.h).
SUBSECTION_SHIFT = 21
SUBSECTION_SIZE = 1 << SUBSECTION_SHIFT

# How the arch's vmemmap_populate() maps a range that is not deduplicated.
#   "x86":       partial section -> base pages from DRAM, altmap ignored; full -> PMD blocks
#                (vmemmap_populate() in arch/x86/mm/init_64.c)
#   "arm64-4k":  partial section -> base pages (altmap honoured); full -> PMD blocks
#                (vmemmap_populate() in arch/arm64/mm/mmu.c, 4K pages)
#   "basepages": always base pages, altmap honoured (arm64 16K/64K, powerpc radix)
#   "hugepages": always vmemmap_populate_hugepages() (arch/riscv/mm/init.c)
#   "ppc-radix": radix__vmemmap_populate() in arch/powerpc/mm/book3s64/radix_pgtable.c: a PMD
#                block per window where possible; with an altmap, base pages when the address
#                is not PMD aligned or the block would describe pfns outside the device;
#                failed altmap allocations fall back to DRAM
PopulateStrategy = Literal["x86", "arm64-4k", "basepages", "hugepages", "ppc-radix"]

# Which implementation of the compound (deduplicated) path the arch uses:
#   "generic": vmemmap_populate_compound_pages() in mm/sparse-vmemmap.c (offsets relative
#              to the pgmap range being added);
#   "ppc":     the powerpc radix override in arch/powerpc/mm/book3s64/radix_pgtable.c
#              (compound offsets from the absolute pfn).
CompoundAlgo = Literal["generic", "ppc"]

# How arch_add_memory() maps an added range into the kernel's direct (linear) map:
#   "pages":  base pages only (arm64 when can_set_direct_map(): rodata=full, debug_pagealloc,
#             late KFENCE, realms; x86 under debug_pagealloc);
#   "blocks": the largest aligned block leaf (x86 2M/1G, arm64 2M/1G on 4K, 32M on 16K,
#             512M on 64K, riscv Sv48 2M/1G). None on a profile: the direct map is not
#             modelled there (powerpc radix).
LinearMap = Literal["pages", "blocks"]

# Which Kconfig gate lets the arch take the compound path, per kernel era (see kernel.py).
DedupGate = Literal["x86", "arm64", "ppc64-radix", "riscv"]


class TableLevel(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """One level of the kernel page tables that map the vmemmap.

    ``va_bytes`` is the vmemmap virtual range one table of this level maps; ``table_bytes``
    is what one table occupies (a page, or a fragment on powerpc radix with 64K pages).
    """

    name: Literal["pte", "pmd", "pud", "p4d"]
    va_bytes: int
    table_bytes: int


class ArchProfile(NamedTuple):  # a NamedTuple: no generated methods to compile at start-up
    """What vmemplan needs to know about one architecture configuration."""

    name: str
    description: str
    page_shift: int
    section_size_bits: int
    max_physmem_bits: int
    levels: tuple[TableLevel, ...]  # lowest first; PGD (never allocated) is not listed
    populate: PopulateStrategy
    compound_algo: CompoundAlgo
    dedup_gate: DedupGate
    dax_alignments: tuple[
        int, ...
    ]  # dax_align_valid(): PAGE_SIZE, PMD_SIZE if THP, PUD_SIZE if PUD THP
    altmap_fallback_to_dram: bool = False
    struct_page_size: int = 64
    hvo_hugetlb: bool = False
    linear_map: LinearMap | None = None  # default direct-map mode; None: not modelled

    @property
    def page_size(self) -> int:
        """``PAGE_SIZE``."""
        return 1 << self.page_shift

    @property
    def pages_per_section(self) -> int:
        """``PAGES_PER_SECTION``."""
        return 1 << (self.section_size_bits - self.page_shift)

    @property
    def pfn_section_shift(self) -> int:
        """``PFN_SECTION_SHIFT``."""
        return self.section_size_bits - self.page_shift

    @property
    def pages_per_subsection(self) -> int:
        """``PAGES_PER_SUBSECTION``."""
        return 1 << (SUBSECTION_SHIFT - self.page_shift)

    @property
    def pmd_size(self) -> int:
        """Vmemmap bytes one PMD entry maps (= what one PTE table covers)."""
        return self.levels[0].va_bytes

    def level(self, name: str) -> TableLevel | None:
        """The table level called ``name``, or None where it is folded."""
        for lvl in self.levels:
            if lvl.name == name:
                return lvl
        return None


def _levels(
    page_size: int, entries: tuple[int, ...], table_bytes: tuple[int, ...]
) -> tuple[TableLevel, ...]:
    """Build table levels from the entry counts of PTE, PMD, PUD, P4D tables (lowest first)."""
    names: tuple[Literal["pte", "pmd", "pud", "p4d"], ...] = ("pte", "pmd", "pud", "p4d")
    out = []
    va = page_size
    for name, n, size in zip(names, entries, table_bytes, strict=False):
        va *= n
        out.append(TableLevel(name=name, va_bytes=va, table_bytes=size))
    return tuple(out)


_X86_LEVELS_4 = _levels(4 * KiB, (512, 512, 512), (4096,) * 3)
_X86_LEVELS_5 = _levels(4 * KiB, (512, 512, 512, 512), (4096,) * 4)

ARCHES: dict[str, ArchProfile] = {
    p.name: p
    for p in (
        ArchProfile(
            name="x86_64",
            description="x86_64, 4K pages, 4-level paging (MAX_PHYSMEM_BITS 46)",
            page_shift=12,
            section_size_bits=27,
            max_physmem_bits=46,
            levels=_X86_LEVELS_4,
            populate="x86",
            compound_algo="generic",
            dedup_gate="x86",
            dax_alignments=(4 * KiB, 2 * MiB, 1 * GiB),
            hvo_hugetlb=True,
            linear_map="blocks",
        ),
        ArchProfile(
            name="x86_64-la57",
            description="x86_64, 4K pages, 5-level paging (MAX_PHYSMEM_BITS 52)",
            page_shift=12,
            section_size_bits=27,
            max_physmem_bits=52,
            levels=_X86_LEVELS_5,
            populate="x86",
            compound_algo="generic",
            dedup_gate="x86",
            dax_alignments=(4 * KiB, 2 * MiB, 1 * GiB),
            hvo_hugetlb=True,
            linear_map="blocks",
        ),
        ArchProfile(
            name="arm64-4k",
            description="arm64, 4K pages, 48-bit VA (4 levels)",
            page_shift=12,
            section_size_bits=27,
            max_physmem_bits=48,
            levels=_levels(4 * KiB, (512, 512, 512), (4096,) * 3),
            populate="arm64-4k",
            compound_algo="generic",
            dedup_gate="arm64",
            dax_alignments=(4 * KiB, 2 * MiB),
            linear_map="pages",
        ),
        ArchProfile(
            name="arm64-16k",
            description="arm64, 16K pages, 48-bit VA (4 levels)",
            page_shift=14,
            section_size_bits=27,
            max_physmem_bits=48,
            levels=_levels(16 * KiB, (2048, 2048, 2048), (16 * KiB,) * 3),
            populate="basepages",
            compound_algo="generic",
            dedup_gate="arm64",
            dax_alignments=(16 * KiB, 32 * MiB),
            linear_map="pages",
        ),
        ArchProfile(
            name="arm64-64k",
            description="arm64, 64K pages, 48-bit VA (3 levels, PUD folded)",
            page_shift=16,
            section_size_bits=29,
            max_physmem_bits=48,
            levels=_levels(64 * KiB, (8192, 8192), (64 * KiB,) * 2),
            populate="basepages",
            compound_algo="generic",
            dedup_gate="arm64",
            dax_alignments=(64 * KiB, 512 * MiB),
            linear_map="pages",
        ),
        ArchProfile(
            name="ppc64-radix-64k",
            description="ppc64 book3s radix MMU, 64K pages (PTE tables are 256-byte fragments)",
            page_shift=16,
            section_size_bits=24,
            max_physmem_bits=51,
            # RADIX_PTE_INDEX_SIZE 5 (32 entries, 256 B), PMD and PUD index 9 (4 KiB fragments)
            levels=_levels(64 * KiB, (32, 512, 512), (256, 4096, 4096)),
            populate="ppc-radix",
            compound_algo="ppc",
            dedup_gate="ppc64-radix",
            dax_alignments=(64 * KiB, 2 * MiB, 1 * GiB),
            altmap_fallback_to_dram=True,
        ),
        ArchProfile(
            name="ppc64-radix-4k",
            description="ppc64 book3s radix MMU, 4K pages",
            page_shift=12,
            section_size_bits=24,
            max_physmem_bits=51,
            levels=_levels(4 * KiB, (512, 512, 512), (4096,) * 3),
            populate="ppc-radix",
            compound_algo="ppc",
            dedup_gate="ppc64-radix",
            dax_alignments=(4 * KiB, 2 * MiB, 1 * GiB),
            altmap_fallback_to_dram=True,
        ),
        ArchProfile(
            name="riscv64",
            description="riscv64, 4K pages, Sv48 (4 levels)",
            page_shift=12,
            section_size_bits=27,
            max_physmem_bits=56,
            levels=_levels(4 * KiB, (512, 512, 512), (4096,) * 3),
            populate="hugepages",
            compound_algo="generic",
            dedup_gate="riscv",
            dax_alignments=(4 * KiB, 2 * MiB, 1 * GiB),
            # best_map_size() in arch/riscv/mm/init.c: PUD (1G, Sv48) and PMD leaves.
            linear_map="blocks",
        ),
    )
}


# ``uname -m`` names, alone or with the page size (``getconf PAGESIZE``) where the machine
# name does not fix it: aarch64 kernels are built with 4K, 16K or 64K pages
# (CONFIG_ARM64_{4K,16K,64K}_PAGES), ppc64le ones with 64K (distributions) or 4K.
UNAME_MACHINES: dict[str, str] = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "aarch64-4k": "arm64-4k",
    "aarch64-16k": "arm64-16k",
    "aarch64-64k": "arm64-64k",
    "ppc64le-64k": "ppc64-radix-64k",
    "ppc64le-4k": "ppc64-radix-4k",
    "riscv64": "riscv64",
}
# A machine name whose page size must be said: the choices, for the refusal's hint.
_AMBIGUOUS = {
    "aarch64": ("4k", "16k", "64k"),
    "arm64": ("4k", "16k", "64k"),
    "ppc64le": ("64k", "4k"),
}


def arch_for_machine(machine: str, page_size: int) -> str | None:
    """The profile of a ``uname -m`` name with a page size in bytes (None: not modelled)."""
    suffix = {4 * KiB: "4k", 16 * KiB: "16k", 64 * KiB: "64k"}.get(page_size)
    name = machine.lower()
    if name in UNAME_MACHINES:
        return UNAME_MACHINES[name]
    if suffix is None:
        return None
    return UNAME_MACHINES.get(f"{'aarch64' if name == 'arm64' else name}-{suffix}")


def get_arch(name: str, option: str = "--arch") -> ArchProfile:
    """Return the profile called ``name`` (a profile or a ``uname -m`` name, with the page
    size where it is needed: ``aarch64-64k``) or raise an InputError listing the known ones."""
    key = name.lower()
    profile = ARCHES.get(key) or ARCHES.get(UNAME_MACHINES.get(key.replace(":", "-"), ""))
    if profile is not None:
        return profile
    if key in _AMBIGUOUS:
        sizes = _AMBIGUOUS[key]
        spelled = " or ".join(f"{'aarch64' if key == 'arm64' else key}-{s}" for s in sizes)
        raise InputError(
            option,
            f"{quote_value(name)}: say the page size too (getconf PAGESIZE): {spelled}",
        )
    known = ", ".join(ARCHES)
    raise InputError(
        option,
        f"unknown architecture {quote_value(name)} (known: {known}; or a uname -m name: "
        "x86_64, aarch64-4k/16k/64k, ppc64le-64k/4k, riscv64)",
    )
