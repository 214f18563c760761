"""What ``vmemplan explain`` draws, as plain data: the accounting's own structure.

Nothing here computes a second model. Each builder runs the kernel model (``estimate()``,
``system_ram_estimate()``, ``hugetlb_pools()``) and, for the per-run pictures, the same
``Machine.memremap_pages()`` walk with a trace of its runs of chunks; the figures are
those walks' counts, laid out for a drawing. Ranges are half-open ``[start, end)``:
``*_pfn`` in page frames, ``start``/``end`` in bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from vmemplan.errors import InputError
from vmemplan.estimate import Estimate, EstimateRequest, estimate, estimate_many, prepare
from vmemplan.host.accounting import (
    account,
    base_request,
    device_name,
    hot_add_request,
    pgmap_request,
)
from vmemplan.host.description import Host, is_hot_added
from vmemplan.hugetlb import PoolResult
from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.dax_device import vmemmap_no_optimize_reason
from vmemplan.kernel.intervals import IntervalSet, count_congruent
from vmemplan.kernel.memory_hotplug import kmem_hotplug
from vmemplan.kernel.memremap import Machine, RunTrace
from vmemplan.kernel.pfn_devs import nd_info_block_reserve
from vmemplan.system_ram import (
    SystemRamEstimate,
    SystemRamRequest,
    hot_add_after,
    system_ram_estimate,
)
from vmemplan.units import quote_value

LEVELS = ("pte", "pmd", "pud", "p4d")


class Tables(NamedTuple):
    """Page-table tables per level (new ones, or windows, as the field says)."""

    pte: int
    pmd: int
    pud: int
    p4d: int


def _tables(d: dict[str, int] | None) -> Tables:
    d = d or {}
    return Tables(*(d.get(name, 0) for name in LEVELS))


class ChunkRunLayout(NamedTuple):
    """One run of the chunks ``__add_pages()`` hands to ``sparse_add_section()``.

    ``path``: ``early`` (a partial chunk in a boot section: section_activate() reuses the
    boot memmap, allocates nothing), ``compound`` (vmemmap_populate_compound_pages(),
    PTE-mapped and deduplicated) or ``populate`` (the arch's vmemmap_populate()).
    ``pmd_leaves``: PMD windows of the run's vmemmap mapped by a 2 MiB block afterwards;
    ``pte_pages``: its vmemmap pages mapped by a PTE. ``compound_heads``: compound pages
    whose head is in the run; ``reuse_chunks``: its chunks that start inside a compound
    larger than a subsection (reuse_compound_section(): every vmemmap page of the chunk
    is mapped onto the tail page before it, no page allocated).
    """

    start_pfn: int
    end_pfn: int
    nr_pfns: int
    sections: int
    full_sections: bool
    path: str
    memmap_dram_pages: int
    memmap_device_pages: int
    altmap_align_pfns: int
    new_tables: Tables
    pmd_leaves: int
    pte_pages: int
    compound_heads: int
    reuse_chunks: int


class CompoundLayout(NamedTuple):
    """One compound page of the pgmap and its vmemmap (vmemmap_populate_compound_pages()).

    The vmemmap pages ``0 .. kept_pages-1`` own a page frame (head, first tail); the
    other ``remapped_pages`` are PTEs onto the last kept frame (keep 2), or onto the one
    shared tail page (keep 1). ``reason``: why the pgmap is not deduplicated (None: it is).
    """

    head_pfn: int
    vmemmap_shift: int
    nr_pages: int
    struct_page_size_bytes: int
    struct_pages_per_vmemmap_page: int
    vmemmap_pages: int
    kept_pages: int
    remapped_pages: int
    nr_compounds: int
    vmemmap_pages_per_pte_table: int  # PTRS_PER_PTE: vmemmap pages one PTE table maps
    optimized: bool
    shared_tail: bool
    reason: str | None


class Segment(NamedTuple):
    """A piece ``[start_bytes, end_bytes)`` of the device's physical range and what the
    kernel put there.

    ``what`` is one of ``info-block``, ``dataoff``, ``altmap-align``, ``altmap-memmap``,
    ``altmap-unused``, ``data``, ``end-trunc``, ``trimmed-head``, ``trimmed-tail``,
    ``memory-blocks``; ``pages``: the page count the segment is about (struct pages'
    pages, pfns, or blocks for ``memory-blocks``).
    """

    start_bytes: int
    end_bytes: int
    what: str
    pages: int


class AltmapLayout(NamedTuple):
    """A map=dev namespace: the info block, the altmap and the data (struct vmem_altmap)."""

    base_pfn: int
    reserve_pfns: int
    free_pfns: int
    alloc_pfns: int
    align_pfns: int
    unused_pfns: int
    dataoff_bytes: int
    end_trunc_bytes: int
    info_block_bytes: int
    segments: tuple[Segment, ...]
    memmap_dram_pages: int  # what stays in DRAM (partial sections on x86, base pages)


class KmemLayout(NamedTuple):
    """A dax device onlined as System RAM by dax kmem, memory block by memory block.

    ``memmap_pages_per_block``: the self-hosted memmap at the start of each block
    (memory_block_memmap_on_memory_pages()), or 0 when the memmap is in DRAM;
    ``dram_pages_per_block``: memmap pages from DRAM per block (its sections' PMD blocks).
    """

    memory_block_size_bytes: int
    memmap_on_memory: str
    refusal: str | None
    segments: tuple[Segment, ...]
    blocks: int
    blocks_self_hosted: int
    memmap_pages_per_block: int
    dram_pages_per_block: int
    pages_per_block: int
    onlined_pages_per_block: int
    sections_per_block: int
    stranded_bytes: int
    trimmed_bytes: int


class LevelLayout(NamedTuple):
    """One level of the kernel page tables that map the vmemmap (init_mm).

    ``va_bytes``: vmemmap one table maps; ``describes_bytes``: the physical memory whose
    struct pages that vmemmap holds; ``windows``: tables' spans the device's vmemmap
    crosses; ``new_tables``: tables the walk allocated (the others existed: boot RAM or
    a neighbour owns them, or, for PTE, PMD leaves need none).
    """

    name: str
    va_bytes: int
    describes_bytes: int
    windows: int
    new_tables: int


class PageTablesLayout(NamedTuple):
    """The vmemmap tables per level and the direct-map tables arch_add_memory() added."""

    levels: tuple[LevelLayout, ...]
    pmd_leaves: int
    pte_pages: int
    direct_map: Tables | None


def _window_count(arch: ArchProfile, s: int, ranges: Iterable[tuple[int, int]], va: int) -> int:
    """Distinct ``va``-sized vmemmap windows the pfn ranges' struct pages fall in."""
    windows = IntervalSet()
    for lo, hi in ranges:
        if lo < hi:
            windows.add(lo * s // va, (hi * s - 1) // va + 1)
    return windows.size()


def page_tables_layout(
    arch: ArchProfile,
    s: int,
    ranges: Iterable[tuple[int, int]],
    new_tables: dict[str, int],
    direct_map: dict[str, int] | None,
    pmd_leaves: int,
    pte_pages: int,
) -> PageTablesLayout:
    """The page-table drawing of pfn ``ranges`` whose walk allocated ``new_tables``."""
    ranges = list(ranges)
    levels = tuple(
        LevelLayout(
            name=lvl.name,
            va_bytes=lvl.va_bytes,
            describes_bytes=lvl.va_bytes // s * arch.page_size,
            windows=_window_count(arch, s, ranges, lvl.va_bytes),
            new_tables=new_tables.get(lvl.name, 0),
        )
        for lvl in arch.levels
    )
    return PageTablesLayout(
        levels=levels,
        pmd_leaves=pmd_leaves,
        pte_pages=pte_pages,
        direct_map=None if direct_map is None else _tables(direct_map),
    )


class DeviceExplanation(NamedTuple):
    """A namespace or dax device: its estimate, the traced walk and the layouts drawn."""

    estimate: Estimate
    runs: tuple[ChunkRunLayout, ...]
    compound: CompoundLayout
    altmap: AltmapLayout | None
    page_tables: PageTablesLayout


# Follows reuse_compound_section() in mm/sparse-vmemmap.c, for each chunk of a run.
def _reuse_chunks(arch: ArchProfile, t: RunTrace, range_start_pfn: int, nr: int) -> int:
    """Chunks of the run whose first pfn is not a compound head, with compounds larger
    than a subsection (offsets from the start of the pgmap range being added)."""
    if t.path != "compound" or arch.compound_algo != "generic":
        return 0  # powerpc's own walk finds each compound from the absolute pfn
    if nr <= arch.pages_per_subsection:
        return 0
    run, pps = t.run, arch.pages_per_section
    d = run.start_pfn - range_start_pfn
    if run.nr_chunks == 1:
        return 0 if d % nr == 0 else 1
    # full sections: chunk i starts at d + i * PAGES_PER_SECTION (both powers of two)
    if nr <= pps:
        at_head = run.nr_chunks if d % nr == 0 else 0
    else:
        at_head = 0 if d % pps else count_congruent(0, run.nr_chunks, -(d // pps), nr // pps)
    return run.nr_chunks - at_head


def _run_layout(
    arch: ArchProfile, t: RunTrace, range_start_pfn: int, nr: int, optimized: bool
) -> ChunkRunLayout:
    run = t.run
    heads = 0
    if optimized and t.path == "compound":
        heads = count_congruent(run.start_pfn, run.end_pfn, range_start_pfn, nr)
    return ChunkRunLayout(
        start_pfn=run.start_pfn,
        end_pfn=run.end_pfn,
        nr_pfns=run.end_pfn - run.start_pfn,
        sections=run.nr_chunks,
        full_sections=run.full_sections,
        path=t.path,
        memmap_dram_pages=t.dram_pages,
        memmap_device_pages=t.device_pages,
        altmap_align_pfns=t.altmap_align_pfns,
        new_tables=_tables(t.tables),
        pmd_leaves=t.pmd_leaves,
        pte_pages=t.pte_pages,
        compound_heads=heads,
        reuse_chunks=_reuse_chunks(arch, t, range_start_pfn, nr),
    )


def explain_device(
    req: EstimateRequest, before: Sequence[EstimateRequest] = ()
) -> DeviceExplanation:
    """The estimate of ``req`` and what its walk did, run by run; ``before``: the pgmaps
    of the same machine added first (a host's earlier devices), as estimate_many() walks."""
    est = estimate_many([*before, req])[-1] if before else estimate(req)
    prepared = prepare(req)
    arch, kernel, s = req.arch, req.kernel, prepared.struct_page_size
    machine = Machine(arch, kernel, s, req.system_ram)
    for earlier in before:
        p = prepare(earlier)
        machine.memremap_pages(p.pgmap, optimized=p.optimized)
    trace: list[RunTrace] = []
    pgmap = prepared.pgmap
    machine.memremap_pages(pgmap, optimized=prepared.optimized, trace=trace)
    nr = pgmap.pgmap_vmemmap_nr()
    runs = tuple(
        _run_layout(arch, t, pgmap.ranges[t.range_index][0], nr, prepared.optimized) for t in trace
    )
    cv = prepared.nr_vmemmap_pages_per_compound
    keep = kernel.dedup_keep if prepared.optimized else cv
    reason = None
    if not prepared.optimized:
        reason = vmemmap_no_optimize_reason(arch, kernel, s, pgmap, prepared.align)
    # the compound page drawn: the first whose head is in a run the compound path populated
    # (a head in an early section keeps the boot memmap, not deduplicated)
    head_pfn = pgmap.ranges[0][0]
    for r in runs:
        if r.path == "compound" and r.compound_heads:
            r0 = next(lo for lo, hi in pgmap.ranges if lo <= r.start_pfn < hi)
            head_pfn = r0 + -(-(r.start_pfn - r0) // nr) * nr
            break
    compound = CompoundLayout(
        head_pfn=head_pfn,
        vmemmap_shift=pgmap.vmemmap_shift,
        nr_pages=nr,
        struct_page_size_bytes=s,
        struct_pages_per_vmemmap_page=arch.page_size // s,
        vmemmap_pages=cv,
        kept_pages=keep,
        remapped_pages=cv - keep if prepared.optimized else 0,
        nr_compounds=sum(-(-(hi - lo) // nr) for lo, hi in pgmap.ranges),
        vmemmap_pages_per_pte_table=arch.pmd_size // arch.page_size,
        optimized=prepared.optimized,
        shared_tail=prepared.optimized and keep < 2,
        reason=reason,
    )
    altmap = None if pgmap.altmap is None else _altmap_layout(est)
    f = est.figures
    page_tables = page_tables_layout(
        arch,
        s,
        pgmap.ranges,
        f.cost.account.tables,
        f.direct_map,
        sum(r.pmd_leaves for r in runs),
        sum(r.pte_pages for r in runs),
    )
    return DeviceExplanation(est, runs, compound, altmap, page_tables)


def _altmap_layout(est: Estimate) -> AltmapLayout:
    """The map=dev namespace from its pfn layout and the altmap the walk used."""
    layout, altmap = est.layout, est.pgmap.altmap
    assert layout is not None  # map=dev: a namespace ...
    assert altmap is not None  # ... with an altmap
    p = est.request.arch.page_size
    cost = est.figures.cost
    unused = altmap.free - cost.altmap_alloc - cost.altmap_align
    base = altmap.base_pfn * p
    reserve_end = base + altmap.reserve * p
    align_end = reserve_end + cost.altmap_align * p
    memmap_end = align_end + cost.altmap_alloc * p
    data_start = layout.start + layout.dataoff
    data_end = layout.start + layout.size - layout.end_trunc
    pieces = [
        Segment(layout.start, reserve_end, "info-block", altmap.reserve),
        Segment(reserve_end, align_end, "altmap-align", cost.altmap_align),
        Segment(align_end, memmap_end, "altmap-memmap", cost.altmap_alloc),
        Segment(memmap_end, data_start, "altmap-unused", unused),
        Segment(data_start, data_end, "data", (data_end - data_start) // p),
        Segment(data_end, data_end + layout.end_trunc, "end-trunc", layout.end_trunc // p),
    ]
    return AltmapLayout(
        base_pfn=altmap.base_pfn,
        reserve_pfns=altmap.reserve,
        free_pfns=altmap.free,
        alloc_pfns=cost.altmap_alloc,
        align_pfns=cost.altmap_align,
        unused_pfns=unused,
        dataoff_bytes=layout.dataoff,
        end_trunc_bytes=layout.end_trunc,
        info_block_bytes=nd_info_block_reserve(est.request.arch),
        segments=tuple(x for x in pieces if x.end_bytes > x.start_bytes),
        memmap_dram_pages=cost.account.dram_pages,
    )


class KmemExplanation(NamedTuple):
    """A dax device onlined as System RAM: its estimate and the layouts drawn."""

    estimate: SystemRamEstimate
    kmem: KmemLayout
    page_tables: PageTablesLayout


def explain_system_ram(
    req: SystemRamRequest,
    after: tuple[Sequence[Estimate], Sequence[SystemRamEstimate]] | None = None,
) -> KmemExplanation:
    """The estimate of ``req`` (dax kmem) laid out block by block; ``after``: the pgmaps
    and the earlier kmem devices of the same host, added first (as hot_add_after())."""
    e = system_ram_estimate(req)
    if after is not None:
        e = hot_add_after(estimate_base(req), after[0], [*after[1], e])[-1]
    c, arch = e.cost, req.arch
    p, mb = c.page_size, e.memory_block_size
    segments: list[Segment] = []
    ns = req.namespace
    if ns is not None and ns.dataoff:
        segments.append(Segment(ns.start, ns.start + ns.dataoff, "dataoff", ns.dataoff // p))
    for r in c.ranges:
        head_end = r.added_start if r.blocks else r.end
        if head_end > r.start:
            segments.append(Segment(r.start, head_end, "trimmed-head", (head_end - r.start) // p))
        if r.blocks:
            segments.append(Segment(r.added_start, r.added_end, "memory-blocks", r.blocks))
            if r.end > r.added_end:
                segments.append(
                    Segment(r.added_end, r.end, "trimmed-tail", (r.end - r.added_end) // p)
                )
    if ns is not None and ns.end_trunc:
        end = ns.start + ns.size
        segments.append(Segment(end - ns.end_trunc, end, "end-trunc", ns.end_trunc // p))
    blocks = c.blocks_self_hosted + c.blocks_dram
    dram_per_block = c.account.dram_pages // c.blocks_dram if c.blocks_dram else 0
    kmem = KmemLayout(
        memory_block_size_bytes=mb,
        memmap_on_memory=c.memmap_on_memory,
        refusal=c.refusal,
        segments=tuple(segments),
        blocks=blocks,
        blocks_self_hosted=c.blocks_self_hosted,
        memmap_pages_per_block=c.altmap_pages_per_block if c.blocks_self_hosted else 0,
        dram_pages_per_block=dram_per_block,
        pages_per_block=mb // p,
        onlined_pages_per_block=mb // p - (c.altmap_pages_per_block if c.blocks_self_hosted else 0),
        sections_per_block=mb // p // arch.pages_per_section,
        stranded_bytes=e.stranded_bytes,
        trimmed_bytes=sum(r.trimmed_bytes for r in c.ranges),
    )
    added = [(r.added_start // p, r.added_end // p) for r in c.ranges if r.blocks]
    # The same hot-add again on a machine of its own, to read how its vmemmap is mapped.
    s = e.struct_page_size
    machine = Machine(arch, req.kernel, s, req.system_ram)
    if after is not None:
        for est in after[0]:
            machine.memremap_pages(est.pgmap, optimized=est.figures.optimized)
        for one in after[1]:
            kmem_hotplug(
                machine, one.request.ranges, one.memory_block_size, one.request.memmap_on_memory
            )
    kmem_hotplug(machine, req.ranges, mb, req.memmap_on_memory)
    st = machine.state
    leaves = ptes = 0
    for lo, hi in added:
        a, b = st.pages_of(lo * s, hi * s)
        ppb = st.pages_per_block
        leaves += st.pmd_leaves.count(a // ppb, (b - 1) // ppb + 1)
        ptes += st.ptes.count(a, b)
    page_tables = page_tables_layout(arch, s, added, c.account.tables, c.direct_map, leaves, ptes)
    return KmemExplanation(e, kmem, page_tables)


class HvoLayout(NamedTuple):
    """One HugeTLB pool's folio vmemmap before and after HVO (hugetlb_vmemmap_optimize_folio()).

    Before: ``vmemmap_pages`` pages under PMD leaves (``pmd_windows_per_folio`` 2 MiB
    blocks per folio, or ``folios_per_pmd_window`` folios sharing one). After: the leaves
    are split into PTE tables, vmemmap pages ``0 .. kept_pages-1`` keep a frame (page 0 a
    fresh copy of the head page) and the other ``freed_pages`` map read-only onto it.
    """

    folio_bytes: int
    nr_folios: int
    struct_pages: int
    vmemmap_pages: int
    kept_pages: int
    freed_pages: int
    optimized: bool
    refusal: str | None
    self_hosted: bool
    pmd_windows_per_folio: int
    folios_per_pmd_window: int
    pool_vmemmap_pages: int
    pool_kept_pages: int
    pool_freed_pages: int
    pte_tables: int


def hvo_layout(arch: ArchProfile, struct_page_size: int, r: PoolResult) -> HvoLayout:
    """The HVO drawing of one pool."""
    v = r.vmemmap
    vmemmap_bytes = v.folio_pages * struct_page_size
    pmd = arch.pmd_size
    return HvoLayout(
        folio_bytes=r.pool.folio_bytes,
        nr_folios=r.pool.nr_folios,
        struct_pages=v.folio_pages,
        vmemmap_pages=v.vmemmap_pages_per_folio,
        kept_pages=v.kept_pages_per_folio,
        freed_pages=v.freed_pages_per_folio,
        optimized=v.optimized,
        refusal=r.refusal,
        self_hosted=v.self_hosted,
        pmd_windows_per_folio=-(-vmemmap_bytes // pmd),
        folios_per_pmd_window=max(1, pmd // max(1, vmemmap_bytes)),
        pool_vmemmap_pages=v.vmemmap_pages,
        pool_kept_pages=v.kept_pages,
        pool_freed_pages=v.freed_pages,
        pte_tables=v.pte_tables,
    )


def estimate_base(req: SystemRamRequest) -> EstimateRequest:
    """The machine of a kmem request as an ``EstimateRequest`` (hot_add_after()'s base)."""
    return EstimateRequest(
        arch=req.arch,
        kernel=req.kernel,
        system_ram=req.system_ram,
        struct_page_size=req.struct_page_size,
        linear_map=req.linear_map,
        gbpages=req.gbpages,
    )


def explain_host_device(host: Host, name: str) -> DeviceExplanation | KmemExplanation:
    """The device called ``name`` of ``host``, after the devices the accounting adds
    before it: every dev_pagemap first, in order, then the kmem devices, in order."""
    names = [device_name(d) for d in host.devices]
    if name not in names:
        known = ", ".join(repr(n) for n in names) or "none"
        raise InputError("--name", f"{quote_value(name)}: no such device (devices: {known})")
    base = base_request(host.machine)
    pg_devs = [d for d in host.devices if not is_hot_added(d)]
    kmem_devs = [d for d in host.devices if is_hot_added(d)]
    reqs = [pgmap_request(base, d) for d in pg_devs]
    for i, d in enumerate(pg_devs):
        if device_name(d) == name:
            return explain_device(reqs[i], reqs[:i])
    acc = account(host)
    estimates = [e for _, e in acc.pgmaps]
    for i, d in enumerate(kmem_devs):
        if device_name(d) == name:
            earlier = [e for _, e in acc.hot_added[:i]]
            return explain_system_ram(hot_add_request(host.machine, d), (estimates, earlier))
    raise AssertionError(name)  # pragma: no cover - every name is one of the two kinds
