"""Memory hot-added as System RAM by dax kmem, with or without memmap_on_memory.

Follows mm/memory_hotplug.c (mhp_supports_memmap_on_memory(), add_memory_resource()),
drivers/dax/kmem.c (dax_kmem_range()) and arch/x86/mm/init_64.c
(probe_memory_block_size()). Ranges are half-open ``[start, end)`` in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.sparse_vmemmap import Account
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import GiB, MiB, align_down, align_up, div_round_up

# Linux kernel commit 6b8f0798b85a ("mm/memory_hotplug: split memmap_on_memory requests
# across memblocks") (in v6.8), with Vishal Verma's series in which dax kmem passes
# MHP_MEMMAP_ON_MEMORY: before it a multi-block kmem request never got an altmap.
MHP_PER_BLOCK_ALTMAP_SINCE = (6, 8)

# Oscar Salvador's "mm,memory_hotplug: allocate memmap from the added memory range" (in
# v5.12) added memory_hotplug.memmap_on_memory (a bool); Aneesh Kumar's series (in v6.6)
# made it Y/N/force (set_memmap_mode()) and added memory_block_memmap_on_memory_pages().
MEMMAP_ON_MEMORY_SINCE = (5, 12)
MEMMAP_ON_MEMORY_FORCE_SINCE = (6, 6)

MemmapOnMemory = Literal["off", "on", "force"]

MAX_BLOCK_SIZE = 2 * GiB
MEM_SIZE_FOR_LARGE_BLOCK = 64 * GiB
MIN_MEMORY_BLOCK_SIZE_X86 = 128 * MiB


# Follows probe_memory_block_size() in arch/x86/mm/init_64.c (bare metal, no CFMWS advice).
def memory_block_size_bytes(arch: ArchProfile, boot_mem_end: int) -> int:
    """The memory block size: x86 picks 2 GiB on hosts with >= 64 GiB of boot RAM."""
    section = 1 << arch.section_size_bits
    if arch.populate != "x86":
        return section  # MIN_MEMORY_BLOCK_SIZE, the generic default
    if boot_mem_end < MEM_SIZE_FOR_LARGE_BLOCK:
        return MIN_MEMORY_BLOCK_SIZE_X86
    return MAX_BLOCK_SIZE


# Follows memory_block_memmap_on_memory_pages() in mm/memory_hotplug.c (v6.6+).
def memory_block_memmap_on_memory_pages(
    arch: ArchProfile, memory_block_size: int, struct_page_size: int, *, force: bool = False
) -> int:
    """Pages each block reserves for its memmap: PFN_UP(memmap), pageblock-padded in force."""
    p = arch.page_size
    pages = div_round_up(memory_block_size // p * struct_page_size, p)
    if force:
        pages = align_up(pages, arch.pmd_size // p)  # pageblock_align()
    return pages


# Follows mhp_supports_memmap_on_memory() in mm/memory_hotplug.c (the 6.6+ form, called
# with size == memory_block_size_bytes() since v6.8).
def mhp_supports_memmap_on_memory(
    arch: ArchProfile,
    memory_block_size: int,
    struct_page_size: int | None = None,
    *,
    force: bool = False,
) -> str | None:
    """None when a block can host its own memmap, else the rule that refuses it."""
    p = arch.page_size
    s = struct_page_size if struct_page_size is not None else arch.struct_page_size
    blk_pfns = memory_block_size // p
    memmap_bytes = blk_pfns * s
    memmap_pages = memory_block_memmap_on_memory_pages(arch, memory_block_size, s, force=force)
    pageblock_pages = arch.pmd_size // p  # pageblock_order = HUGETLB_PAGE_ORDER
    if memmap_bytes % p:
        return "memmap size is not a multiple of PAGE_SIZE"
    if memmap_pages % pageblock_pages:
        return "memmap pages are not pageblock aligned"
    if memmap_pages >= blk_pfns:
        return "the memmap would fill the whole block"
    if memmap_bytes % arch.pmd_size:
        return "memmap size is not a multiple of PMD_SIZE (arch_supports_memmap_on_memory())"
    return None


# Follows dax_kmem_range() in drivers/dax/kmem.c and add_memory_resource().
def hotplug_memmap(
    arch: ArchProfile,
    kernel: KernelProfile,
    start: int,
    size: int,
    memory_block_size: int,
    memmap_on_memory: bool,
) -> dict[str, int]:
    """Memmap of the dax kmem range ``[start, start + size)`` trimmed to whole blocks."""
    p = arch.page_size
    lo, hi = align_up(start, memory_block_size), align_down(start + size, memory_block_size)
    added = max(0, hi - lo)
    blocks = added // memory_block_size
    self_hosted = (
        memmap_on_memory
        and kernel.version >= MHP_PER_BLOCK_ALTMAP_SINCE
        and mhp_supports_memmap_on_memory(arch, memory_block_size) is None
    )
    per_block = div_round_up(memory_block_size // p * arch.struct_page_size, p)
    sections = added >> arch.section_size_bits
    per_section = div_round_up(arch.pages_per_section * arch.struct_page_size, p)
    device = blocks * per_block if self_hosted else 0
    return {
        "memmap_pages_dram": 0 if self_hosted else sections * per_section,
        "memmap_pages_self_hosted": device,
        "blocks_self_hosted": blocks if self_hosted else 0,
        "blocks_dram": 0 if self_hosted else blocks,
        "usable_bytes": added - device * p,
    }


# Vishal Verma's "dax/kmem: allow kmem to add memory with memmap_on_memory" (in v6.8):
# dev_dax_kmem_probe() passes MHP_MEMMAP_ON_MEMORY when dev_dax->memmap_on_memory is set.
KMEM_MEMMAP_ON_MEMORY_SINCE = (6, 8)


# Follows dev_dax_kmem_probe() in drivers/dax/kmem.c and add_memory_resource() in
# mm/memory_hotplug.c: why a kmem request gets no per-block altmap (None: it gets one).
def kmem_memmap_on_memory_refusal(
    arch: ArchProfile,
    kernel: KernelProfile,
    memory_block_size: int,
    struct_page_size: int,
    mode: MemmapOnMemory,
) -> str | None:
    """None when every block of a kmem request hosts its own memmap, else why not."""
    if mode == "off":
        return "memory_hotplug.memmap_on_memory is off (the default)"
    if kernel.version < MEMMAP_ON_MEMORY_SINCE:
        return "memory_hotplug.memmap_on_memory does not exist before v5.12"
    if kernel.version < KMEM_MEMMAP_ON_MEMORY_SINCE:
        return (
            "dax kmem passes MHP_MEMMAP_ON_MEMORY only from v6.8 (dev_dax_kmem_probe(), "
            "Vishal Verma's series); before it a multi-block request never got an altmap"
        )
    refusal = mhp_supports_memmap_on_memory(
        arch, memory_block_size, struct_page_size, force=mode == "force"
    )
    if refusal is not None:
        return f"mhp_supports_memmap_on_memory() refuses it: {refusal}"
    return None


@dataclass(frozen=True)
class KmemRange:
    """One dax range and the part of it dax_kmem_range() hands to add_memory_driver_managed()."""

    start: int
    end: int  # exclusive
    added_start: int  # ALIGN(start, MB); equal to added_end when nothing is added
    added_end: int  # ALIGN_DOWN(end, MB)
    blocks: int
    self_hosted: bool

    @property
    def added_bytes(self) -> int:
        """Bytes added as System RAM (whole memory blocks)."""
        return self.added_end - self.added_start

    @property
    def trimmed_bytes(self) -> int:
        """Head and tail bytes that stay in the dax region (not RAM, no memmap)."""
        return (self.end - self.start) - self.added_bytes


@dataclass(frozen=True)
class HotplugCost:
    """What onlining dax ranges as System RAM costs, per add_memory_resource() request."""

    memory_block_size: int
    memmap_on_memory: MemmapOnMemory
    refusal: str | None  # why the blocks' memmap is in DRAM (None: self-hosted)
    ranges: tuple[KmemRange, ...]
    account: Account  # memmap data pages (DRAM / device) and new page-table tables
    altmap_pages_per_block: int  # memory_block_memmap_on_memory_pages(), 0 without altmap
    struct_pages_initialised: int  # memmap_init_range() at online, one per added pfn
    nr_memmap_pages_delta: int | None  # None: the counter does not exist (before v6.11)
    page_size: int
    # New direct-map (linear map) table pages per level; None where it is not modelled.
    direct_map: dict[str, int] | None = None

    @property
    def blocks_self_hosted(self) -> int:
        """Memory blocks whose memmap lives at their own start (one altmap each)."""
        return sum(r.blocks for r in self.ranges if r.self_hosted)

    @property
    def blocks_dram(self) -> int:
        """Memory blocks whose memmap came from DRAM (the page allocator)."""
        return sum(r.blocks for r in self.ranges if not r.self_hosted)

    @property
    def added_bytes(self) -> int:
        """Bytes of the ranges added as memory blocks."""
        return sum(r.added_bytes for r in self.ranges)

    @property
    def altmap_pages(self) -> int:
        """Pages the altmaps reserve on the device (memmap plus force-mode padding)."""
        return self.blocks_self_hosted * self.altmap_pages_per_block

    @property
    def managed_pages(self) -> int:
        """Pages the buddy allocator gets at online (MemTotal grows by this)."""
        return self.added_bytes // self.page_size - self.altmap_pages


# Follows add_memory_resource() -> create_altmaps_and_memory_blocks() (v6.8+) or
# arch_add_memory() without an altmap, with __add_pages() -> __populate_section_memmap().
def kmem_hotplug(
    machine: Machine,
    ranges: tuple[tuple[int, int], ...],
    memory_block_size: int,
    mode: MemmapOnMemory,
    direct: DirectMapState | None = None,
) -> HotplugCost:
    """Hot-add each dax range ``[start, end)`` as System RAM on ``machine`` (in place).

    ``direct``: the machine's direct map (boot RAM and earlier devices mapped), extended
    in place with each range ``arch_add_memory()`` is called for; None: not modelled.

    Self-hosted blocks are added in runs (``Machine.memory_block_runs()``): one block of
    a run is populated on a scratch state and its outcome applied to the whole run, so
    the cost grows with the runs of earlier state the range meets, not with its blocks.
    Every figure and the final state of ``machine`` and ``direct`` are those of
    ``_kmem_hotplug_per_block()``, which adds the blocks one by one as the kernel does.
    """
    return _kmem_hotplug(machine, ranges, memory_block_size, mode, direct, bulk=True)


# Follows add_memory_resource() -> create_altmaps_and_memory_blocks() (v6.8+), one memory
# block at a time: the reference kmem_hotplug() is tested against.
def _kmem_hotplug_per_block(
    machine: Machine,
    ranges: tuple[tuple[int, int], ...],
    memory_block_size: int,
    mode: MemmapOnMemory,
    direct: DirectMapState | None = None,
) -> HotplugCost:
    """``kmem_hotplug()`` with one ``arch_add_memory()`` per self-hosted block (O(blocks))."""
    return _kmem_hotplug(machine, ranges, memory_block_size, mode, direct, bulk=False)


# Follows add_memory_resource() in mm/memory_hotplug.c (see kmem_hotplug()).
def _kmem_hotplug(
    machine: Machine,
    ranges: tuple[tuple[int, int], ...],
    memory_block_size: int,
    mode: MemmapOnMemory,
    direct: DirectMapState | None,
    *,
    bulk: bool,
) -> HotplugCost:
    """The body of ``kmem_hotplug()``; ``bulk``: add runs of like blocks at once."""
    arch, kernel, s = machine.arch, machine.kernel, machine.struct_page_size
    p = arch.page_size
    refusal = kmem_memmap_on_memory_refusal(arch, kernel, memory_block_size, s, mode)
    self_hosted = refusal is None
    per_block = (
        memory_block_memmap_on_memory_pages(arch, memory_block_size, s, force=mode == "force")
        if self_hosted
        else 0
    )
    acct = Account()
    dmap = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}  # direct-map tables allocated

    def arch_add_memory(a: int, b: int, altmap: Altmap | None) -> None:
        # arch_add_memory(): the direct map of [a, b) first (x86 init_memory_mapping(),
        # arm64 __create_pgd_mapping(), riscv create_linear_mapping_range()), then
        # __add_pages() with the altmap. The altmap only feeds vmemmap_populate(): the
        # direct-map tables come from the page allocator (DRAM) even when self-hosted.
        if direct is not None:
            for lvl, n in direct.add_range(a, b).items():
                dmap[lvl] += n
        machine.arch_add_memory(acct, a // p, b // p, altmap)

    def add_blocks(a: int, b: int) -> None:
        # create_altmaps_and_memory_blocks(): one arch_add_memory() per memory block,
        # so no direct-map leaf spans two blocks (blocks under 1 GiB get no 1G leaf).
        for x in range(a, b, memory_block_size):  # one altmap per memory block
            altmap = Altmap(
                base_pfn=x // p, reserve=0, free=per_block, end_pfn=(x + memory_block_size) // p
            )
            arch_add_memory(x, x + memory_block_size, altmap)

    def add_blocks_in_runs(lo: int, hi: int) -> None:
        # The blocks of a run see the same state in their own vmemmap windows and get
        # the same altmap (shifted): one probed block stands for all of them. The direct
        # map is extended run by run too, so both states advance as add_blocks() would
        # have them at the start of each run (and where a block fails).
        block_pfns = memory_block_size // p
        runs = machine.memory_block_runs(lo // p, hi // p, block_pfns)
        if runs is None:
            add_blocks(lo, hi)
            return
        for r0, r1 in runs:
            effect = None
            if r1 - r0 > block_pfns:
                first = Altmap(base_pfn=r0, reserve=0, free=per_block, end_pfn=r0 + block_pfns)
                effect = machine.probe_memory_block(r0, r0 + block_pfns, first)
            if effect is None:
                add_blocks(r0 * p, r1 * p)
                continue
            if direct is not None:
                for lvl, n in direct.add_blocks(r0 * p, r1 * p, memory_block_size).items():
                    dmap[lvl] += n
            machine.add_memory_blocks(acct, effect, r0, r1, block_pfns)

    out = []
    for start, end in ranges:
        lo, hi = align_up(start, memory_block_size), align_down(end, memory_block_size)
        if lo >= hi:
            out.append(KmemRange(start, end, lo, lo, 0, self_hosted))
            continue
        if self_hosted:
            (add_blocks_in_runs if bulk else add_blocks)(lo, hi)
        else:
            arch_add_memory(lo, hi, None)  # add_memory_resource(): the whole range at once
        out.append(KmemRange(start, end, lo, hi, (hi - lo) // memory_block_size, self_hosted))
    added = sum(r.added_end - r.added_start for r in out)
    counter: int | None = None
    if kernel.counters != "none":
        # memmap_pages_add() per section, nominal for memory without a pgmap (altmap
        # pages included), v6.11+ (15995a352474; section_activate() from v6.17).
        sections = added >> arch.section_size_bits
        counter = sections * div_round_up(arch.pages_per_section * s, p)
    return HotplugCost(
        memory_block_size=memory_block_size,
        memmap_on_memory=mode,
        refusal=refusal,
        ranges=tuple(out),
        account=acct,
        altmap_pages_per_block=per_block,
        struct_pages_initialised=added // p,
        nr_memmap_pages_delta=counter,
        page_size=p,
        direct_map=None if direct is None else dmap,
    )
