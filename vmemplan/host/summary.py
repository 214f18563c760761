"""``vmemplan host``: what struct pages cost on a whole machine, one row per kind of memory.

A view of the one accounting (host/accounting.py): boot RAM's memmap first (sparse_init(),
a full-section memmap for every section boot RAM touches), then the device-dax
namespaces, then the dax devices onlined as System RAM, on one machine, so a page-table
page two of them share is counted once; HugeTLB pools are carved from boot RAM and their
vmemmap is their own row (boot RAM's row counts the rest of its memmap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from vmemplan import __version__
from vmemplan.cost import (
    SCHEMA_VERSION,
    Doc,
    boot_cost,
    estimate_cost,
    pool_cost,
    system_ram_cost,
    total_record,
)
from vmemplan.errors import InputError
from vmemplan.host.accounting import HostAccount, account, device_name, hot_add_request
from vmemplan.host.description import (
    DaxDevice,
    Device,
    Host,
    HostMachine,
    HugetlbPool,
    PmemNamespace,
    is_hot_added,
)
from vmemplan.hugetlb import pool_name
from vmemplan.kernel.arch import get_arch
from vmemplan.kernel.versions import kernel_profile, parse_kernel_release
from vmemplan.sources.cmdline import parse_pages_option
from vmemplan.system_ram import block_size
from vmemplan.units import (
    GiB,
    align_up,
    format_size_exact,
    parse_block_size,
    parse_range,
    parse_size,
)

# Where devices without an explicit start go: one after the other above boot RAM, each at
# the next boundary of this many bytes (or of the memory block, if larger).
PLACEMENT_ALIGN = GiB


def _named(device: Device, label: str) -> str:
    """A device a file or dump names is shown by its name (the options' are numbered)."""
    name = device_name(device)
    return label if name.startswith("--") else f"{name}: {label}"


def _host_detail(label: str, node: int | None, optimization: str, note: str | None) -> Doc:
    return {"label": label, "node": node, "optimization": optimization, "note": note}


def host_devices(acc: HostAccount) -> list[Doc]:
    """One cost record per kind of memory: boot RAM, each pool, each pgmap, each hot-add
    (its unoptimised cost: memmap_on_memory off). Their sum is ``acc.dram_bytes``."""
    b = acc.boot
    p = acc.host.machine.arch.page_size
    on_boot = any(pa.on is None for pa in acc.pools)
    carved = " less the vmemmap of the HugeTLB pools carved from it" if on_boot else ""
    note = f"{b.sections:,} sections with a full memmap each (sparse_init(), from memblock){carved}"
    out = [boot_cost(b, p, _host_detail("boot RAM", None, "none", note))]
    for pa in acc.pools:
        r = pa.result
        v = r.vmemmap
        note = r.refusal or (
            "carved from boot RAM: its vmemmap is this row, not the boot RAM row's; "
            if pa.on is None
            else f"carved from {pa.on}: its vmemmap is this row, not {pa.on}'s; "
        ) + (
            f"with HVO that is {v.kept_pages_per_folio} vmemmap page(s) per folio and "
            "the PTE tables of the split vmemmap PMDs"
            if v.optimized
            else "without HVO: every vmemmap page of its folios"
        )
        detail = _host_detail(
            pool_name(r, pa.on), r.pool.node, "hvo" if v.optimized else "none", note
        )
        out.append(pool_cost(r, p, pool_name(r, pa.on), detail))
    for dev, e in acc.pgmaps:
        f = e.figures
        kind = "fsdax" if e.request.mode == "fsdax" else "devdax"
        label = _named(
            dev, f"{kind} {format_size_exact(e.namespace_bytes)} align {format_size_exact(e.align)}"
        )
        detail = _host_detail(
            label,
            dev.node if isinstance(dev, DaxDevice) else None,
            "dedup" if f.optimized else "none",
            None if f.optimized else "; ".join(e.notes) or None,
        )
        out.append(estimate_cost(e, device_name(dev), detail, device=dev))
    plain = acc.hot_added_unoptimized()
    for (dev, sr), without in zip(acc.hot_added, plain, strict=True):
        c = sr.cost
        mode = sr.request.memmap_on_memory
        dax = dev if isinstance(dev, DaxDevice) else dev.dax
        detail = _host_detail(
            _named(dev, f"System RAM {format_size_exact(sr.device_bytes)}, MoM {mode}"),
            None if dax is None else dax.node,
            "memmap_on_memory" if c.blocks_self_hosted else "none",
            c.refusal if mode != "off" else None,
        )
        out.append(
            system_ram_cost(
                sr, device_name(dev), dram_bytes_unoptimized=without.dram_bytes, detail=detail
            )
        )
    return out


def host_doc(
    acc: HostAccount, *, hvo_requested: bool = True, notes: Sequence[str] = ()
) -> dict[str, object]:
    """The ``vmemplan host --json`` document (schema: HostDoc)."""
    m = acc.host.machine
    arch, kernel = m.arch, m.kernel
    devices = host_devices(acc)
    notes = [
        *notes,  # what the source inferred (a dump's)
        "percentages are of boot RAM (the DRAM that pays for every struct page)",
        *(["MoM: memory_hotplug.memmap_on_memory (dax kmem)"] if acc.hot_added else []),
        *(
            []
            if notes
            else [
                "devices without a start are placed one after the other above boot RAM, "
                "each on the next 1 GiB (or memory block) boundary"
            ]
        ),
        *kernel.notes_for(arch),  # what resolving --kernel assumed (uname -r, stable backports)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": {
            "arch": arch.name,
            "kernel": kernel.label,
            "page_size_bytes": arch.page_size,
            "struct_page_size_bytes": acc.struct_page_size,
            "boot_ram": [[a, b] for a, b in m.system_ram_ranges],
            "boot_ram_bytes": acc.boot.capacity_bytes,
            "hvo_requested": hvo_requested,
        },
        "total": total_record(devices),
        "devices": devices,
        "notes": notes,
    }


def _boot_ram(texts: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    if not texts:
        raise InputError("--system-ram", "missing: give the boot RAM, e.g. --system-ram 512G")
    ram: list[tuple[int, int]] = []
    for text in texts:
        if any(sep in text for sep in ("-", "+", "..")):
            ram.append(parse_range(text, "--system-ram"))
        else:
            size = parse_size(text, "--system-ram")
            if size == 0:
                raise InputError("--system-ram", f"{text!r}: must not be zero")
            ram.append((0, size))
    return tuple(ram)


def pools_from_options(hugetlb: tuple[str, ...], hvo: bool, arch: str) -> tuple[HugetlbPool, ...]:
    """The ``--hugetlb`` pools, carved from boot RAM, with ``--hvo/--no-hvo``."""
    pools: list[HugetlbPool] = []
    for text in hugetlb:
        for pool in parse_pages_option(text, "--hugetlb", arch):
            pools.append(HugetlbPool(pool.folio_bytes, pool.nr_folios, pool.node, hvo))
    keys = [(pool.page_size_bytes, pool.node) for pool in pools]
    if len(set(keys)) != len(keys):
        raise InputError("--hugetlb", "the same huge page size (and node) is given twice")
    return tuple(pools)


class DeviceMaker(NamedTuple):
    """A device of ``host``'s options: ``make(start)`` builds it (``start``: where the host
    places it, None when it was given one: ``placed``)."""

    name: str
    placed: bool
    make: Callable[[int | None], Device]


def _end(device: Device) -> int:
    if isinstance(device, PmemNamespace):
        return device.start + device.size_bytes
    return max(hi for _, hi in device.ranges)


def host_from_options(
    *,
    system_ram: tuple[str, ...],
    hugetlb: tuple[str, ...],
    hvo: bool,
    devices: tuple[DeviceMaker, ...] = (),
    memory_block_size: str | None,
    arch: str,
    kernel: str,
    struct_page_size: str | None,
) -> Host:
    """The host ``vmemplan host``'s options describe: devices without a start are placed
    one after the other above boot RAM, each on the next 1 GiB boundary (a device kmem
    onlines on the next memory block boundary if that is larger)."""
    a = get_arch(arch)
    k = kernel_profile(parse_kernel_release(kernel))
    ram = _boot_ram(system_ram)
    s = None
    if struct_page_size is not None:
        try:
            s = int(struct_page_size, 0)
        except ValueError:
            raise InputError(
                "--struct-page-size", f"{struct_page_size!r}: not an integer"
            ) from None
    pools = pools_from_options(hugetlb, hvo, a.name)
    machine = HostMachine(
        arch=a,
        kernel=k,
        system_ram_ranges=ram,
        struct_page_size_bytes=s,
        memory_block_size_bytes=(
            None
            if memory_block_size is None
            else parse_block_size(memory_block_size, "--memory-block-size")
        ),
    )
    cursor = align_up(max(hi for _, hi in ram), PLACEMENT_ALIGN)
    out: list[Device] = []
    for maker in devices:
        device = maker.make(None if maker.placed else cursor)
        if not maker.placed and is_hot_added(device):
            mb = block_size(hot_add_request(machine, device))[0]
            start = align_up(cursor, max(mb, PLACEMENT_ALIGN))
            if start != cursor:
                device = maker.make(start)
        out.append(device)
        cursor = max(cursor, align_up(_end(device), PLACEMENT_ALIGN))
    if memory_block_size is not None and not any(is_hot_added(d) for d in out):
        raise InputError(
            "--memory-block-size", "only with a --device that kmem onlines (--mode system-ram)"
        )
    return Host(machine, tuple(out), pools)


_DEVICE_OPTIONS = ("system_ram", "hugetlb", "memory_block_size")


def host_command(*, hvo: bool, config: str | None = None, **options: object) -> dict[str, object]:
    """Parse the ``vmemplan host`` options (or read ``--config``) and build its document."""
    if config is not None:
        from vmemplan.sources.config.host import config_file_host  # noqa: PLC0415

        given = [k for k in _DEVICE_OPTIONS if options.get(k)]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise InputError(flag, "not with --config: the file describes the whole host")
        conv = config_file_host(config)
        acc = account(
            conv.host,
            prepared=conv.prepared,
            checked=conv.checked,
            boot_ram_key="host.system_ram",
        )
        return host_doc(acc, hvo_requested=all(p.hvo for p in conv.host.pools))
    host = host_from_options(hvo=hvo, **options)  # type: ignore[arg-type]
    return host_doc(account(host), hvo_requested=hvo)
