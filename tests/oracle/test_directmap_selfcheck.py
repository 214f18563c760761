"""Pin the direct-map oracle (tests/oracle/directmap.py) to hand-derived small cases.

Geometry used in the derivations (arch page-table headers):

* x86_64 / arm64-4k: PTE table maps 2 MiB, PMD table 1 GiB, PUD table 512 GiB.
* arm64-16k: PTE table maps 32 MiB, PMD table 64 GiB, PUD table 128 TiB.
* arm64-64k: PTE table maps 512 MiB, PMD table 4 TiB (PUD folded).

Unless a test says otherwise boot RAM is [0, 4 GiB): it creates the PUD table of the
first 512 GiB (x86/arm64-4k), the first PMD table and, with blocks, only leaves.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.oracle.directmap import GiB, KiB, MiB, TiB, direct_map_tables

BOOT = [(0, 4 * GiB)]
ZERO = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
ARCHES = ("x86_64", "arm64-4k", "arm64-16k", "arm64-64k")


def tables(pte: int = 0, pmd: int = 0, pud: int = 0) -> dict[str, int]:
    return {"pte": pte, "pmd": pmd, "pud": pud, "p4d": 0}


def test_x86_gbpages_aligned_gib_needs_no_table() -> None:
    """[64 GiB, 66 GiB) with gbpages: two 1 GiB leaves in the boot PUD table.

    split_mem_range() gives one 1G piece; phys_pud_init() sets two PUD leaves in the
    PUD table of the first 512 GiB, which boot RAM already allocated.
    """
    got = direct_map_tables("x86_64", [(64 * GiB, 66 * GiB)], BOOT, "blocks", gbpages=True)
    assert got == ZERO


def test_x86_without_gbpages_one_pmd_table_per_gib() -> None:
    """Same range without gbpages: 2 MiB leaves, one new PMD table per 1 GiB (2)."""
    got = direct_map_tables("x86_64", [(64 * GiB, 66 * GiB)], BOOT, "blocks", gbpages=False)
    assert got == tables(pmd=2)


def test_x86_unaligned_edges_take_pte_tables() -> None:
    """[64 GiB + 4 KiB, 64 GiB + 4 MiB + 8 KiB): 4K head, one 2M leaf, 4K tail.

    The head [64G+4K, 64G+2M) and the tail [64G+4M, 64G+4M+8K) each lie in a
    different 2 MiB PMD entry, so two PTE tables; all inside one new PMD table.
    """
    start = 64 * GiB + 4 * KiB
    end = 64 * GiB + 4 * MiB + 8 * KiB
    got = direct_map_tables("x86_64", [(start, end)], BOOT, "blocks", gbpages=True)
    assert got == tables(pte=2, pmd=1)


def test_x86_pages_mode_one_pte_table_per_2mib() -> None:
    """debug_pagealloc (pages): 1 GiB at 64 GiB = 512 PTE tables + 1 PMD table."""
    got = direct_map_tables("x86_64", [(64 * GiB, 65 * GiB)], BOOT, "pages", gbpages=True)
    assert got == tables(pte=512, pmd=1)


def test_x86_new_pgd_entry_allocates_pud_table() -> None:
    """[512 GiB, 513 GiB) lies under the second PGD entry: one new PUD table only."""
    got = direct_map_tables("x86_64", [(512 * GiB, 513 * GiB)], BOOT, "blocks", gbpages=True)
    assert got == tables(pud=1)


def test_x86_splits_boot_leaf_when_new_range_needs_pages() -> None:
    """Re-mapping 4 KiB inside a boot 2 MiB leaf (rule 4, x86): one PTE table.

    Boot [0, 4G) with blocks, no gbpages: PMD leaves.  [2M, 2M+4K) needs a 4K
    mapping, so phys_pmd_init() splits the leaf into a fresh PTE table.
    """
    got = direct_map_tables("x86_64", [(2 * MiB, 2 * MiB + 4 * KiB)], BOOT, "blocks", False)
    assert got == tables(pte=1)


def test_arm64_4k_uses_pud_blocks() -> None:
    """arm64 4K: pud_sect_supported(), so an aligned GiB is one PUD block: no table."""
    got = direct_map_tables("arm64-4k", [(64 * GiB, 65 * GiB)], BOOT, "blocks", gbpages=False)
    assert got == ZERO


def test_arm64_4k_rodata_full_pages() -> None:
    """arm64 4K with NO_BLOCK_MAPPINGS: 1 GiB = 512 PTE tables + 1 PMD table."""
    got = direct_map_tables("arm64-4k", [(64 * GiB, 65 * GiB)], BOOT, "pages", gbpages=False)
    assert got == tables(pte=512, pmd=1)


def test_arm64_16k_blocks_and_pages() -> None:
    """arm64 16K: 1 GiB at 64 GiB.

    Blocks: 32 PMD blocks of 32 MiB in the second 64 GiB PMD table (new: 1).
    Pages: 1 GiB / 32 MiB = 32 PTE tables, plus that PMD table.  The PUD table
    (128 TiB) came with boot RAM.
    """
    rng = [(64 * GiB, 65 * GiB)]
    assert direct_map_tables("arm64-16k", rng, BOOT, "blocks", False) == tables(pmd=1)
    assert direct_map_tables("arm64-16k", rng, BOOT, "pages", False) == tables(pte=32, pmd=1)


def test_arm64_16k_no_pud_block_even_for_64gib() -> None:
    """[64 GiB, 128 GiB) is one aligned 64 GiB PUD entry, but 16K has no PUD blocks.

    So it takes a PMD table (1) filled with 2048 PMD blocks of 32 MiB.
    """
    got = direct_map_tables("arm64-16k", [(64 * GiB, 128 * GiB)], BOOT, "blocks", True)
    assert got == tables(pmd=1)


def test_arm64_64k_pmd_blocks_and_folded_pud() -> None:
    """arm64 64K: 1 GiB at 64 GiB is 2 PMD blocks of 512 MiB in the boot PMD table.

    Pages: 2 PTE tables (512 MiB each).  At 4 TiB a second PGD entry begins, whose
    PMD table is new; the PUD level is folded, so ``pud`` stays 0.
    """
    rng = [(64 * GiB, 65 * GiB)]
    assert direct_map_tables("arm64-64k", rng, BOOT, "blocks", False) == ZERO
    assert direct_map_tables("arm64-64k", rng, BOOT, "pages", False) == tables(pte=2)
    far = [(4 * TiB, 4 * TiB + 1 * GiB)]
    assert direct_map_tables("arm64-64k", far, BOOT, "blocks", False) == tables(pmd=1)


def test_boot_pages_default_follows_linear_map() -> None:
    """Rule 2: boot RAM uses the same mode unless ``boot_linear_map`` says otherwise.

    arm64-4k, pages: [4G, 4G+2M) lies in the fifth 1 GiB PUD entry, empty after boot:
    one PMD table + one PTE table.  [0, 2M) re-maps boot RAM: nothing new, whether
    boot used pages (PTEs present) or blocks (arm64 keeps the 1G block, rule 4).
    x86 instead splits a boot 1G leaf: one PMD table, then one PTE table.
    """
    add = [(4 * GiB, 4 * GiB + 2 * MiB)]
    assert direct_map_tables("arm64-4k", add, BOOT, "pages", False) == tables(pte=1, pmd=1)
    inside = [(0, 2 * MiB)]
    assert direct_map_tables("arm64-4k", inside, BOOT, "pages", False) == ZERO
    assert (
        direct_map_tables("arm64-4k", inside, BOOT, "pages", False, boot_linear_map="blocks")
        == ZERO
    )
    # x86 splits instead (rule 4): the boot 1G leaf becomes a PMD table + PTE table
    assert direct_map_tables(
        "x86_64", inside, BOOT, "pages", True, boot_linear_map="blocks"
    ) == tables(pte=1, pmd=1)


def test_rejects_unknown_arch_and_mode() -> None:
    with pytest.raises(ValueError, match="sparc"):
        direct_map_tables("sparc", [], [], "blocks", False)
    with pytest.raises(ValueError, match="huge"):
        direct_map_tables("x86_64", [], [], "huge", False)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Laws
# --------------------------------------------------------------------------------------

UNIT = 2 * MiB  # a multiple of every arch's page size; ranges in 2 MiB units


@st.composite
def small_range(draw: st.DrawFn, arch: str) -> tuple[int, int]:
    unit = 512 * MiB if arch == "arm64-64k" else UNIT
    lo = draw(st.integers(0, 40))
    n = draw(st.integers(1, 12))
    base = 64 * GiB
    return base + lo * unit, base + (lo + n) * unit


@settings(max_examples=20, deadline=None)
@given(data=st.data(), arch=st.sampled_from(ARCHES), mode=st.sampled_from(["pages", "blocks"]))
def test_adding_the_same_range_twice_allocates_nothing_more(
    data: st.DataObject, arch: str, mode: str
) -> None:
    """The second walk over a mapped range finds every entry present (rule 4)."""
    r = data.draw(small_range(arch))
    once = direct_map_tables(arch, [r], BOOT, mode, True)  # type: ignore[arg-type]
    twice = direct_map_tables(arch, [r, r], BOOT, mode, True)  # type: ignore[arg-type]
    assert once == twice


@settings(max_examples=12, deadline=None)
@given(
    arch=st.sampled_from(ARCHES),
    mode=st.sampled_from(["pages", "blocks"]),
    a=st.integers(1, 2),
    b=st.integers(1, 2),
)
def test_adjacent_ranges_add_up_at_leaf_aligned_boundary(
    arch: str, mode: str, a: int, b: int
) -> None:
    """Split at a boundary aligned to the largest leaf: same tables as one range.

    The boundary is aligned to 1 GiB (512 MiB on arm64-64k), the largest leaf each
    arch uses here, so every leaf of the union is a leaf of one half.
    """
    step = 512 * MiB if arch == "arm64-64k" else 1 * GiB
    lo, mid, hi = 64 * GiB, 64 * GiB + a * step, 64 * GiB + (a + b) * step
    whole = direct_map_tables(arch, [(lo, hi)], BOOT, mode, True)  # type: ignore[arg-type]
    parts = direct_map_tables(arch, [(lo, mid), (mid, hi)], BOOT, mode, True)  # type: ignore[arg-type]
    assert whole == parts


@settings(max_examples=8, deadline=None)
@given(arch=st.sampled_from(ARCHES), mode=st.sampled_from(["pages", "blocks"]))
def test_ranges_under_different_top_tables_add_up_separately(arch: str, mode: str) -> None:
    """Ranges in different top-level tables share no table: counts are additive."""
    top = {"x86_64": 512 * GiB, "arm64-4k": 512 * GiB, "arm64-16k": 64 * GiB}.get(arch, 4 * TiB)
    # arm64-16k: different PMD tables (64 GiB) still share the 128 TiB PUD table,
    # which boot RAM created, so pmd/pte counts are additive there as well.
    r1 = (top, top + 1 * GiB)
    r2 = (2 * top, 2 * top + 1 * GiB)
    one = direct_map_tables(arch, [r1], BOOT, mode, True)  # type: ignore[arg-type]
    two = direct_map_tables(arch, [r2], BOOT, mode, True)  # type: ignore[arg-type]
    both = direct_map_tables(arch, [r1, r2], BOOT, mode, True)  # type: ignore[arg-type]
    assert both == {k: one[k] + two[k] for k in one}
    assert sum(both.values()) > 0
