"""Several pgmaps on one machine share page tables (spec C3 "neighbour sharing", B9.2)."""

from __future__ import annotations

from tests.helpers import GiB, MiB
from vmemplan.estimate import EstimateRequest, estimate_many
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.versions import kernel_profile

X86 = ARCHES["x86_64"]
PFN = 4096


def _pgmap(start: int, end: int, shift: int = 9) -> DevPagemap:
    return DevPagemap(
        ranges=((start // PFN, end // PFN),), vmemmap_shift=shift, altmap=None, mode="devdax"
    )


def test_neighbour_owns_the_first_pte_table() -> None:
    """C3: if another pgmap populated [64G, 64G+2M), its PTE table is not allocated again."""
    alone = Machine(X86, kernel_profile((6, 12)), 64, [(0, 3 * GiB)])
    cost_alone = alone.memremap_pages(
        _pgmap(64 * GiB + 2 * MiB, 65 * GiB + 2 * MiB), optimized=True
    )
    shared = Machine(X86, kernel_profile((6, 12)), 64, [(0, 3 * GiB)])
    first = shared.memremap_pages(_pgmap(64 * GiB, 64 * GiB + 2 * MiB), optimized=True)
    second = shared.memremap_pages(_pgmap(64 * GiB + 2 * MiB, 65 * GiB + 2 * MiB), optimized=True)
    assert cost_alone.account.tables["pte"] == 9
    assert second.account.tables["pte"] == 8
    assert second.account.tables["pmd"] == 0  # the neighbour allocated the PMD table
    assert first.account.tables == {"pte": 1, "pmd": 1, "pud": 0, "p4d": 0}
    assert second.account.dram_pages == cost_alone.account.dram_pages == 1024


def test_adjacent_section_aligned_namespaces_add_up() -> None:
    """Two adjacent section-aligned pgmaps in separate 64 GiB windows cost their sum."""
    k = kernel_profile((6, 12))
    whole = Machine(X86, k, 64, [(0, GiB)]).memremap_pages(
        _pgmap(64 * GiB, 192 * GiB), optimized=True
    )
    split = Machine(X86, k, 64, [(0, GiB)])
    a = split.memremap_pages(_pgmap(64 * GiB, 128 * GiB), optimized=True)
    b = split.memremap_pages(_pgmap(128 * GiB, 192 * GiB), optimized=True)
    assert a.account.dram_pages + b.account.dram_pages == whole.account.dram_pages
    for lvl in ("pte", "pmd", "pud"):
        assert a.account.tables[lvl] + b.account.tables[lvl] == whole.account.tables[lvl]
    assert a.struct_pages_initialised + b.struct_pages_initialised == whole.struct_pages_initialised


def test_a_copied_machine_walks_as_a_fresh_one_and_leaves_the_original_alone() -> None:
    """Machine.copy() (the batch reuses one boot memmap): same costs, independent state."""
    k = kernel_profile((6, 12))
    boot = [(0, 3 * GiB)]
    pgmap = _pgmap(64 * GiB, 65 * GiB)
    fresh = Machine(X86, k, 64, boot).memremap_pages(pgmap, optimized=True)
    original = Machine(X86, k, 64, boot)
    copy = original.copy()
    assert copy.memremap_pages(pgmap, optimized=True) == fresh
    # the walk populated the copy's page tables, not the original's: walking the same pgmap
    # again costs nothing on the copy and everything on the original
    again = copy.memremap_pages(pgmap, optimized=True)
    assert again.account.dram_pages == 0
    assert sum(again.account.tables.values()) == 0
    assert original.memremap_pages(pgmap, optimized=True) == fresh
    assert original.boot == copy.boot
    assert original.boot.tables is not copy.boot.tables


def test_estimate_many_baselines_are_the_no_dedup_walks_in_order() -> None:
    """Each baseline is what walking every pgmap so far without deduplication adds, whether
    or not the namespaces before it (or itself) were deduplicated."""
    k = kernel_profile((6, 12))
    boot = ((0, 64 * GiB),)
    base = EstimateRequest(arch=X86, kernel=k, system_ram=boot)
    reqs = [
        base._replace(size=64 * GiB, start=64 * GiB, align=4096, label="a"),  # no dedup
        base._replace(size=64 * GiB, start=128 * GiB, align=GiB, label="b"),  # dedup
        base._replace(size=64 * GiB, start=192 * GiB, align=2 * MiB, map="dev", label="c"),
        base._replace(size=2 * GiB, start=256 * GiB, align=2 * MiB, label="d"),  # dedup
    ]
    estimates = estimate_many(reqs)
    assert [e.figures.optimized for e in estimates] == [False, True, False, True]
    by_hand = Machine(X86, k, 64, boot)
    for e in estimates:
        cost = by_hand.memremap_pages(e.pgmap, optimized=False)
        assert e.baseline.cost == cost
        assert not e.baseline.optimized
    assert estimates[0].figures.cost == estimates[0].baseline.cost


def test_estimate_many_baselines_do_not_depend_on_the_order_they_are_asked_for() -> None:
    """The baselines are walked on first use: asking for the last one first gives the same
    figures as asking in order, and the deduplicated figures do not move."""
    k = kernel_profile((6, 12))
    base = EstimateRequest(arch=X86, kernel=k, system_ram=((0, 64 * GiB),))
    reqs = [
        base._replace(size=4 * GiB, start=(64 + 4 * i) * GiB, align=2 * MiB, label=f"n{i}")
        for i in range(3)
    ]
    in_order = estimate_many(reqs)
    baselines = [e.baseline for e in in_order]
    backwards = estimate_many(reqs)
    assert [e.baseline for e in reversed(backwards)] == baselines[::-1]
    assert [e.figures for e in backwards] == [e.figures for e in in_order]
    assert all(
        b.cost.account.dram_pages > e.figures.cost.account.dram_pages
        for b, e in zip(baselines, in_order, strict=True)
    )
