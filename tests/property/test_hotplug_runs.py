"""Law: kmem_hotplug() adding memory blocks in runs equals adding them one by one.

``create_altmaps_and_memory_blocks()`` (mm/memory_hotplug.c, v6.8+) calls
``arch_add_memory()`` once per memory block, each with its own altmap, when the blocks
host their memmap (memmap_on_memory). ``kmem_hotplug()`` populates one block of each run
of like blocks and applies the outcome to the run; ``_kmem_hotplug_per_block()`` makes
every call. On random arches, block sizes, struct page sizes, direct-map modes and
earlier state on the machine (boot RAM, device-dax pgmaps, earlier kmem ranges, even
ranges that overlap them) the two give the same figures and leave the same state; and
where the brute-force oracles apply (tests/oracle/hotplug.py, tests/oracle/directmap.py)
the fast path still equals them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from tests.kmem_runs import hotplug_both
from tests.oracle.directmap import direct_map_tables
from tests.oracle.hotplug import dax_kmem_range
from tests.oracle.hotplug import hotplug_memmap as oracle_hotplug_memmap
from tests.oracle.hotplug import vmemmap_pmd_tables as oracle_vmemmap_pmd_tables
from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memory_hotplug import MemmapOnMemory
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.versions import kernel_profile

MiB, GiB, TiB = 1 << 20, 1 << 30, 1 << 40
KERNELS = [(6, 6), (6, 8), (6, 12), (7, 2)]
Mode = Literal["pages", "blocks"]


@dataclass(frozen=True)
class Prior:
    """Something on the machine before the kmem request: a pgmap or a kmem request."""

    kind: Literal["pgmap", "kmem"]
    start: int
    end: int
    optimized: bool = False  # pgmap: deduplicated compound pages (PMD-sized)
    mode: MemmapOnMemory = "off"  # kmem


@dataclass(frozen=True)
class RunsCase:
    arch: str
    kernel: tuple[int, int]
    struct_page_size: int
    block: int
    mode: MemmapOnMemory
    linear: tuple[Mode, bool] | None
    boot: tuple[tuple[int, int], ...]
    prior: tuple[Prior, ...]
    ranges: tuple[tuple[int, int], ...]


def _anchors(block: int, max_physmem_bits: int) -> st.SearchStrategy[int]:
    """Block-aligned addresses at or near the boundaries page tables change at: a PMD
    or PUD table of the vmemmap or of the direct map starts there, for some arch."""
    shift = st.sampled_from([30, 33, 36, 39, 42, 43, 44, 45])
    mult = st.integers(1, 3)
    back = st.integers(-3, 3)

    def place(s: int, m: int, b: int) -> int:
        base = min(m << s, 1 << (max_physmem_bits - 2))
        return max(block, base - base % block + b * block)

    return st.builds(place, shift, mult, back)


@st.composite
def runs_cases(draw: st.DrawFn) -> RunsCase:
    arch_name = draw(st.sampled_from(sorted(ARCHES)))
    arch = ARCHES[arch_name]
    section = 1 << arch.section_size_bits
    spp = draw(st.sampled_from([64, 64, 64, 56, 72, 80, 128]))
    block = section << draw(st.integers(0, 4))
    mode: MemmapOnMemory = draw(st.sampled_from(["on", "on", "force", "off"]))
    linear: tuple[Mode, bool] | None = None
    if arch.linear_map is not None:
        linear = (draw(st.sampled_from(["pages", "blocks"])), draw(st.booleans()))
    anchor = draw(_anchors(block, arch.max_physmem_bits))
    page = arch.page_size
    # boot RAM low in memory, and perhaps just below the kmem range (sharing its tables)
    boot: list[tuple[int, int]] = []
    if draw(st.booleans()):
        boot.append((0, draw(st.integers(1, 64)) * 64 * MiB + draw(st.integers(0, 3)) * page))
    if draw(st.booleans()):
        lo = anchor - draw(st.integers(1, 2 * block // page)) * page
        if lo > (boot[-1][1] if boot else 0):
            boot.append((lo, anchor - draw(st.sampled_from([0, page, block // 2]))))
    # the request: one or two ranges of a few to a few dozen blocks from the anchor
    ranges = []
    cursor = anchor
    for _ in range(draw(st.integers(1, 2))):
        head = draw(st.sampled_from([0, 0, 2 * MiB, block - 2 * MiB]))
        nr = draw(st.integers(0, 40))
        tail = draw(st.sampled_from([0, 0, 2 * MiB]))
        start = cursor + draw(st.integers(0, 2)) * block + head
        ranges.append((start, start - head + nr * block + tail))
        cursor = start - head + nr * block + block
    span_lo, span_hi = anchor, cursor
    # earlier pgmaps and kmem requests, near the range, inside it or around it
    prior = []
    for _ in range(draw(st.integers(0, 3))):
        kind: Literal["pgmap", "kmem"] = draw(st.sampled_from(["pgmap", "kmem"]))
        unit = 2 * MiB if kind == "pgmap" else block
        at = draw(st.integers((span_lo - 4 * block) // unit, span_hi // unit)) * unit
        length = draw(st.integers(1, max(1, 6 * block // unit))) * unit
        pmd_compound = arch.pmd_size // page  # pfns of a PMD-sized compound page
        # deduplicated only where a compound page's memmap spans a few vmemmap pages
        dedup = pmd_compound * spp >= 4 * page
        optimized = kind == "pgmap" and dedup and draw(st.booleans())
        if optimized:
            at -= at % (pmd_compound * page)
            length = -(-length // (pmd_compound * page)) * pmd_compound * page
        prior.append(
            Prior(
                kind,
                max(0, at),
                max(0, at) + length,
                optimized=optimized,
                mode=draw(st.sampled_from(["on", "off", "force"])),
            )
        )
    return RunsCase(
        arch=arch_name,
        kernel=draw(st.sampled_from(KERNELS)),
        struct_page_size=spp,
        block=block,
        mode=mode,
        linear=linear,
        boot=tuple(boot),
        prior=tuple(prior),
        ranges=tuple(ranges),
    )


def _machine(case: RunsCase) -> tuple[Machine, DirectMapState | None]:
    arch = ARCHES[case.arch]
    machine = Machine(arch, kernel_profile(case.kernel), case.struct_page_size, case.boot)
    direct = None
    if case.linear is not None:
        direct = DirectMapState(arch, *case.linear)
        for lo, hi in case.boot:
            direct.add_range(lo, hi)
    return machine, direct


@given(runs_cases())
def test_kmem_hotplug_in_runs_equals_block_by_block(case: RunsCase) -> None:
    """Each memory block gets its own arch_add_memory() with its own altmap ("for (cur_start
    = start; cur_start < start + size; cur_start += memblock_size)" in
    create_altmaps_and_memory_blocks()); the runs give the figures and the machine and
    direct-map state of those calls, after whatever the machine held before, and a later
    request on the same machine costs the same."""
    machine, direct = _machine(case)
    arch = ARCHES[case.arch]
    shift = (arch.pmd_size // arch.page_size).bit_length() - 1
    for prior in case.prior:
        if prior.kind == "pgmap":
            pgmap = DevPagemap(
                ranges=((prior.start // arch.page_size, prior.end // arch.page_size),),
                vmemmap_shift=shift if prior.optimized else 0,
                altmap=None,
                mode="devdax",
            )
            try:
                machine.memremap_pages(pgmap, optimized=prior.optimized)
            except GeometryError:
                continue
            if direct is not None:
                direct.add_range(prior.start, prior.end)
        else:
            hotplug_both(machine, ((prior.start, prior.end),), case.block, prior.mode, direct)
    hotplug_both(machine, case.ranges, case.block, case.mode, direct)
    # and once more on top: the state left behind is the reference's
    hotplug_both(machine, case.ranges[:1], case.block, case.mode, direct)


# -- where the brute-force oracles apply -----------------------------------------------

ORACLE_ARCHES = ["x86_64", "arm64-4k", "arm64-16k", "arm64-64k"]
ORACLE_KERNELS = {"6.6": (6, 6), "6.12": (6, 12), "7.2": (7, 2)}


@st.composite
def oracle_cases(draw: st.DrawFn) -> tuple[str, str, int, tuple[int, int], int, bool, Mode, bool]:
    """One range (64-byte struct pages) after boot RAM below 256 MiB; small
    enough for the oracles, which visit every pfn (and every PTE with base pages)."""
    arch = draw(st.sampled_from(ORACLE_ARCHES))
    kernel = draw(st.sampled_from(sorted(ORACLE_KERNELS)))
    page = ARCHES[arch].page_size
    block = (1 << ARCHES[arch].section_size_bits) << draw(st.integers(0, 2))
    boot_end = draw(st.integers(1, 256 * MiB // page)) * page
    mode: Mode = draw(st.sampled_from(["pages", "blocks"]))
    gbpages = arch != "x86_64" or draw(st.booleans())
    near = draw(st.sampled_from([boot_end, 512 * GiB - 3 * block, GiB - block]))
    start = max(near, boot_end) + draw(st.sampled_from([0, 2 * MiB, block - 2 * MiB]))
    most = 2 if mode == "pages" and arch != "arm64-64k" else max(1, min(4, 2 * GiB // block))
    size = block * draw(st.integers(1, most)) + draw(st.sampled_from([0, 2 * MiB]))
    mom = draw(st.booleans())
    return arch, kernel, block, (start, start + size), boot_end, mom, mode, gbpages


@given(oracle_cases())
def test_kmem_hotplug_in_runs_equals_reference_and_oracles(
    case: tuple[str, str, int, tuple[int, int], int, bool, Mode, bool],
) -> None:
    """The fast path equals the per-block reference and, as the reference does, the
    oracles' data pages, blocks, usable bytes, vmemmap PMD tables and direct map."""
    arch, kernel, block, (start, end), boot_end, mom, mode, gbpages = case
    a = ARCHES[arch]
    boot = ((0, boot_end),)
    # the vmemmap oracle counts on an empty machine, the direct-map oracle after boot RAM
    machine = Machine(a, kernel_profile(ORACLE_KERNELS[kernel]), 64)
    direct = DirectMapState(a, mode, gbpages)
    direct.add_range(0, boot_end)
    cost = hotplug_both(machine, ((start, end),), block, "on" if mom else "off", direct)
    assert not isinstance(cost, GeometryError)
    slow = oracle_hotplug_memmap(arch, kernel, start, end - start, block, mom)
    assert cost.account.dram_pages == slow["memmap_pages_dram"]
    assert cost.account.device_pages == slow["memmap_pages_self_hosted"]
    assert cost.blocks_self_hosted == slow["blocks_self_hosted"]
    assert cost.blocks_dram == slow["blocks_dram"]
    assert cost.managed_pages * a.page_size == slow["usable_bytes"]
    assert cost.account.tables["pmd"] == oracle_vmemmap_pmd_tables(
        arch, kernel, start, end - start, block, mom
    )
    trimmed = dax_kmem_range(start, end, block)
    calls: list[tuple[int, int]] = []
    if trimmed is not None:
        if cost.blocks_self_hosted:
            calls = [(b, b + block) for b in range(trimmed[0], trimmed[1], block)]
        else:
            calls = [trimmed]
    assert cost.direct_map == direct_map_tables(arch, calls, list(boot), mode, gbpages)
