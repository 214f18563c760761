"""``vmemplan check``: does a host's config stay inside its budgets?

Each config file describes one machine. Its namespaces are walked as one machine by the
same core as ``estimate``; every budget (per namespace, and the totals) is checked, and
every problem becomes a finding with the file, the config location and, where the format
gives one, the line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from vmemplan.budget import Budgets, Limit, check_budgets
from vmemplan.errors import InputError
from vmemplan.estimate import (
    DEFAULT_START,
    DEFAULT_SYSTEM_RAM,
    Estimate,
    EstimateRequest,
    Prepared,
    estimate_many,
    prepare,
    resolve_linear_map,
)
from vmemplan.kernel.arch import SUBSECTION_SIZE, get_arch
from vmemplan.kernel.versions import (
    kernel_profile,
    parse_kernel_release,
    require_zone_device,
    with_overrides,
    with_switches,
)
from vmemplan.sizing import REGION_ALIGN, raw_size_for_usable
from vmemplan.sources.config import BudgetSection, ConfigFile, NamespaceEntry
from vmemplan.sources.config import Limit as ConfigLimit
from vmemplan.units import align_up

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
}
_HOST_OPTION_KEY = {
    "--system-ram": "host.system_ram",
    "--kernel": "host.kernel",
    "--struct-page-size": "host.struct_page_size",
    "--arch": "host.arch",
    "--ns-per-page": "host.ns_per_page",
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
    map_ = ns.map or "mem"
    start = ns.start if ns.start is not None else cursor
    if ns.dax_ranges:
        return replace(
            base,
            label=ns.name,
            dax_ranges=tuple(ns.dax_ranges),
            align=ns.align,
            vmemmap_shift=ns.vmemmap_shift,
            mode=ns.mode,
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
        mode=ns.mode,
    )


def _where(index: int, err: InputError) -> str:
    if err.option in _HOST_OPTION_KEY:
        return _HOST_OPTION_KEY[err.option]
    key = _OPTION_KEY.get(err.option)
    return f"namespaces[{index}]" + (f".{key}" if key else "")


def check_config(cfg: ConfigFile, source: str, line_of: Callable[[str], int | None]) -> CheckResult:
    """Estimate every namespace of ``cfg`` as one machine and check every budget."""
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
    cursor = DEFAULT_START
    for i, ns in enumerate(cfg.namespaces):
        try:
            req = namespace_request(base, ns, cursor)
            prepared = prepare(req)
        except InputError as err:
            error(_where(i, err), err.message)
            continue
        requests.append(req)
        prepared_all.append(prepared)
        end = max(r[1] for r in prepared.pgmap.ranges) * base.arch.page_size
        cursor = max(cursor, align_up(end, max(REGION_ALIGN, SUBSECTION_SIZE, prepared.align)))
    if findings:
        return CheckResult(source, "error", findings)
    try:
        estimates = estimate_many(requests, prepared_all)
    except InputError as err:
        index = next((i for i, r in enumerate(requests) if r.label == err.option), None)
        error(f"namespaces[{index}]" if index is not None else "namespaces", err.message)
        return CheckResult(source, "error", findings)
    whole_total = 0
    for i, (ns, e) in enumerate(zip(cfg.namespaces, estimates, strict=True)):
        whole = e.namespace_bytes
        whole_total += whole
        f = e.figures
        for v in check_budgets(
            _budgets(ns.budgets),
            dram_bytes=f.dram_bytes,
            device_bytes=f.device_bytes,
            init_ns_high=f.time_ns[1],
            whole_bytes=whole,
        ):
            if not v.ok:
                error(f"namespaces[{i}].budgets.{v.budget}", f"{ns.name}: {v.message}", "fail")
    totals = [e.figures for e in estimates]
    for v in check_budgets(
        _budgets(cfg.budgets),
        dram_bytes=sum(f.dram_bytes for f in totals),
        device_bytes=sum(f.device_bytes for f in totals),
        init_ns_high=sum(f.time_ns[1] for f in totals),
        whole_bytes=whole_total,
    ):
        if not v.ok:
            error(f"budgets.{v.budget}", f"total: {v.message}", "fail")
    nr_budgets = sum(_count(ns.budgets) for ns in cfg.namespaces) + _count(cfg.budgets)
    return CheckResult(source, "fail" if findings else "pass", findings, estimates, nr_budgets)


def _count(section: BudgetSection) -> int:
    """How many budgets a ``[budgets]`` section sets."""
    return sum(x is not None for x in (section.dram, section.device_loss, section.init))


def check_machine(estimates: list[Estimate], source: str, budgets: Budgets) -> CheckResult:
    """Check the namespaces of a real system (already estimated) against total budgets."""
    findings = []
    figs = [e.figures for e in estimates]
    whole = sum(e.namespace_bytes for e in estimates)
    for v in check_budgets(
        budgets,
        dram_bytes=sum(f.dram_bytes for f in figs),
        device_bytes=sum(f.device_bytes for f in figs),
        init_ns_high=sum(f.time_ns[1] for f in figs),
        whole_bytes=whole,
    ):
        if not v.ok:
            findings.append(
                Finding(source, f"--max-{v.budget.replace('_', '-')}", None, "fail", v.message)
            )
    nr_budgets = sum(x is not None for x in (budgets.dram, budgets.device_loss, budgets.init_ns))
    return CheckResult(source, "fail" if findings else "pass", findings, estimates, nr_budgets)
