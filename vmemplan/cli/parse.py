"""Option values into the core's requests: one parser per kind of value, shared by every
command (a bad value is an InputError naming the option: exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmemplan.errors import InputError
from vmemplan.estimate import (
    EstimateRequest,
    default_start,
)
from vmemplan.host.accounting import machine_of, pgmap_device
from vmemplan.host.description import DaxDevice, Host, PmemNamespace
from vmemplan.kernel.arch import get_arch
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import (
    COUNTER_CHOICES,
    SwitchValue,
    kernel_profile,
    parse_kernel_release,
    parse_kernel_switch,
    require_zone_device,
    with_switches,
)
from vmemplan.units import (
    SpelledRange,
    format_as_given,
    parse_block_size,
    parse_duration_ns,
    parse_ns_per_page,
    parse_range,
    parse_size,
    parse_size_spelled,
    quote_value,
)

if TYPE_CHECKING:  # compare/plan/check only: `estimate --json` start-up does not pay for them
    from vmemplan.budget import Budgets, Limit
    from vmemplan.kernel.memory_hotplug import MemmapOnMemory
    from vmemplan.plan import Choice


_MODES: dict[str, Mode] = {"devdax": "devdax", "dax": "devdax", "fsdax": "fsdax", "memory": "fsdax"}


def _parse_mode(text: str) -> Mode:
    key = text.strip().lower()
    if key in ("raw", "sector", "safe"):
        raise InputError(
            "--mode", f"{text}: {key} namespaces have no struct pages (nothing to plan)"
        )
    if key not in _MODES:
        raise InputError(
            "--mode", f"{quote_value(text)}: expected devdax or fsdax (legacy: dax, memory)"
        )
    return _MODES[key]


def _parse_map(text: str) -> MapMode:
    key = text.strip().lower()
    if key not in ("mem", "dev"):
        raise InputError("--map", f"{quote_value(text)}: expected mem or dev")
    return "mem" if key == "mem" else "dev"


def _parse_int(text: str, option: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise InputError(option, f"{quote_value(text)}: not an integer") from None


def build_request(
    *,
    size: str | None,
    start: str | None,
    align: str | None,
    vmemmap_shift: str | None,
    map_: str,
    mode: str,
    dax_ranges: tuple[str, ...],
    system_ram: tuple[str, ...],
    arch: str,
    kernel: str,
    struct_page_size: str | None,
    counters: str | None,
    early_init_fix: bool | None,
    dedup_keep: str | None,
    ns_per_page: str | None,
    linear_map: str | None = None,
    no_gbpages: bool = False,
    kernel_switch: tuple[str, ...] = (),
) -> EstimateRequest:
    """Turn raw option strings into an EstimateRequest; every error names its option."""
    profile = get_arch(arch)
    kprofile = with_switches(
        kernel_profile(parse_kernel_release(kernel)),
        _kernel_switches(counters, early_init_fix, dedup_keep, kernel_switch),
    )
    require_zone_device(kprofile)
    fields: dict[str, Any] = {
        "arch": profile,
        "kernel": kprofile,
        "map": _parse_map(map_),
        "mode": _parse_mode(mode),
    }
    if size is not None:
        fields["size"] = parse_size_spelled(size, "--size")
        if fields["size"] == 0:
            raise InputError("--size", f"{size!r}: must not be zero")
    if start is not None:
        fields["start"] = parse_size_spelled(start, "--start")
    if align is not None:
        fields["align"] = parse_size_spelled(align, "--align")
    if vmemmap_shift is not None:
        fields["vmemmap_shift"] = _parse_int(vmemmap_shift, "--vmemmap-shift")
    if dax_ranges:
        if start is not None:
            raise InputError(
                "--start", f"{start}: not with --dax-range (the ranges give the addresses)"
            )
        fields["dax_ranges"] = tuple(parse_range(r, "--dax-range") for r in dax_ranges)
    if system_ram:
        if any(r.strip().lower() == "none" for r in system_ram):
            if len(system_ram) > 1:
                raise InputError("--system-ram", "'none' cannot be combined with ranges")
            fields["system_ram"] = ()
        else:
            fields["system_ram"] = tuple(parse_range(r, "--system-ram") for r in system_ram)
    if start is None and not dax_ranges and "system_ram" in fields:
        fields["start"] = default_start(fields["system_ram"])  # above the boot RAM given
    if struct_page_size is not None:
        fields["struct_page_size"] = _parse_int(struct_page_size, "--struct-page-size")
    if ns_per_page is not None:
        fields["ps_per_struct_page"] = parse_ns_per_page(ns_per_page, "--ns-per-page")
    if linear_map is not None:
        key = linear_map.strip().lower()
        if key not in ("pages", "blocks"):
            raise InputError("--linear-map", f"{quote_value(linear_map)}: expected pages or blocks")
        fields["linear_map"] = key
    if no_gbpages:
        fields["gbpages"] = False
    return EstimateRequest(**fields)


def _kernel_switches(
    counters: str | None,
    early_init_fix: bool | None,
    dedup_keep: str | None,
    kernel_switch: tuple[str, ...],
) -> dict[str, SwitchValue]:
    """The switch overrides of --counters, --early-init-fix, --dedup-keep and --kernel-switch.

    Giving one switch two different values (``--counters exact --kernel-switch
    counters=nominal``) is an input error, not a silent last-one-wins.
    """
    switches: dict[str, SwitchValue] = {}
    given: dict[str, str] = {}

    def put(name: str, value: SwitchValue, option: str, text: str) -> None:
        if name in switches and switches[name] != value:
            raise InputError(option, f"{text}: conflicts with {given[name]}")
        switches[name], given[name] = value, text

    if counters is not None:
        if counters not in COUNTER_CHOICES:
            raise InputError(
                "--counters", f"{quote_value(counters)}: expected none, nominal or exact"
            )
        put("counters", counters, "--counters", f"--counters {counters}")
    if early_init_fix is not None:
        flag = "--early-init-fix" if early_init_fix else "--no-early-init-fix"
        put("early_init_fix", early_init_fix, flag, flag)
    if dedup_keep is not None:
        keep = _parse_int(dedup_keep, "--dedup-keep")
        if keep not in (1, 2):
            raise InputError("--dedup-keep", f"{dedup_keep}: expected 1 or 2")
        put("dedup_keep", keep, "--dedup-keep", f"--dedup-keep {dedup_keep}")
    for text in kernel_switch:
        name, value = parse_kernel_switch(text)
        put(name, value, "--kernel-switch", f"--kernel-switch {text}")
    return switches


SYSTEM_RAM_MODES = ("system-ram", "system_ram", "kmem")


def _is_system_ram(mode: str) -> bool:
    return mode.strip().lower() in SYSTEM_RAM_MODES


def build_host(**opts: Any) -> Host:
    """``estimate``'s host: the machine the options describe, with the one device they give
    (a pmem namespace, or a dax device for --dax-range)."""
    req = build_request(**opts)
    return Host(machine_of(req), (pgmap_device(req),))


def build_system_ram_host(
    opts: dict[str, Any],
    memmap_on_memory: str | None,
    memory_block_size: str | None,
    *,
    namespace: bool = False,
) -> Host:
    """The host of ``estimate --mode system-ram``: one dax device bound to kmem; devdax-only
    options refused.

    With ``namespace`` (--map or --align given) --size/--start are a pmem namespace whose
    devdax device is reconfigured (its dax device covers the data area after the info
    block); else they are the dax device's range (CXL/hmem)."""
    from vmemplan.system_ram import pmem_namespace_layout  # noqa: PLC0415

    for key, option in (
        ("vmemmap_shift", "--vmemmap-shift"),
        ("dedup_keep", "--dedup-keep"),
        ("early_init_fix", "--early-init-fix"),
    ):
        if opts[key] is not None:
            raise InputError(
                option, "not with --mode system-ram: kmem trims the device to memory blocks"
            )
    mom = _parse_memmap_on_memory(memmap_on_memory) or "off"
    base = build_request(**{**opts, "mode": "devdax"})
    layout = None
    if base.dax_ranges:
        if base.size is not None:
            raise InputError("--dax-range", "give either --size or --dax-range, not both")
        if namespace:
            raise InputError("--map", "not with --dax-range: dax ranges have no pmem namespace")
        ranges = base.dax_ranges
    elif base.size is None:
        raise InputError("--size", "missing: give --size (or --dax-range)")
    elif namespace:
        layout = pmem_namespace_layout(base)
        ranges = ((base.start + layout.dataoff, base.start + base.size - layout.end_trunc),)
    else:
        spelled = f"{format_as_given(base.start)}+{format_as_given(base.size)}"
        ranges = (SpelledRange(base.start, base.start + base.size, spelled),)
    block = (
        None
        if memory_block_size is None
        else parse_block_size(memory_block_size, "--memory-block-size")
    )
    dax = DaxDevice(base.label or "", tuple(ranges), "kmem", memmap_on_memory=mom)
    if layout is None:
        return Host(machine_of(base, block), (dax,))
    namespace_ = pgmap_device(base)
    assert isinstance(namespace_, PmemNamespace)
    return Host(machine_of(base, block), (namespace_._replace(dax=dax),))


def _parse_memmap_on_memory(text: str | None) -> MemmapOnMemory | None:
    """``--memmap-on-memory``: off, on or force (y/n/1/0/true/false as the kernel takes)."""
    if text is None:
        return None
    key = text.strip().lower()
    key = {"y": "on", "yes": "on", "1": "on", "true": "on"}.get(key, key)
    key = {"n": "off", "no": "off", "0": "off", "false": "off"}.get(key, key)
    for mom in _MEMMAP_ON_MEMORY:
        if key == mom:
            return mom
    raise InputError("--memmap-on-memory", f"{quote_value(text)}: expected off, on or force")


_MEMMAP_ON_MEMORY: tuple[MemmapOnMemory, ...] = ("off", "on", "force")


def _kmem_options(mom: str | None, block: str | None) -> Any:
    """The dump's kmem devices: --memmap-on-memory and --memory-block-size (None: unset)."""
    from vmemplan.sources.discover import Kmem  # noqa: PLC0415

    return Kmem(
        _parse_memmap_on_memory(mom),
        None if block is None else parse_block_size(block, "--memory-block-size"),
    )


def parse_current(text: str) -> Choice:
    """``--current fsdax/dev/2M``: mode, map and align of what the host runs today."""
    from vmemplan.plan import Choice  # noqa: PLC0415

    parts = text.split("/")
    if len(parts) != 3:
        raise InputError(
            "--current", f"{quote_value(text)}: expected MODE/MAP/ALIGN, e.g. fsdax/dev/2M"
        )
    mode, map_, align = parts
    try:
        return Choice(_parse_mode(mode), _parse_map(map_), parse_size(align, "--current"))
    except InputError as err:
        raise InputError("--current", f"{quote_value(text)}: {err.message}") from None


def _budgets(opts: dict[str, Any]) -> Budgets:
    """The --max-dram / --max-device-loss / --max-init budgets (popped from ``opts``)."""
    from vmemplan.budget import Budgets  # noqa: PLC0415

    init = opts.pop("max_init")
    return Budgets(
        dram=_limit(opts.pop("max_dram"), "--max-dram"),
        device_loss=_limit(opts.pop("max_device_loss"), "--max-device-loss"),
        init_ns=parse_duration_ns(init, "--max-init") if init else None,
    )


def _limit(text: str | None, option: str) -> Limit | None:
    from vmemplan.budget import parse_limit  # noqa: PLC0415

    return None if text is None else parse_limit(text, option)
