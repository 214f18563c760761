"""The core's front door: one geometry in, every vmemmap figure out.

``estimate()`` validates a request the way the kernel would (``prepare()`` in request.py:
refusing what nd_pfn_init(), check_pfn_span(), pagemap_range() or dev_dax_probe() refuse,
and building the pgmap), walks the pgmap on a machine whose boot RAM is populated first,
and does the same without deduplication for the baseline. The request types are
re-exported here: callers import ``EstimateRequest`` and ``estimate`` from one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ArchProfile, LinearMap
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memremap import Machine, PgmapCost
from vmemplan.kernel.pfn_devs import PfnLayout
from vmemplan.kernel.versions import KernelProfile
from vmemplan.request import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    DEFAULT_PS_PER_STRUCT_PAGE_DEV,
    DEFAULT_START,
    DEFAULT_SYSTEM_RAM,
    EstimateRequest,
    Prepared,
    check_pgmaps_disjoint,
    default_start,
    prepare,
)
from vmemplan.units import div_round_up

__all__ = [
    "DEFAULT_PS_PER_STRUCT_PAGE",
    "DEFAULT_PS_PER_STRUCT_PAGE_DEV",
    "DEFAULT_START",
    "DEFAULT_SYSTEM_RAM",
    "Estimate",
    "EstimateRequest",
    "Figures",
    "Prepared",
    "boot_direct_map",
    "default_start",
    "estimate",
    "estimate_many",
    "linear_map_mode",
    "pgmap_direct_map_tables",
    "prepare",
    "resolve_linear_map",
]


class Figures(NamedTuple):
    """Everything one walk yields, with or without deduplication (``walk_figures()`` makes one).

    A NamedTuple, not a dataclass: estimate's start-up would compile a dataclass's
    generated methods on every run."""

    optimized: bool
    cost: PgmapCost
    page_size: int
    table_bytes: dict[str, int]
    device_bytes: int
    ps_per_struct_page: tuple[int, int]
    # New direct-map (linear map) table pages per level; None where it is not modelled.
    direct_map: dict[str, int] | None
    # The byte sums, computed once (the account is final once the figures exist; an
    # output reads them several times): the new direct-map tables arch_add_memory()
    # allocated (0 if not modelled), and the new vmemmap page-table tables (fragments on
    # powerpc radix 64K).
    direct_map_bytes: int
    page_table_bytes: int

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


_TABLE_BYTES: dict[int, tuple[ArchProfile, dict[str, int]]] = {}


def _table_bytes(arch: ArchProfile) -> dict[str, int]:
    """Bytes of one page-table table per level name; one dict per arch profile (by
    identity: hashing a profile costs more than building the dict), shared read-only by
    every ``Figures`` rather than built per walk."""
    cached = _TABLE_BYTES.get(id(arch))
    if cached is not None and cached[0] is arch:
        return cached[1]
    sizes: dict[str, int] = {lvl.name: lvl.table_bytes for lvl in arch.levels}
    if len(_TABLE_BYTES) >= _BOOT_MACHINES_MAX:
        _TABLE_BYTES.clear()
    _TABLE_BYTES[id(arch)] = (arch, sizes)
    return sizes


def walk_figures(
    *,
    optimized: bool,
    cost: PgmapCost,
    page_size: int,
    table_bytes: dict[str, int],
    device_bytes: int,
    ps_per_struct_page: tuple[int, int],
    direct_map: dict[str, int] | None = None,
) -> Figures:
    """The figures of one walk, with their byte sums."""
    dm = 0 if direct_map is None else sum(n * table_bytes.get(k, 0) for k, n in direct_map.items())
    tables = cost.account.tables
    pt = sum(n * table_bytes.get(lvl, 0) for lvl, n in tables.items())
    return Figures(
        optimized,
        cost,
        page_size,
        table_bytes,
        device_bytes,
        ps_per_struct_page,
        direct_map,
        dm,
        pt,
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
    return walk_figures(
        optimized=optimized,
        cost=cost,
        page_size=req.arch.page_size,
        table_bytes=_table_bytes(req.arch),
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
    # Cached like boot_machine(): a batch maps the same boot RAM again and again.
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


_BOOT_MACHINES: dict[tuple[ArchProfile, KernelProfile, int, tuple[tuple[int, int], ...]], Machine]
_BOOT_MACHINES = {}
_BOOT_MACHINES_MAX = 64  # machine descriptions kept; a batch rarely has more than a few


def boot_machine(
    arch: ArchProfile,
    kernel: KernelProfile,
    struct_page_size: int,
    boot_ram: tuple[tuple[int, int], ...],
    *,
    fresh: bool = True,
) -> Machine:
    """A fresh machine with its boot RAM populated (``fresh=False``: the cached one itself,
    for a caller that only reads its boot memmap and never walks it).

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
    return machine.copy() if fresh else machine


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
    check_pgmaps_disjoint(reqs, prepared)
    s = prepared[0].struct_page_size
    machine = boot_machine(first.arch, first.kernel, s, first.system_ram)
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
