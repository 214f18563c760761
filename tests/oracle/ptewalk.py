"""Brute-force vmemmap page-table walker: the TEST ORACLE for vmemplan.

This module is deliberately simple, slow and independent of the production code in
``vmemplan/``.  It never uses interval arithmetic or closed forms.  Instead it keeps the
kernel's vmemmap page tables as explicit Python containers and replays, one vmemmap page
(one PTE) at a time, what the kernel does when a device-dax / pmem ``dev_pagemap`` is
hot-added:

* ``tables[level][window]``  - one dict per listed page-table level (pte, pmd, pud, p4d),
  keyed by the index of the vmemmap VA window one table of that level covers;
* ``leaves[pmd_window]``     - PMD leaves (huge 2 MiB-style vmemmap blocks);
* ``pte[va_page]``           - VA page index -> identity of the physical page backing it.

Every number the oracle reports is obtained by counting allocations while filling those
containers.  The semantics follow the contract written for the vmemplan property tests
(rules 1-7 below) which in turn paraphrases /work/shared/spec/kernel-model.md (B3-B11).
Only small geometries are practical: the cost is linear in the number of vmemmap pages
(and, for the init count, in the number of compound pages).

Rule map (rule number -> function -> kernel function mirrored):

1. boot memmap of early sections  -> ``_populate_boot_sections``  (sparse_init)
2. ranges split into chunks       -> ``_add_range``               (__add_pages, section_activate)
3. non-compound populate          -> ``_populate_noncompound`` / ``_populate_basepages`` /
                                     ``_populate_hugepages``       (vmemmap_populate & co.)
4. generic compound populate      -> ``_populate_compound_generic``
5. powerpc radix compound         -> ``_populate_compound_ppc``
6. page-table allocation          -> ``_ensure_tables`` / ``_ensure_upper_tables``
7. struct page initialisation     -> ``_count_init_writes``       (memmap_init_zone_device)
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------
# Public interface
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableLevel:
    name: str  # "pte", "pmd", "pud", "p4d"
    va_bytes: int  # vmemmap virtual bytes covered by ONE table of this level
    table_bytes: int  # bytes one table occupies (4096 on x86; 256 for ppc64 radix-64K PTE)


@dataclass(frozen=True)
class OracleMachine:
    page_size: int  # P
    struct_page_size: int  # S
    section_pfns: int  # PAGES_PER_SECTION
    subsection_pfns: int  # PAGES_PER_SUBSECTION (= 2 MiB / P)
    pmd_size: int  # VA bytes one PMD entry maps (= levels[0].va_bytes)
    levels: tuple[TableLevel, ...]  # lowest first; the PGD is never allocated, not listed
    strategy: (
        str  # non-compound populate: "x86" | "arm64-4k" | "basepages" | "hugepages" | "ppc-radix"
    )
    compound_algo: str  # "generic" | "ppc"
    altmap_fallback_to_dram: bool  # ppc64 radix: altmap exhaustion falls back to DRAM


@dataclass(frozen=True)
class OracleAltmap:
    base_pfn: int
    reserve: int
    free: int


@dataclass(frozen=True)
class OracleInput:
    machine: OracleMachine
    ranges: tuple[tuple[int, int], ...]  # half-open PFN ranges, populated in this order
    altmap: OracleAltmap | None  # only ever with exactly one range
    vmemmap_shift: int  # k; N = 2**k pfns per compound page
    optimize: bool  # result of vmemmap_can_optimize (decided by the caller)
    keep: int  # vmemmap pages kept per compound when optimized: 2 or 1
    early_pfn_ranges: tuple[tuple[int, int], ...]  # boot System RAM, half-open PFN ranges
    counter_semantics: str  # "none" | "nominal" | "exact"
    early_init_fix: bool


@dataclass(frozen=True)
class OracleResult:
    dram_data_pages: int  # memmap data pages from DRAM (buddy) for the ranges (no boot)
    device_data_pages: int  # memmap data pages allocated from the altmap
    altmap_align_pfns: int  # altmap pfns skipped for alignment
    tables: dict[str, int]  # new page-table tables per level (keys pte, pmd, pud, p4d)
    nr_memmap_pages: int | None  # /proc/vmstat nr_memmap_pages delta (None for "none")
    struct_pages_initialised: int


class AltmapExhausted(Exception):  # noqa: N818 - name fixed by the oracle interface
    """The altmap cannot satisfy an allocation and the machine does not fall back."""


LEVEL_NAMES = ("pte", "pmd", "pud", "p4d")

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


def x86_64_machine(struct_page_size: int = 64, five_level: bool = False) -> OracleMachine:
    """x86_64 with 4 KiB pages (kernel-model.md a.2 / a.3)."""
    levels = [
        TableLevel("pte", 2 * MiB, 4096),
        TableLevel("pmd", 1 * GiB, 4096),
        TableLevel("pud", 512 * GiB, 4096),
    ]
    if five_level:
        levels.append(TableLevel("p4d", 256 * TiB, 4096))
    return OracleMachine(
        page_size=4096,
        struct_page_size=struct_page_size,
        section_pfns=32768,
        subsection_pfns=512,
        pmd_size=2 * MiB,
        levels=tuple(levels),
        strategy="x86",
        compound_algo="generic",
        altmap_fallback_to_dram=False,
    )


# --------------------------------------------------------------------------------------
# Simulator state
# --------------------------------------------------------------------------------------

# Identity of a physical page backing a vmemmap VA page.  Only identity matters (shared
# tail pages are the same object); the tuple says where the page came from:
#   ("boot", serial) | ("dram", serial) | ("altmap", pfn) | ("leaf", pmd_window, page_idx)
#   | ("shared-tail",)
Backing = tuple[object, ...]


@dataclass
class _Altmap:
    """Mutable vmem_altmap: base_pfn, reserve, free, alloc, align (include/linux/memremap.h)."""

    base_pfn: int
    reserve: int
    free: int
    alloc: int = 0
    align: int = 0


@dataclass
class _State:
    inp: OracleInput
    early_sections: set[int]
    phase: str = "boot"  # "boot" while sparse_init runs, then "device"
    # one dict per level: table window index -> phase that allocated it
    tables: dict[str, dict[int, str]] = field(default_factory=dict)
    # PMD leaves: pmd window index -> backing of the block
    leaves: dict[int, Backing] = field(default_factory=dict)
    # VA page index -> backing physical page
    pte: dict[int, Backing] = field(default_factory=dict)
    shared_tail: Backing | None = None
    altmap: _Altmap | None = None
    serial: int = 0
    # results (device phase only)
    dram_data_pages: int = 0
    table_counts: dict[str, int] = field(default_factory=dict)
    counter: int = 0

    @property
    def m(self) -> OracleMachine:
        return self.inp.machine


def _new_dram_page(st: _State) -> Backing:
    """One order-0 page from memblock (boot) or the buddy allocator (hotplug)."""
    st.serial += 1
    if st.phase == "boot":
        return ("boot", st.serial)
    st.dram_data_pages += 1
    return ("dram", st.serial)


def _new_dram_block(st: _State, nr_pages: int) -> Backing:
    """A PMD-sized block (nr_pages pages) from memblock / buddy."""
    st.serial += 1
    if st.phase == "boot":
        return ("boot", st.serial)
    st.dram_data_pages += nr_pages
    return ("dram", st.serial)


# mirrors altmap_alloc_block_buf() / vmem_altmap_next_pfn() in mm/sparse-vmemmap.c
def _altmap_alloc(st: _State, nr: int) -> Backing | None:
    """Allocate ``nr`` pfns from the altmap; None if exhausted and falling back to DRAM."""
    a = st.altmap
    assert a is not None
    assert nr > 0
    assert nr & (nr - 1) == 0, "altmap allocations are powers of two"
    nxt = a.base_pfn + a.reserve + a.alloc + a.align
    aligned = ((nxt + nr - 1) // nr) * nr
    pad = aligned - nxt
    if nr + pad > a.free - a.alloc - a.align:
        if st.m.altmap_fallback_to_dram:
            return None
        raise AltmapExhausted(
            f"altmap exhausted: need {nr}+{pad} pfns, {a.free - a.alloc - a.align} left of {a.free}"
        )
    a.alloc += nr
    a.align += pad
    return ("altmap", aligned)


def _alloc_data(st: _State, nr_pages: int, use_altmap: bool) -> Backing:
    """Data pages for the memmap: from the altmap when asked (and possible), else DRAM."""
    if use_altmap:
        assert st.phase == "device"
        got = _altmap_alloc(st, nr_pages)
        if got is not None:
            return got
    if nr_pages == 1:
        return _new_dram_page(st)
    return _new_dram_block(st, nr_pages)


# --------------------------------------------------------------------------------------
# Rule 6: page tables
# --------------------------------------------------------------------------------------


def _alloc_table(st: _State, level: TableLevel, window: int) -> None:
    tables = st.tables[level.name]
    if window in tables:
        return
    tables[window] = st.phase
    if st.phase == "device":
        st.table_counts[level.name] += 1


# mirrors vmemmap_{pgd,p4d,pud,pmd}_populate() + vmemmap_pte_populate()'s table part
def _ensure_tables(st: _State, v: int) -> None:
    """Every listed level's table above VA page ``v`` (PTE table included)."""
    va = v * st.m.page_size
    for level in st.m.levels:
        _alloc_table(st, level, va // level.va_bytes)


# mirrors the p4d/pud/pmd part of vmemmap_populate_hugepages()
def _ensure_upper_tables(st: _State, va: int) -> None:
    """Tables of every listed level above the PTE level (the PMD table included)."""
    for level in st.m.levels[1:]:
        _alloc_table(st, level, va // level.va_bytes)


def _under_leaf(st: _State, v: int) -> bool:
    return (v * st.m.page_size) // st.m.pmd_size in st.leaves


def _backing_of(st: _State, v: int) -> Backing | None:
    """Physical page behind VA page v (pte or leaf block), None if unmapped."""
    if v in st.pte:
        return st.pte[v]
    w = (v * st.m.page_size) // st.m.pmd_size
    if w in st.leaves:
        return ("leaf", w, v)
    return None


def _va_pages(st: _State, va_lo: int, va_hi: int) -> range:
    """Indices of the VA pages touched by [va_lo, va_hi)."""
    p = st.m.page_size
    return range(va_lo // p, (va_hi - 1) // p + 1)


# --------------------------------------------------------------------------------------
# Rule 3: non-compound populate
# --------------------------------------------------------------------------------------


# mirrors vmemmap_populate_basepages() in mm/sparse-vmemmap.c
def _populate_basepages(st: _State, va_lo: int, va_hi: int, use_altmap: bool) -> None:
    for v in _va_pages(st, va_lo, va_hi):
        if _under_leaf(st, v):
            continue  # already mapped by a PMD leaf: nothing to do
        _ensure_tables(st, v)
        if v not in st.pte:
            st.pte[v] = _alloc_data(st, 1, use_altmap)


# mirrors vmemmap_populate_hugepages() in mm/sparse-vmemmap.c
def _populate_hugepages(st: _State, va_lo: int, va_hi: int, use_altmap: bool) -> None:
    m = st.m
    pte_tables = st.tables[m.levels[0].name]
    for w in range(va_lo // m.pmd_size, (va_hi - 1) // m.pmd_size + 1):
        w_lo = w * m.pmd_size
        w_hi = w_lo + m.pmd_size
        _ensure_upper_tables(st, w_lo)
        if w in st.leaves:
            continue  # vmemmap_check_pmd(): existing leaf reused
        if w in pte_tables:
            # PMD already points to a PTE table: fall back to base pages for the window
            _populate_basepages(st, max(va_lo, w_lo), min(va_hi, w_hi), use_altmap)
            continue
        st.leaves[w] = _alloc_data(st, m.pmd_size // m.page_size, use_altmap)


# mirrors radix__vmemmap_populate() in arch/powerpc/mm/book3s64/radix_pgtable.c
# (added by the lead, not by the oracle's original author)
def _populate_ppc_radix(st: _State, va_lo: int, va_hi: int, use_altmap: bool) -> None:
    m = st.m
    s = m.struct_page_size
    pte_tables = st.tables[m.levels[0].name]
    for w in range(va_lo // m.pmd_size, (va_hi - 1) // m.pmd_size + 1):
        w_lo = w * m.pmd_size
        w_hi = w_lo + m.pmd_size
        _ensure_upper_tables(st, w_lo)
        if w in st.leaves:
            continue
        lo, hi = max(va_lo, w_lo), min(va_hi, w_hi)
        if w in pte_tables:
            _populate_basepages(st, lo, hi, use_altmap)
            continue
        if use_altmap:
            a = st.altmap
            assert a is not None
            end_pfn = st.inp.ranges[0][1]
            # the address must be PMD aligned and the block's struct pages must describe
            # pfns inside the device (altmap_cross_boundary())
            if lo % m.pmd_size or lo // s < a.base_pfn or lo // s + m.pmd_size // s > end_pfn:
                _populate_basepages(st, lo, hi, use_altmap)
                continue
        st.leaves[w] = _alloc_data(st, m.pmd_size // m.page_size, use_altmap)


# mirrors the arch vmemmap_populate(): arch/x86/mm/init_64.c, arch/arm64/mm/mmu.c, ...
def _populate_noncompound(st: _State, pfn: int, n: int, use_altmap: bool) -> None:
    m = st.m
    va_lo = pfn * m.struct_page_size
    va_hi = (pfn + n) * m.struct_page_size
    partial = n < m.section_pfns
    if m.strategy == "x86":
        if partial:
            _populate_basepages(st, va_lo, va_hi, use_altmap=False)  # altmap ignored
        else:
            _populate_hugepages(st, va_lo, va_hi, use_altmap)
    elif m.strategy == "arm64-4k":
        if partial:
            _populate_basepages(st, va_lo, va_hi, use_altmap)
        else:
            _populate_hugepages(st, va_lo, va_hi, use_altmap)
    elif m.strategy == "basepages":
        _populate_basepages(st, va_lo, va_hi, use_altmap)
    elif m.strategy == "hugepages":
        _populate_hugepages(st, va_lo, va_hi, use_altmap)
    elif m.strategy == "ppc-radix":
        _populate_ppc_radix(st, va_lo, va_hi, use_altmap)
    else:
        raise AssertionError(f"unknown strategy {m.strategy!r}")


# --------------------------------------------------------------------------------------
# Rules 4 and 5: compound (deduplicated) populate
# --------------------------------------------------------------------------------------


def _shared_tail(st: _State) -> Backing:
    """The one machine-wide shared tail page used when keep == 1 (DRAM, allocated once)."""
    if st.shared_tail is None:
        assert st.phase == "device"
        st.dram_data_pages += 1
        st.shared_tail = ("shared-tail",)
    return st.shared_tail


def _ensure_private_page(st: _State, v: int) -> None:
    """Head (or keep-2 first tail) vmemmap page: ensure tables, allocate if unmapped.

    A page under a PMD leaf is already backed by the leaf block (nothing allocated).
    """
    if _under_leaf(st, v):
        return
    _ensure_tables(st, v)
    if v not in st.pte:
        st.pte[v] = _new_dram_page(st)


def _map_to_tail(st: _State, v: int, tail: Backing) -> None:
    if _under_leaf(st, v):
        return
    _ensure_tables(st, v)
    if v not in st.pte:
        st.pte[v] = tail


# mirrors vmemmap_populate_compound_pages() (+ reuse_compound_section()) in
# mm/sparse-vmemmap.c
def _populate_compound_generic(st: _State, pfn: int, n: int, range_start: int) -> None:
    inp = st.inp
    m = st.m
    s = m.struct_page_size
    p = m.page_size
    nr = 1 << inp.vmemmap_shift
    va_lo = pfn * s
    va_hi = (pfn + n) * s
    offset = pfn - range_start

    if offset % nr != 0 and nr > m.subsection_pfns:
        # reuse branch: the chunk starts inside a compound whose head was populated by an
        # earlier chunk of the same range; map everything to that compound's tail page.
        head_pfn = range_start + (offset // nr) * nr
        head_page = (head_pfn * s) // p
        tail = _backing_of(st, head_page + 1) if inp.keep == 2 else st.shared_tail
        assert tail is not None, (
            f"reuse chunk at pfn {pfn}: tail page of compound {head_pfn} is not mapped"
        )
        for v in _va_pages(st, va_lo, va_hi):
            _map_to_tail(st, v, tail)
        return

    step = min(n * s, nr * s)
    for addr in range(va_lo, va_hi, step):
        h = addr // p
        _ensure_private_page(st, h)  # the head vmemmap page
        if inp.keep == 2:
            _ensure_private_page(st, h + 1)  # the first tail vmemmap page
            tail = _backing_of(st, h + 1)
            assert tail is not None
            first_shared = h + 2
        else:
            tail = _shared_tail(st)
            first_shared = h + 1
        for v in range(first_shared, (addr + step - 1) // p + 1):
            _map_to_tail(st, v, tail)


# mirrors radix__vmemmap_populate_compound_pages() / vmemmap_compound_tail_page() in
# arch/powerpc/mm/book3s64/radix_pgtable.c
def _populate_compound_ppc(st: _State, pfn: int, n: int) -> None:
    inp = st.inp
    m = st.m
    s = m.struct_page_size
    p = m.page_size
    nr = 1 << inp.vmemmap_shift
    for v in _va_pages(st, pfn * s, (pfn + n) * s):
        if _under_leaf(st, v):
            continue
        _ensure_tables(st, v)
        if v in st.pte:
            continue
        first_pfn = (v * p) // s  # first pfn whose struct page starts in / covers page v
        head_pfn = first_pfn - first_pfn % nr  # ABSOLUTE compound alignment
        hv = (head_pfn * s) // p
        own = [hv, hv + 1] if inp.keep == 2 else [hv]
        if any(_under_leaf(st, x) for x in own):
            # "nearby request": the compound's head/tail page sits under a PMD leaf, the
            # kernel gives this page a private copy instead (no dedup) - spec B8.4.
            st.pte[v] = _new_dram_page(st)
            continue
        for x in own:
            _ensure_private_page(st, x)
        if v in own:
            continue  # v itself is the head (or keep-2 first tail) page: now mapped
        tail = _backing_of(st, hv + 1) if inp.keep == 2 else _shared_tail(st)
        assert tail is not None
        st.pte[v] = tail


# --------------------------------------------------------------------------------------
# Rules 1 and 2: boot sections and hot-added ranges
# --------------------------------------------------------------------------------------


def _early_section_set(inp: OracleInput) -> set[int]:
    pps = inp.machine.section_pfns
    early: set[int] = set()
    for lo, hi in inp.early_pfn_ranges:
        if hi <= lo:
            continue
        for sec in range(lo // pps, (hi - 1) // pps + 1):
            early.add(sec)
    return early


# mirrors sparse_init() -> __populate_section_memmap(pfn, PAGES_PER_SECTION, nid, NULL)
def _populate_boot_sections(st: _State) -> None:
    pps = st.m.section_pfns
    st.phase = "boot"
    for sec in sorted(st.early_sections):
        _populate_noncompound(st, sec * pps, pps, use_altmap=False)
    st.phase = "device"


def _chunk_counter(st: _State, pfn: int, n: int) -> int:
    """nr_memmap_pages added by one populated chunk (B11)."""
    inp = st.inp
    m = st.m
    nominal = -(-(n * m.struct_page_size) // m.page_size)
    if inp.counter_semantics == "nominal":
        return nominal
    if inp.counter_semantics == "exact":
        # mirrors section_nr_vmemmap_pages() of the 2026 accounting fix
        if not inp.optimize:
            return nominal
        nr = 1 << inp.vmemmap_shift
        section_shift = m.section_pfns.bit_length() - 1
        if inp.vmemmap_shift < section_shift:
            return inp.keep * n // nr
        return inp.keep if pfn % nr == 0 else 0
    assert inp.counter_semantics == "none"
    return 0


# mirrors __add_pages() (mm/memory_hotplug.c) + sparse_add_section()/section_activate()
# + __populate_section_memmap()
def _add_range(st: _State, range_start: int, range_end: int, use_altmap: bool) -> None:
    inp = st.inp
    pps = st.m.section_pfns
    pfn = range_start
    while pfn < range_end:
        section = pfn // pps
        chunk_end = min(range_end, (section + 1) * pps)
        n = chunk_end - pfn
        if n < pps and section in st.early_sections:
            pass  # early-section short-circuit: boot memmap reused, nothing allocated
        else:
            if inp.optimize:
                if st.m.compound_algo == "generic":
                    _populate_compound_generic(st, pfn, n, range_start)
                elif st.m.compound_algo == "ppc":
                    _populate_compound_ppc(st, pfn, n)
                else:
                    raise AssertionError(f"unknown compound_algo {st.m.compound_algo!r}")
            else:
                _populate_noncompound(st, pfn, n, use_altmap)
            st.counter += _chunk_counter(st, pfn, n)
        pfn = chunk_end


# --------------------------------------------------------------------------------------
# Rule 7: struct page initialisation
# --------------------------------------------------------------------------------------


# mirrors memmap_init_range() for the altmap area + memmap_init_zone_device() /
# compound_nr_pages() in mm/mm_init.c
def _count_init_writes(st: _State) -> int:
    inp = st.inp
    m = st.m
    nr = 1 << inp.vmemmap_shift
    pps = m.section_pfns
    optimize = inp.optimize
    fix = inp.early_init_fix
    early = st.early_sections
    kept = inp.keep * (m.page_size // m.struct_page_size)
    writes = 0
    for i, (r0, r1) in enumerate(inp.ranges):
        first = r0
        if inp.altmap is not None and i == 0:
            writes += inp.altmap.free
            first = inp.altmap.base_pfn + inp.altmap.reserve + inp.altmap.free
        for pfn in range(first, r1, nr):  # one iteration per compound page (head pfn)
            # compound_nr_pages(): all N unless optimized (and, with the 2026 fix, the
            # head lies outside an early section); then only the kept vmemmap pages
            cnp = nr if (not optimize) or (fix and pfn // pps in early) else kept
            # last compound of the range may be cut short; written as a conditional
            # rather than min() only because this loop runs per pfn when N == 1
            writes += cnp if cnp <= r1 - pfn else r1 - pfn
    return writes


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def walk(inp: OracleInput) -> OracleResult:
    """Replay boot + hot-add of ``inp.ranges`` page by page and count everything."""
    m = inp.machine
    assert m.levels
    assert m.levels[0].name == "pte"
    assert m.levels[0].va_bytes == m.pmd_size
    assert all(level.name in LEVEL_NAMES for level in m.levels)
    assert m.page_size > 0
    assert m.struct_page_size > 0
    assert m.section_pfns > 0
    assert m.section_pfns & (m.section_pfns - 1) == 0
    assert inp.keep in (1, 2)
    assert inp.vmemmap_shift >= 0
    assert inp.counter_semantics in ("none", "nominal", "exact")
    assert inp.altmap is None or len(inp.ranges) == 1
    assert all(lo < hi for lo, hi in inp.ranges)

    st = _State(inp=inp, early_sections=_early_section_set(inp))
    st.tables = {level.name: {} for level in m.levels}
    st.table_counts = dict.fromkeys(LEVEL_NAMES, 0)
    if inp.altmap is not None:
        st.altmap = _Altmap(inp.altmap.base_pfn, inp.altmap.reserve, inp.altmap.free)

    _populate_boot_sections(st)  # rule 1
    for r0, r1 in inp.ranges:  # rule 2
        _add_range(st, r0, r1, use_altmap=st.altmap is not None)

    return OracleResult(
        dram_data_pages=st.dram_data_pages,
        device_data_pages=st.altmap.alloc if st.altmap is not None else 0,
        altmap_align_pfns=st.altmap.align if st.altmap is not None else 0,
        tables=dict(st.table_counts),
        nr_memmap_pages=None if inp.counter_semantics == "none" else st.counter,
        struct_pages_initialised=_count_init_writes(st),
    )
