"""Pin the brute-force oracle (tests/oracle/ptewalk.py) to the spec's worked examples.

Every expected integer below is quoted from /work/shared/spec/kernel-model.md section (c)
(or ecosystem.md section 2) unless the assert's comment says "derived", in which case it
is a one-line consequence of the rule the comment cites.

Unless a test says otherwise the machine booted with System RAM at [0, 4 GiB): that
creates the PUD table and the PMD table of the first 64 GiB window, which matches the
section (c) assumption "PUD table already present (first 32 TiB)" while leaving the
namespaces' own 64 GiB windows empty.
"""

from __future__ import annotations

import pytest

from tests.oracle.ptewalk import (
    AltmapExhausted,
    GiB,
    MiB,
    OracleAltmap,
    OracleInput,
    OracleMachine,
    OracleResult,
    TableLevel,
    TiB,
    walk,
    x86_64_machine,
)

X86 = x86_64_machine()
P = 4096
S = 64


def pfn(addr: int, page_size: int = P) -> int:
    assert addr % page_size == 0
    return addr // page_size


BOOT_LOW = ((pfn(0), pfn(4 * GiB)),)


def run(
    ranges: list[tuple[int, int]],
    k: int,
    *,
    machine: OracleMachine = X86,
    altmap: OracleAltmap | None = None,
    boot: tuple[tuple[int, int], ...] | None = None,
    counter: str = "exact",
    early_init_fix: bool = True,
    keep: int = 2,
) -> OracleResult:
    """Walk byte ranges [start, end) as one pgmap; optimize per vmemmap_can_optimize (B6)."""
    p = machine.page_size
    cv = ((1 << k) * machine.struct_page_size) // p
    optimize = altmap is None and cv > 2  # B6: !altmap && CV > VMEMMAP_RESERVE_NR
    return walk(
        OracleInput(
            machine=machine,
            ranges=tuple((pfn(a, p), pfn(b, p)) for a, b in ranges),
            altmap=altmap,
            vmemmap_shift=k,
            optimize=optimize,
            keep=keep,
            early_pfn_ranges=BOOT_LOW if boot is None else boot,
            counter_semantics=counter,
            early_init_fix=early_init_fix,
        )
    )


# --------------------------------------------------------------------------------------
# C2: 128 GiB, x86_64, map=mem
# --------------------------------------------------------------------------------------

NS128_START = 64 * GiB
NS128 = [(NS128_START, NS128_START + 128 * GiB)]


def test_c2_128g_align_4k() -> None:
    """C2 (kernel-model.md (c)), column 4K: 524,288 data pages, 0 PTE, 2 PMD tables,
    total 524,290, 33,554,432 struct pages initialised; B11 counter = nominal."""
    r = run(NS128, 0)
    assert r.dram_data_pages == 524_288
    assert r.device_data_pages == 0
    assert r.tables == {"pte": 0, "pmd": 2, "pud": 0, "p4d": 0}
    assert r.dram_data_pages + sum(r.tables.values()) == 524_290
    assert r.struct_pages_initialised == 33_554_432
    assert r.nr_memmap_pages == 524_288  # derived: not optimizable -> nominal (B11)


def test_c2_128g_align_2m() -> None:
    """C2 column 2M: 1024 x 64 x 2 = 131,072 data pages, 1024 PTE, 2 PMD, total 132,098,
    65,536 x 128 = 8,388,608 initialised; B11 exact counter 2 x n/N."""
    r = run(NS128, 9)
    assert r.dram_data_pages == 131_072
    assert r.tables == {"pte": 1024, "pmd": 2, "pud": 0, "p4d": 0}
    assert r.dram_data_pages + sum(r.tables.values()) == 132_098
    assert r.struct_pages_initialised == 8_388_608
    assert r.nr_memmap_pages == 131_072  # derived: B11 2026 row, 2 * 2^25 / 512


def test_c2_128g_align_1g() -> None:
    """C2 column 1G: 128 x 2 = 256 data pages, 1024 PTE, 2 PMD, total 1,282,
    128 x 128 = 16,384 initialised; B11 exact counter 2 per compound-aligned section."""
    r = run(NS128, 18)
    assert r.dram_data_pages == 256
    assert r.tables == {"pte": 1024, "pmd": 2, "pud": 0, "p4d": 0}
    assert r.dram_data_pages + sum(r.tables.values()) == 1_282
    assert r.struct_pages_initialised == 16_384
    assert r.nr_memmap_pages == 256  # derived: B11, 2 for each of 128 1G-aligned chunks


def test_c2_128g_straddling_three_pmd_windows() -> None:
    """C2: "PMD tables = 2 (if the 128 GiB sits in two 64 GiB windows; 3 if it straddles a
    third)". Boot RAM is placed at 1 TiB so the PUD table exists but no PMD table of
    [0, 192 GiB) does; the namespace starts at 32 GiB."""
    boot = ((pfn(1 * TiB), pfn(1 * TiB + 128 * MiB)),)
    r = run([(32 * GiB, 160 * GiB)], 18, boot=boot)
    assert r.tables == {"pte": 1024, "pmd": 3, "pud": 0, "p4d": 0}
    assert r.dram_data_pages == 256


# --------------------------------------------------------------------------------------
# C3: 1 GiB namespace at 64 GiB + 2 MiB (map=mem)
# --------------------------------------------------------------------------------------

C3_A = 64 * GiB + 2 * MiB
C3_B = C3_A + 1 * GiB
C3 = [(C3_A, C3_B)]


@pytest.mark.parametrize("counter", ["nominal", "exact"])
def test_c3_align_4k(counter: str) -> None:
    """C3 align 4K, map=mem: 504 + 3584 + 8 = data 4096 pages, PTE tables 2, PMD 1,
    nr_memmap_pages +4096, 262,144 struct pages initialised."""
    r = run(C3, 0, counter=counter)
    assert r.dram_data_pages == 4096
    assert r.tables == {"pte": 2, "pmd": 1, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 4096
    assert r.struct_pages_initialised == 262_144


@pytest.mark.parametrize(("counter", "expected"), [("nominal", 4096), ("exact", 1024)])
def test_c3_align_2m(counter: str, expected: int) -> None:
    """C3 align 2M, map=mem: 126 + 896 + 2 = data 1024, PTE 9, PMD 1, total 1034,
    nr_memmap_pages +4096 (pre-fix) / +1024 (fixed), initialised 512 x 128 = 65,536."""
    r = run(C3, 9, counter=counter)
    assert r.dram_data_pages == 1024
    assert r.tables == {"pte": 9, "pmd": 1, "pud": 0, "p4d": 0}
    assert r.dram_data_pages + sum(r.tables.values()) == 1034
    assert r.nr_memmap_pages == expected
    assert r.struct_pages_initialised == 65_536


@pytest.mark.parametrize(("k", "data"), [(0, 4096), (9, 1024)])
def test_c3_neighbour_shares_pte_table(k: int, data: int) -> None:
    """C3 "Neighbour sharing": if another pgmap already populated [64G, 64G+2M) the head
    chunk's PTE table already exists (subtract it). Modelled as a first range of the
    same walk; the C3 namespace's own cost is the difference of the two walks."""
    neighbour = (64 * GiB, 64 * GiB + 2 * MiB)
    alone = run([neighbour], k)
    both = run([neighbour, *C3], k)
    assert both.dram_data_pages - alone.dram_data_pages == data
    assert both.tables["pte"] - alone.tables["pte"] == (2 if k == 0 else 9) - 1
    assert both.tables["pmd"] - alone.tables["pmd"] == 0


EARLY_TO_A = ((pfn(0), pfn(C3_A)),)  # "RAM ends at 64G+2M": section [64G, 64G+128M) early


def test_c3_early_section_align_4k() -> None:
    """C3 "Early section" (B5.3): head chunk allocates nothing, 4K align -> data 3592,
    PTE 1. The boot memmap of [64G, 64G+128M) also owns the PMD table (B9.3) -> PMD 0."""
    r = run(C3, 0, boot=EARLY_TO_A, counter="nominal")
    assert r.dram_data_pages == 3592
    assert r.tables == {"pte": 1, "pmd": 0, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 3592  # derived: early chunk adds 0 (B11 notes)


@pytest.mark.parametrize(("fix", "per_head_compound"), [(True, 512), (False, 128)])
def test_c3_early_section_align_2m(fix: bool, per_head_compound: int) -> None:
    """C3 "Early section", 2M align -> data 898, PTE 8; the 63 head-chunk compounds are
    initialised 512 each on fixed kernels, 128 on unfixed ones (B10 2026 fix)."""
    r = run(C3, 9, boot=EARLY_TO_A, early_init_fix=fix)
    assert r.dram_data_pages == 898
    assert r.tables == {"pte": 8, "pmd": 0, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 898  # derived: B11 exact, 7 x 128 + 2, early chunk 0
    # derived: 63 head-chunk compounds + 449 others at 128 (512 compounds in total)
    assert r.struct_pages_initialised == 63 * per_head_compound + 449 * 128


# --------------------------------------------------------------------------------------
# C4: map=dev (altmap)
# --------------------------------------------------------------------------------------

C4_TIB_START = 64 * GiB
C4_TIB = [(C4_TIB_START, C4_TIB_START + 1 * TiB)]


def test_c4_1t_map_dev_align_2m() -> None:
    """C4 1 TiB map=dev align 2M: reserve 2, free 4,194,814; 8192 PMD blocks from the
    altmap + 510 alignment pfns = 4,194,814 = free exactly; DRAM 0 data, 16 PMD tables;
    nr_memmap_pages +4,194,304; initialised 4,194,814 + 264,240,640 = 268,435,454."""
    base = pfn(C4_TIB_START)
    r = run(C4_TIB, 9, altmap=OracleAltmap(base_pfn=base, reserve=2, free=4_194_814))
    assert r.dram_data_pages == 0
    assert r.device_data_pages == 8192 * 512
    assert r.altmap_align_pfns == 510
    assert r.device_data_pages + r.altmap_align_pfns == 4_194_814
    assert r.tables == {"pte": 0, "pmd": 16, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 4_194_304
    assert r.struct_pages_initialised == 268_435_454


def test_c4_1t_map_dev_align_1g() -> None:
    """C4 1 TiB map=dev align 1G: dataoff 17 GiB, free 4,456,446, 261,632 altmap pfns
    never used (same 4,194,814 consumed as at 2M)."""
    base = pfn(C4_TIB_START)
    r = run(C4_TIB, 18, altmap=OracleAltmap(base_pfn=base, reserve=2, free=4_456_446))
    assert r.dram_data_pages == 0
    assert r.device_data_pages + r.altmap_align_pfns == 4_194_814
    assert 4_456_446 - r.device_data_pages - r.altmap_align_pfns == 261_632
    assert r.tables == {"pte": 0, "pmd": 16, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 4_194_304
    # derived (B10): free + every pfn from dataoff (17 GiB) to the end
    assert r.struct_pages_initialised == 4_456_446 + pfn(1 * TiB - 17 * GiB)


C4_GIB_ALTMAP = OracleAltmap(base_pfn=pfn(C3_A), reserve=2, free=4606)


def test_c4_1g_at_64g_plus_2m_map_dev() -> None:
    """C4 "1 GiB namespace at 64 GiB + 2 MiB, map=dev": free = 4606; head chunk -> x86 base
    pages in DRAM (504 + PTE table); 7 full sections -> 3584 altmap pfns + 510 alignment
    (4094 <= 4606); tail -> 8 DRAM pages + PTE table. DRAM: 512 data + 2 PTE + 1 PMD;
    device: 3584. nr_memmap_pages +4096."""
    r = run(C3, 9, altmap=C4_GIB_ALTMAP)
    assert r.dram_data_pages == 512
    assert r.device_data_pages == 3584
    assert r.altmap_align_pfns == 510
    assert r.tables == {"pte": 2, "pmd": 1, "pud": 0, "p4d": 0}
    assert r.nr_memmap_pages == 4096
    # derived (B10): free (4606) + pfns from dataoff (18 MiB) to the end of the 1 GiB
    assert r.struct_pages_initialised == 4606 + pfn(1 * GiB - 18 * MiB)


def test_c4_altmap_exhaustion_is_an_error_on_x86() -> None:
    """B8.1: "with an altmap the whole operation fails (-ENOMEM, no fallback)". The C4
    1 GiB example needs 4094 altmap pfns; with 4093 the walk must fail."""
    small = OracleAltmap(base_pfn=pfn(C3_A), reserve=2, free=4093)
    with pytest.raises(AltmapExhausted):
        run(C3, 9, altmap=small)


def test_eco_128g_map_dev_perfect_fit() -> None:
    """ecosystem.md 2.2/2.3: 128 GiB map=dev align 2M, dataoff 2050 MiB ->
    free = (2050 MiB - 8 KiB)/4K; "2 MiB-8 KiB alignment + 1024 x 2 MiB blocks: a
    perfect fit"; DRAM cost is page-table pages only."""
    free = (2050 * MiB - 8 * 1024) // P
    r = run(NS128, 9, altmap=OracleAltmap(base_pfn=pfn(NS128_START), reserve=2, free=free))
    assert r.device_data_pages == 1024 * 512
    assert r.altmap_align_pfns == 2 * MiB // P - 2
    assert r.device_data_pages + r.altmap_align_pfns == free
    assert r.dram_data_pages == 0
    assert r.tables == {"pte": 0, "pmd": 2, "pud": 0, "p4d": 0}


# --------------------------------------------------------------------------------------
# Other spec facts cheap enough to pin
# --------------------------------------------------------------------------------------


def test_five_level_adds_p4d_table() -> None:
    """B9.3: "5-level paging: add P4D tables (16 PiB windows)"; with no boot RAM at all a
    single subsection needs one table of every level (basepages, B8.1 partial section)."""
    r = run([(0, 2 * MiB)], 0, machine=x86_64_machine(five_level=True), boot=())
    assert r.tables == {"pte": 1, "pmd": 1, "pud": 1, "p4d": 1}
    assert r.dram_data_pages == 8  # 512 pfns x 64 B / 4 KiB


@pytest.mark.parametrize(("k", "data"), [(9, 512 + 1), (18, 128 + 1)])
def test_keep_one_shared_tail(k: int, data: int) -> None:
    """(f).1: with the 2026 generalisation DAX compounds cost 1 page "(+1 shared per
    zone/order)"; C1 data halves. Here on C2's 128 GiB at 1G, and C3's 1 GiB at 2M."""
    ranges = C3 if k == 9 else NS128
    r = run(ranges, k, keep=1)
    assert r.dram_data_pages == data


def _ppc_radix(page_size: int) -> OracleMachine:
    """ppc64 book3s radix (a.2). Only data pages are asserted for this machine; the table
    levels above the PTE fragment are placeholders (B8.4: PMD fragment size unverified)."""
    pte_bytes = 256 if page_size == 64 * 1024 else 4096
    return OracleMachine(
        page_size=page_size,
        struct_page_size=64,
        section_pfns=(16 * MiB) // page_size,
        subsection_pfns=(2 * MiB) // page_size,
        pmd_size=2 * MiB,
        levels=(TableLevel("pte", 2 * MiB, pte_bytes), TableLevel("pmd", 1 * GiB, 4096)),
        strategy="hugepages",
        compound_algo="ppc",
        altmap_fallback_to_dram=True,
    )


@pytest.mark.parametrize(
    ("page_size", "k", "data"),
    [
        (64 * 1024, 14, 2),  # 1G on 64K: 16 vmemmap pages, pages 0 and 1 own
        (64 * 1024, 5, 32),  # 2M on 64K: CV 0, no dedup: one 2 MiB PMD block (derived)
        (4096, 18, 2),  # 1G on 4K: 4096 vmemmap pages, pages 0 and 1 own
        (4096, 9, 512 * 2),  # 2M on 4K: 8 vmemmap pages, pages 0 and 1 own, per 2M
    ],
)
def test_ppc_radix_dedup_vectors(page_size: int, k: int, data: int) -> None:
    """(d).3 Documentation/arch/powerpc/vmemmap_dedup.rst: 64K pages: 1G -> 16 vmemmap
    pages, pages 0, 1 own; 2M -> no dedup (B8.4: CV = 32*64/65536 = 0, so the
    non-compound radix path maps the 1 MiB of memmap of a 1 GiB range with one 2 MiB PMD
    block = 32 64K pages - derived). 4K pages: 2M -> 8 pages, 1G -> 4096 pages, pages 0
    and 1 own (2 data pages per compound)."""
    m = _ppc_radix(page_size)
    boot = ((pfn(0, page_size), pfn(4 * GiB, page_size)),)
    r = run([(4 * GiB, 5 * GiB)], k, machine=m, boot=boot)
    assert r.dram_data_pages == data


def test_ppc_altmap_exhaustion_falls_back_to_dram() -> None:
    """B8.4: radix "altmap allocation failures fall back to RAM". 1 GiB on radix 4K is
    8 PMD blocks of vmemmap; an altmap holding one aligned block (510 + 512 pfns) serves
    the first, the other 7 come from DRAM (derived)."""
    m = _ppc_radix(4096)
    start = 4 * GiB
    altmap = OracleAltmap(base_pfn=pfn(start), reserve=2, free=510 + 512)
    r = run([(start, start + 1 * GiB)], 9, machine=m, altmap=altmap)
    assert r.device_data_pages == 512
    assert r.altmap_align_pfns == 510
    assert r.dram_data_pages == 7 * 512
