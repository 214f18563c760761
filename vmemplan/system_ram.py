"""``vmemplan estimate --mode system-ram``: a dax device onlined as System RAM by dax kmem.

Composes kernel/memory_hotplug.py: the device's ranges are trimmed to memory blocks
(dax_kmem_range()), hot-added on a machine whose boot RAM is populated first (so page
tables boot RAM already owns are not counted again), each block with its memmap at its
own start when memmap_on_memory is on and mhp_supports_memmap_on_memory() allows it,
else in DRAM.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from vmemplan.errors import GeometryError, InputError
from vmemplan.estimate import (
    Estimate,
    EstimateRequest,
    boot_direct_map,
    linear_map_mode,
    pgmap_direct_map_tables,
    resolve_linear_map,
)
from vmemplan.kernel.arch import ArchProfile, LinearMap
from vmemplan.kernel.memory_hotplug import (
    MEMMAP_ON_MEMORY_FORCE_SINCE,
    HotplugCost,
    MemmapOnMemory,
    kmem_hotplug,
    memory_block_size_bytes,
)
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.pfn_devs import PfnLayout, nd_pfn_init
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import div_round_up, format_size_exact, is_power_of_2

MEMMAP_ON_MEMORY_CHOICES: tuple[MemmapOnMemory, ...] = ("off", "on", "force")


@dataclass(frozen=True)
class SystemRamRequest:
    """One dax device to online as System RAM (byte values, already parsed)."""

    arch: ArchProfile
    kernel: KernelProfile
    ranges: tuple[tuple[int, int], ...]  # the dax device's ranges, [start, end)
    system_ram: tuple[tuple[int, int], ...]  # boot RAM
    memmap_on_memory: MemmapOnMemory = "off"
    memory_block_size: int | None = None  # None: as the kernel picks it
    struct_page_size: int | None = None
    ps_per_struct_page: tuple[int, int] = (8000, 10700)
    # a pmem namespace reconfigured to system-ram: its pfn layout; the dax device's range
    # is its data area (__dax_pmem_probe() starts it at dataoff), so ``ranges`` is that
    namespace: PfnLayout | None = None
    linear_map: LinearMap | None = None  # default: the arch profile's (arm64 pages, x86 blocks)
    gbpages: bool | None = None  # x86 direct_gbpages; default True (X86_FEATURE_GBPAGES)


@dataclass(frozen=True)
class SystemRamEstimate:
    """The result of ``system_ram_estimate()``."""

    request: SystemRamRequest
    struct_page_size: int
    memory_block_size: int
    block_size_source: str
    boot_mem_end: int
    cost: HotplugCost
    # the direct-map mode and x86 direct_gbpages (linear_map_mode()); None: not modelled
    linear: tuple[LinearMap, bool] | None = None
    # DRAM memmap pages of the HugeTLB pools carved from this device: each pool's entry
    # counts its own vmemmap (host/accounting.py), so this device's dram_bytes leaves them out
    pool_vmemmap_pages: int = 0
    # the bytes of the HugeTLB pools carved from its managed pages (the pools' entries
    # count that capacity and those struct pages)
    pool_bytes: int = 0

    @property
    def page_table_bytes(self) -> int:
        """Bytes of the vmemmap page-table tables the hot-add allocates (DRAM)."""
        sizes: dict[str, int] = {lvl.name: lvl.table_bytes for lvl in self.request.arch.levels}
        return sum(n * sizes.get(lvl, 0) for lvl, n in self.cost.account.tables.items())

    @property
    def direct_map_bytes(self) -> int:
        """Bytes of the new direct-map tables arch_add_memory() allocated (0 if not modelled)."""
        return direct_map_bytes(self.request.arch, self.cost.direct_map)

    @property
    def dram_bytes(self) -> int:
        """Memmap data pages from DRAM plus vmemmap and direct-map tables, in bytes (less
        the vmemmap of the HugeTLB pools carved from it, which is the pools')."""
        return (
            (self.cost.account.dram_pages - self.pool_vmemmap_pages) * self.cost.page_size
            + self.page_table_bytes
            + self.direct_map_bytes
        )

    @property
    def device_bytes(self) -> int:
        """The dax device's bytes (the whole namespace for a pmem namespace)."""
        if self.request.namespace is not None:
            return self.request.namespace.size
        return sum(hi - lo for lo, hi in self.request.ranges)

    @property
    def stranded_bytes(self) -> int:
        """Namespace metadata (info block, map=dev memmap reservation, end truncation)
        that is neither dax device nor RAM."""
        ns = self.request.namespace
        return 0 if ns is None else ns.dataoff + ns.end_trunc

    @property
    def usable_bytes(self) -> int:
        """Device bytes the page allocator gets (MemTotal grows by this)."""
        return self.cost.managed_pages * self.cost.page_size

    @property
    def time_ns(self) -> tuple[int, int]:
        """Init-time range at online: struct pages written x the calibrated cost."""
        n = self.cost.struct_pages_initialised
        lo, hi = self.request.ps_per_struct_page
        return n * lo // 1000, div_round_up(n * hi, 1000)


def direct_map_bytes(arch: ArchProfile, tables: dict[str, int] | None) -> int:
    """Bytes of direct-map tables given per level (0 where the direct map is not modelled)."""
    if tables is None:
        return 0
    sizes: dict[str, int] = {lvl.name: lvl.table_bytes for lvl in arch.levels}
    return sum(n * sizes.get(lvl, 0) for lvl, n in tables.items())


def _check_ranges(req: SystemRamRequest, option: str) -> None:
    arch = req.arch
    limit = 1 << arch.max_physmem_bits
    if not req.ranges:
        raise InputError("--size", "missing: give --size (or --dax-range)")
    ordered = sorted(req.ranges)
    for (a0, a1), (b0, b1) in itertools.pairwise(ordered):
        if b0 < a1:
            raise InputError(
                option,
                f"ranges {format_size_exact(a0)}+{format_size_exact(a1 - a0)} and "
                f"{format_size_exact(b0)}+{format_size_exact(b1 - b0)} overlap",
            )
    for lo, hi in req.ranges:
        text = f"{format_size_exact(lo)}+{format_size_exact(hi - lo)}"
        if hi <= lo:
            raise InputError(option, f"{text}: must not be empty")
        if lo % arch.page_size or hi % arch.page_size:
            raise GeometryError(option, f"{text} is not page aligned")
        if hi > limit:
            raise InputError(
                option, f"{text} ends above 2^{arch.max_physmem_bits} (MAX_PHYSMEM_BITS)"
            )
        for r0, r1 in req.system_ram:
            if lo < r1 and r0 < hi:
                # register_memory_resource() -> request_resource() conflict: -EEXIST
                raise GeometryError(
                    option,
                    f"{text} overlaps boot System RAM {r0:#x}-{r1 - 1:#x}: add_memory() "
                    "refuses it (-EEXIST); the default --system-ram is 0+64G",
                )


def block_size(req: SystemRamRequest) -> tuple[int, str, int]:
    """memory_block_size_bytes() for the request, its source, and the end of boot RAM."""
    arch = req.arch
    boot_mem_end = max((hi for _, hi in req.system_ram), default=0)
    section = 1 << arch.section_size_bits
    if req.memory_block_size is not None:
        mb = req.memory_block_size
        if not is_power_of_2(mb) or mb < section:
            raise InputError(
                "--memory-block-size",
                f"{format_size_exact(mb)}: expected a power of two of at least one section "
                f"({format_size_exact(section)} on {arch.name})",
            )
        return mb, "option", boot_mem_end
    mb = memory_block_size_bytes(arch, boot_mem_end)
    source = "probe_memory_block_size" if arch.populate == "x86" else "section"
    return mb, source, boot_mem_end


def system_ram_estimate(req: SystemRamRequest) -> SystemRamEstimate:
    """Hot-add the request's ranges as System RAM and return every figure."""
    arch, kernel = req.arch, req.kernel
    s = req.struct_page_size if req.struct_page_size is not None else arch.struct_page_size
    if not 32 <= s <= 1024 or s % 8:
        raise InputError("--struct-page-size", f"{s}: expected a multiple of 8 from 32 to 1024")
    if req.memmap_on_memory not in MEMMAP_ON_MEMORY_CHOICES:
        raise InputError(
            "--memmap-on-memory", f"{req.memmap_on_memory!r}: expected off, on or force"
        )
    if req.memmap_on_memory == "force" and kernel.version < MEMMAP_ON_MEMORY_FORCE_SINCE:
        raise InputError(
            "--memmap-on-memory",
            f"force: memory_hotplug.memmap_on_memory=force exists from v6.6 (kernel "
            f"{kernel.label} takes only Y/N)",
        )
    lo_ps, hi_ps = req.ps_per_struct_page
    if not 0 < lo_ps <= hi_ps:
        raise InputError("--ns-per-page", "expected LOW-HIGH with 0 < LOW <= HIGH")
    option = "--dax-range" if len(req.ranges) > 1 else "--start"
    _check_ranges(req, option)
    mb, source, boot_mem_end = block_size(req)
    machine = Machine(arch, kernel, s, req.system_ram)
    linear = linear_map_mode(arch, req.linear_map, req.gbpages)
    direct = boot_direct_map(arch, linear, req.system_ram)
    cost = kmem_hotplug(machine, req.ranges, mb, req.memmap_on_memory, direct)
    return SystemRamEstimate(
        request=req,
        struct_page_size=s,
        memory_block_size=mb,
        block_size_source=source,
        boot_mem_end=boot_mem_end,
        cost=cost,
        linear=linear,
    )


def hot_add_after(
    base: EstimateRequest,
    estimates: Sequence[Estimate],
    checked: Sequence[SystemRamEstimate],
    *,
    baseline: bool = False,
) -> list[SystemRamEstimate]:
    """Hot-add each dax device of ``checked`` (each already estimated alone, which
    validates it), in order, on one machine after the pgmaps of ``estimates``.

    The machine is ``base``'s boot RAM, then every device-dax/fsdax pgmap, then each kmem
    request: a vmemmap page-table page or a direct-map table an earlier entry allocated is
    not counted again (``check`` and ``estimate --from-ndctl``/``--iomem`` add them so).
    ``baseline``: the same without any optimisation (pgmaps not deduplicated, every
    memmap in DRAM: memmap_on_memory off).
    """
    if not checked:
        return []
    arch = base.arch
    s = base.struct_page_size if base.struct_page_size is not None else arch.struct_page_size
    machine = Machine(arch, base.kernel, s, base.system_ram)
    # The direct map too: boot RAM, then each device-dax range, then each kmem block range.
    direct = boot_direct_map(arch, resolve_linear_map(base), base.system_ram)
    for e in estimates:
        machine.memremap_pages(e.pgmap, optimized=e.figures.optimized and not baseline)
        pgmap_direct_map_tables(direct, arch, e.pgmap)
    out = []
    for one in checked:
        req = one.request
        mode: MemmapOnMemory = "off" if baseline else req.memmap_on_memory
        cost = kmem_hotplug(machine, req.ranges, one.memory_block_size, mode, direct)
        out.append(replace(one, cost=cost))
    return out


def pmem_namespace_layout(req: EstimateRequest) -> PfnLayout:
    """The pfn layout of a pmem namespace (nd_pfn_init()) whose devdax device kmem takes."""
    arch = req.arch
    assert req.size is not None
    s = req.struct_page_size if req.struct_page_size is not None else arch.struct_page_size
    align = req.align if req.align is not None else arch.pmd_size
    if align not in arch.dax_alignments:
        known = ", ".join(format_size_exact(a) for a in arch.dax_alignments)
        raise InputError(
            "--align",
            f"{format_size_exact(align)} is not a namespace align of {arch.name} "
            f"(supported: {known})",
        )
    return nd_pfn_init(
        arch, start=req.start, size=req.size, align=align, map_=req.map, struct_page_size=s
    )
