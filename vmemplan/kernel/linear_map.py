"""Page-table pages of the direct (linear) map of memory added at runtime.

``pagemap_range()`` in mm/memremap.c calls ``arch_add_memory()`` for device-dax and fsdax,
which maps the range into the kernel's direct map; the tables that mapping allocates are
DRAM. Byte ranges are half-open ``[start, end)``. Work is O(ranges): each range needs
tables below a leaf only at its unaligned head and tail.

Modes (``LinearMap``), and where each arch takes them:

* arm64: ``arch_add_memory()`` and ``map_mem()`` in arch/arm64/mm/mmu.c pass
  ``NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS`` when ``can_set_direct_map()`` (arch/arm64/mm/
  pageattr.c) is true: ``rodata_full`` (default y with CONFIG_RODATA_FULL_DEFAULT_ENABLED),
  ``debug_pagealloc``, ``arm64_kfence_can_set_direct_map()`` (only a KFENCE pool that is NOT
  allocated early, i.e. ``kfence.sample_interval=0`` at boot: an early pool is mapped with
  pages on its own, since Zhenhua Huang's "mm,kfence: decouple kfence from page
  granularity mapping judgement" (2023, also in stable 6.1.65; before it any CONFIG_KFENCE
  kernel used pages) or a realm. So boot RAM and added ranges get the same mode: "pages".
  ``rodata=on`` means blocks since Linux kernel commit acfa60dbe038 ("arm64: mm: Fix
  "rodata=on" when CONFIG_RODATA_FULL_DEFAULT_ENABLED=y") (Nov 2023, in stable 6.1.65 of
  2023-12-03; mainline tag not confirmed here, presumably v6.7); before it ``rodata=on``
  kept the full default (pages).
* x86_64: ``init_memory_mapping()`` -> ``kernel_physical_mapping_init()`` in
  arch/x86/mm/init_64.c with the page sizes ``split_mem_range()`` (arch/x86/mm/init.c)
  picks: 1G where an aligned GiB is covered and ``direct_gbpages``, 2M, 4K at the
  unaligned edges: "blocks"; "pages" is ``debug_pagealloc`` (``probe_page_size_mask()``).
* riscv64 (Sv48): ``arch_add_memory()`` -> ``create_linear_mapping_range()`` in
  arch/riscv/mm/init.c, chunk by chunk of ``best_map_size()``: a 1G PUD leaf where pa and
  va are GiB aligned and a GiB remains, else a 2M PMD leaf, else 4K: "blocks" with 1G
  leaves always (no gbpages switch); ``debug_pagealloc`` gives "pages". Boot RAM goes
  through the same function (``create_linear_mapping_page_table()``).
"""

from __future__ import annotations

from vmemplan.kernel.arch import ArchProfile, LinearMap
from vmemplan.kernel.intervals import IntervalSet
from vmemplan.units import align_down, align_up

__all__ = ["DirectMapState", "LinearMap", "direct_map_table_pages"]


def _pud_leaves_allowed(arch: ArchProfile, linear_map: LinearMap, gbpages: bool) -> bool:
    """Whether a PUD entry may be a leaf (1 GiB block) for this arch and mode."""
    if linear_map == "pages" or len(arch.levels) < 3:
        return False
    if arch.name.startswith("arm64"):
        # pud_sect_supported() in arch/arm64/include/asm/pgtable.h: 4K pages only.
        return arch.page_shift == 12
    if arch.name.startswith("x86_64"):
        return gbpages  # direct_gbpages: PG_LEVEL_1G in page_size_mask (probe_page_size_mask())
    # riscv best_map_size() in arch/riscv/mm/init.c: PUD leaves whenever aligned (Sv48).
    return True


def _leaf_cut(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Pieces of ``[start, end)`` outside the ``size``-aligned blocks it fully covers."""
    lo, hi = align_up(start, size), align_down(end, size)
    if lo >= hi:
        return [(start, end)]
    return [(a, b) for a, b in ((start, lo), (hi, end)) if a < b]


class DirectMapState:
    """The direct-map tables of init_mm, per level, as sets of table windows."""

    def __init__(self, arch: ArchProfile, linear_map: LinearMap, gbpages: bool) -> None:
        self.arch = arch
        self.linear_map = linear_map
        self.gbpages = gbpages
        self.tables = {lvl.name: IntervalSet() for lvl in arch.levels}
        # _leaf_size() per level, fixed by the three above (asked once per range added)
        self.leaf_sizes = tuple(self._leaf_size(i) for i in range(len(arch.levels)))

    def copy(self) -> DirectMapState:
        """An independent state with the same tables (boot RAM is mapped once and reused)."""
        other = DirectMapState.__new__(DirectMapState)
        other.arch, other.linear_map, other.gbpages = self.arch, self.linear_map, self.gbpages
        other.leaf_sizes = self.leaf_sizes
        other.tables = {name: runs.copy() for name, runs in self.tables.items()}
        return other

    def _leaf_size(self, level: int) -> int | None:
        """The leaf size whose aligned blocks need no table of ``level`` (None: all need one)."""
        levels = self.arch.levels
        if self.linear_map == "pages" or level >= 2:
            return None
        if level == 1:
            if _pud_leaves_allowed(self.arch, self.linear_map, self.gbpages):
                return levels[1].va_bytes
            return None
        # PTE tables: only outside PMD blocks (PUD blocks lie inside the PMD-block span).
        return levels[0].va_bytes

    def _needs(self, start: int, end: int, level: int) -> list[tuple[int, int]]:
        """Bytes of ``[start, end)`` whose mapping goes through a table of ``level``."""
        size = self.leaf_sizes[level]
        return [(start, end)] if size is None else _leaf_cut(start, end, size)

    # Follows __kernel_physical_mapping_init() in arch/x86/mm/init_64.c (with the page-size
    # split of split_mem_range() in arch/x86/mm/init.c), and __create_pgd_mapping() in
    # arch/arm64/mm/mmu.c, which arch_add_memory() calls with NO_BLOCK_MAPPINGS |
    # NO_CONT_MAPPINGS when can_set_direct_map() is true.
    def add_range(self, start: int, end: int) -> dict[str, int]:
        """Map ``[start, end)``; return the new tables allocated per level."""
        out = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
        if start >= end:
            return out
        for i, lvl in enumerate(self.arch.levels):
            for a, b in self._needs(start, end, i):
                out[lvl.name] += self.tables[lvl.name].add(
                    a // lvl.va_bytes, (b - 1) // lvl.va_bytes + 1
                )
        return out

    # Follows create_altmaps_and_memory_blocks() in mm/memory_hotplug.c: arch_add_memory()
    # (hence the mapping of add_range()) once per memory block.
    def add_blocks(self, start: int, end: int, block: int) -> dict[str, int]:
        """Map ``[start, end)`` as one ``add_range()`` per ``block`` bytes; the same tables.

        ``start`` and ``end`` are multiples of ``block``. The tables a level needs do not
        depend on the order of the calls, only on their union: where a leaf size divides
        the block, or the block divides the leaf size, every block needs the same (none, or
        its whole span) and the union is one run per level, whatever the number of blocks.
        Other block sizes (not a power of two) are mapped block by block.
        """
        out = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
        if start >= end:
            return out
        for i, lvl in enumerate(self.arch.levels):
            size = self._leaf_size(i)
            if size is not None and block % size == 0 == start % size:
                continue  # every block is covered by leaves of this size
            if size is None or (size % block == 0 == start % block):
                pieces = [(start, end)]  # every block is inside one leaf span: it needs all
            else:
                pieces = [
                    piece
                    for b in range(start, end, block)
                    for piece in _leaf_cut(b, b + block, size)
                ]
            for a, b in pieces:
                out[lvl.name] += self.tables[lvl.name].add(
                    a // lvl.va_bytes, (b - 1) // lvl.va_bytes + 1
                )
        return out


def direct_map_table_pages(
    arch: ArchProfile,
    added: list[tuple[int, int]],
    boot_ram: list[tuple[int, int]],
    linear_map: LinearMap,
    gbpages: bool,
) -> dict[str, int]:
    """New direct-map table pages for ``added``, after ``boot_ram`` is mapped the same way.

    Tables owned by boot RAM or by an earlier added range are not counted again.
    """
    state = DirectMapState(arch, linear_map, gbpages)
    for lo, hi in boot_ram:
        state.add_range(lo, hi)
    total = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
    for lo, hi in added:
        for k, v in state.add_range(lo, hi).items():
            total[k] += v
    return total
