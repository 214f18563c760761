"""ndctl/daxctl and /proc/iomem dumps: read them (capped, as input errors), estimate
their namespaces on one machine and hot-add their kmem devices after them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from vmemplan.cli.parse import build_request
from vmemplan.errors import InputError
from vmemplan.estimate import EstimateRequest, prepare
from vmemplan.output.report import (
    machine_doc,
    ranges_doc,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    from vmemplan.plan import Choice, Subject


def read_input(path: str, option: str) -> str:
    """A file's text ('-' is stdin): a regular file or a pipe, capped (exit 2 otherwise)."""
    from vmemplan.reading import read_input as read  # noqa: PLC0415

    return read(path, option)


def discover_machine(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
    *,
    cxl_path: str | None = None,
) -> dict[str, Any]:
    """The machine document of an ndctl/daxctl, cxl list and/or /proc/iomem dump."""
    estimates, system_ram, source = discover_estimates(
        opts, ndctl_path, iomem_path, typed, kmem, cxl_path=cxl_path
    )
    return machine_doc(estimates, source, system_ram)


def discover_estimates(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
    *,
    cxl_path: str | None = None,
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Estimate the namespaces of an ndctl/daxctl dump and/or a /proc/iomem dump, and
    hot-add its kmem devices after them: the estimates, (label, SystemRamEstimate) of each
    kmem device, and the source document.

    ``typed`` says which of --align/--map/--mode the user gave: those override the dump;
    ``kmem`` (a ``discover.Kmem``) carries --memmap-on-memory and --memory-block-size.
    """
    found = _discover(opts, ndctl_path, iomem_path, typed, kmem, cxl_path=cxl_path)
    return found.estimates, found.system_ram, found.source


class _Discovery:
    """What ``_discover`` read and estimated."""

    def __init__(
        self,
        estimates: list[Any],
        system_ram: list[Any],
        source: dict[str, Any],
        devices: list[Any],
        found: Any,
        acc: Any = None,
    ) -> None:
        self.estimates = estimates  # the pgmaps (pmem and device-dax namespaces)
        self.system_ram = system_ram  # (label, SystemRamEstimate): the kmem devices
        self.source = source
        self.devices = devices  # of the ndctl/daxctl dump
        self.found = found  # discover.Discovered
        self.account = acc  # host.accounting.HostAccount


def _discover(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    typed: dict[str, bool] | None = None,
    kmem: Any = None,
    *,
    hot_add: bool = True,
    pools: tuple[Any, ...] = (),
    cxl_path: str | None = None,
) -> _Discovery:
    """Read the dumps, estimate their pgmaps on one machine and (with ``hot_add``) hot-add
    their kmem devices after them; the ndctl/daxctl dump is read once ('-')."""
    from vmemplan.host.accounting import account, device_name  # noqa: PLC0415
    from vmemplan.sources.discover import Given, discovered_host, found_doc  # noqa: PLC0415
    from vmemplan.sources.iomem import read_iomem, system_ram  # noqa: PLC0415
    from vmemplan.sources.iomem_machine import from_iomem, pmem_namespaces  # noqa: PLC0415
    from vmemplan.sources.ndctl import parse_ndctl_json  # noqa: PLC0415
    from vmemplan.sources.ndctl_machine import from_ndctl  # noqa: PLC0415
    from vmemplan.sources.notes import SourceNote  # noqa: PLC0415

    entries = None
    pasted: list[str] = []  # what of the /proc/iomem paste was skipped
    ram_from_iomem = False
    if iomem_path is not None:
        paste = read_iomem(read_input(iomem_path, "--iomem"), iomem_path)
        entries = paste.entries
        pasted = [SourceNote("from the dump", f"{iomem_path}: {n}") for n in paste.skipped]
        if not opts["system_ram"]:
            opts["system_ram"] = tuple(f"{a:#x}+{b - a:#x}" for a, b in system_ram(entries))
            ram_from_iomem = True
            if not opts["system_ram"]:
                opts["system_ram"] = ("none",)
    given = Given(**(typed or {}))
    base = build_request(**opts)
    if ram_from_iomem:  # read from the dump, not typed: no spelling to echo
        base = base._replace(system_ram=tuple((a, b) for a, b in base.system_ram))
    devices = []
    cxl = _from_cxl(cxl_path, base, kmem, ndctl=ndctl_path is not None)
    other_kmem = kmem
    if cxl is not None and cxl.found.system_ram:
        other_kmem = None  # the options are the CXL devices'; merge() gives one block size
    if ndctl_path is not None:
        devices = parse_ndctl_json(read_input(ndctl_path, "--from-ndctl"), ndctl_path)
        start = None
        if entries is not None and opts.get("start") is None:
            pmem = pmem_namespaces(entries)
            start = pmem[0].start if pmem else None
        elif cxl is not None and opts.get("start") is None:
            start = cxl.pmem_start
        found = from_ndctl(devices, base, start, given=given, iomem=entries, kmem=other_kmem)
        kind, path = "ndctl", ndctl_path
    elif entries is not None:
        found = from_iomem(entries, base, given, other_kmem)
        kind, path = "iomem", str(iomem_path)
    else:
        assert cxl is not None
        found, kind, path = cxl.found, "cxl", str(cxl_path)
    if cxl is not None and kind != "cxl":
        found = cxl.merge_into(found, "--from-ndctl" if kind == "ndctl" else "--iomem")
    found.inferred[:0] = pasted
    boot_ram = [f for f in found.found if f.kind == "boot-ram"]
    if not found.requests and not found.system_ram and not boot_ram:
        option = {"iomem": "iomem", "ndctl": "--from-ndctl", "cxl": "--from-cxl"}[kind]
        what = "no namespace to estimate"
        if kind == "cxl":
            what = "no CXL region to cost: " + "; ".join(found.inferred)
        raise InputError(option, f"{path}: {what}")
    dump_option = {"ndctl": "--from-ndctl", "iomem": "--iomem", "cxl": "--from-cxl"}[kind]

    def named(e: InputError, origin: str) -> InputError:
        # values the dump gave are the dump's fault; typed ones keep their option
        option = dump_option if e.option in ("--dax-range", "--start", "--size") else e.option
        return type(e)(option, f"{origin}: {e.message}")

    prepared = []
    for req, origin in zip(found.requests, found.origins, strict=True):
        try:
            prepared.append(prepare(req))  # a refusal names the device, not only the value
        except InputError as e:
            raise named(e, origin) from None
    checked = _checked_kmem(base, prepared, found, named) if hot_add else []
    host = discovered_host(found, base, hot_add=hot_add)._replace(pools=pools)
    acc = account(host, prepared=prepared, checked=checked)
    estimates = [e for _, e in acc.pgmaps]
    added: list[Any] = [(device_name(d), e) for d, e in acc.hot_added]
    source = {
        "kind": kind,
        "path": path,
        "inferred": found.inferred,
        "found": [found_doc(f) for f in found.found],
        # the boot RAM every namespace was estimated on, once (the namespaces' documents
        # leave it out when it has more than MAX_REPEATED_RAM_RANGES ranges)
        "system_ram": ranges_doc(base.system_ram),
    }
    return _Discovery(estimates, added, source, devices, found, acc)


class _Cxl:
    """A ``cxl list`` dump read and costed on the machine (``--from-cxl``)."""

    def __init__(self, found: Any, pmem_start: int | None) -> None:
        self.found = found  # discover.Discovered
        self.pmem_start = pmem_start  # the first pmem region's start (its namespaces')

    def merge_into(self, other: Any, option: str) -> Any:
        from vmemplan.sources.cxl_machine import merge  # noqa: PLC0415

        return merge(other, self.found, option, by_range=option == "--iomem")


def _from_cxl(path: str | None, base: EstimateRequest, kmem: Any, *, ndctl: bool) -> _Cxl | None:
    """Read ``--from-cxl`` (None when not given) and cost its regions on ``base``."""
    if path is None:
        return None
    from vmemplan.sources.cxl import parse_cxl_list  # noqa: PLC0415
    from vmemplan.sources.cxl_machine import from_cxl, region_range  # noqa: PLC0415

    listing = parse_cxl_list(read_input(path, "--from-cxl"), path)
    pmem = [region_range(r) for r in listing.regions if r.type == "pmem"]
    starts = [r[0] for r in pmem if r is not None]
    return _Cxl(from_cxl(listing, base, kmem, ndctl=ndctl), min(starts) if starts else None)


def discover_account(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    kmem: Any,
    pools: tuple[Any, ...],
    *,
    cxl_path: str | None = None,
) -> Any:
    """The accounting of the host a dump describes, with HugeTLB ``pools`` added to it
    (``host --from-ndctl``/``--iomem``), and what reading the dump inferred."""
    for key in ("size", "start", "align", "vmemmap_shift", "counters", "dedup_keep"):
        opts.setdefault(key, None)
    opts.setdefault("dax_ranges", ())
    opts.setdefault("early_init_fix", None)
    opts.setdefault("ns_per_page", None)
    opts.update(map_="mem", mode="devdax")
    found = _discover(opts, ndctl_path, iomem_path, kmem=kmem, pools=pools, cxl_path=cxl_path)
    return found.account, list(found.source["inferred"])


def _checked_kmem(
    base: EstimateRequest,
    prepared: list[Any],
    found: Any,
    named: Callable[[InputError, str], InputError],
) -> list[Any]:
    """Each kmem device of a dump estimated alone, validated as ``estimate --mode
    system-ram`` does and against the dump's pgmaps (``prepared``)."""
    from vmemplan.system_ram import system_ram_estimate  # noqa: PLC0415

    p = base.arch.page_size
    pgmaps = [
        (req.label, lo * p, hi * p)
        for req, pr in zip(found.requests, prepared, strict=True)
        for lo, hi in pr.pgmap.ranges
    ]
    checked = []
    for dev in found.system_ram:
        for lo, hi in dev.request.ranges:
            clash = next((m for m in pgmaps if lo < m[2] and m[1] < hi), None)
            if clash is not None:
                raise named(
                    InputError(
                        "--dax-range",
                        f"{lo:#x}-{hi - 1:#x} overlaps {clash[0]} at "
                        f"{clash[1]:#x}-{clash[2] - 1:#x}",
                    ),
                    dev.origin,
                )
        try:
            one = system_ram_estimate(dev.request)
        except InputError as e:
            raise named(e, dev.origin) from None
        if found.memory_block_size_source in ("dump", "cfmws_advice"):
            one = replace(one, block_size_source=found.memory_block_size_source)
        checked.append(one)
    return checked


_DAX_DEVICE_NAME = re.compile(r"dax[0-9]+\.[0-9]+", re.ASCII)


def discover_subjects(
    opts: dict[str, Any],
    ndctl_path: str | None,
    iomem_path: str | None,
    current: Choice | None,
    kmem: Any = None,
    *,
    cxl_path: str | None = None,
) -> tuple[list[Subject], dict[str, Any]]:
    """The namespaces of a dump as compare/plan subjects: what each runs today (from an
    ndctl/daxctl dump; /proc/iomem does not say, so ``--current`` there) and its device.
    A kmem device is its ranges as a device-dax device, and runs system-ram today."""
    from vmemplan.plan import Choice, Device, Subject, pmem_dax_subject  # noqa: PLC0415

    found = _discover(opts, ndctl_path, iomem_path, kmem=kmem, hot_add=False, cxl_path=cxl_path)
    devices = {d.name: d for d in found.devices}
    subjects = []
    for e in found.estimates:
        req = e.request
        label = req.label or ""
        dev = devices.get(label)
        if dev is not None:
            kind: Any = "dax" if dev.source == "daxctl" else "namespace"
            now = Choice(req.mode, "mem" if req.dax_ranges else req.map, e.align)
            subjects.append(Subject(req, now, Device(label, kind)))
        else:
            device = Device(label, "namespace") if label.startswith("namespace") else None
            subjects.append(Subject(req, current, device))
    for k in found.found.system_ram:
        named = _DAX_DEVICE_NAME.fullmatch(k.label) is not None  # not "System RAM (kmem)@..."
        device = Device(k.label, "dax", system_ram=True) if named else None
        if k.namespace is not None and named:  # a pmem namespace's static dax device
            ns, layout = k.namespace, k.namespace.layout
            rebind = None if layout is None else Choice("devdax", layout.map, layout.align)
            subjects.append(
                pmem_dax_subject(
                    k.devdax,
                    dax_device=k.label,
                    namespace=ns.name,
                    start=ns.start,
                    size=ns.size,
                    rebind=rebind,
                    kmem=k.request,
                )
            )
            continue
        subjects.append(
            Subject(k.devdax, None, device, kmem=k.request, cxl=k.cxl, cfmws_advice=k.cfmws_advice)
        )
    order = {f.label: i for i, f in enumerate(found.found.found)}
    subjects.sort(key=lambda s: order.get(s.request.label or "", len(order)))
    return subjects, found.source
