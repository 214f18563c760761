"""The core's front door: one geometry in, every vmemmap figure out.

``estimate()`` validates a request the way the kernel would (refusing what nd_pfn_init(),
check_pfn_span(), pagemap_range() or dev_dax_probe() refuse), builds the pgmap, walks it
on a machine whose boot RAM is populated first, and does the same without deduplication
for the baseline.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from vmemplan.errors import GeometryError, InputError
from vmemplan.kernel.arch import SUBSECTION_SIZE, ArchProfile
from vmemplan.kernel.dax_device import (
    DevPagemap,
    Mode,
    dev_dax_vmemmap_shift,
    nr_vmemmap_pages_per_compound,
    vmemmap_can_optimize,
    vmemmap_no_optimize_reason,
)
from vmemplan.kernel.memremap import Machine, PgmapCost
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.kernel.sparse import subsection_span
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import align_down, align_up, div_round_up, format_size_exact, is_power_of_2

# Init-time calibration: the seed's 128 GiB namespace took ~268-358 ms for 33,554,432
# struct pages (Joao Martins, v9 cover letter): 8.0 - 10.7 ns per struct page.
DEFAULT_PS_PER_STRUCT_PAGE = (8000, 10700)
DEFAULT_START = 64 << 30
DEFAULT_SYSTEM_RAM: tuple[tuple[int, int], ...] = ((0, 64 << 30),)


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
    ps_per_struct_page: tuple[int, int] = DEFAULT_PS_PER_STRUCT_PAGE
    label: str | None = None  # the namespace's name when several are estimated together


@dataclass(frozen=True)
class Figures:
    """Everything one walk yields, with or without deduplication."""

    optimized: bool
    cost: PgmapCost
    page_size: int
    table_bytes: dict[str, int]
    device_bytes: int
    ps_per_struct_page: tuple[int, int]

    @property
    def memmap_pages(self) -> int:
        """Memmap data pages, DRAM plus device."""
        return self.cost.account.dram_pages + self.cost.account.device_pages

    @property
    def page_table_bytes(self) -> int:
        """Bytes of the new page-table tables (fragments on powerpc radix 64K)."""
        return sum(n * self.table_bytes.get(lvl, 0) for lvl, n in self.cost.account.tables.items())

    @property
    def dram_bytes(self) -> int:
        """Memmap DRAM pages plus page-table tables, in bytes."""
        return self.cost.account.dram_pages * self.page_size + self.page_table_bytes

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
    baseline: Figures
    notes: tuple[str, ...] = field(default=())

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
        raise InputError(option, f"{format_size_exact(align)} is not a power of two")
    if align not in arch.dax_alignments:
        known = ", ".join(format_size_exact(a) for a in arch.dax_alignments)
        raise InputError(
            option,
            f"{format_size_exact(align)} is not supported on {arch.name} (supported: {known})",
        )


def _check_ranges_disjoint(ranges: list[tuple[int, int]], option: str) -> None:
    ordered = sorted(ranges)
    for (a0, a1), (b0, b1) in itertools.pairwise(ordered):
        if b0 < a1:
            raise InputError(
                option,
                f"ranges {format_size_exact(a0)}+{format_size_exact(a1 - a0)} and "
                f"{format_size_exact(b0)}+{format_size_exact(b1 - b0)} overlap",
            )


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
        for lo, hi in req.dax_ranges:
            if lo % step or hi % step:
                raise GeometryError(
                    "--dax-range",
                    f"{format_size_exact(lo)}+{format_size_exact(hi - lo)} is not aligned to "
                    f"{format_size_exact(step)} (device align and 2M subsection, check_pfn_span); "
                    f"nearest: {format_size_exact(align_down(lo, step))}+"
                    f"{format_size_exact(max(step, align_down(hi, step) - align_down(lo, step)))}",
                )
            if hi > limit:
                raise InputError(
                    "--dax-range",
                    f"{format_size_exact(lo)}+{format_size_exact(hi - lo)} ends above "
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
            f"{format_size_exact(req.start)}+{format_size_exact(req.size)} ends above "
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


def _check_boot_ram(req: EstimateRequest, pgmap: DevPagemap, option: str) -> None:
    """pagemap_range() refuses a range that intersects System RAM; subsections are per owner."""
    arch = req.arch
    _check_ranges_disjoint(list(req.system_ram), "--system-ram")
    for lo, hi in req.system_ram:
        if hi > 1 << arch.max_physmem_bits:
            raise InputError(
                "--system-ram", f"{format_size_exact(lo)}-... ends above MAX_PHYSMEM_BITS"
            )
        slo, shi = subsection_span(arch, lo, hi)
        for r0, r1 in pgmap.ranges:
            d0, d1 = r0 * arch.page_size, r1 * arch.page_size
            if d0 < shi and slo < d1:
                raise GeometryError(
                    option,
                    f"{format_size_exact(d0)}+{format_size_exact(d1 - d0)} shares a subsection "
                    "with "
                    f"System RAM {lo:#x}-{hi - 1:#x} (pagemap_range() refuses it; the default "
                    f"--system-ram is 0+64G, pass --system-ram none to model no boot RAM)",
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
            raise GeometryError(
                option,
                f"{format_size_exact(start)} is not aligned to {format_size_exact(at)}: with "
                f"{format_size_exact(nr * arch.page_size)} compound pages the kernel would alias "
                f"a compound head onto a shared tail vmemmap page; nearest valid start: "
                f"{format_size_exact(align_down(start, at))} or "
                f"{format_size_exact(align_up(start, at))}",
            )


def _walk(
    machine: Machine, req: EstimateRequest, pgmap: DevPagemap, *, optimized: bool, device_bytes: int
) -> Figures:
    cost = machine.memremap_pages(pgmap, optimized=optimized)
    return Figures(
        optimized=optimized,
        cost=cost,
        page_size=req.arch.page_size,
        table_bytes={lvl.name: lvl.table_bytes for lvl in req.arch.levels},
        device_bytes=device_bytes,
        ps_per_struct_page=req.ps_per_struct_page,
    )


@dataclass(frozen=True)
class Prepared:
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
    s = req.struct_page_size if req.struct_page_size is not None else arch.struct_page_size
    if not 32 <= s <= 1024 or s % 8:
        raise InputError("--struct-page-size", f"{s}: expected a multiple of 8 from 32 to 1024")
    lo_ps, hi_ps = req.ps_per_struct_page
    if not 0 < lo_ps <= hi_ps:
        raise InputError("--ns-per-page", "expected LOW-HIGH with 0 < LOW <= HIGH")
    align = _resolve_align(req)
    pgmap, layout, device_bytes = _build_pgmap(req, align, s)
    option = "--dax-range" if req.dax_ranges else "--start"
    _check_boot_ram(req, pgmap, option)
    optimized = vmemmap_can_optimize(arch, req.kernel, s, pgmap)
    cv = nr_vmemmap_pages_per_compound(arch, s, pgmap.vmemmap_shift)
    notes: list[str] = []
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
                "nr_memmap_pages counts the nominal memmap, not the deduplicated pages, on "
                "kernels without the 2026 accounting fix (--counters exact if yours has it)"
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
    for req in reqs[1:]:
        same = (req.arch, req.kernel, req.system_ram, req.struct_page_size)
        if same != (first.arch, first.kernel, first.system_ram, first.struct_page_size):
            raise InputError(
                req.label or "namespaces",
                "every namespace of one machine needs the same arch, kernel, struct page "
                "size and boot RAM",
            )
    if prepared is None:
        prepared = [prepare(req) for req in reqs]
    elif len(prepared) != len(reqs):
        raise ValueError("estimate_many: one Prepared per request")
    _check_pgmaps_disjoint(reqs, prepared)
    s = prepared[0].struct_page_size
    machine = Machine(first.arch, first.kernel, s, first.system_ram)
    base_machine = Machine(first.arch, first.kernel, s, first.system_ram)
    out = []
    for req, p in zip(reqs, prepared, strict=True):
        figures = _walk(machine, req, p.pgmap, optimized=p.optimized, device_bytes=p.device_bytes)
        baseline = _walk(base_machine, req, p.pgmap, optimized=False, device_bytes=p.device_bytes)
        notes = p.notes
        if p.optimized and figures.cost.early_chunks and not req.kernel.early_init_fix:
            notes += (
                "device subsections in an early section reuse the boot memmap, but this kernel "
                "initialises only the deduplicated struct pages of their compounds: the rest "
                'stay uninitialised (fixed in 2026 by "mm/mm_init: Fix uninitialized struct '
                'pages for ZONE_DEVICE"; --early-init-fix if your kernel has it)',
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
                baseline=baseline,
                notes=notes,
            )
        )
    return out


def estimate(req: EstimateRequest) -> Estimate:
    """Compute every figure for ``req``, and the same without deduplication (baseline)."""
    return estimate_many([req])[0]
