"""The vmemmap of one machine: its page tables, PMD leaves and PTE-mapped pages.

This is the walker's state and the populate operations of mm/sparse-vmemmap.c and the
arch ``vmemmap_populate()`` implementations, applied to whole runs of pages at once. Every
set is an IntervalSet, so an operation costs O(runs it touches), never O(pages).

Units: ``va`` values are byte offsets from ``vmemmap_base`` (pfn * sizeof(struct page));
``page`` values are vmemmap page indices (va // PAGE_SIZE); ``window`` values are indices
of the VA span one table of a level covers.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.intervals import IntervalSet, count_congruent
from vmemplan.kernel.pfn_devs import Altmap


class Account:
    """What a sequence of populate operations allocated (one pgmap, or the boot memmap).

    A plain mutable record (every walk adds to one); a class rather than a dataclass, which
    would cost ``estimate``'s start-up the compilation of its generated methods."""

    __slots__ = ("altmap_align_pfns", "device_pages", "dram_pages", "tables")

    def __init__(
        self,
        dram_pages: int = 0,
        device_pages: int = 0,
        altmap_align_pfns: int = 0,
        tables: dict[str, int] | None = None,
    ) -> None:
        # memmap data pages from the page allocator (or memblock at boot)
        self.dram_pages = dram_pages
        self.device_pages = device_pages  # memmap data pages from the altmap (vmem_altmap.alloc)
        # altmap pfns skipped to align blocks (vmem_altmap.align)
        self.altmap_align_pfns = altmap_align_pfns
        self.tables = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0} if tables is None else tables

    def copy(self) -> Account:
        """An independent account with the same counts."""
        return Account(
            self.dram_pages, self.device_pages, self.altmap_align_pfns, dict(self.tables)
        )

    def _key(self) -> tuple[int, int, int, dict[str, int]]:
        return (self.dram_pages, self.device_pages, self.altmap_align_pfns, self.tables)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Account) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"Account(dram_pages={self.dram_pages}, device_pages={self.device_pages}, "
            f"altmap_align_pfns={self.altmap_align_pfns}, tables={self.tables})"
        )


class AltmapState:
    """``struct vmem_altmap`` while the memmap is being populated."""

    __slots__ = ("align", "alloc", "altmap")

    def __init__(self, altmap: Altmap, alloc: int = 0, align: int = 0) -> None:
        self.altmap = altmap
        self.alloc = alloc
        self.align = align

    def __repr__(self) -> str:
        return f"AltmapState(altmap={self.altmap!r}, alloc={self.alloc}, align={self.align})"

    def nr_free(self) -> int:
        """``vmem_altmap_nr_free()``."""
        return self.altmap.free - self.alloc - self.align

    def next_pfn(self) -> int:
        """``vmem_altmap_next_pfn()``: absolute pfn of the next allocation."""
        return self.altmap.base_pfn + self.altmap.reserve + self.alloc + self.align


def altmap_exhausted(altmap: AltmapState, short_pfns: int) -> GeometryError:
    """The error for an altmap that cannot hold the memmap (population fails, -ENOMEM)."""
    return GeometryError(
        "--map",
        f"dev: the altmap is exhausted ({altmap.altmap.free} pfns reserved, "
        f"{short_pfns} more needed); the kernel fails to enable this namespace (-ENOMEM)",
    )


class BlockEffect(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """What populating one memory block did, relative to the block (see ``block_effect()``).

    ``tables`` names the levels whose tables the block ensured for all of its vmemmap
    pages (for none of them otherwise); ``pmd_leaves`` and ``ptes``: the block's windows
    are all PMD leaves, or its pages all PTE-mapped, afterwards (none otherwise). The page
    counts are the block's own allocations.
    """

    dram_pages: int
    device_pages: int
    altmap_align_pfns: int
    tables: frozenset[str]
    pmd_leaves: bool
    ptes: bool


class VmemmapState:
    """The kernel page tables that map the vmemmap (init_mm), as interval sets."""

    def __init__(self, arch: ArchProfile, struct_page_size: int) -> None:
        self.arch = arch
        self.page_size = arch.page_size
        self.struct_page_size = struct_page_size
        self.pmd_size = arch.pmd_size
        self.pages_per_block = self.pmd_size // self.page_size
        self.tables = {lvl.name: IntervalSet() for lvl in arch.levels}
        self.pmd_leaves = IntervalSet()  # PMD windows mapped by a PMD_SIZE block
        self.ptes = IntervalSet()  # vmemmap pages mapped by a PTE
        self.shared_tail = False  # keep=1: the shared tail page exists
        # block_scratch() only: per level, the vmemmap pages whose tables were ensured
        self.ensured: dict[str, IntervalSet] | None = None

    def copy(self) -> VmemmapState:
        """An independent state with the same page tables, leaves and mapped pages."""
        other = object.__new__(VmemmapState)
        other.__dict__.update(self.__dict__)  # the arch and its sizes are shared, immutable
        other.tables = {name: runs.copy() for name, runs in self.tables.items()}
        other.pmd_leaves = self.pmd_leaves.copy()
        other.ptes = self.ptes.copy()
        other.shared_tail = self.shared_tail
        return other

    # -- helpers -----------------------------------------------------------------------

    def pages_of(self, va_lo: int, va_hi: int) -> tuple[int, int]:
        """The vmemmap pages ``[a, b)`` that the VA range ``[va_lo, va_hi)`` touches."""
        return va_lo // self.page_size, (va_hi - 1) // self.page_size + 1

    def _leaf_pages(self, a: int, b: int) -> list[tuple[int, int]]:
        """Pages of ``[a, b)`` under a PMD leaf, as sorted, disjoint runs.

        The leaf windows are disjoint and not adjacent, and each one returned overlaps
        ``[a, b)``: their clipped page runs are already a normal run list (no set needed).
        """
        if a >= b:
            return []
        ppb = self.pages_per_block
        return [
            (max(a, w0 * ppb), min(b, w1 * ppb))
            for w0, w1 in self.pmd_leaves.overlapping(a // ppb, (b - 1) // ppb + 1)
        ]

    def unleafed(self, a: int, b: int) -> list[tuple[int, int]]:
        """Pieces of pages ``[a, b)`` not under a PMD leaf."""
        leaves = self._leaf_pages(a, b)
        if not leaves:
            return [(a, b)] if a < b else []
        out = []
        cur = a
        for x, y in leaves:
            if x > cur:
                out.append((cur, x))
            cur = y
        if cur < b:
            out.append((cur, b))
        return out

    def ensure_tables(self, acct: Account, va_lo: int, va_hi: int, first_level: int = 0) -> None:
        """Allocate every missing table from ``first_level`` up for ``[va_lo, va_hi)``.

        Follows vmemmap_{pte,pmd,pud,p4d}_populate() in mm/sparse-vmemmap.c: a table is
        allocated only when its parent entry is empty, and never from the altmap.
        """
        for lvl in self.arch.levels[first_level:]:
            acct.tables[lvl.name] += self.tables[lvl.name].add(
                va_lo // lvl.va_bytes, (va_hi - 1) // lvl.va_bytes + 1
            )
            if self.ensured is not None:
                self.ensured[lvl.name].add(*self.pages_of(va_lo, va_hi))

    def ensure_page_tables(self, acct: Account, a: int, b: int) -> None:
        """Tables for the vmemmap pages ``[a, b)`` (all levels)."""
        self.ensure_tables(acct, a * self.page_size, b * self.page_size)

    # -- memory blocks in bulk -----------------------------------------------------------
    #
    # A memory block whose memmap size is a multiple of PMD_SIZE owns whole PMD windows of
    # the vmemmap, so what populating it allocates (its data pages, its leaves and PTEs)
    # depends only on what its own windows hold; the tables above are shared, but a table
    # is counted once whoever ensures it first, so their count is that of the union.

    # Follows vmemmap_populate() as called per memory block: where its outcome may change.
    def uniform_block_runs(self, va_lo: int, va_hi: int, block_va: int) -> list[tuple[int, int]]:
        """Split ``[va_lo, va_hi)`` into runs of blocks whose windows hold the same state.

        ``block_va`` (a multiple of PMD_SIZE) is the vmemmap of one block, ``va_lo`` and
        ``va_hi`` are multiples of it. In each returned VA run, every block's windows are
        all or none PMD leaves, all or none under a PTE table, and its pages all or none
        PTE-mapped, the same for every block of the run; a block that is partly either
        is a run of its own. O(runs of the state inside the range).
        """
        k0, k1 = va_lo // block_va, va_hi // block_va
        windows, pages = block_va // self.pmd_size, block_va // self.page_size
        cuts = {k0, k1}
        for runs, unit in (
            (self.pmd_leaves, windows),
            (self.tables[self.arch.levels[0].name], windows),
            (self.ptes, pages),
        ):
            for x, y in runs.overlapping(k0 * unit, k1 * unit):
                cuts.update((x // unit, -(-x // unit), y // unit, -(-y // unit)))
        ordered = sorted(cuts)
        return [(a * block_va, b * block_va) for a, b in pairwise(ordered)]

    # Follows vmemmap_populate() of one block: the state it reads (see uniform_block_runs()).
    def block_scratch(self, va_lo: int, va_hi: int) -> VmemmapState:
        """A fresh state holding only what the block ``[va_lo, va_hi)`` sees of this one.

        Its PMD leaves, PTE tables and PTEs are copied (they decide how it is populated);
        the tables above are not (they decide nothing), and ``ensured`` records which
        pages the block ensures the tables of, level by level.
        """
        pmd, pte = self.pmd_size, self.arch.levels[0].name
        other = VmemmapState(self.arch, self.struct_page_size)
        other.ensured = {lvl.name: IntervalSet() for lvl in self.arch.levels}
        for x, y in self.pmd_leaves.overlapping(va_lo // pmd, va_hi // pmd):
            other.pmd_leaves.add(x, y)
        for x, y in self.tables[pte].overlapping(va_lo // pmd, va_hi // pmd):
            other.tables[pte].add(x, y)
        for x, y in self.ptes.overlapping(*self.pages_of(va_lo, va_hi)):
            other.ptes.add(x, y)
        other.shared_tail = self.shared_tail
        return other

    # Follows vmemmap_populate() of one block: what it did, if it repeats block by block.
    def block_effect(self, acct: Account, va_lo: int, va_hi: int) -> BlockEffect | None:
        """This scratch state's outcome for the block ``[va_lo, va_hi)``, or None.

        None when the tables of a level were ensured for part of the block only, or the
        leaves or the PTEs cover it in part: then the blocks beside it, whose windows of
        the levels above fall elsewhere, need not get the same; they are added one by one.
        """
        assert self.ensured is not None, "block_effect() of a state not from block_scratch()"
        a, b = self.pages_of(va_lo, va_hi)
        tables = []
        for lvl in self.arch.levels:
            n = self.ensured[lvl.name].count(a, b)
            if n == b - a:
                tables.append(lvl.name)
            elif n:
                return None
        full = []
        for runs, lo, hi in (
            (self.pmd_leaves, va_lo // self.pmd_size, va_hi // self.pmd_size),
            (self.ptes, *self.pages_of(va_lo, va_hi)),
        ):
            n = runs.count(lo, hi)
            if n not in (0, hi - lo):
                return None
            full.append(n > 0)
        return BlockEffect(
            dram_pages=acct.dram_pages,
            device_pages=acct.device_pages,
            altmap_align_pfns=acct.altmap_align_pfns,
            tables=frozenset(tables),
            pmd_leaves=full[0],
            ptes=full[1],
        )

    # Follows vmemmap_populate() over a run of like blocks (one call per block, at once).
    def add_block_effect(
        self, acct: Account, effect: BlockEffect, va_lo: int, va_hi: int, nr_blocks: int
    ) -> None:
        """Apply ``effect`` to each of the ``nr_blocks`` blocks of ``[va_lo, va_hi)`` at once."""
        for lvl in self.arch.levels:
            if lvl.name in effect.tables:
                acct.tables[lvl.name] += self.tables[lvl.name].add(
                    va_lo // lvl.va_bytes, (va_hi - 1) // lvl.va_bytes + 1
                )
        if effect.pmd_leaves:
            self.pmd_leaves.add(va_lo // self.pmd_size, va_hi // self.pmd_size)
        if effect.ptes:
            self.ptes.add(*self.pages_of(va_lo, va_hi))
        acct.dram_pages += nr_blocks * effect.dram_pages
        acct.device_pages += nr_blocks * effect.device_pages
        acct.altmap_align_pfns += nr_blocks * effect.altmap_align_pfns

    # -- allocation ----------------------------------------------------------------------

    def _alloc_pages(
        self, acct: Account, nr_pages: int, altmap: AltmapState | None, *, fallback: bool
    ) -> None:
        """Allocate ``nr_pages`` single pages (vmemmap_alloc_block_buf(PAGE_SIZE, ...))."""
        if altmap is None:
            acct.dram_pages += nr_pages
            return
        take = min(nr_pages, altmap.nr_free())
        altmap.alloc += take
        acct.device_pages += take
        if take < nr_pages:
            if not fallback:
                raise altmap_exhausted(altmap, nr_pages - take)
            acct.dram_pages += nr_pages - take

    def _alloc_blocks(
        self, acct: Account, nr_blocks: int, altmap: AltmapState | None, *, fallback: bool
    ) -> None:
        """Allocate ``nr_blocks`` PMD_SIZE blocks (altmap_alloc_block_buf() aligns each)."""
        nr = self.pages_per_block
        if altmap is None:
            acct.dram_pages += nr_blocks * nr
            return
        nxt = altmap.next_pfn()
        pad = -nxt % nr
        fit = 0 if pad + nr > altmap.nr_free() else min(nr_blocks, (altmap.nr_free() - pad) // nr)
        if fit:
            altmap.align += pad
            altmap.alloc += fit * nr
            acct.device_pages += fit * nr
            acct.altmap_align_pfns += pad
        if fit < nr_blocks:
            if not fallback:
                raise altmap_exhausted(altmap, (nr_blocks - fit) * nr)
            acct.dram_pages += (nr_blocks - fit) * nr

    # -- populate operations ---------------------------------------------------------------

    def populate_basepages(
        self, acct: Account, va_lo: int, va_hi: int, altmap: AltmapState | None, *, fallback: bool
    ) -> None:
        """vmemmap_populate_basepages() in mm/sparse-vmemmap.c: one page per empty PTE.

        Pages under an existing PMD leaf count as mapped.
        """
        a, b = self.pages_of(va_lo, va_hi)
        for p0, p1 in self.unleafed(a, b):
            self.ensure_page_tables(acct, p0, p1)
            self._alloc_pages(acct, self.ptes.add(p0, p1), altmap, fallback=fallback)

    def populate_hugepages(
        self,
        acct: Account,
        va_lo: int,
        va_hi: int,
        altmap: AltmapState | None,
        *,
        ppc_radix: bool = False,
    ) -> None:
        """vmemmap_populate_hugepages() in mm/sparse-vmemmap.c, one PMD window at a time.

        An empty window gets a PMD_SIZE block (from the altmap if given), a leaf is reused,
        a window that already has a PTE table falls back to base pages. With ``ppc_radix``
        it follows radix__vmemmap_populate() instead: with an altmap, a window whose start
        is not covered or whose block would describe pfns outside the device gets base
        pages, and failed altmap allocations fall back to DRAM.
        """
        pmd = self.pmd_size
        w0, w1 = va_lo // pmd, (va_hi - 1) // pmd + 1
        self.ensure_tables(acct, w0 * pmd, w1 * pmd, first_level=1)
        pieces: list[tuple[int, int, str]] = [
            (x, y, "leaf") for x, y in self.pmd_leaves.overlapping(w0, w1)
        ]
        pieces += [(x, y, "pte") for x, y in self.tables["pte"].overlapping(w0, w1)]
        occupied = IntervalSet((x, y) for x, y, _ in pieces)
        pieces += [(x, y, "new") for x, y in occupied.gaps(w0, w1)]
        for x, y, kind in sorted(pieces):
            if kind == "leaf":
                continue
            lo, hi = max(va_lo, x * pmd), min(va_hi, y * pmd)
            if kind == "pte":
                self.populate_basepages(acct, lo, hi, altmap, fallback=ppc_radix)
                continue
            if ppc_radix and altmap is not None:
                self._ppc_radix_new_windows(acct, x, y, va_lo, va_hi, altmap)
                continue
            self._alloc_blocks(acct, y - x, altmap, fallback=ppc_radix)
            self.pmd_leaves.add(x, y)

    def _ppc_radix_new_windows(
        self, acct: Account, x: int, y: int, va_lo: int, va_hi: int, altmap: AltmapState
    ) -> None:
        """Empty windows ``[x, y)`` of radix__vmemmap_populate() with an altmap."""
        pmd, spp = self.pmd_size, self.struct_page_size
        # A window takes a block when the request covers its start (the address is PMD
        # aligned) and the block describes only pfns in [base_pfn, end_pfn)
        # (altmap_cross_boundary()); the others get base pages.
        first_ok = max(-(-va_lo // pmd), -(-altmap.altmap.base_pfn * spp // pmd))
        end_ok = altmap.altmap.end_pfn * spp // pmd
        block_lo, block_hi = max(x, first_ok), min(y, end_ok)
        if block_lo >= block_hi:
            block_lo = block_hi = y
        if x < block_lo:
            self.populate_basepages(
                acct, max(va_lo, x * pmd), min(va_hi, block_lo * pmd), altmap, fallback=True
            )
        if block_lo < block_hi:
            self._alloc_blocks(acct, block_hi - block_lo, altmap, fallback=True)
            self.pmd_leaves.add(block_lo, block_hi)
        if block_hi < y:
            self.populate_basepages(
                acct, max(va_lo, block_hi * pmd), min(va_hi, y * pmd), altmap, fallback=True
            )

    def _count_present(self, lo: int, hi: int, first: int, period: int) -> int:
        """Pages ``first + m*period`` in ``[lo, hi)`` that are already mapped (PTE or leaf)."""
        n = sum(count_congruent(x, y, first, period) for x, y in self.ptes.overlapping(lo, hi))
        n += sum(count_congruent(x, y, first, period) for x, y in self._leaf_pages(lo, hi))
        return n

    def populate_compound_generic(
        self,
        acct: Account,
        lo_pfn: int,
        hi_pfn: int,
        range_start_pfn: int,
        nr_compound: int,
        keep: int,
    ) -> None:
        """vmemmap_populate_compound_pages() in mm/sparse-vmemmap.c over a run of chunks.

        Compound pages start every ``nr_compound`` pfns from the start of the pgmap range
        being added (pgmap->ranges[pgmap->nr_range]). Each head in ``[lo_pfn, hi_pfn)``
        gets its own head vmemmap page and (keep=2) one tail vmemmap page; every other
        vmemmap page of the run is mapped to a tail page that already exists: the chunks
        that start inside a compound take the reuse_compound_section() branch.
        """
        s, p = self.struct_page_size, self.page_size
        cv = nr_compound * s // p  # vmemmap pages per compound page
        a, b = self.pages_of(lo_pfn * s, hi_pfn * s)
        first_head = range_start_pfn + -(-(lo_pfn - range_start_pfn) // nr_compound) * nr_compound
        heads = count_congruent(lo_pfn, hi_pfn, range_start_pfn, nr_compound)
        if heads:
            hp0 = first_head * s // p
            hp_end = hp0 + (heads - 1) * cv + 1  # one past the last head page
            new = heads - self._count_present(hp0, hp_end, hp0, cv)
            if keep >= 2:
                new += heads - self._count_present(hp0 + 1, hp_end + 1, hp0 + 1, cv)
                b = max(b, hp_end + 1)
            elif not self.shared_tail:
                self.shared_tail = True
                new += 1
            acct.dram_pages += new
        for p0, p1 in self.unleafed(a, b):
            self.ensure_page_tables(acct, p0, p1)
            self.ptes.add(p0, p1)

    def populate_compound_ppc(
        self, acct: Account, lo_pfn: int, hi_pfn: int, nr_compound: int, keep: int
    ) -> None:
        """vmemmap_populate_compound_pages() of arch/powerpc/mm/book3s64/radix_pgtable.c.

        Walks the vmemmap pages of the chunk; an unmapped page makes sure its compound's
        head page and (keep=2) its second page exist, the compound being found from the
        absolute pfn (ALIGN_DOWN(pfn, nr_pages)), and is mapped to the tail page.
        """
        s, p = self.struct_page_size, self.page_size
        cv = nr_compound * s // p
        a, b = self.pages_of(lo_pfn * s, hi_pfn * s)
        unleafed = self.unleafed(a, b)
        compounds = IntervalSet()
        edge_compounds: set[int] = set()  # compounds whose head may lie outside the chunk
        for p0, p1 in unleafed:
            for u0, u1 in self.ptes.gaps(p0, p1):
                compounds.add(u0 // cv, (u1 - 1) // cv + 1)
                edge_compounds.update((u0 // cv, (u1 - 1) // cv))
        extra = 2 if keep >= 2 else 1  # head page, and the tail page with keep=2
        new = 0
        for c0, c1 in compounds:
            new += (c1 - c0) - self._count_present(c0 * cv, c1 * cv, c0 * cv, cv)
            if keep >= 2:
                new += (c1 - c0) - self._count_present(c0 * cv + 1, c1 * cv + 1, c0 * cv + 1, cv)
        if len(compounds) and keep < 2 and not self.shared_tail:
            self.shared_tail = True
            new += 1
        acct.dram_pages += new
        for p0, p1 in unleafed:
            self.ensure_page_tables(acct, p0, p1)
            self.ptes.add(p0, p1)
        for c in sorted(edge_compounds):
            for p0, p1 in self.unleafed(c * cv, c * cv + extra):
                self.ensure_page_tables(acct, p0, p1)
                self.ptes.add(p0, p1)
