"""The core's front door: one geometry in, every vmemmap figure out.

``estimate()`` validates a request the way the kernel would (refusing what nd_pfn_init(),
check_pfn_span(), pagemap_range() or dev_dax_probe() refuse), builds the pgmap, walks it
on a machine whose boot RAM is populated first, and does the same without deduplication
for the baseline.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, NoReturn

from vmemplan.errors import GeometryError, InputError
from vmemplan.kernel.arch import SUBSECTION_SIZE, ArchProfile, LinearMap
from vmemplan.kernel.dax_device import (
    DevPagemap,
    Mode,
    dev_dax_vmemmap_shift,
    nr_vmemmap_pages_per_compound,
    vmemmap_can_optimize,
    vmemmap_no_optimize_reason,
)
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memremap import Machine, PgmapCost
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.kernel.sparse import subsection_span
from vmemplan.kernel.versions import KernelProfile, require_zone_device
from vmemplan.units import (
    SpelledRange,
    align_down,
    align_up,
    div_round_up,
    format_as_given,
    format_like,
    format_range,
    format_size_exact,
    is_power_of_2,
)

# Init-time calibration, struct pages in DRAM (map=mem, dax ranges): a 128 GiB namespace
# took ~268-358 ms for 33,554,432 struct pages (Joao Martins, "sparse-vmemmap: memory
# savings for compound devmaps (device-dax)" v9 cover letter, April 2022, merged for v5.19):
# 8.0 - 10.7 ns per struct page.
DEFAULT_PS_PER_STRUCT_PAGE = (8000, 10700)
# Struct pages on the device (map=dev, written through the altmap): Li Zhe, "[PATCH 0/4] mm:
# speed up ZONE_DEVICE memmap initialization" (linux-mm, 2026-05-15), a 100 GB fsdax map=dev
# namespace on v7.1-rc3 in a VM: memmap_init_zone_device() took 1486 ms on first bind and
# 273.52 ms per rebind. Read as 100 GiB, the pr_debug count is the 25,804,288 pfns after
# the altmap (mm/mm_init.c, memmap_init_zone_device()): 10.6 - 57.6 ns per struct page.
# No figure on real pmem/CXL media is published; the range is an assumption to override.
DEFAULT_PS_PER_STRUCT_PAGE_DEV = (10600, 57600)
DEFAULT_START = 64 << 30
DEFAULT_SYSTEM_RAM: tuple[tuple[int, int], ...] = ((0, 64 << 30),)


def default_start(system_ram: Sequence[tuple[int, int]]) -> int:
    """Where a namespace without a start goes: 64G (just above the default boot RAM), or
    the first GiB boundary above the boot RAM given, where firmware puts pmem and CXL
    windows (above System RAM in the physical address map)."""
    top = max((hi for _, hi in system_ram), default=0)
    return max(DEFAULT_START, align_up(top, 1 << 30))


@dataclass(frozen=True)
class EstimateRequest:
    """One geometry, as the CLI or a config file gives it (byte values, already parsed)."""

    arch: ArchProfile
    kernel: KernelProfile
    size: int | None = None
    start: int = DEFAULT_START
    align: int | None = None  # default: the arch's PMD_SIZE (2M on x86_64), like ndctl
    vmemmap_shift: int | None = None
    map: MapMode = "mem"
    mode: Mode = "devdax"
    dax_ranges: tuple[tuple[int, int], ...] = ()
    system_ram: tuple[tuple[int, int], ...] = DEFAULT_SYSTEM_RAM
    struct_page_size: int | None = None
    # None: the calibrated default for where the struct pages are written (see init_cost_ps)
    ps_per_struct_page: tuple[int, int] | None = None
    label: str | None = None  # the namespace's name when several are estimated together
    linear_map: LinearMap | None = None  # default: the arch profile's (arm64 pages, x86 blocks)
    gbpages: bool | None = None  # x86 direct_gbpages; default True (X86_FEATURE_GBPAGES)

    @property
    def memmap_on_device(self) -> bool:
        """Whether the struct pages are written to the device (map=dev; never for dax ranges)."""
        return self.map == "dev" and not self.dax_ranges

    @property
    def init_cost_ps(self) -> tuple[int, int]:
        """Picoseconds per struct page written: --ns-per-page, else the default for the map."""
        if self.ps_per_struct_page is not None:
            return self.ps_per_struct_page
        if self.memmap_on_device:
            return DEFAULT_PS_PER_STRUCT_PAGE_DEV
        return DEFAULT_PS_PER_STRUCT_PAGE


@dataclass(frozen=True)
class Figures:
    """Everything one walk yields, with or without deduplication."""

    optimized: bool
    cost: PgmapCost
    page_size: int
    table_bytes: dict[str, int]
    device_bytes: int
    ps_per_struct_page: tuple[int, int]
    # New direct-map (linear map) table pages per level; None where it is not modelled.
    direct_map: dict[str, int] | None = None

    # The byte sums, computed once (the account is final once the figures exist; an
    # output reads them several times).
    direct_map_bytes: int = field(init=False, repr=False, compare=False)
    page_table_bytes: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes = self.table_bytes
        dmap = self.direct_map
        # Bytes of the new direct-map tables arch_add_memory() allocated (0 if not modelled).
        dm = 0 if dmap is None else sum(n * sizes.get(lvl, 0) for lvl, n in dmap.items())
        # Bytes of the new page-table tables (fragments on powerpc radix 64K).
        tables = self.cost.account.tables
        pt = sum(n * sizes.get(lvl, 0) for lvl, n in tables.items())
        object.__setattr__(self, "direct_map_bytes", dm)
        object.__setattr__(self, "page_table_bytes", pt)

    @property
    def memmap_pages(self) -> int:
        """Memmap data pages, DRAM plus device."""
        return self.cost.account.dram_pages + self.cost.account.device_pages

    @property
    def dram_bytes(self) -> int:
        """Memmap DRAM pages plus vmemmap and direct-map page-table tables, in bytes."""
        return (
            self.cost.account.dram_pages * self.page_size
            + self.page_table_bytes
            + self.direct_map_bytes
        )

    @property
    def time_ns(self) -> tuple[int, int]:
        """Init-time range: struct pages written x the calibrated cost, floor / ceiling."""
        n = self.cost.struct_pages_initialised
        lo, hi = self.ps_per_struct_page
        return n * lo // 1000, div_round_up(n * hi, 1000)


@dataclass(frozen=True)
class Estimate:
    """The result of ``estimate()``."""

    request: EstimateRequest
    struct_page_size: int
    align: int
    kind: Literal["namespace", "dax-ranges"]
    layout: PfnLayout | None
    pgmap: DevPagemap
    nr_vmemmap_pages_per_compound: int
    figures: Figures
    # The same pgmap walked without deduplication, on the machine without it. Walked on
    # first use (``check``'s text report never needs it): see ``_Baselines``.
    baselines: _Baselines = field(repr=False, compare=False)
    index: int = field(repr=False, compare=False)
    notes: tuple[str, ...] = field(default=())

    @property
    def baseline(self) -> Figures:
        """The figures of the same pgmap without deduplication (the no-dedup baseline)."""
        return self.baselines.figures(self.index)

    @property
    def struct_pages(self) -> int:
        """Pfns covered by the pgmap: one struct page each."""
        return self.pgmap.nr_pages

    @property
    def namespace_bytes(self) -> int:
        """What budget percentages are of: the raw namespace size, or the dax ranges' sum."""
        if self.layout is not None:
            return self.layout.size
        return self.struct_pages * self.request.arch.page_size

    @property
    def nominal_memmap_pages(self) -> int:
        """``struct_pages * sizeof(struct page)`` in pages, rounded up."""
        return div_round_up(self.struct_pages * self.struct_page_size, self.request.arch.page_size)

    @property
    def saved_pages(self) -> int:
        """Memmap pages deduplication saves against the baseline walk."""
        return self.baseline.memmap_pages - self.figures.memmap_pages


def _check_align(arch: ArchProfile, align: int, option: str) -> None:
    if not is_power_of_2(align):
        raise InputError(option, f"{format_as_given(align)} is not a power of two")
    if align not in arch.dax_alignments:
        known = ", ".join(format_size_exact(a) for a in arch.dax_alignments)
        raise InputError(
            option,
            f"{format_as_given(align)} is not supported on {arch.name} (supported: {known})",
        )


def _check_ranges_disjoint(ranges: list[tuple[int, int]], option: str) -> None:
    ordered = sorted(ranges)
    for a, b in itertools.pairwise(ordered):
        if b[0] < a[1]:
            raise InputError(option, f"ranges {format_range(a)} and {format_range(b)} overlap")


def _resolve_align(req: EstimateRequest) -> int:
    arch = req.arch
    if req.align is not None and req.vmemmap_shift is not None:
        raise InputError("--vmemmap-shift", "give either --align or --vmemmap-shift, not both")
    if req.vmemmap_shift is not None:
        if not 0 <= req.vmemmap_shift < 40:
            raise InputError("--vmemmap-shift", f"{req.vmemmap_shift} is out of range")
        align = arch.page_size << req.vmemmap_shift
        _check_align(arch, align, "--vmemmap-shift")
        return align
    align = req.align if req.align is not None else arch.pmd_size
    _check_align(arch, align, "--align")
    return align


def _build_pgmap(
    req: EstimateRequest, align: int, s: int
) -> tuple[DevPagemap, PfnLayout | None, int]:
    """The pgmap of a static namespace or of dynamic dax ranges, and the device bytes lost."""
    arch = req.arch
    p = arch.page_size
    limit = 1 << arch.max_physmem_bits
    shift = dev_dax_vmemmap_shift(arch, req.kernel, req.mode, align)
    if req.dax_ranges:
        if req.size is not None:
            raise InputError("--dax-range", "give either --size or --dax-range, not both")
        if req.map == "dev":
            raise InputError("--map", "dev is for pmem namespaces; dax ranges never have an altmap")
        if req.mode != "devdax":
            raise InputError("--mode", f"{req.mode}: dax ranges are device-dax (use --mode devdax)")
        _check_ranges_disjoint(list(req.dax_ranges), "--dax-range")
        step = max(align, SUBSECTION_SIZE)
        for r in req.dax_ranges:
            lo, hi = r
            if lo % step or hi % step:
                raise GeometryError(
                    "--dax-range",
                    f"{format_range(r)} is not aligned to "
                    f"{format_size_exact(step)} (device align and 2M subsection, check_pfn_span); "
                    f"nearest: {format_size_exact(align_down(lo, step))}+"
                    f"{format_size_exact(max(step, align_down(hi, step) - align_down(lo, step)))}",
                )
            if hi > limit:
                raise InputError(
                    "--dax-range",
                    f"{format_range(r)} ends above "
                    f"2^{arch.max_physmem_bits} (MAX_PHYSMEM_BITS on {arch.name})",
                )
        ranges = tuple((lo // p, hi // p) for lo, hi in req.dax_ranges)
        return DevPagemap(ranges=ranges, vmemmap_shift=shift, altmap=None, mode="devdax"), None, 0
    if req.size is None:
        raise InputError("--size", "missing: give --size (or --dax-range)")
    if req.size <= 0:
        raise InputError("--size", "must be positive")
    if req.start + req.size > limit:
        raise InputError(
            "--size",
            f"{format_as_given(req.start)}+{format_as_given(req.size)} ends above "
            f"2^{arch.max_physmem_bits} (MAX_PHYSMEM_BITS on {arch.name})",
        )
    layout = nd_pfn_init(
        arch, start=req.start, size=req.size, align=align, map_=req.map, struct_page_size=s
    )
    lo, hi = layout.pgmap_range
    pgmap = DevPagemap(
        ranges=((lo // p, hi // p),), vmemmap_shift=shift, altmap=layout.altmap, mode=req.mode
    )
    return pgmap, layout, layout.size - layout.usable


def _boot_ram(arch: ArchProfile, system_ram: tuple[tuple[int, int], ...]) -> _BootRam:
    """The System RAM ranges checked and sorted by start, with their subsection spans.

    Kept for the last tuple seen: a machine's namespaces share one, so a dump of N
    namespaces and M RAM ranges costs O(M log M + N log M), not O(N * M)."""
    cached = _BOOT_RAM_CACHE.get(id(system_ram))
    if cached is not None and cached[0] is system_ram and cached[1] is arch:
        return cached[2]
    _check_ranges_disjoint(list(system_ram), "--system-ram")
    ordered = sorted(system_ram, key=lambda r: r[0])
    spans = []
    for ram in ordered:
        lo, hi = ram
        if hi > 1 << arch.max_physmem_bits:
            raise InputError("--system-ram", f"{_shown_ram(ram)} ends above MAX_PHYSMEM_BITS")
        spans.append(subsection_span(arch, lo, hi))
    # the ranges are disjoint, so their subsection spans' ends ascend with their starts
    found = _BootRam(ordered, [hi for _, hi in spans], spans)
    _BOOT_RAM_CACHE.clear()
    _BOOT_RAM_CACHE[id(system_ram)] = (system_ram, arch, found)
    return found


def _shown_ram(ram: tuple[int, int]) -> str:
    lo, hi = ram
    return ram.text if isinstance(ram, SpelledRange) else f"{lo:#x}-{hi - 1:#x}"


class _BootRam(NamedTuple):
    ranges: list[tuple[int, int]]  # sorted by start
    span_ends: list[int]  # each range's subsection span end, ascending
    spans: list[tuple[int, int]]


_BOOT_RAM_CACHE: dict[int, tuple[tuple[tuple[int, int], ...], ArchProfile, _BootRam]] = {}


def _check_boot_ram(req: EstimateRequest, pgmap: DevPagemap, option: str) -> None:
    """pagemap_range() refuses a range that intersects System RAM; subsections are per owner."""
    arch = req.arch
    boot = _boot_ram(arch, tuple(req.system_ram))
    for r0, r1 in pgmap.ranges:
        d0, d1 = r0 * arch.page_size, r1 * arch.page_size
        # the first RAM range whose subsection span ends after d0: the only candidates
        first = bisect.bisect_right(boot.span_ends, d0)
        for k in range(first, len(boot.ranges)):
            slo, _ = boot.spans[k]
            if slo >= d1:
                break
            _refuse_shared_subsection(req, boot.ranges[k], (d0, d1), option)


def _refuse_shared_subsection(
    req: EstimateRequest, ram: tuple[int, int], dev: tuple[int, int], option: str
) -> NoReturn:
    d0, d1 = dev
    given = next((r for r in req.dax_ranges if tuple(r) == (d0, d1)), None)
    if given is not None:
        what = format_range(given)
    elif not req.dax_ranges and d0 == req.start:
        what = f"the namespace at {format_as_given(req.start)}"
    else:
        what = f"{format_size_exact(d0)}+{format_size_exact(d1 - d0)}"
    raise GeometryError(
        option,
        f"{what} shares a subsection with System RAM {_shown_ram(ram)} (pagemap_range() "
        "refuses it; the default --system-ram is 0+64G, pass --system-ram none to model no "
        "boot RAM)",
    )


def _check_compound_alignment(req: EstimateRequest, pgmap: DevPagemap, option: str) -> None:
    """Refuse a range start the deduplicated compound path would mishandle (spec (f) 4)."""
    arch = req.arch
    nr = pgmap.pgmap_vmemmap_nr()
    need = nr if arch.compound_algo == "ppc" else min(nr, arch.pages_per_section)
    for r0, _ in pgmap.ranges:
        if r0 % need:
            at = need * arch.page_size
            start = r0 * arch.page_size
            # echo the user's spelling: their --start, or the dax range that starts here
            like = req.start if start == req.start and not req.dax_ranges else start
            given = next((r for r in req.dax_ranges if r[0] == start), None)
            shown = f"{format_range(given)}: its start" if given else format_as_given(like)
            raise GeometryError(
                option,
                f"{shown} is not aligned to {format_size_exact(at)}: with "
                f"{format_size_exact(nr * arch.page_size)} compound pages the kernel would alias "
                f"a compound head onto a shared tail vmemmap page; nearest valid start: "
                f"{format_like(align_down(start, at), like)} or "
                f"{format_like(align_up(start, at), like)}",
            )


def _walk(
    machine: Machine,
    req: EstimateRequest,
    pgmap: DevPagemap,
    *,
    optimized: bool,
    device_bytes: int,
    direct_map: dict[str, int] | None,
) -> Figures:
    cost = machine.memremap_pages(pgmap, optimized=optimized)
    return Figures(
        optimized=optimized,
        cost=cost,
        page_size=req.arch.page_size,
        table_bytes={lvl.name: lvl.table_bytes for lvl in req.arch.levels},
        device_bytes=device_bytes,
        ps_per_struct_page=req.init_cost_ps,
        direct_map=direct_map,
    )


def resolve_linear_map(req: EstimateRequest) -> tuple[LinearMap, bool] | None:
    """The direct-map mode and x86 ``direct_gbpages`` of ``req``; None where not modelled.

    Refuses a switch the arch does not have, so that every option changes the answer.
    """
    return linear_map_mode(req.arch, req.linear_map, req.gbpages)


def linear_map_mode(
    arch: ArchProfile, linear_map: LinearMap | None, gbpages: bool | None
) -> tuple[LinearMap, bool] | None:
    """``--linear-map`` / ``--no-gbpages`` resolved against the arch; None where not modelled.

    ``linear_map`` None is the arch profile's default (arm64 pages, x86 and riscv blocks);
    ``gbpages`` None is x86's default (X86_FEATURE_GBPAGES). A switch the arch does not
    have is refused, so that every option changes the answer.
    """
    x86 = arch.populate == "x86"
    if arch.linear_map is None:
        if linear_map is not None:
            raise InputError(
                "--linear-map",
                f"{linear_map}: the direct map is not modelled on {arch.name}",
            )
        if gbpages is not None:
            raise InputError("--no-gbpages", f"the direct map is not modelled on {arch.name}")
        return None
    mode = linear_map if linear_map is not None else arch.linear_map
    if gbpages is not None:
        if not x86:
            # alloc_init_pud() in arch/arm64/mm/mmu.c: 1G blocks follow the granule
            # (pud_sect_supported()), there is no gbpages switch.
            raise InputError("--no-gbpages", f"x86 only: {arch.name} has no direct_gbpages")
        if mode == "pages":
            raise InputError("--no-gbpages", "no effect with --linear-map pages (no blocks)")
    return mode, gbpages is not False


def boot_direct_map(
    arch: ArchProfile,
    linear: tuple[LinearMap, bool] | None,
    boot_ram: Sequence[tuple[int, int]],
) -> DirectMapState | None:
    """The direct map after boot, for ``linear`` (from ``linear_map_mode()``); None: not modelled.

    Boot RAM is mapped first (map_mem() on arm64, init_mem_mapping() on x86) with the
    same mode: the tables it owns are not counted again.
    """
    if linear is None:
        return None
    # Cached like _boot_machine(): a batch maps the same boot RAM again and again.
    key = (arch, *linear, tuple(boot_ram))
    state = _BOOT_DIRECT_MAPS.get(key)
    if state is None:
        if len(_BOOT_DIRECT_MAPS) >= _BOOT_MACHINES_MAX:
            _BOOT_DIRECT_MAPS.clear()
        state = _BOOT_DIRECT_MAPS[key] = DirectMapState(arch, *linear)
        for lo, hi in boot_ram:
            state.add_range(lo, hi)
    return state.copy()


def pgmap_direct_map_tables(
    state: DirectMapState | None, arch: ArchProfile, pgmap: DevPagemap
) -> dict[str, int] | None:
    """The direct-map tables arch_add_memory() allocates for each range of ``pgmap``."""
    if state is None:
        return None
    total = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
    p = arch.page_size
    # pagemap_range() in mm/memremap.c: arch_add_memory() per range of the pgmap (the
    # whole pgmap range, the altmap reserve included for map=dev).
    for r0, r1 in pgmap.ranges:
        for lvl, n in state.add_range(r0 * p, r1 * p).items():
            total[lvl] += n
    return total


class Prepared(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """A validated request: the pgmap the kernel would build, before any walk."""

    struct_page_size: int
    align: int
    pgmap: DevPagemap
    layout: PfnLayout | None
    device_bytes: int
    optimized: bool
    nr_vmemmap_pages_per_compound: int
    notes: tuple[str, ...]


def prepare(req: EstimateRequest) -> Prepared:
    """Validate ``req`` as the kernel would and build its pgmap."""
    arch = req.arch
    require_zone_device(req.kernel)
    s = req.struct_page_size if req.struct_page_size is not None else arch.struct_page_size
    if not 32 <= s <= 1024 or s % 8:
        raise InputError("--struct-page-size", f"{s}: expected a multiple of 8 from 32 to 1024")
    lo_ps, hi_ps = req.init_cost_ps
    if not 0 < lo_ps <= hi_ps:
        raise InputError("--ns-per-page", "expected LOW-HIGH with 0 < LOW <= HIGH")
    align = _resolve_align(req)
    pgmap, layout, device_bytes = _build_pgmap(req, align, s)
    option = "--dax-range" if req.dax_ranges else "--start"
    _check_boot_ram(req, pgmap, option)
    optimized = vmemmap_can_optimize(arch, req.kernel, s, pgmap)
    cv = nr_vmemmap_pages_per_compound(arch, s, pgmap.vmemmap_shift)
    notes: list[str] = list(req.kernel.notes_for(arch))
    if req.memmap_on_device and req.ps_per_struct_page is None:
        lo, hi = (f"{ps / 1000:.1f}" for ps in DEFAULT_PS_PER_STRUCT_PAGE_DEV)
        notes.append(
            f"init time assumes {lo} ns - {hi} ns per struct page written to the device "
            "(map=dev), "
            "from the one published map=dev measurement, taken in a VM (Li Zhe, linux-mm, "
            "May 2026); on real pmem/CXL media it is unknown: --ns-per-page to calibrate"
        )
    if optimized:
        if cv < req.kernel.dedup_keep:
            raise GeometryError(
                "--kernel",
                f"{req.kernel.label} on {arch.name}: a {format_size_exact(align)} compound has "
                "less "
                f"than {req.kernel.dedup_keep} vmemmap pages; this kernel crashes probing it "
                f'(fixed by 87a7ae75d738 "mm/vmemmap/devdax: fix kernel crash when probing '
                f'devdax devices")',
            )
        _check_compound_alignment(req, pgmap, option)
        if layout is not None and layout.start % align:
            notes.append(
                "compound pages start at the namespace start, not at the device's "
                f"{format_size_exact(align)} boundaries"
            )
        if req.kernel.counters == "nominal":
            notes.append(
                "nr_memmap_pages counts the nominal memmap, not the deduplicated pages, "
                'before v7.2 ("mm/sparse-vmemmap: Fix DAX vmemmap accounting with '
                'optimization"; --counters exact if yours has it)'
            )
    else:
        reason = vmemmap_no_optimize_reason(arch, req.kernel, s, pgmap, align)
        if reason is not None:
            notes.append(reason)
    return Prepared(
        struct_page_size=s,
        align=align,
        pgmap=pgmap,
        layout=layout,
        device_bytes=device_bytes,
        optimized=optimized,
        nr_vmemmap_pages_per_compound=cv,
        notes=tuple(notes),
    )


def _check_pgmaps_disjoint(reqs: Sequence[EstimateRequest], prepared: Sequence[Prepared]) -> None:
    """Two pgmaps cannot share a subsection: section_activate() fails with -EEXIST."""
    spans = []
    for index, (req, p) in enumerate(zip(reqs, prepared, strict=True)):
        for r0, r1 in p.pgmap.ranges:
            lo, hi = subsection_span(req.arch, r0 * req.arch.page_size, r1 * req.arch.page_size)
            spans.append((lo, hi, index))
    spans.sort()
    for (_, a1, i), (b0, _, j) in itertools.pairwise(spans):
        if b0 < a1 and i != j:
            raise GeometryError(
                reqs[j].label or "--start",
                f"shares a subsection with {reqs[i].label or 'another namespace'} at "
                f"{format_size_exact(b0)}: two pgmaps cannot populate one subsection (-EEXIST)",
            )


_BOOT_MACHINES: dict[tuple[ArchProfile, KernelProfile, int, tuple[tuple[int, int], ...]], Machine]
_BOOT_MACHINES = {}
_BOOT_MACHINES_MAX = 64  # machine descriptions kept; a batch rarely has more than a few


def _boot_machine(
    arch: ArchProfile,
    kernel: KernelProfile,
    struct_page_size: int,
    boot_ram: tuple[tuple[int, int], ...],
) -> Machine:
    """A fresh machine with its boot RAM populated.

    Populating the boot memmap costs about as much as the walk of a namespace, and a batch
    of estimates describes the same machine again and again: each description is populated
    once and handed out as copies (the cached one is never walked).
    """
    key = (arch, kernel, struct_page_size, boot_ram)
    machine = _BOOT_MACHINES.get(key)
    if machine is None:
        if len(_BOOT_MACHINES) >= _BOOT_MACHINES_MAX:
            _BOOT_MACHINES.clear()
        machine = _BOOT_MACHINES[key] = Machine(arch, kernel, struct_page_size, boot_ram)
    return machine.copy()


_BOOT_DIRECT_MAPS: dict[
    tuple[ArchProfile, LinearMap, bool, tuple[tuple[int, int], ...]], DirectMapState
]
_BOOT_DIRECT_MAPS = {}


class _Baselines:
    """The no-dedup walks of one ``estimate_many()`` call, done together on first use.

    ``done`` holds the figures of the leading pgmaps that are their own baseline (not
    deduplicated, walked before any deduplicated one); ``machine`` is the machine as it
    was before the first deduplicated pgmap, and ``pending`` the pgmaps from there on,
    walked on it in order without deduplication when a baseline is first asked for.
    """

    __slots__ = ("done", "machine", "pending")

    def __init__(self) -> None:
        self.done: list[Figures] = []
        self.machine: Machine | None = None
        self.pending: list[tuple[EstimateRequest, Prepared, dict[str, int] | None]] = []

    def figures(self, index: int) -> Figures:
        """The baseline of the ``index``-th pgmap (walking every pending one, once)."""
        if self.pending:
            assert self.machine is not None
            for req, p, dmap in self.pending:
                self.done.append(
                    _walk(
                        self.machine,
                        req,
                        p.pgmap,
                        optimized=False,
                        device_bytes=p.device_bytes,
                        direct_map=dmap,
                    )
                )
            self.pending, self.machine = [], None
        return self.done[index]


def estimate_many(
    reqs: Sequence[EstimateRequest], prepared: Sequence[Prepared] | None = None
) -> list[Estimate]:
    """Estimate several namespaces walked, in order, as one machine.

    The requests must describe the same machine (arch, kernel, struct page size, boot
    RAM). Each estimate is what its pgmap adds given the ones before it, so a page-table
    page or an early section two namespaces share is counted once, by the first; the
    per-namespace figures add up to the machine's total. ``prepared``: ``prepare(req)``
    of each request when the caller has it already (``check`` does).
    """
    if not reqs:
        return []
    first = reqs[0]

    def machine_of(r: EstimateRequest) -> tuple[object, ...]:
        return (r.arch, r.kernel, r.system_ram, r.struct_page_size, r.linear_map, r.gbpages)

    for req in reqs[1:]:
        if machine_of(req) != machine_of(first):
            raise InputError(
                req.label or "namespaces",
                "every namespace of one machine needs the same arch, kernel, struct page "
                "size, boot RAM and linear map",
            )
    if prepared is None:
        prepared = [prepare(req) for req in reqs]
    elif len(prepared) != len(reqs):
        raise ValueError("estimate_many: one Prepared per request")
    _check_pgmaps_disjoint(reqs, prepared)
    s = prepared[0].struct_page_size
    machine = _boot_machine(first.arch, first.kernel, s, first.system_ram)
    # The baseline machine walks every pgmap without deduplication. Until the first
    # deduplicated walk it is in the same state as ``machine``, and a walk that does not
    # deduplicate is its own baseline: the no-dedup walk is done once, not twice, and the
    # rest only when a caller asks for a baseline (``_Baselines``).
    baselines = _Baselines()
    linear = resolve_linear_map(first)
    direct = boot_direct_map(first.arch, linear, first.system_ram)
    out = []
    for index, (req, p) in enumerate(zip(reqs, prepared, strict=True)):
        # The direct map does not depend on deduplication: the baseline pays the same.
        dmap = pgmap_direct_map_tables(direct, req.arch, p.pgmap)
        if p.optimized and baselines.machine is None:
            baselines.machine = machine.copy()
        figures = _walk(
            machine,
            req,
            p.pgmap,
            optimized=p.optimized,
            device_bytes=p.device_bytes,
            direct_map=dmap,
        )
        if baselines.machine is None:
            baselines.done.append(figures)
        else:
            baselines.pending.append((req, p, dmap))
        notes = p.notes
        if linear is not None and linear[0] == "pages" and req.linear_map is None:
            # can_set_direct_map() in arch/arm64/mm/pageattr.c decides it at boot.
            notes += (
                "direct map at base pages, as arm64 maps it with rodata=full (the usual "
                "default), debug_pagealloc or a late KFENCE pool; --linear-map blocks for "
                "rodata=on/off",
            )
        if p.optimized and figures.cost.early_chunks and not req.kernel.early_init_fix:
            notes += (
                "device subsections in an early section reuse the boot memmap, but this kernel "
                "initialises only the deduplicated struct pages of their compounds: the rest "
                "stay uninitialised (fixed in v7.2 and stable 7.1.5, 6.18.40, 6.12.97, 6.6.145, "
                '6.1.184 by "mm/mm_init: Fix uninitialized struct pages for ZONE_DEVICE"; '
                "--early-init-fix if your kernel has it)",
            )
        out.append(
            Estimate(
                request=req,
                struct_page_size=s,
                align=p.align,
                kind="dax-ranges" if req.dax_ranges else "namespace",
                layout=p.layout,
                pgmap=p.pgmap,
                nr_vmemmap_pages_per_compound=p.nr_vmemmap_pages_per_compound,
                figures=figures,
                baselines=baselines,
                index=index,
                notes=notes,
            )
        )
    return out


def estimate(req: EstimateRequest) -> Estimate:
    """Compute every figure for ``req``, and the same without deduplication (baseline)."""
    return estimate_many([req])[0]
