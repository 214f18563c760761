"""``vmemplan host``: what struct pages cost on a whole machine, one row per kind of memory.

Boot RAM pays its own memmap first (sparse_init(): a full-section memmap for every
section boot RAM touches, from memblock), and is the row every other kind is measured
against. HugeTLB pools are carved from boot RAM, so their vmemmap is already in that row:
their row is what HVO gives back. Device-dax namespaces (estimate.py) and dax devices
onlined as System RAM (system_ram.py) are added on the same machine after boot, in the
order given, so a page-table page two of them share is counted once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vmemplan import __version__
from vmemplan.errors import InputError
from vmemplan.estimate import (
    EstimateRequest,
    boot_direct_map,
    estimate_many,
    linear_map_mode,
    pgmap_direct_map_tables,
)
from vmemplan.hugetlb import hugetlb_pools
from vmemplan.kernel.arch import ArchProfile, get_arch
from vmemplan.kernel.memory_hotplug import MemmapOnMemory, kmem_hotplug
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.sparse_vmemmap import Account
from vmemplan.kernel.versions import KernelProfile, kernel_profile, parse_kernel_release
from vmemplan.sources.cmdline import HugetlbPool, parse_pages_option
from vmemplan.system_ram import (
    MEMMAP_ON_MEMORY_CHOICES,
    SystemRamRequest,
    block_size,
    direct_map_bytes,
    system_ram_estimate,
)
from vmemplan.units import GiB, align_up, format_size_exact, parse_range, parse_size

SCHEMA_VERSION = 1
# Where devices without an explicit start go: one after the other above boot RAM, each at
# the next boundary of this many bytes (or of the memory block, if larger).
PLACEMENT_ALIGN = GiB


@dataclass(frozen=True)
class DevdaxSpec:
    """A device-dax namespace of the host (map=mem)."""

    size: int
    align: int | None = None
    start: int | None = None


@dataclass(frozen=True)
class SystemRamSpec:
    """A dax device (CXL / hmem region) the host onlines as System RAM through kmem."""

    size: int
    memmap_on_memory: MemmapOnMemory = "off"
    start: int | None = None


@dataclass(frozen=True)
class HostRequest:
    """The whole machine (byte values, already parsed)."""

    arch: ArchProfile
    kernel: KernelProfile
    boot_ram: tuple[tuple[int, int], ...]
    struct_page_size: int | None = None
    hugetlb: tuple[HugetlbPool, ...] = ()
    hvo_enabled: bool = True
    devdax: tuple[DevdaxSpec, ...] = ()
    system_ram: tuple[SystemRamSpec, ...] = ()
    memory_block_size: int | None = None


def _tables(acct: Account) -> int:
    return sum(acct.tables.values())


def _table_bytes(arch: ArchProfile, acct: Account) -> int:
    sizes: dict[str, int] = {lvl.name: lvl.table_bytes for lvl in arch.levels}
    return sum(n * sizes.get(lvl, 0) for lvl, n in acct.tables.items())


def _row(kind: str, label: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "kind": kind,
        "label": label,
        "node": None,
        "capacity_bytes": 0,
        "memmap_pages_dram": 0,
        "memmap_pages_device": 0,
        "pagetable_pages": 0,
        "dram_bytes": 0,
        "dram_bytes_unoptimized": 0,
        "saved_bytes": 0,
        "device_bytes": 0,
        "optimization": "none",
        "note": None,
    }
    row.update(fields)
    return row


def _boot_row(req: HostRequest, machine: Machine) -> dict[str, object]:
    p = req.arch.page_size
    boot = machine.boot
    sections = sum(hi - lo for lo, hi in machine.early)
    dram = boot.dram_pages * p + _table_bytes(req.arch, boot)
    return _row(
        "boot-ram",
        "boot RAM",
        capacity_bytes=sum(hi - lo for lo, hi in req.boot_ram),
        memmap_pages_dram=boot.dram_pages,
        pagetable_pages=_tables(boot),
        dram_bytes=dram,
        dram_bytes_unoptimized=dram,
        note=f"{sections:,} sections with a full memmap each (sparse_init(), from memblock)",
    )


def _hugetlb_rows(req: HostRequest, s: int) -> list[dict[str, object]]:
    if not req.hugetlb:
        return []
    p = req.arch.page_size
    boot_bytes = sum(hi - lo for lo, hi in req.boot_ram)
    pool_bytes = sum(pool.folio_bytes * pool.nr_folios for pool in req.hugetlb)
    if pool_bytes > boot_bytes:
        raise InputError(
            "--hugetlb",
            f"the pools need {format_size_exact(pool_bytes)}, more than the "
            f"{format_size_exact(boot_bytes)} of boot RAM they are carved from",
        )
    rows = []
    results = hugetlb_pools(
        req.arch, req.kernel, list(req.hugetlb), hvo_enabled=req.hvo_enabled, struct_page_size=s
    )
    for r in results:
        v = r.vmemmap
        saved = (v.vmemmap_pages - v.net_pages) * p if v.optimized else 0
        rows.append(
            _row(
                "hugetlb",
                f"HugeTLB {format_size_exact(r.pool.folio_bytes)} x {r.pool.nr_folios:,}",
                node=r.pool.node,
                capacity_bytes=r.pool.folio_bytes * r.pool.nr_folios,
                memmap_pages_dram=v.kept_pages,
                pagetable_pages=v.pte_tables,
                dram_bytes=-saved,
                saved_bytes=saved,
                optimization="hvo" if v.optimized else "none",
                note=r.refusal
                or "carved from boot RAM: its vmemmap is in the boot RAM row; HVO gives back "
                "all but the kept pages and the split PTE tables",
            )
        )
    return rows


def host_estimate(req: HostRequest) -> dict[str, object]:
    """The ``vmemplan host --json`` document (schema: HostDoc)."""
    arch, kernel = req.arch, req.kernel
    s = req.struct_page_size if req.struct_page_size is not None else arch.struct_page_size
    if not req.boot_ram:
        raise InputError("--boot-ram", "a host needs boot RAM (give --boot-ram SIZE)")
    p = arch.page_size
    machine = Machine(arch, kernel, s, req.boot_ram)
    baseline = Machine(arch, kernel, s, req.boot_ram)
    # One direct map for the host, in the arch's default mode (the devdax rows' too, see
    # estimate_many()); the baseline's differs once memmap_on_memory adds block by block.
    linear = linear_map_mode(arch, None, None)
    direct = boot_direct_map(arch, linear, req.boot_ram)
    base_direct = boot_direct_map(arch, linear, req.boot_ram)
    rows = [_boot_row(req, machine), *_hugetlb_rows(req, s)]
    cursor = align_up(max(hi for _, hi in req.boot_ram), PLACEMENT_ALIGN)

    dev_reqs = []
    for i, spec in enumerate(req.devdax):
        start = spec.start if spec.start is not None else cursor
        dev_reqs.append(
            EstimateRequest(
                arch=arch,
                kernel=kernel,
                size=spec.size,
                start=start,
                align=spec.align,
                system_ram=req.boot_ram,
                struct_page_size=req.struct_page_size,
                label=f"--devdax #{i + 1}",
            )
        )
        cursor = max(cursor, align_up(start + spec.size, PLACEMENT_ALIGN))
    for e in estimate_many(dev_reqs):
        # replay on the host machines, so System RAM added later shares their tables
        machine.memremap_pages(e.pgmap, optimized=e.figures.optimized)
        baseline.memremap_pages(e.pgmap, optimized=False)
        pgmap_direct_map_tables(direct, arch, e.pgmap)
        pgmap_direct_map_tables(base_direct, arch, e.pgmap)
        f, b = e.figures, e.baseline
        rows.append(
            _row(
                "devdax",
                f"devdax {format_size_exact(e.namespace_bytes)} align {format_size_exact(e.align)}",
                capacity_bytes=e.namespace_bytes,
                memmap_pages_dram=f.cost.account.dram_pages,
                pagetable_pages=_tables(f.cost.account),
                dram_bytes=f.dram_bytes,
                dram_bytes_unoptimized=b.dram_bytes,
                saved_bytes=b.dram_bytes - f.dram_bytes,
                device_bytes=f.device_bytes,
                optimization="dedup" if f.optimized else "none",
                note=None if f.optimized else "; ".join(e.notes) or None,
            )
        )

    for kspec in req.system_ram:
        sreq = SystemRamRequest(
            arch=arch,
            kernel=kernel,
            ranges=(),
            system_ram=req.boot_ram,
            memmap_on_memory=kspec.memmap_on_memory,
            memory_block_size=req.memory_block_size,
            struct_page_size=req.struct_page_size,
        )
        mb = block_size(sreq)[0]
        start = (
            kspec.start if kspec.start is not None else align_up(cursor, max(mb, PLACEMENT_ALIGN))
        )
        sreq = replace(sreq, ranges=((start, start + kspec.size),))
        checked = system_ram_estimate(sreq)  # validates the device as ``estimate`` does
        mb = checked.memory_block_size
        cost = kmem_hotplug(machine, sreq.ranges, mb, kspec.memmap_on_memory, direct)
        base = kmem_hotplug(baseline, sreq.ranges, mb, "off", base_direct)
        dram = (
            cost.account.dram_pages * p
            + _table_bytes(arch, cost.account)
            + direct_map_bytes(arch, cost.direct_map)
        )
        base_dram = (
            base.account.dram_pages * p
            + _table_bytes(arch, base.account)
            + direct_map_bytes(arch, base.direct_map)
        )
        rows.append(
            _row(
                "system-ram",
                f"System RAM {format_size_exact(kspec.size)}, MoM {kspec.memmap_on_memory}",
                capacity_bytes=kspec.size,
                memmap_pages_dram=cost.account.dram_pages,
                memmap_pages_device=cost.account.device_pages,
                pagetable_pages=_tables(cost.account),
                dram_bytes=dram,
                dram_bytes_unoptimized=base_dram,
                saved_bytes=base_dram - dram,
                device_bytes=kspec.size - cost.managed_pages * p,
                optimization="memmap_on_memory" if cost.blocks_self_hosted else "none",
                note=cost.refusal if kspec.memmap_on_memory != "off" else None,
            )
        )
        cursor = max(cursor, align_up(start + kspec.size, PLACEMENT_ALIGN))

    def total(key: str) -> int:
        return sum(int(str(r[key])) for r in rows)

    boot_bytes = sum(hi - lo for lo, hi in req.boot_ram)
    notes = [
        "percentages are of boot RAM (the DRAM that pays for every struct page)",
        *(["MoM: memory_hotplug.memmap_on_memory (dax kmem)"] if req.system_ram else []),
        "devices without a start are placed one after the other above boot RAM, each on "
        "the next 1 GiB (or memory block) boundary",
        *kernel.notes_for(arch),  # what resolving --kernel assumed (uname -r, stable backports)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": {
            "arch": arch.name,
            "kernel": kernel.label,
            "page_size_bytes": p,
            "struct_page_size_bytes": s,
            "boot_ram": [[a, b] for a, b in req.boot_ram],
            "hvo_requested": req.hvo_enabled,
        },
        "rows": rows,
        "total": {
            "boot_ram_bytes": boot_bytes,
            "dram_bytes": total("dram_bytes"),
            "dram_bytes_unoptimized": total("dram_bytes_unoptimized"),
            "saved_bytes": total("saved_bytes"),
            "device_bytes": total("device_bytes"),
        },
        "notes": notes,
    }


def _split_at(text: str, option: str) -> tuple[str, int | None]:
    body, sep, where = text.partition("@")
    if not sep:
        return body, None
    return body, parse_size(where, option)


def host_command(
    *,
    boot_ram: tuple[str, ...],
    hugetlb: tuple[str, ...],
    hvo: bool,
    devdax: tuple[str, ...],
    kmem: tuple[str, ...],
    memory_block_size: str | None,
    arch: str,
    kernel: str,
    struct_page_size: str | None,
) -> dict[str, object]:
    """Parse the ``vmemplan host`` options and build its document."""
    a = get_arch(arch)
    k = kernel_profile(parse_kernel_release(kernel))
    if not boot_ram:
        raise InputError("--boot-ram", "missing: give the boot RAM, e.g. --boot-ram 512G")
    ram: list[tuple[int, int]] = []
    for text in boot_ram:
        if any(sep in text for sep in ("-", "+", "..")):
            ram.append(parse_range(text, "--boot-ram"))
        else:
            size = parse_size(text, "--boot-ram")
            if size == 0:
                raise InputError("--boot-ram", f"{text!r}: must not be zero")
            ram.append((0, size))
    s = None
    if struct_page_size is not None:
        try:
            s = int(struct_page_size, 0)
        except ValueError:
            raise InputError(
                "--struct-page-size", f"{struct_page_size!r}: not an integer"
            ) from None
    pools: list[HugetlbPool] = []
    for text in hugetlb:
        pools.extend(parse_pages_option(text, "--hugetlb", a.name))
    keys = [(pool.folio_bytes, pool.node) for pool in pools]
    if len(set(keys)) != len(keys):
        raise InputError("--hugetlb", "the same huge page size (and node) is given twice")
    devs = []
    for text in devdax:
        body, start = _split_at(text, "--devdax")
        size_text, _, align_text = body.partition(":")
        size = parse_size(size_text, "--devdax")
        align = parse_size(align_text, "--devdax") if align_text else None
        devs.append(DevdaxSpec(size=size, align=align, start=start))
    kmems = []
    for text in kmem:
        body, start = _split_at(text, "--kmem")
        size_text, _, mode = body.partition(":")
        key = mode.strip().lower() or "off"
        choice = next((c for c in MEMMAP_ON_MEMORY_CHOICES if c == key), None)
        if choice is None:
            raise InputError(
                "--kmem", f"{text!r}: memmap_on_memory {key!r} is not off, on or force"
            )
        size = parse_size(size_text, "--kmem")
        if size == 0:
            raise InputError("--kmem", f"{text!r}: size must not be zero")
        kmems.append(SystemRamSpec(size=size, memmap_on_memory=choice, start=start))
    req = HostRequest(
        arch=a,
        kernel=k,
        boot_ram=tuple(ram),
        struct_page_size=s,
        hugetlb=tuple(pools),
        hvo_enabled=hvo,
        devdax=tuple(devs),
        system_ram=tuple(kmems),
        memory_block_size=(
            None
            if memory_block_size is None
            else parse_size(memory_block_size, "--memory-block-size")
        ),
    )
    if memory_block_size is not None and not kmems:
        raise InputError("--memory-block-size", "only with --kmem devices")
    return host_estimate(req)
