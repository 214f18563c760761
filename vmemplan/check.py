"""``vmemplan check``: does a host's config stay inside its budgets?

Each config file describes one machine. Its namespaces are walked as one machine by the
same core as ``estimate``; every budget (per namespace, and the totals) is checked, and
every problem becomes a finding with the file, the config location and, where the format
gives one, the line.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from vmemplan.budget import Budgets, Limit, check_budgets
from vmemplan.errors import InputError
from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    DEFAULT_SYSTEM_RAM,
    Estimate,
    EstimateRequest,
    Prepared,
    default_start,
    estimate_many,
    prepare,
    resolve_linear_map,
)
from vmemplan.hugetlb import PoolResult, hugetlb_pools
from vmemplan.kernel.arch import SUBSECTION_SIZE, get_arch
from vmemplan.kernel.versions import (
    KernelProfile,
    kernel_profile,
    parse_kernel_release,
    require_zone_device,
    with_overrides,
    with_switches,
)
from vmemplan.sizing import REGION_ALIGN, raw_size_for_usable
from vmemplan.sources.cmdline import HugetlbPool
from vmemplan.sources.config import BudgetSection, ConfigFile, NamespaceEntry
from vmemplan.sources.config import Limit as ConfigLimit
from vmemplan.system_ram import (
    SystemRamEstimate,
    SystemRamRequest,
    block_size,
    hot_add_after,
    system_ram_estimate,
)
from vmemplan.units import align_up, format_size_exact

Status = Literal["pass", "fail", "error"]
Severity = Literal["error", "fail"]

# Which config key an estimate error is about, by the CLI option it names.
_OPTION_KEY = {
    "--size": "size",
    "--usable": "usable",
    "--start": "start",
    "--align": "align",
    "--vmemmap-shift": "vmemmap_shift",
    "--map": "map",
    "--mode": "mode",
    "--dax-range": "dax_ranges",
    "--interleave-ways": "interleave_ways",
    "--memmap-on-memory": "memmap_on_memory",
}
_HOST_OPTION_KEY = {
    "--system-ram": "host.system_ram",
    "--kernel": "host.kernel",
    "--struct-page-size": "host.struct_page_size",
    "--arch": "host.arch",
    "--ns-per-page": "host.ns_per_page",
    "--memory-block-size": "host.memory_block_size",
}


@dataclass(frozen=True)
class Finding:
    """One problem: a config that cannot be estimated (error) or a budget exceeded (fail)."""

    file: str
    location: str
    line: int | None
    severity: Severity
    message: str


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one file."""

    file: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    nr_budgets: int = 0  # budgets the file (or the --max-* options) set; 0: nothing checked
    # the file's mode = "system-ram" namespaces (name, estimate) and [[hugetlb]] pools,
    # in file order
    system_ram: list[tuple[str, SystemRamEstimate]] = field(default_factory=list)
    hugetlb: list[PoolCheck] = field(default_factory=list)
    # problems of an invalid file beyond the ones listed (the last finding counts them)
    nr_unlisted: int = 0

    @property
    def nr_problems(self) -> int:
        """Every problem found, listed or not."""
        return len(self.findings) - (1 if self.nr_unlisted else 0) + self.nr_unlisted

    @property
    def totals(self) -> Totals:
        """The sums over every kind of entry (what the ``[budgets]`` totals hold)."""
        return totals(self.estimates, [e for _, e in self.system_ram], self.hugetlb)


@dataclass(frozen=True)
class Totals:
    """Sums over a file's namespaces, system-ram namespaces and HugeTLB pools.

    ``capacity_bytes`` is what the ``[budgets]`` percentages are of: the namespaces' sizes,
    the system-ram devices' bytes and the pools' bytes."""

    dram_bytes: int
    device_bytes: int
    time_ns_low: int
    time_ns_high: int
    capacity_bytes: int


@dataclass(frozen=True)
class PoolCheck:
    """One ``[[hugetlb]]`` pool, estimated on the file's machine."""

    result: PoolResult
    page_size: int  # PAGE_SIZE of the arch
    kernel: KernelProfile
    # ``on``: the system-ram namespace the pool is carved from (None: boot RAM). That
    # device's memmap already counts the pool's struct pages: ``hosted_dram_pages`` of
    # them in DRAM (none when the device hosts its own memmap, memmap_on_memory).
    on: str | None = None
    hosted_dram_pages: int = 0

    @property
    def dram_bytes(self) -> int:
        """DRAM the pool's vmemmap costs: its pages after HVO (where it applies) plus the
        PTE tables split PMD leaves need (``hugetlb --json`` ``dram_bytes``)."""
        return self.result.vmemmap.net_pages * self.page_size

    @property
    def total_dram_bytes(self) -> int:
        """What the pool adds to the file's DRAM total: on a system-ram device, the change
        HVO makes to the memmap that device already counts (negative: a saving)."""
        return self.dram_bytes - self.hosted_dram_pages * self.page_size

    @property
    def capacity_bytes(self) -> int:
        """What the pool adds to the capacity budgets are of (none when it is carved
        from a system-ram device: those bytes are the device's)."""
        return self.pool_bytes if self.on is None else 0

    @property
    def pool_bytes(self) -> int:
        """The pool's size: huge page size x count."""
        return self.result.pool.folio_bytes * self.result.pool.nr_folios


def sr_device_loss(e: SystemRamEstimate) -> int:
    """Device bytes that do not become RAM: trimmed edges and a self-hosted memmap."""
    return e.device_bytes - e.usable_bytes


def totals(
    estimates: list[Estimate], system_ram: list[SystemRamEstimate], pools: list[PoolCheck]
) -> Totals:
    """``Totals`` of the given entries."""
    figs = [e.figures for e in estimates]
    return Totals(
        dram_bytes=sum(f.dram_bytes for f in figs)
        + sum(e.dram_bytes for e in system_ram)
        + sum(r.total_dram_bytes for r in pools),
        device_bytes=sum(f.device_bytes for f in figs) + sum(map(sr_device_loss, system_ram)),
        time_ns_low=sum(f.time_ns[0] for f in figs) + sum(e.time_ns[0] for e in system_ram),
        time_ns_high=sum(f.time_ns[1] for f in figs) + sum(e.time_ns[1] for e in system_ram),
        capacity_bytes=sum(e.namespace_bytes for e in estimates)
        + sum(e.device_bytes for e in system_ram)
        + sum(r.capacity_bytes for r in pools),
    )


def _budgets(section: BudgetSection) -> Budgets:
    """The core's budgets from a config section (config.Limit is its pydantic twin)."""

    def limit(x: ConfigLimit | None) -> Limit | None:
        return None if x is None else Limit(bytes=x.bytes, ppm=x.ppm)

    return Budgets(
        dram=limit(section.dram), device_loss=limit(section.device_loss), init_ns=section.init
    )


def base_request(cfg: ConfigFile) -> EstimateRequest:
    """The machine the ``[host]`` section describes (vmemplan's defaults elsewhere)."""
    host = cfg.host
    arch = get_arch(host.arch or "x86_64", "host.arch")
    kernel = with_overrides(
        kernel_profile(parse_kernel_release(host.kernel or "6.12", "host.kernel")),
        counters=host.counters,
        early_init_fix=host.early_init_fix,
        dedup_keep=host.dedup_keep,
    )
    if host.kernel_switches:
        kernel = with_switches(kernel, host.kernel_switches, "host.kernel_switches")
    require_zone_device(kernel, "host.kernel_switches")
    fields: dict[str, object] = {"arch": arch, "kernel": kernel}
    if host.linear_map is not None:
        fields["linear_map"] = host.linear_map
    if host.gbpages is not None:
        fields["gbpages"] = host.gbpages
    if host.struct_page_size is not None:
        fields["struct_page_size"] = host.struct_page_size
    fields["system_ram"] = DEFAULT_SYSTEM_RAM if host.system_ram is None else tuple(host.system_ram)
    if host.ns_per_page is not None:
        fields["ps_per_struct_page"] = host.ns_per_page
    req = EstimateRequest(**fields)  # type: ignore[arg-type]
    try:
        resolve_linear_map(req)  # a switch the arch has not is refused, as on the CLI
    except InputError as err:
        key = "host.gbpages" if err.option == "--no-gbpages" else "host.linear_map"
        raise InputError(key, err.message) from None
    return req


def namespace_request(base: EstimateRequest, ns: NamespaceEntry, cursor: int) -> EstimateRequest:
    """The request for one ``[[namespaces]]`` entry; ``cursor`` is where it starts if the
    entry gives no start. A ``usable`` size is turned into the raw size with the inverse
    model (ndctl's 16 MiB region align and align x interleave ways)."""
    arch = base.arch
    mode = ns.mode
    if mode == "system-ram":
        raise InputError(
            "--mode", "a system-ram namespace is onlined as System RAM: it has no dev_pagemap"
        )
    map_ = ns.map or "mem"
    start = ns.start if ns.start is not None else cursor
    if ns.dax_ranges:
        return replace(
            base,
            label=ns.name,
            dax_ranges=tuple(ns.dax_ranges),
            align=ns.align,
            vmemmap_shift=ns.vmemmap_shift,
            mode=mode,
        )
    size = ns.size
    if ns.usable is not None:
        align = ns.align or (
            arch.page_size << ns.vmemmap_shift if ns.vmemmap_shift else arch.pmd_size
        )
        size = raw_size_for_usable(
            arch,
            usable=ns.usable,
            align=align,
            map_=map_,
            start=start,
            struct_page_size=base.struct_page_size or arch.struct_page_size,
            interleave_ways=ns.interleave_ways or 1,
        ).raw_size
    return replace(
        base,
        label=ns.name,
        size=size,
        start=start,
        align=ns.align,
        vmemmap_shift=ns.vmemmap_shift,
        map=map_,
        mode=mode,
    )


def _where(index: int, err: InputError) -> str:
    if err.option in _HOST_OPTION_KEY:
        return _HOST_OPTION_KEY[err.option]
    key = _OPTION_KEY.get(err.option)
    return f"namespaces[{index}]" + (f".{key}" if key else "")


def system_ram_request(
    base: EstimateRequest, memory_block_size: int | None, ns: NamespaceEntry, cursor: int
) -> SystemRamRequest:
    """The request for a ``mode = "system-ram"`` namespace: a dax device (``size`` at
    ``start``, or ``dax_ranges``) onlined as System RAM by dax kmem; without a start it
    goes at ``cursor`` rounded up to the memory block, so kmem trims nothing."""
    req = SystemRamRequest(
        arch=base.arch,
        kernel=base.kernel,
        ranges=(),
        system_ram=base.system_ram,
        memmap_on_memory=ns.memmap_on_memory or "off",
        memory_block_size=memory_block_size,
        struct_page_size=base.struct_page_size,
        ps_per_struct_page=base.ps_per_struct_page or DEFAULT_PS_PER_STRUCT_PAGE,
        linear_map=base.linear_map,  # [host] linear_map / gbpages, as for the namespaces
        gbpages=base.gbpages,
    )
    if ns.dax_ranges:
        return replace(req, ranges=tuple(ns.dax_ranges))
    assert ns.size is not None  # the config model requires size or dax_ranges
    start = ns.start if ns.start is not None else align_up(cursor, block_size(req)[0])
    return replace(req, ranges=((start, start + ns.size),))


class _Placed:
    """The byte ranges placed so far (disjoint), sorted by start: an overlap query is a
    binary search, not a scan (a config with 10,000 namespaces asks 10,000 times)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.entries: list[tuple[int, int, int, str]] = []  # (start, end, index, name)

    def add(self, index: int, name: str, r: tuple[int, int]) -> None:
        k = bisect.bisect_left(self.starts, r[0])
        self.starts.insert(k, r[0])
        self.entries.insert(k, (r[0], r[1], index, name))

    def overlap(self, ranges: list[tuple[int, int]]) -> str | None:
        """The placed entry one of ``ranges`` overlaps (the lowest), as a message."""
        for lo, hi in ranges:
            k = max(bisect.bisect_right(self.starts, lo) - 1, 0)
            for a, b, j, name in self.entries[k : k + 2]:
                if lo < b and a < hi:
                    return (
                        f"{format_size_exact(lo)}+{format_size_exact(hi - lo)} overlaps "
                        f"namespaces[{j}] ({name}) at "
                        f"{format_size_exact(a)}+{format_size_exact(b - a)}"
                    )
        return None


def check_config(cfg: ConfigFile, source: str, line_of: Callable[[str], int | None]) -> CheckResult:
    """Estimate every entry of ``cfg`` as one machine and check every budget.

    Device-dax/fsdax namespaces are added first (as ``estimate`` walks them), then the
    system-ram namespaces in file order on the same machine, so a page-table page they
    share is counted once; HugeTLB pools are carved from boot RAM."""
    findings: list[Finding] = []

    def error(location: str, message: str, severity: Severity = "error") -> None:
        findings.append(Finding(source, location, line_of(location), severity, message))

    try:
        base = base_request(cfg)
    except InputError as err:
        error(err.option, err.message)
        return CheckResult(source, "error", findings)
    requests: list[EstimateRequest] = []
    prepared_all: list[Prepared] = []
    dax_index: list[int] = []  # config index of each request
    sr_requests: list[tuple[int, SystemRamRequest, SystemRamEstimate]] = []
    placed = _Placed()
    cursor = default_start(base.system_ram)  # entries without a start go above boot RAM
    page = base.arch.page_size
    for i, ns in enumerate(cfg.namespaces):
        try:
            if ns.mode == "system-ram":
                sreq = system_ram_request(base, cfg.host.memory_block_size, ns, cursor)
                checked = system_ram_estimate(sreq)  # validates it as ``estimate`` does
                ranges = list(sreq.ranges)
                align = max(REGION_ALIGN, SUBSECTION_SIZE, checked.memory_block_size)
            else:
                req = namespace_request(base, ns, cursor)
                prepared = prepare(req)
                ranges = [(lo * page, hi * page) for lo, hi in prepared.pgmap.ranges]
                align = max(REGION_ALIGN, SUBSECTION_SIZE, prepared.align)
        except InputError as err:
            if ns.dax_ranges and err.option == "--start":
                err = InputError("--dax-range", err.message)  # one range: kmem says --start
            error(_where(i, err), err.message)
            continue
        clash = placed.overlap(ranges)
        if clash is not None:
            key = "dax_ranges" if ns.dax_ranges else "start" if ns.start is not None else "size"
            error(f"namespaces[{i}].{key}", clash)
            continue
        for r in ranges:
            placed.add(i, ns.name, r)
        if ns.mode == "system-ram":
            sr_requests.append((i, sreq, checked))
        else:
            requests.append(req)
            prepared_all.append(prepared)
            dax_index.append(i)
        cursor = max(cursor, align_up(max(hi for _, hi in ranges), align))
    kmem = {cfg.namespaces[i].name: checked for i, _, checked in sr_requests}
    pools = _pools(cfg, base, error, kmem)
    if findings:
        return CheckResult(source, "error", findings)
    try:
        estimates = estimate_many(requests, prepared_all)
    except InputError as err:
        index = next((dax_index[i] for i, r in enumerate(requests) if r.label == err.option), None)
        error(f"namespaces[{index}]" if index is not None else "namespaces", err.message)
        return CheckResult(source, "error", findings)
    system_ram = _hot_add(base, estimates, sr_requests, cfg.namespaces)
    for i, e in zip(dax_index, estimates, strict=True):
        f = e.figures
        budgets = cfg.namespaces[i].budgets
        _entry_budgets(
            error,
            f"namespaces[{i}]",
            cfg.namespaces[i].name,
            budgets,
            f.dram_bytes,
            f.device_bytes,
            f.time_ns[1],
            e.namespace_bytes,
        )
    for (i, _, _), (_, sr) in zip(sr_requests, system_ram, strict=True):
        ns = cfg.namespaces[i]
        _entry_budgets(
            error,
            f"namespaces[{i}]",
            ns.name,
            ns.budgets,
            sr.dram_bytes,
            sr_device_loss(sr),
            sr.time_ns[1],
            sr.device_bytes,
        )
    for i, pc in enumerate(pools):
        pool = pc.result.pool
        label = f"HugeTLB {format_size_exact(pool.folio_bytes)} x {pool.nr_folios}"
        _entry_budgets(
            error,
            f"hugetlb[{i}]",
            label,
            cfg.hugetlb[i].budgets,
            pc.dram_bytes,
            0,
            0,
            pc.pool_bytes,
        )
    t = totals(estimates, [e for _, e in system_ram], pools)
    for v in check_budgets(
        _budgets(cfg.budgets),
        dram_bytes=t.dram_bytes,
        device_bytes=t.device_bytes,
        init_ns_high=t.time_ns_high,
        whole_bytes=t.capacity_bytes,
    ):
        if not v.ok:
            error(f"budgets.{v.budget}", f"total: {v.message}", "fail")
    nr_budgets = (
        sum(_count(ns.budgets) for ns in cfg.namespaces)
        + sum(_count(p.budgets) for p in cfg.hugetlb)
        + _count(cfg.budgets)
    )
    return CheckResult(
        source,
        "fail" if findings else "pass",
        findings,
        estimates,
        nr_budgets,
        system_ram=system_ram,
        hugetlb=pools,
    )


def _entry_budgets(
    error: Callable[[str, str, Severity], None],
    where: str,
    name: str,
    section: BudgetSection,
    dram_bytes: int,
    device_bytes: int,
    init_ns_high: int,
    whole_bytes: int,
) -> None:
    for v in check_budgets(
        _budgets(section),
        dram_bytes=dram_bytes,
        device_bytes=device_bytes,
        init_ns_high=init_ns_high,
        whole_bytes=whole_bytes,
    ):
        if not v.ok:
            error(f"{where}.budgets.{v.budget}", f"{name}: {v.message}", "fail")


def _hot_add(
    base: EstimateRequest,
    estimates: list[Estimate],
    sr_requests: list[tuple[int, SystemRamRequest, SystemRamEstimate]],
    namespaces: tuple[NamespaceEntry, ...],
) -> list[tuple[str, SystemRamEstimate]]:
    """The system-ram namespaces hot-added, in order, after the device-dax namespaces on
    one machine (as ``vmemplan host`` adds them): page tables are counted once."""
    added = hot_add_after(base, estimates, [checked for _, _, checked in sr_requests])
    return [(namespaces[i].name, e) for (i, _, _), e in zip(sr_requests, added, strict=True)]


def _pools(
    cfg: ConfigFile,
    base: EstimateRequest,
    error: Callable[[str, str], None],
    kmem: dict[str, SystemRamEstimate],
) -> list[PoolCheck]:
    """Each ``[[hugetlb]]`` pool's vmemmap (hugetlb.py), HVO per pool (default on), carved
    from boot RAM or (``on``) from the managed pages of a system-ram namespace (``kmem``)."""
    arch = base.arch
    s = base.struct_page_size if base.struct_page_size is not None else arch.struct_page_size
    p = arch.page_size
    room: dict[str | None, int] = {None: sum(hi - lo for lo, hi in base.system_ram)}
    room.update({name: e.cost.managed_pages * p for name, e in kmem.items()})
    used: dict[str | None, int] = {}
    out = []
    for i, entry in enumerate(cfg.hugetlb):
        if entry.on is not None and entry.on not in kmem:
            names = ", ".join(repr(n) for n in kmem) or "none in this file"
            error(
                f"hugetlb[{i}].on",
                f"no system-ram namespace named {entry.on!r} to carve the pool from "
                f"(system-ram namespaces: {names})",
            )
            continue
        pool = HugetlbPool(entry.page_size, entry.count, entry.node)
        used[entry.on] = used.get(entry.on, 0) + pool.folio_bytes * pool.nr_folios
        if used[entry.on] > room[entry.on]:
            where = (
                f"{format_size_exact(room[None])} of boot RAM (host.system_ram) they are "
                "carved from"
                if entry.on is None
                else f"{format_size_exact(room[entry.on])} that {entry.on} onlines as managed "
                "System RAM"
            )
            error(
                f"hugetlb[{i}].count",
                f"the pools need {format_size_exact(used[entry.on])}, more than the {where}",
            )
            continue
        # A pool on a device whose blocks host their own memmap (memmap_on_memory): the
        # folios' vmemmap is PageVmemmapSelfHosted, and HVO skips them.
        device = kmem.get(entry.on) if entry.on is not None else None
        self_hosted = device is not None and device.cost.blocks_self_hosted > 0
        try:
            (result,) = hugetlb_pools(
                arch,
                base.kernel,
                [pool],
                hvo_enabled=entry.hvo is not False,
                struct_page_size=s,
                self_hosted=self_hosted,
            )
        except InputError as err:
            error(f"hugetlb[{i}].page_size", err.message)
            continue
        hosted = 0 if device is None or self_hosted else result.vmemmap.vmemmap_pages
        out.append(PoolCheck(result, p, base.kernel, entry.on, hosted))
    return out


def _count(section: BudgetSection) -> int:
    """How many budgets a ``[budgets]`` section sets."""
    return sum(x is not None for x in (section.dram, section.device_loss, section.init))


def check_machine(
    estimates: list[Estimate],
    source: str,
    budgets: Budgets,
    system_ram: list[tuple[str, SystemRamEstimate]] | None = None,
) -> CheckResult:
    """Check the namespaces of a real system (already estimated), and the dax devices
    kmem hot-added as System RAM after them, against total budgets."""
    findings = []
    system_ram = system_ram or []
    t = totals(estimates, [e for _, e in system_ram], [])
    for v in check_budgets(
        budgets,
        dram_bytes=t.dram_bytes,
        device_bytes=t.device_bytes,
        init_ns_high=t.time_ns_high,
        whole_bytes=t.capacity_bytes,
    ):
        if not v.ok:
            findings.append(
                Finding(source, f"--max-{v.budget.replace('_', '-')}", None, "fail", v.message)
            )
    nr_budgets = sum(x is not None for x in (budgets.dram, budgets.device_loss, budgets.init_ns))
    return CheckResult(
        source,
        "fail" if findings else "pass",
        findings,
        estimates,
        nr_budgets,
        system_ram=system_ram,
    )
