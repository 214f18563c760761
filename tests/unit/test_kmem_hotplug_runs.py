"""Worked examples: memmap_on_memory blocks added in runs equal the per-block calls.

With memmap_on_memory, create_altmaps_and_memory_blocks() (mm/memory_hotplug.c, v6.8+)
calls arch_add_memory() once per memory block with that block's altmap. Each block's
memmap is a whole number of PMD_SIZE vmemmap windows of its own (mhp_supports_memmap_on
_memory() asks for memmap_size % PMD_SIZE == 0), so a block takes its memmap pages from
its altmap whatever the blocks beside it did, and the tables above are shared. Every
example below is checked by ``hotplug_both()`` against ``_kmem_hotplug_per_block()``
(figures, error and final machine and direct-map state) and against numbers by hand.

Geometry used by hand (4K pages, 64-byte struct page unless said): a 2 GiB block's
memmap is 2G / 4K * 64 = 32 MiB = 8192 pages (16 PMD leaves), a 128 MiB block's 2 MiB =
512 pages (one leaf). A vmemmap PMD table maps 1 GiB of vmemmap (64 GiB of memory), a
PUD table 512 GiB (32 TiB). In the direct map a PTE table maps 2 MiB, a PMD table 1 GiB,
a PUD table 512 GiB of memory.
"""

from __future__ import annotations

import pytest

from tests.kmem_runs import hotplug_both
from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.kernel.linear_map import DirectMapState, LinearMap
from vmemplan.kernel.memory_hotplug import HotplugCost, MemmapOnMemory
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.sparse_vmemmap import Account, VmemmapState
from vmemplan.kernel.versions import kernel_profile

MiB, GiB, TiB = 1 << 20, 1 << 30, 1 << 40
K612 = kernel_profile((6, 12))


def _host(
    arch: str,
    boot: list[tuple[int, int]],
    linear: LinearMap | None = None,
    struct_page_size: int = 64,
) -> tuple[Machine, DirectMapState]:
    a = ARCHES[arch]
    mode = linear if linear is not None else a.linear_map
    assert mode is not None
    machine = Machine(a, K612, struct_page_size, boot)
    direct = DirectMapState(a, mode, gbpages=True)
    for lo, hi in boot:
        direct.add_range(lo, hi)
    return machine, direct


def _add(
    machine: Machine,
    direct: DirectMapState,
    ranges: tuple[tuple[int, int], ...],
    block: int,
    mode: MemmapOnMemory = "on",
) -> HotplugCost:
    cost = hotplug_both(machine, ranges, block, mode, direct)
    assert not isinstance(cost, GeometryError)
    return cost


def _tables(pte: int = 0, pmd: int = 0, pud: int = 0) -> dict[str, int]:
    return {"pte": pte, "pmd": pmd, "pud": pud, "p4d": 0}


def test_x86_2g_blocks_256g_at_1t() -> None:
    """x86_64, boot RAM 0+512G, 256 GiB at 1 TiB in 128 blocks of 2 GiB: 128 * 8192 memmap
    pages from the altmaps; the vmemmap [16G, 20G) needs PMD tables 16..19 (boot RAM's
    memmap [0, 8G) owns 0..7) and shares PUD table 0; each block is 2 whole aligned GiBs,
    so the direct map is 1G leaves, and [1T, 1T+256G) needs PUD table 2 (boot: 0)."""
    machine, direct = _host("x86_64", [(0, 512 * GiB)])
    cost = _add(machine, direct, ((TiB, TiB + 256 * GiB),), 2 * GiB)
    assert cost.blocks_self_hosted == 128
    assert cost.account == Account(device_pages=128 * 8192, tables=_tables(pmd=4))
    assert cost.direct_map == _tables(pud=1)


def test_arm64_4k_128m_blocks_across_1t() -> None:
    """arm64 4K, boot RAM 0+4G, [1T - 384M, 1T + 640M): 8 blocks of 128 MiB, not aligned
    to 1 GiB nor 512 GiB. 8 * 512 pages from the altmaps; the vmemmap
    [16G - 6M, 16G + 10M) crosses a 1 GiB boundary: PMD tables 15 and 16. The direct map
    is base pages (rodata=full): 64 PTE tables a block, PMD tables for the GiBs 1023 and
    1024, PUD tables for [512G, 1T) and [1T, 1.5T) (boot RAM owns the first)."""
    machine, direct = _host("arm64-4k", [(0, 4 * GiB)])
    cost = _add(machine, direct, ((TiB - 384 * MiB, TiB + 640 * MiB),), 128 * MiB)
    assert cost.blocks_self_hosted == 8
    assert cost.account == Account(device_pages=8 * 512, tables=_tables(pmd=2))
    assert cost.direct_map == _tables(pte=8 * 64, pmd=2, pud=2)


def test_arm64_64k_granule() -> None:
    """arm64 64K: a block hosts its memmap only if the memmap is whole 512 MiB PMDs, so
    512 GiB blocks (8192 pages of memmap each; the default 512 MiB block's 8 pages are
    not a pageblock). 2 TiB at 4 TiB: 4 blocks, base pages from the altmaps; the vmemmap
    [4G, 6G) needs PTE tables 8..11 (512 MiB each) and shares boot RAM's PMD table (4
    TiB of vmemmap). Direct map, base pages: 2T / 512M PTE tables and the PMD table of
    [4T, 8T)."""
    machine, direct = _host("arm64-64k", [(0, 4 * GiB)])
    cost = _add(machine, direct, ((4 * TiB, 6 * TiB),), 512 * GiB)
    assert cost.blocks_self_hosted == 4
    assert cost.account == Account(device_pages=4 * 8192, tables=_tables(pte=4))
    assert cost.direct_map == _tables(pte=4096, pmd=1)
    machine, direct = _host("arm64-64k", [(0, 4 * GiB)])
    refused = _add(machine, direct, ((4 * TiB, 6 * TiB),), 512 * MiB)
    assert refused.refusal is not None
    assert "pageblock" in refused.refusal
    assert refused.account == Account(dram_pages=4096 * 8, tables=_tables(pte=4))


def test_riscv64_128m_blocks_not_aligned_to_1g() -> None:
    """riscv64 Sv48, boot RAM 0+2G (two 1G leaves), [5G - 256M, 6G + 256M): 12 blocks of
    128 MiB, one PMD leaf of memmap each (6144 pages); the vmemmap [76M, 100M) shares
    boot RAM's PMD table. A 128 MiB call is smaller than a GiB: no 1G leaf, so the GiBs
    4, 5 and 6 get a PMD table each (2M leaves, no PTE table)."""
    machine, direct = _host("riscv64", [(0, 2 * GiB)])
    cost = _add(machine, direct, ((5 * GiB - 256 * MiB, 6 * GiB + 256 * MiB),), 128 * MiB)
    assert cost.blocks_self_hosted == 12
    assert cost.account == Account(device_pages=12 * 512)
    assert cost.direct_map == _tables(pmd=3)


def test_after_boot_ram_and_an_earlier_range_sharing_tables() -> None:
    """x86_64, boot RAM 0+64G (memmap [0, 1G): PMD table 0). [64G, 96G) then [96G, 160G)
    on the same machine: the first needs PMD table 1, the second PMD tables 1 (already
    there) and 2; 16 and 32 blocks of 8192 pages; 1G leaves under boot RAM's PUD table."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)])
    first = _add(machine, direct, ((64 * GiB, 96 * GiB),), 2 * GiB)
    second = _add(machine, direct, ((96 * GiB, 160 * GiB),), 2 * GiB)
    assert first.account == Account(device_pages=16 * 8192, tables=_tables(pmd=1))
    assert second.account == Account(device_pages=32 * 8192, tables=_tables(pmd=1))
    assert first.direct_map == second.direct_map == _tables()


def test_force_pads_each_altmap_but_allocates_the_same() -> None:
    """force: each altmap reserves a pageblock-aligned memmap (the 2 GiB block's 8192 pages
    are aligned already); the same pages are allocated as with on."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)])
    cost = _add(machine, direct, ((64 * GiB, 128 * GiB),), 2 * GiB, "force")
    assert cost.altmap_pages_per_block == 8192
    assert cost.account.device_pages == 32 * 8192


def test_a_pte_table_inside_one_block_splits_the_run() -> None:
    """An earlier pgmap of 64 MiB at 66 GiB (half a section: base pages, 256 memmap pages
    and a PTE table in the vmemmap window of [66G, 66G+128M)) inside the range (the
    kernel would refuse the overlap; the model must still count as its reference). The
    block [66G, 68G) maps the rest of that window with base pages from its altmap (256),
    then its 15 empty windows with PMD blocks, aligned up to a PMD in the altmap (256
    pfns of padding); the 7 other blocks take 8192 pages each."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)])
    pgmap = DevPagemap(
        ranges=((66 * GiB >> 12, (66 * GiB + 64 * MiB) >> 12),),
        vmemmap_shift=0,
        altmap=None,
        mode="devdax",
    )
    machine.memremap_pages(pgmap, optimized=False)
    direct.add_range(66 * GiB, 66 * GiB + 64 * MiB)
    blocks = 2 * GiB >> 12
    runs = machine.memory_block_runs(64 * GiB >> 12, 80 * GiB >> 12, blocks)
    assert runs == [
        (32 * blocks, 33 * blocks),
        (33 * blocks, 34 * blocks),
        (34 * blocks, 40 * blocks),
    ]
    cost = _add(machine, direct, ((64 * GiB, 80 * GiB),), 2 * GiB)
    assert cost.account == Account(device_pages=7 * 8192 + 256 + 15 * 512, altmap_align_pfns=256)


def test_blocks_already_mapped_are_a_run_of_their_own() -> None:
    """An earlier request without memmap_on_memory over [70G, 76G) left PMD leaves there
    (24576 DRAM pages); a later self-hosted [64G, 80G) over it (an overlap the kernel
    refuses) finds those 3 blocks mapped: they allocate nothing, the 5 others 8192 each."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)])
    earlier = _add(machine, direct, ((70 * GiB, 76 * GiB),), 2 * GiB, "off")
    assert earlier.account.dram_pages == 3 * 8192
    blocks = 2 * GiB >> 12
    runs = machine.memory_block_runs(64 * GiB >> 12, 80 * GiB >> 12, blocks)
    assert runs == [
        (32 * blocks, 35 * blocks),
        (35 * blocks, 38 * blocks),
        (38 * blocks, 40 * blocks),
    ]
    cost = _add(machine, direct, ((64 * GiB, 80 * GiB),), 2 * GiB)
    assert cost.account == Account(device_pages=5 * 8192)


def test_a_block_size_that_is_not_a_power_of_two() -> None:
    """Three sections (384 MiB, 1536 pages of memmap, whole PMDs): the runs still apply to
    the vmemmap, and the direct map, whose 1 GiB leaves a block straddles unevenly, is
    mapped block by block. [64G + 128M, 66G + 768M): 7 blocks; PMD tables for the GiBs
    64, 65 and 66."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)])
    cost = _add(machine, direct, ((64 * GiB, 64 * GiB + 8 * 384 * MiB),), 384 * MiB)
    assert cost.blocks_self_hosted == 7
    assert cost.account == Account(device_pages=7 * 1536, tables=_tables(pmd=1))
    assert cost.direct_map == _tables(pmd=3)


def test_blocks_of_part_sections_go_block_by_block() -> None:
    """A 128-byte struct page makes a 192 MiB block's memmap 6 MiB (whole PMDs) but the
    block is 1.5 sections: the x86 vmemmap_populate() maps each partial section with base
    pages from DRAM, and blocks do not repeat section by section. The runs are refused
    (None) and every block is added on its own, as the reference does."""
    machine, direct = _host("x86_64", [(0, 64 * GiB)], struct_page_size=128)
    assert machine.memory_block_runs(0, 2 * (192 * MiB >> 12), 192 * MiB >> 12) is None
    cost = _add(machine, direct, ((64 * GiB, 64 * GiB + 8 * 192 * MiB),), 192 * MiB)
    assert cost.blocks_self_hosted == 7
    assert cost.account.dram_pages > 0
    assert cost.account.device_pages > 0


def test_a_block_that_fails_is_not_probed() -> None:
    """probe_memory_block() leaves the machine alone and answers None when the block's
    altmap cannot hold its memmap (the reference then fails at that block)."""
    machine = Machine(ARCHES["x86_64"], K612, 64)
    before = machine.state.copy()
    blocks = 2 * GiB >> 12
    tiny = Altmap(base_pfn=32 * blocks, reserve=0, free=0, end_pfn=33 * blocks)
    assert machine.probe_memory_block(32 * blocks, 33 * blocks, tiny) is None
    assert list(machine.state.pmd_leaves) == list(before.pmd_leaves)
    assert list(machine.state.tables["pmd"]) == list(before.tables["pmd"])


@pytest.mark.parametrize("part", ["leaves", "ptes", "tables"])
def test_block_effect_refuses_a_block_covered_in_part(part: str) -> None:
    """A probed block whose leaves or PTEs cover it in part, or whose tables of a level were
    ensured for part of it, has no outcome to repeat (the blocks beside it, whose PMD
    tables start elsewhere in their memmap, could differ): block_effect() is None."""
    block_va = (2 * GiB >> 12) * 72  # 36 MiB: 18 PMD windows
    va_lo = 28 * block_va  # [1008M, 1044M) crosses a 1 GiB PMD-table boundary
    state = VmemmapState(ARCHES["x86_64"], 72).block_scratch(va_lo, va_lo + block_va)
    assert state.ensured is not None
    if part == "leaves":
        state.pmd_leaves.add(va_lo // (2 * MiB), va_lo // (2 * MiB) + 1)
    elif part == "ptes":
        state.ptes.add(va_lo // 4096, va_lo // 4096 + 1)
    else:
        # the pages up to 1 GiB: both PMD tables the block touches, not all of its pages
        state.ensured["pmd"].add(va_lo // 4096, GiB // 4096)
    assert state.block_effect(Account(), va_lo, va_lo + block_va) is None


@pytest.mark.parametrize("arch", ["x86_64", "arm64-4k", "arm64-16k", "arm64-64k", "riscv64"])
@pytest.mark.parametrize("linear", ["pages", "blocks"])
@pytest.mark.parametrize("gbpages", [True, False])
@pytest.mark.parametrize("block", [128 * MiB, 384 * MiB, 512 * MiB, GiB, 2 * GiB])
def test_direct_map_add_blocks_is_add_range_per_block(
    arch: str, linear: LinearMap, gbpages: bool, block: int
) -> None:
    """DirectMapState.add_blocks() allocates, and leaves, what one add_range() per block
    does, after boot RAM that ends inside a GiB, on blocks that straddle 1 GiB or not."""
    a = ARCHES[arch]
    start = 600 * GiB - 3 * block
    end = start + 9 * block
    one, other = DirectMapState(a, linear, gbpages), DirectMapState(a, linear, gbpages)
    for d in (one, other):
        d.add_range(0, 3 * GiB + 5 * MiB)
        d.add_range(start + block, start + block + 64 * MiB)
    total = _tables()
    for b in range(start, end, block):
        for lvl, n in one.add_range(b, b + block).items():
            total[lvl] += n
    assert other.add_blocks(start, end, block) == total
    assert {k: list(v) for k, v in other.tables.items()} == {
        k: list(v) for k, v in one.tables.items()
    }
    assert other.add_blocks(end, end, block) == _tables()
