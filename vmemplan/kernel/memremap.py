"""One machine's vmemmap as pgmaps are added: memremap_pages() down to the populate paths.

Follows memremap_pages() / pagemap_range() in mm/memremap.c, __add_pages() in
mm/memory_hotplug.c, section_activate() in mm/sparse.c and __populate_section_memmap()
in mm/sparse-vmemmap.c. Boot RAM is populated first, as sparse_init() does, so device
chunks reuse its early sections and its page tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.kernel.mm_init import memmap_init_zone_device
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.sparse import (
    ChunkRun,
    chunk_runs,
    early_sections,
    pfn_to_section_nr,
    section_nr_to_pfn,
)
from vmemplan.kernel.sparse_vmemmap import Account, AltmapState, BlockEffect, VmemmapState
from vmemplan.kernel.versions import KernelProfile
from vmemplan.kernel.vmstat import section_nr_vmemmap_pages


class PgmapCost(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """What adding one pgmap cost: memmap pages, page tables, counters and init work."""

    account: Account
    nr_memmap_pages: int | None
    struct_pages_initialised: int
    altmap_area_initialised: int
    sections: int  # sections the pgmap's ranges touch
    early_chunks: int  # partial chunks that reused a boot memmap (no allocation)
    altmap_alloc: int
    altmap_align: int


class RunTrace(NamedTuple):
    """What one run of ``__add_pages()`` chunks did, for ``explain`` (see ``memremap_pages``).

    ``path``: ``early`` (section_activate() reused the boot memmap), ``compound`` (the
    deduplicated path) or ``populate`` (the arch's vmemmap_populate()). The page counts and
    ``tables`` are what the run allocated; ``pmd_leaves`` / ``pte_pages`` are how its
    vmemmap is mapped afterwards (PMD windows under a leaf, vmemmap pages under a PTE).
    """

    run: ChunkRun
    range_index: int
    path: str
    dram_pages: int
    device_pages: int
    altmap_align_pfns: int
    tables: dict[str, int]
    pmd_leaves: int
    pte_pages: int


class Machine:
    """The vmemmap state of one machine: boot RAM first, then pgmaps in order."""

    def __init__(
        self,
        arch: ArchProfile,
        kernel: KernelProfile,
        struct_page_size: int,
        boot_ram: Iterable[tuple[int, int]] = (),
    ) -> None:
        self.arch = arch
        self.kernel = kernel
        self.struct_page_size = struct_page_size
        self.state = VmemmapState(arch, struct_page_size)
        self.early = early_sections(arch, boot_ram)
        self.boot = Account()
        for s0, s1 in self.early:
            lo, hi = section_nr_to_pfn(arch, s0), section_nr_to_pfn(arch, s1)
            run = ChunkRun(lo, hi, full_sections=True, nr_chunks=s1 - s0)
            self._populate_run(self.boot, run, None)

    def copy(self) -> Machine:
        """An independent machine in the same state: boot RAM is populated once and reused."""
        other = object.__new__(Machine)
        other.__dict__.update(self.__dict__)  # arch, kernel and sizes are shared, immutable
        other.state = self.state.copy()
        other.early = self.early.copy()
        other.boot = self.boot.copy()
        return other

    def _populate_run(self, acct: Account, run: ChunkRun, altmap: AltmapState | None) -> None:
        """The arch's vmemmap_populate() for every chunk of ``run`` (not deduplicated)."""
        st, s = self.state, self.struct_page_size
        va_lo, va_hi = run.start_pfn * s, run.end_pfn * s
        match self.arch.populate:
            case "x86":
                # vmemmap_populate() in arch/x86/mm/init_64.c: a partial section gets base
                # pages from DRAM, the altmap is not passed down.
                if run.full_sections:
                    st.populate_hugepages(acct, va_lo, va_hi, altmap)
                else:
                    st.populate_basepages(acct, va_lo, va_hi, None, fallback=False)
            case "arm64-4k":
                # vmemmap_populate() in arch/arm64/mm/mmu.c (4K pages).
                if run.full_sections or not self.kernel.arm64_subsection_basepages:
                    st.populate_hugepages(acct, va_lo, va_hi, altmap)
                else:
                    st.populate_basepages(acct, va_lo, va_hi, altmap, fallback=False)
            case "basepages":
                st.populate_basepages(acct, va_lo, va_hi, altmap, fallback=False)
            case "hugepages":
                st.populate_hugepages(acct, va_lo, va_hi, altmap)
            case "ppc-radix":
                st.populate_hugepages(acct, va_lo, va_hi, altmap, ppc_radix=True)

    def arch_add_memory(
        self, acct: Account, start_pfn: int, end_pfn: int, altmap: Altmap | None
    ) -> None:
        """__add_pages() for hot-added System RAM: no pgmap, memmap in DRAM or the altmap."""
        state = AltmapState(altmap) if altmap is not None else None
        for run in chunk_runs(self.arch, start_pfn, end_pfn):
            self._populate_run(acct, run, state)

    # Follows create_altmaps_and_memory_blocks() in mm/memory_hotplug.c: which of its
    # per-block arch_add_memory() calls do the same.
    def memory_block_runs(
        self, start_pfn: int, end_pfn: int, block_pfns: int
    ) -> list[tuple[int, int]] | None:
        """``[start_pfn, end_pfn)`` cut into runs of memory blocks populated alike, or None.

        The pfns are multiples of ``block_pfns``. Each block is one ``arch_add_memory()``
        with its own altmap; every block of a run gets the same outcome, shifted, when
        the block is whole sections (the same chunk runs), whole pageblocks of PMD_SIZE
        (the same altmap padding) and its memmap whole PMD windows (the same windows of
        its own, see ``VmemmapState.uniform_block_runs()``). None: the blocks are not.
        """
        arch, s = self.arch, self.struct_page_size
        pmd_pfns = arch.pmd_size // arch.page_size
        if (
            block_pfns % arch.pages_per_section
            or block_pfns % pmd_pfns
            or block_pfns * s % arch.pmd_size
        ):
            return None
        runs = self.state.uniform_block_runs(start_pfn * s, end_pfn * s, block_pfns * s)
        return [(va_lo // s, va_hi // s) for va_lo, va_hi in runs]

    # Follows arch_add_memory() -> __add_pages() for one block of a run, off the machine.
    def probe_memory_block(
        self, start_pfn: int, end_pfn: int, altmap: Altmap | None
    ) -> BlockEffect | None:
        """``arch_add_memory()`` of the block ``[start_pfn, end_pfn)`` on a scratch state.

        The machine is left as it is. None when the outcome cannot be replicated over
        the run (see ``VmemmapState.block_effect()``), or the block fails (the altmap is
        exhausted): the caller then adds the run block by block, as the kernel does.
        """
        s = self.struct_page_size
        probe = object.__new__(Machine)
        probe.__dict__.update(self.__dict__)
        probe.state = self.state.block_scratch(start_pfn * s, end_pfn * s)
        acct = Account()
        try:
            probe.arch_add_memory(acct, start_pfn, end_pfn, altmap)
        except GeometryError:
            return None
        return probe.state.block_effect(acct, start_pfn * s, end_pfn * s)

    # Follows create_altmaps_and_memory_blocks(): the run's arch_add_memory() calls at once.
    def add_memory_blocks(
        self, acct: Account, effect: BlockEffect, start_pfn: int, end_pfn: int, block_pfns: int
    ) -> None:
        """Every block of the run ``[start_pfn, end_pfn)`` as ``effect`` (one probed block)."""
        s = self.struct_page_size
        nr_blocks = (end_pfn - start_pfn) // block_pfns
        self.state.add_block_effect(acct, effect, start_pfn * s, end_pfn * s, nr_blocks)

    def _run_trace(
        self, run: ChunkRun, index: int, path: str, before: Account, after: Account
    ) -> RunTrace:
        """The ``RunTrace`` of ``run``: the account's growth and the run's mapping now."""
        st, s = self.state, self.struct_page_size
        a, b = st.pages_of(run.start_pfn * s, run.end_pfn * s)
        ppb = st.pages_per_block
        return RunTrace(
            run=run,
            range_index=index,
            path=path,
            dram_pages=after.dram_pages - before.dram_pages,
            device_pages=after.device_pages - before.device_pages,
            altmap_align_pfns=after.altmap_align_pfns - before.altmap_align_pfns,
            tables={k: after.tables[k] - before.tables[k] for k in after.tables},
            pmd_leaves=st.pmd_leaves.count(a // ppb, (b - 1) // ppb + 1),
            pte_pages=st.ptes.count(a, b),
        )

    def memremap_pages(
        self, pgmap: DevPagemap, *, optimized: bool, trace: list[RunTrace] | None = None
    ) -> PgmapCost:
        """Add every range of ``pgmap`` in order and return what it cost.

        ``trace``: a list that receives one ``RunTrace`` per run of chunks (``explain``).
        """
        arch, kernel, s = self.arch, self.kernel, self.struct_page_size
        acct = Account()
        nr = pgmap.pgmap_vmemmap_nr()
        counter: int | None = None if kernel.counters == "none" else 0
        initialised = altmap_area = sections = early_chunks = 0
        altmap_state = AltmapState(pgmap.altmap) if pgmap.altmap is not None else None
        for index, (r0, r1) in enumerate(pgmap.ranges):
            altmap = altmap_state if index == 0 else None
            sections += pfn_to_section_nr(arch, r1 - 1) - pfn_to_section_nr(arch, r0) + 1
            for run in chunk_runs(arch, r0, r1):
                before = None if trace is None else acct.copy()
                if not run.full_sections and pfn_to_section_nr(arch, run.start_pfn) in self.early:
                    early_chunks += 1  # section_activate(): reuse the boot memmap
                    if before is not None and trace is not None:
                        trace.append(self._run_trace(run, index, "early", before, acct))
                    continue
                if optimized and arch.compound_algo == "ppc":
                    self.state.populate_compound_ppc(
                        acct, run.start_pfn, run.end_pfn, nr, kernel.dedup_keep
                    )
                elif optimized:
                    self.state.populate_compound_generic(
                        acct, run.start_pfn, run.end_pfn, r0, nr, kernel.dedup_keep
                    )
                else:
                    self._populate_run(acct, run, altmap)
                if before is not None and trace is not None:
                    path = "compound" if optimized else "populate"
                    trace.append(self._run_trace(run, index, path, before, acct))
                if counter is not None:
                    counter += section_nr_vmemmap_pages(
                        arch, kernel, s, run, optimized=optimized, vmemmap_shift=pgmap.vmemmap_shift
                    )
            work = memmap_init_zone_device(
                arch,
                start_pfn=r0,
                end_pfn=r1,
                altmap=pgmap.altmap if index == 0 else None,
                nr_compound=nr,
                optimized=optimized,
                keep=kernel.dedup_keep,
                struct_page_size=s,
                early=self.early,
                early_init_fix=kernel.early_init_fix,
            )
            initialised += work.total
            altmap_area += work.altmap_area
        return PgmapCost(
            account=acct,
            nr_memmap_pages=counter,
            struct_pages_initialised=initialised,
            altmap_area_initialised=altmap_area,
            sections=sections,
            early_chunks=early_chunks,
            altmap_alloc=altmap_state.alloc if altmap_state else 0,
            altmap_align=altmap_state.align if altmap_state else 0,
        )
