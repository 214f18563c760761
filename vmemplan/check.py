"""``vmemplan check``: does a host's config stay inside its budgets?

Each config file describes one host (sources/config/host.py builds it), costed by the one
accounting (host/accounting.py); every budget (per namespace, and the totals) is checked,
and every problem becomes a finding with the file, the config location and, where the format
gives one, the line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from vmemplan.budget import Budgets, Limit, check_budgets
from vmemplan.errors import InputError
from vmemplan.estimate import Estimate
from vmemplan.host.accounting import account
from vmemplan.hugetlb import PoolResult
from vmemplan.kernel.versions import KernelProfile
from vmemplan.sources.config import BudgetSection, ConfigFile
from vmemplan.sources.config import Limit as ConfigLimit
from vmemplan.sources.config.host import config_host
from vmemplan.system_ram import SystemRamEstimate
from vmemplan.units import format_size_exact

Status = Literal["pass", "fail", "error"]
Severity = Literal["error", "fail"]


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
    # device's memmap holds the pool's struct pages: ``hosted_dram_pages`` of them in DRAM
    # (none when the device hosts its own memmap, memmap_on_memory), which the device's
    # dram_bytes leaves to the pool (host/accounting.py).
    on: str | None = None
    hosted_dram_pages: int = 0

    @property
    def dram_bytes(self) -> int:
        """DRAM the pool's vmemmap costs: its pages after HVO (where it applies) plus the
        PTE tables split PMD leaves need (``hugetlb --json`` ``dram_bytes``)."""
        return self.result.vmemmap.net_pages * self.page_size

    @property
    def total_dram_bytes(self) -> int:
        """What the pool adds to the file's DRAM total: its ``dram_bytes`` (every struct
        page is counted in one entry: the device it is carved from leaves these out)."""
        return self.dram_bytes

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


def check_config(cfg: ConfigFile, source: str, line_of: Callable[[str], int | None]) -> CheckResult:
    """Cost the host ``cfg`` describes (``config_host()`` then ``account()``: device-dax
    and fsdax namespaces, then system-ram namespaces, then the HugeTLB pools, on one
    machine) and check every budget."""
    findings: list[Finding] = []

    def error(location: str, message: str, severity: Severity = "error") -> None:
        findings.append(Finding(source, location, line_of(location), severity, message))

    conv = config_host(cfg, error)
    if conv is None:
        return CheckResult(source, "error", findings)

    def pool_problem(i: int, key: str, message: str) -> None:
        error(f"hugetlb[{conv.pool_index[i]}].{key}", message)

    try:
        acc = account(
            conv.host,
            prepared=conv.prepared,
            checked=conv.checked,
            pool_problem=pool_problem,
            boot_ram_key="host.system_ram",
        )
    except InputError as err:
        index = conv.index.get(err.option)
        error(f"namespaces[{index}]" if index is not None else "namespaces", err.message)
        return CheckResult(source, "error", findings)
    if findings:
        return CheckResult(source, "error", findings)
    estimates = [e for _, e in acc.pgmaps]
    system_ram = [(d.name, e) for d, e in acc.hot_added]
    kernel = conv.host.machine.kernel
    pools = [
        PoolCheck(pa.result, pa.page_size, kernel, pa.on, pa.carved_dram_pages if pa.on else 0)
        for pa in acc.pools
    ]
    for e in estimates:
        i = conv.index[str(e.request.label)]
        f = e.figures
        _entry_budgets(
            error,
            f"namespaces[{i}]",
            cfg.namespaces[i].name,
            cfg.namespaces[i].budgets,
            f.dram_bytes,
            f.device_bytes,
            f.time_ns[1],
            e.namespace_bytes,
        )
    for name, sr in system_ram:
        i = conv.index[name]
        _entry_budgets(
            error,
            f"namespaces[{i}]",
            name,
            cfg.namespaces[i].budgets,
            sr.dram_bytes,
            sr_device_loss(sr),
            sr.time_ns[1],
            sr.device_bytes,
        )
    for i, pc in zip(conv.pool_index, pools, strict=True):
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
