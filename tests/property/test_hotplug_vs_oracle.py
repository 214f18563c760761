"""Law: the dax kmem hot-add model equals the brute-force oracle on random geometries.

``vmemplan.kernel.memory_hotplug.hotplug_memmap()`` counts with closed forms per memory
block; ``tests/oracle/hotplug.py`` (written independently, from the spec and the kernel
source) visits every pfn and collects the vmemmap pages that hold its struct page. The
direct map of the added blocks is checked against ``tests/oracle/directmap.py`` (also
written independently), fed with the ranges the hotplug oracle says are added.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from tests.oracle.directmap import direct_map_tables
from tests.oracle.hotplug import dax_kmem_range
from tests.oracle.hotplug import hotplug_memmap as oracle_hotplug_memmap
from tests.oracle.hotplug import vmemmap_pmd_tables as oracle_vmemmap_pmd_tables
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.memory_hotplug import hotplug_memmap, kmem_hotplug
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.versions import kernel_profile
from vmemplan.system_ram import SystemRamRequest, system_ram_estimate

MiB = 1 << 20
KERNELS = {"6.1": (6, 1), "6.6": (6, 6), "6.12": (6, 12), "7.2": (7, 2)}


@st.composite
def kmem_ranges(draw: st.DrawFn) -> tuple[str, str, int, int, int, bool]:
    arch = draw(st.sampled_from(["x86_64", "arm64-4k", "arm64-16k", "arm64-64k"]))
    kernel = draw(st.sampled_from(sorted(KERNELS)))
    section = 1 << ARCHES[arch].section_size_bits
    block = section << draw(st.integers(0, 2))
    # a dax range starts and ends on 2 MiB (the device's align); keep it to a few blocks
    start = 2 * MiB * draw(st.integers(0, (4 * block) // (2 * MiB)))
    size = 2 * MiB * draw(st.integers(1, (3 * block) // (2 * MiB)))
    return arch, kernel, start, size, block, draw(st.booleans())


@given(kmem_ranges())
def test_hotplug_memmap_equals_oracle(case: tuple[str, str, int, int, int, bool]) -> None:
    """Trim to memory blocks (dax_kmem_range()), then per block a self-hosted memmap
    where mhp_supports_memmap_on_memory() allows it, else DRAM: the same counts."""
    arch, kernel, start, size, block, memmap_on_memory = case
    fast = hotplug_memmap(
        ARCHES[arch], kernel_profile(KERNELS[kernel]), start, size, block, memmap_on_memory
    )
    slow = oracle_hotplug_memmap(arch, kernel, start, size, block, memmap_on_memory)
    assert fast == slow


@given(kmem_ranges())
def test_kmem_hotplug_walk_equals_oracle(case: tuple[str, str, int, int, int, bool]) -> None:
    """The walker path ``estimate --mode system-ram`` uses (kmem_hotplug() on a Machine,
    one altmap per self-hosted block) gives the oracle's data pages, blocks, usable
    bytes and PMD tables, with memmap_on_memory on and off."""
    arch, kernel, start, size, block, memmap_on_memory = case
    machine = Machine(ARCHES[arch], kernel_profile(KERNELS[kernel]), 64)
    cost = kmem_hotplug(
        machine, ((start, start + size),), block, "on" if memmap_on_memory else "off"
    )
    slow = oracle_hotplug_memmap(arch, kernel, start, size, block, memmap_on_memory)
    assert cost.account.dram_pages == slow["memmap_pages_dram"]
    assert cost.account.device_pages == slow["memmap_pages_self_hosted"]
    assert cost.blocks_self_hosted == slow["blocks_self_hosted"]
    assert cost.blocks_dram == slow["blocks_dram"]
    assert cost.managed_pages * ARCHES[arch].page_size == slow["usable_bytes"]
    assert cost.account.tables["pmd"] == oracle_vmemmap_pmd_tables(
        arch, kernel, start, size, block, memmap_on_memory
    )


# -- the direct map of the added blocks (tests/oracle/directmap.py) ------------------------

GiB = 1 << 30
Mode = Literal["pages", "blocks"]
DirectCase = tuple[
    str, str, list[tuple[int, int]], list[tuple[int, int]], int, bool, Mode, bool | None
]


@st.composite
def kmem_machines(draw: st.DrawFn) -> DirectCase:
    """Boot RAM below 256 MiB, then one or two dax ranges just above it or just below a
    512 GiB (PUD table) boundary; with base pages the ranges stay small (the oracle
    visits every PTE), with blocks they reach 2 GiB (1G leaves)."""
    arch = draw(st.sampled_from(["x86_64", "arm64-4k", "arm64-16k", "arm64-64k"]))
    kernel = draw(st.sampled_from(sorted(KERNELS)))
    page = ARCHES[arch].page_size
    section = 1 << ARCHES[arch].section_size_bits
    block = section << draw(st.integers(0, 2))
    mode: Mode = draw(st.sampled_from(["pages", "blocks"]))
    gbpages = (
        draw(st.sampled_from([None, False])) if arch == "x86_64" and mode == "blocks" else None
    )
    cuts = sorted(draw(st.lists(st.integers(0, 256 * MiB // page), max_size=4, unique=True)))
    boot = [(cuts[i] * page, cuts[i + 1] * page) for i in range(0, len(cuts) - 1, 2)]
    step = 2 * MiB  # a dax range starts and ends on the device's align
    boot_end = max((hi for _, hi in boot), default=0)
    cursor = draw(st.sampled_from([boot_end, 512 * GiB - 2 * block]))
    # whole blocks, or a head and a tail that dax_kmem_range() trims
    most = 2 if mode == "pages" and arch != "arm64-64k" else 2 * GiB // block
    ranges = []
    for _ in range(draw(st.integers(1, 2))):
        start = cursor + -cursor % block + draw(st.sampled_from([0, 0, 0, step, block - step]))
        size = block * draw(st.integers(1, max(1, most))) + draw(st.sampled_from([0, 0, step]))
        ranges.append((start, start + size))
        cursor = start + size
    mom = draw(st.booleans())
    return arch, kernel, boot, ranges, block, mom, mode, gbpages


@given(kmem_machines())
def test_system_ram_direct_map_equals_oracle(case: DirectCase) -> None:
    """add_memory_resource() calls arch_add_memory() for the whole block-trimmed range
    (dax_kmem_range()), or once per memory block when the blocks host their memmap
    (create_altmaps_and_memory_blocks(), v6.8+); each call maps its range into the
    direct map after boot RAM and the calls before it. ``direct_map`` is what the
    brute-force walk allocates for those calls, and ``dram_bytes`` includes it."""
    arch, kernel, boot, ranges, block, mom, mode, gbpages = case
    req = SystemRamRequest(
        arch=ARCHES[arch],
        kernel=kernel_profile(KERNELS[kernel]),
        ranges=tuple(ranges),
        system_ram=tuple(boot),
        memmap_on_memory="on" if mom else "off",
        memory_block_size=block,
        linear_map=mode,
        gbpages=gbpages,
    )
    e = system_ram_estimate(req)
    calls: list[tuple[int, int]] = []
    # the oracle's all-or-nothing answer for the request (never without memmap_on_memory)
    self_hosted: bool | None = None if mom else False
    for lo, hi in ranges:
        trimmed = dax_kmem_range(lo, hi, block)
        if trimmed is None:
            continue
        if self_hosted is None:
            # all or nothing per request, and kmem asks only where it is decided per
            # block (v6.8+): the oracle's answer for one block is the request's (and
            # costs one block's pfns instead of the range's)
            placed = oracle_hotplug_memmap(arch, kernel, trimmed[0], block, block, mom)
            self_hosted = placed["blocks_self_hosted"] > 0
        if self_hosted:
            calls += [(b, b + block) for b in range(trimmed[0], trimmed[1], block)]
        else:
            calls.append(trimmed)
    slow = direct_map_tables(arch, calls, boot, mode, gbpages is not False)
    assert e.cost.direct_map == slow
    page = ARCHES[arch].page_size
    vmemmap = e.cost.account.dram_pages * page + e.page_table_bytes
    assert e.dram_bytes == vmemmap + sum(slow.values()) * page
