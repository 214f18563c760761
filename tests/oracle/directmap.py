"""Brute-force direct-map (linear map) page-table walker: a TEST ORACLE for vmemplan.

Written from the kernel source and /work/shared/spec only, without reading vmemplan's own
direct-map code, so that the fast path and this oracle cannot share a mistake.  It is
deliberately slow: every page-table entry the kernel would write is visited one by one
and recorded in Python sets.  Use it on small geometries only (a few GiB of 4K pages).

What it counts
--------------
``direct_map_tables()`` returns the number of NEW page-table pages (one table = one page
of the arch's granule) that building the kernel direct map for ``added`` allocates, per
level: ``pte`` tables (hold PTEs), ``pmd`` tables (hold PMD entries), ``pud`` tables and
``p4d`` tables.  The PGD is part of the kernel image and never allocated.  Boot RAM is
mapped first into the same simulated tables and what it allocates is not counted.

Model of the tables
-------------------
* ``tables``: a set of ``(level, index)``; a table of level L with index i maps the
  physical range ``[i * span(L), (i + 1) * span(L))`` of the linear map.
* ``leaves``: a set of ``(level, index)`` for block (huge) entries held in a table of
  that level (a "pmd" leaf is a 2 MiB/32 MiB/512 MiB block, a "pud" leaf is 1 GiB).
* ``ptes``: the set of base-page indices that have a PTE.

Assumptions (documented, not modelled): the linear map offset is aligned to the top
table span (no KASLR of the direct map; arm64 memstart_addr == 0), so the physical
address indexes the tables; x86_64 uses 4-level paging and arm64 48-bit VA, so no p4d
table is ever allocated (the p4d level is folded; "x86_64-la57" is 5-level paging and
has p4d tables); x86's boot-time 4K mapping of the ISA range [0, 1 MiB) and
``adjust_range_page_size_mask()`` widening an unaligned edge to a 2 MiB page when
memblock says the whole 2 MiB is RAM are not modelled (edges that are not aligned to a
leaf get smaller leaves).

Rules and the kernel code each follows
--------------------------------------
1. Leaf choice.  x86_64: ``init_memory_mapping()`` -> ``split_mem_range()`` in
   arch/x86/mm/init.c cuts [start, end) into a 4K head up to the first 2 MiB boundary,
   2 MiB pieces up to the first 1 GiB boundary, 1 GiB pieces (only when ``direct_gbpages``
   put PG_LEVEL_1G in ``page_size_mask``), then 2 MiB and 4K tails.  That is the same as
   "use the largest allowed leaf whose aligned entry lies wholly inside the range", which
   is what ``_map_range`` does per entry.  arm64: ``alloc_init_pud()`` / ``init_pmd()`` in
   arch/arm64/mm/mmu.c set a block when ``((addr | next | phys) & ~MASK) == 0`` and
   ``NO_BLOCK_MAPPINGS`` is clear; a PUD block also needs ``pud_sect_supported()``, which
   is true only for the 4K granule.  Contiguous-bit hints (``NO_CONT_MAPPINGS``) change
   no table count and are ignored.  riscv64 (Sv48): ``create_linear_mapping_range()``
   steps by ``best_map_size()`` (arch/riscv/mm/init.c), the largest of PUD/PMD/page whose
   aligned entry fits in what is left: the same greedy rule, 1G leaves always allowed.
2. "pages" mode.  arm64: ``arch_add_memory()`` and ``map_mem()`` both add
   ``NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS`` when ``can_set_direct_map()`` (rodata=full,
   the Kconfig default, or debug_pagealloc, KFENCE, realm), so the SAME condition maps
   boot RAM and hot-added RAM with base pages.  x86_64: ``probe_page_size_mask()`` in
   arch/x86/mm/init.c leaves PG_LEVEL_2M/1G out of the global ``page_size_mask`` under
   debug_pagealloc, which again applies to boot and hotplug alike.  Reading of this
   oracle: boot RAM is mapped with the same ``linear_map`` mode as the added ranges on
   both arches; ``boot_linear_map`` overrides that (e.g. "blocks" to model newer arm64
   kernels that keep block mappings under rodata=full with BBML2 and split on demand).
3. Table allocation.  An empty entry whose range is not wholly covered by an allowed
   leaf gets a new next-level table: x86 ``phys_pud_init()`` / ``phys_pmd_init()``
   (``alloc_low_page()``), arm64 ``alloc_init_cont_pmd()`` / ``alloc_init_cont_pte()``
   (``pgtable_alloc``).  The top table under each PGD entry is allocated when that PGD
   entry is empty: x86 ``__kernel_physical_mapping_init()``, arm64
   ``alloc_init_p4d()``/``alloc_init_pud()`` (for 64K pages with the PUD folded, the
   PMD table is the one under the PGD).
4. Existing entries.  A table entry is reused (walk into it).  A leaf entry that the new
   range would map with the same leaf is left alone (x86 "if (page_size_mask & (1 <<
   PG_LEVEL_2M)) continue").  x86 splits a leaf when the new range needs smaller pages
   there: ``phys_pud_init()``/``phys_pmd_init()`` allocate a fresh next-level table and
   fill only the part of it inside the new range.  arm64 never splits in this path (its
   ``init_pmd()`` would BUG on an incompatible remap); the oracle treats an existing
   arm64 leaf as already mapping the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LEVEL_NAMES = ("pte", "pmd", "pud", "p4d")

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


@dataclass(frozen=True)
class _Geometry:
    """Page-table shape of one arch configuration, lowest table level first."""

    page_size: int
    entries: int  # entries per table (same at every level on these arches)
    levels: tuple[str, ...]  # allocated table levels, lowest first; PGD not listed
    leaf_levels: tuple[str, ...]  # table levels whose entries may be block leaves

    def entry_span(self, level: str) -> int:
        """Bytes one entry of a table of ``level`` maps."""
        return self.page_size * self.entries ** self.levels.index(level)

    def table_span(self, level: str) -> int:
        """Bytes one table of ``level`` maps."""
        return self.entry_span(level) * self.entries


def _geometry(arch: str, mode: str, gbpages: bool) -> _Geometry:
    """Table shape (arch/*/include/asm/pgtable*.h) and allowed leaves for ``mode``."""
    if arch in ("x86_64", "x86_64-la57"):
        # 4-level paging: PTE 4K, PMD entry 2M, PUD entry 1G, PGD entry 512G; 5-level
        # (la57) adds a P4D table under each 256T PGD entry (pgtable_64_types.h).
        page, entries = 4 * KiB, 512
        levels = ("pte", "pmd", "pud") if arch == "x86_64" else ("pte", "pmd", "pud", "p4d")
        blocks: tuple[str, ...] = ("pmd", "pud") if gbpages else ("pmd",)
    elif arch == "riscv64":
        # Sv48: PTE 4K, PMD entry 2M, PUD entry 1G, PGD entry 512G (P4D folded);
        # best_map_size() (arch/riscv/mm/init.c) allows PMD and PUD leaves.
        page, entries, levels = 4 * KiB, 512, ("pte", "pmd", "pud")
        blocks = ("pmd", "pud")
    elif arch == "arm64-4k":
        # 48-bit VA, 4 levels; pud_sect_supported() is true for 4K: 1G blocks too.
        page, entries, levels = 4 * KiB, 512, ("pte", "pmd", "pud")
        blocks = ("pmd", "pud")
    elif arch == "arm64-16k":
        # 48-bit VA, 4 levels: PMD entry 32M, PUD entry 64G; no PUD blocks for 16K.
        page, entries, levels = 16 * KiB, 2048, ("pte", "pmd", "pud")
        blocks = ("pmd",)
    elif arch == "arm64-64k":
        # 48-bit VA, 3 levels (PUD folded): PMD entry 512M, PGD entry 4T.
        page, entries, levels = 64 * KiB, 8192, ("pte", "pmd")
        blocks = ("pmd",)
    else:
        raise ValueError(f"unknown arch {arch!r}")
    if mode == "pages":
        blocks = ()
    elif mode != "blocks":
        raise ValueError(f"unknown linear_map mode {mode!r}")
    return _Geometry(page, entries, levels, blocks)


@dataclass
class _Tables:
    """The simulated kernel page tables of the linear map."""

    arch: str
    tables: set[tuple[str, int]] = field(default_factory=set)
    leaves: set[tuple[str, int]] = field(default_factory=set)
    ptes: set[int] = field(default_factory=set)
    counting: bool = False
    new: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVEL_NAMES, 0))

    def alloc_table(self, level: str, index: int) -> None:
        """One table page from the page-table allocator (alloc_low_page/pgtable_alloc)."""
        assert (level, index) not in self.tables
        self.tables.add((level, index))
        if self.counting:
            self.new[level] += 1


# Follows __kernel_physical_mapping_init() (arch/x86/mm/init_64.c) and
# __create_pgd_mapping() -> alloc_init_p4d() (arch/arm64/mm/mmu.c).
def _map_range(t: _Tables, geo: _Geometry, start: int, end: int) -> None:
    """Map the physical byte range [start, end) into the linear map, entry by entry."""
    assert start % geo.page_size == 0, f"start {start:#x} not page aligned"
    assert end % geo.page_size == 0, f"end {end:#x} not page aligned"
    top = geo.levels[-1]
    span = geo.table_span(top)
    for index in range(start // span, (end - 1) // span + 1):  # one PGD entry each
        if (top, index) not in t.tables:
            t.alloc_table(top, index)
        _fill_table(t, geo, top, index, start, end)


# Follows phys_pud_init()/phys_pmd_init()/phys_pte_init() (arch/x86/mm/init_64.c) and
# alloc_init_pud()/init_pmd()/init_pte() (arch/arm64/mm/mmu.c).
def _fill_table(t: _Tables, geo: _Geometry, level: str, index: int, start: int, end: int) -> None:
    """Write every entry of table (level, index) that maps part of [start, end)."""
    espan = geo.entry_span(level)
    lo = max(start, index * geo.table_span(level))
    hi = min(end, (index + 1) * geo.table_span(level))
    if level == "pte":
        for e in range(lo // espan, (hi - 1) // espan + 1):
            t.ptes.add(e)  # set_pte(): a PTE needs no further allocation
        return
    child = geo.levels[geo.levels.index(level) - 1]
    for e in range(lo // espan, (hi - 1) // espan + 1):
        e_lo, e_hi = e * espan, (e + 1) * espan
        covered = start <= e_lo and e_hi <= end  # entry aligned and wholly inside
        wants_leaf = covered and level in geo.leaf_levels
        if (level, e) in t.leaves:
            if wants_leaf or not t.arch.startswith("x86_64"):
                continue  # rule 4: leaf already maps it
            # rule 4, x86: split the leaf into a fresh next-level table
            t.leaves.discard((level, e))
            t.alloc_table(child, e)
        elif (child, e) in t.tables:
            pass  # rule 4: existing table, walk into it
        elif wants_leaf:
            t.leaves.add((level, e))  # rule 1: pud_set_huge()/pmd_set_huge()/set_pmd(large)
            continue
        else:
            t.alloc_table(child, e)  # rule 3
        _fill_table(t, geo, child, e, start, end)


def direct_map_tables(
    arch: str,
    added: list[tuple[int, int]],
    boot_ram: list[tuple[int, int]],
    linear_map: Literal["pages", "blocks"],
    gbpages: bool,
    *,
    boot_linear_map: Literal["pages", "blocks"] | None = None,
) -> dict[str, int]:
    """New direct-map table pages per level for mapping ``added`` after ``boot_ram``.

    Ranges are half-open byte ranges [start, end), page aligned.  ``boot_ram`` is mapped
    first with ``boot_linear_map`` (default: ``linear_map``, rule 2) and not counted;
    then each range of ``added`` in order, counted.  ``gbpages`` is x86's
    ``direct_gbpages``; arm64 ignores it (its 1G blocks follow the granule).  Returns
    ``{"pte", "pmd", "pud", "p4d"}`` counts of table pages.
    """
    geo = _geometry(arch, linear_map, gbpages)
    boot_geo = _geometry(arch, boot_linear_map or linear_map, gbpages)
    t = _Tables(arch=arch)
    for lo, hi in boot_ram:
        if lo < hi:
            _map_range(t, boot_geo, lo, hi)
    t.counting = True
    for lo, hi in added:
        if lo < hi:
            _map_range(t, geo, lo, hi)
    return dict(t.new)
