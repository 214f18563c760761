"""What ``estimate()`` is asked, and that request checked the way the kernel would.

``EstimateRequest`` is one geometry as the CLI or a config file gives it, with vmemplan's
defaults. ``prepare()`` refuses what nd_pfn_init(), check_pfn_span(), pagemap_range() or
dev_dax_probe() refuse and builds the pgmap that estimate.py then walks.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple, NoReturn

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
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.kernel.sparse import subsection_span
from vmemplan.kernel.versions import KernelProfile, require_zone_device
from vmemplan.units import (
    SpelledRange,
    align_down,
    align_up,
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


class EstimateRequest(NamedTuple):
    """One geometry, as the CLI or a config file gives it (byte values, already parsed).

    A NamedTuple, not a dataclass: estimate's start-up would compile a dataclass's
    generated methods on every run."""

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


def request_with(base: EstimateRequest, **changes: Any) -> EstimateRequest:
    """``base`` with ``changes`` (``base._replace(**changes)``; an unknown field is refused)."""
    return base._replace(**changes)


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
                ram = [subsection_span(arch, a, b) for a, b in req.system_ram]
                from vmemplan.placement import nearest_placements  # noqa: PLC0415 - refusals only

                near = nearest_placements(lo, hi, step, ram, limit)
                shown = " or ".join(
                    f"{format_size_exact(a)}+{format_size_exact(b - a)}" for a, b in near
                )
                raise GeometryError(
                    "--dax-range",
                    f"{format_range(r)} is not aligned to "
                    f"{format_size_exact(step)} (device align and 2M subsection, check_pfn_span)"
                    + (f"; nearest valid: {shown}" if near else ""),
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
    lo, hi = ram
    # the ranges themselves overlap, or only a subsection holds both
    how = "overlaps" if d0 < hi and lo < d1 else "shares a subsection with"
    given = next((r for r in req.dax_ranges if tuple(r) == (d0, d1)), None)
    if given is not None:
        what = format_range(given)
    elif not req.dax_ranges and d0 == req.start:
        what = f"the namespace at {format_as_given(req.start)}"
    else:
        what = f"{format_size_exact(d0)}+{format_size_exact(d1 - d0)}"
    raise GeometryError(
        option,
        f"{what} {how} System RAM {_shown_ram(ram)} (pagemap_range() refuses it; the "
        "default --system-ram is 0+64G, pass --system-ram none to model no boot RAM)",
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


def check_pgmaps_disjoint(reqs: Sequence[EstimateRequest], prepared: Sequence[Prepared]) -> None:
    """Two pgmaps cannot share a subsection: section_activate() fails with -EEXIST."""
    spans = []
    for index, (req, p) in enumerate(zip(reqs, prepared, strict=True)):
        for r0, r1 in p.pgmap.ranges:
            d0, d1 = r0 * req.arch.page_size, r1 * req.arch.page_size
            lo, hi = subsection_span(req.arch, d0, d1)
            spans.append((lo, hi, index, d0, d1))
    spans.sort()
    for (_, a1, i, _, e1), (b0, _, j, f0, _) in itertools.pairwise(spans):
        if b0 < a1 and i != j:
            how, at = ("overlaps", f0) if f0 < e1 else ("shares a subsection with", b0)
            raise GeometryError(
                reqs[j].label or "--start",
                f"{how} {reqs[i].label or 'another namespace'} at "
                f"{format_size_exact(at)}: two pgmaps cannot populate one subsection (-EEXIST)",
            )
