"""A config file -> the host it describes (``vmemplan/host/description.py``).

The ``[host]`` section is the machine; each ``[[namespaces]]`` entry a device, placed the
way the file says (or, without a start, one after the other above boot RAM); each
``[[hugetlb]]`` entry a pool. Every entry is validated the way the kernel would refuse it
(``prepare()`` for a dev_pagemap, ``system_ram_estimate()`` for a kmem hot-add) and checked
for overlaps; every problem is reported with the config location it is about, and the
entries without one make the host. Only ``vmemplan.host.accounting`` costs it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, replace

from vmemplan.errors import InputError
from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    DEFAULT_SYSTEM_RAM,
    EstimateRequest,
    Prepared,
    default_start,
    prepare,
    resolve_linear_map,
)
from vmemplan.host.accounting import hot_add_device, machine_of, pgmap_device
from vmemplan.host.description import (
    Device,
    Host,
    HugetlbPool,
)
from vmemplan.kernel.arch import SUBSECTION_SIZE, get_arch
from vmemplan.kernel.versions import (
    kernel_profile,
    parse_kernel_release,
    require_zone_device,
    with_overrides,
    with_switches,
)
from vmemplan.request import request_with
from vmemplan.sizing import REGION_ALIGN, raw_size_for_usable
from vmemplan.sources.config.model import ConfigFile, NamespaceEntry
from vmemplan.system_ram import (
    SystemRamEstimate,
    SystemRamRequest,
    block_size,
    system_ram_estimate,
)
from vmemplan.units import align_up, format_size_exact

# A problem at a config location: (location, message).
Report = Callable[[str, str], None]

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
class ConfigHost:
    """The host a file describes, with what validating its entries computed already."""

    host: Host
    prepared: list[Prepared]  # prepare() of each dev_pagemap device, in host order
    checked: list[SystemRamEstimate]  # system_ram_estimate() of each kmem device
    index: dict[str, int]  # device name -> its [[namespaces]] index
    pool_index: list[int]  # the [[hugetlb]] index of each pool of the host


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
        return request_with(
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
    return request_with(
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


def _device(ns: NamespaceEntry, req: EstimateRequest | SystemRamRequest) -> Device:
    """The description of a validated entry (its request has the placement)."""
    if isinstance(req, SystemRamRequest):
        return hot_add_device(ns.name, req)
    return pgmap_device(req)


def config_host(cfg: ConfigFile, report: Report) -> ConfigHost | None:
    """The host ``cfg`` describes; None when its ``[host]`` section is refused. Every
    problem goes to ``report``; the entries with one are left out of the host."""
    try:
        base = base_request(cfg)
    except InputError as err:
        report(err.option, err.message)
        return None
    machine = machine_of(base, cfg.host.memory_block_size)
    pgmaps: list[tuple[Device, Prepared]] = []
    kmem: list[tuple[Device, SystemRamEstimate]] = []
    index: dict[str, int] = {}
    placed = _Placed()
    cursor = default_start(base.system_ram)  # entries without a start go above boot RAM
    page = base.arch.page_size
    for i, ns in enumerate(cfg.namespaces):
        req: EstimateRequest | SystemRamRequest
        try:
            if ns.mode == "system-ram":
                req = system_ram_request(base, cfg.host.memory_block_size, ns, cursor)
                checked = system_ram_estimate(req)  # validates it as ``estimate`` does
                ranges = list(req.ranges)
                align = max(REGION_ALIGN, SUBSECTION_SIZE, checked.memory_block_size)
            else:
                req = namespace_request(base, ns, cursor)
                prepared = prepare(req)
                ranges = [(lo * page, hi * page) for lo, hi in prepared.pgmap.ranges]
                align = max(REGION_ALIGN, SUBSECTION_SIZE, prepared.align)
        except InputError as err:
            if ns.dax_ranges and err.option == "--start":
                err = InputError("--dax-range", err.message)  # one range: kmem says --start
            report(_where(i, err), err.message)
            continue
        clash = placed.overlap(ranges)
        if clash is not None:
            key = "dax_ranges" if ns.dax_ranges else "start" if ns.start is not None else "size"
            report(f"namespaces[{i}].{key}", clash)
            continue
        for r in ranges:
            placed.add(i, ns.name, r)
        index[ns.name] = i
        if isinstance(req, SystemRamRequest):
            kmem.append((_device(ns, req), checked))
        else:
            pgmaps.append((_device(ns, req), prepared))
        cursor = max(cursor, align_up(max(hi for _, hi in ranges), align))
    names = [d.name for d, _ in kmem]
    pools = []
    pool_index = []
    for i, entry in enumerate(cfg.hugetlb):
        if entry.on is not None and entry.on not in names:
            listed = ", ".join(repr(n) for n in names) or "none in this file"
            report(
                f"hugetlb[{i}].on",
                f"no system-ram namespace named {entry.on!r} to carve the pool from "
                f"(system-ram namespaces: {listed})",
            )
            continue
        hvo = entry.hvo is not False
        pools.append(HugetlbPool(entry.page_size, entry.count, entry.node, hvo, entry.on))
        pool_index.append(i)
    host = Host(machine, tuple(d for d, _ in pgmaps) + tuple(d for d, _ in kmem), tuple(pools))
    return ConfigHost(host, [p for _, p in pgmaps], [c for _, c in kmem], index, pool_index)


def config_file_host(path: str, option: str = "--config") -> ConfigHost:
    """The host of the config file at ``path``; its first problem is an input error that
    names the file and the location (``vmemplan check FILE`` lists them all)."""
    from vmemplan.reading import read_input  # noqa: PLC0415
    from vmemplan.sources.config.parse import parse_config_located  # noqa: PLC0415
    from vmemplan.sources.config.problems import ConfigError  # noqa: PLC0415

    try:
        cfg, _ = parse_config_located(read_input(path, option), path)
    except ConfigError as err:
        more = len(err.problems) - 1
        extra = f" (and {more} more: vmemplan check {path})" if more else ""
        raise InputError(option, f"{err.problems[0]}{extra}") from None
    problems: list[tuple[str, str]] = []
    conv = config_host(cfg, lambda where, message: problems.append((where, message)))
    if problems or conv is None:
        where, message = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more: vmemplan check {path})" if more else ""
        raise InputError(f"{path}: {where}", f"{message}{extra}")
    return conv
