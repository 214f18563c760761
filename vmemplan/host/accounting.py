"""One accounting: what the struct pages of a whole host cost, in the kernel's order.

``account(host)`` walks one machine state: the boot memmap (sparse_init(), a full-section
memmap from memblock), then every dev_pagemap in probe order (pmem namespaces in fsdax or
devdax mode and dax devices bound to device_dax or fsdev_dax: ``estimate_many()``), then
every dax device kmem hot-adds as System RAM (``hot_add_after()``), then the HugeTLB pools
(``hugetlb_pools()``, HVO per pool). A page-table page or an early section two entries
share is counted once, by the first.

Attribution: every struct page is counted in exactly one entry. A HugeTLB pool's vmemmap
is the pool's: its ``dram_bytes`` is what it costs after HVO (the kept vmemmap pages and
the PTE tables split PMD leaves need), ``dram_bytes_unoptimized`` what it costs without
HVO. The boot RAM or kmem device the pool is carved from counts the rest of its memmap.
So no entry is negative and the host total is the plain sum of the entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from vmemplan.errors import InputError
from vmemplan.estimate import (
    DEFAULT_PS_PER_STRUCT_PAGE,
    Estimate,
    EstimateRequest,
    Prepared,
    boot_machine,
    estimate_many,
)
from vmemplan.host.description import (
    DaxDevice,
    Device,
    Driver,
    Host,
    HostMachine,
    PmemNamespace,
    is_hot_added,
)
from vmemplan.request import request_with
from vmemplan.units import format_size_exact

if TYPE_CHECKING:  # a host without kmem devices or pools (`estimate`) does not import them
    from vmemplan.hugetlb import PoolResult
    from vmemplan.kernel.sparse_vmemmap import Account
    from vmemplan.system_ram import SystemRamEstimate, SystemRamRequest

# A problem with one pool: (pool index, the pool's key it is about, message).
PoolProblem = Callable[[int, str, str], None]


class BootAccount(NamedTuple):
    """Boot RAM's memmap, less the vmemmap of the pools carved from it."""

    capacity_bytes: int
    pool_bytes: int  # of capacity_bytes, carved into HugeTLB pools (the pools' entries)
    sections: int  # sections with a full memmap each
    memmap_pages_dram: int
    pagetable_pages: int
    dram_bytes: int


class PoolAccount(NamedTuple):
    """One HugeTLB pool: its vmemmap, with and without HVO."""

    result: PoolResult
    page_size: int
    on: str | None  # the kmem device it is carved from; None: boot RAM
    # of the memmap of what it is carved from, the DRAM pages that describe the pool
    carved_dram_pages: int

    @property
    def pool_bytes(self) -> int:
        """Huge page size x count."""
        return self.result.pool.folio_bytes * self.result.pool.nr_folios

    @property
    def dram_bytes(self) -> int:
        """Its vmemmap after HVO (where HVO applies): kept pages plus split PTE tables."""
        return self.result.vmemmap.net_pages * self.page_size

    @property
    def dram_bytes_unoptimized(self) -> int:
        """Its vmemmap without HVO."""
        return self.result.vmemmap.dram_pages_unoptimized * self.page_size


class HostAccount:
    """The figures of one host: boot RAM, each device, each pool (kernel order).

    Boot RAM's row is worked out when first read (``estimate`` and ``--batch`` never read
    it)."""

    __slots__ = ("_boot", "_boot_pool", "host", "hot_added", "pgmaps", "pools", "struct_page_size")

    def __init__(
        self,
        host: Host,
        struct_page_size: int,
        pgmaps: list[tuple[Device, Estimate]],
        hot_added: list[tuple[Device, SystemRamEstimate]],
        pools: list[PoolAccount],
        boot_pool: tuple[int, int],
    ) -> None:
        self.host = host
        self.struct_page_size = struct_page_size
        # (device, its estimate): the dev_pagemaps in probe order
        self.pgmaps = pgmaps
        # (device, its hot-add): the devices kmem onlines, after the pgmaps
        self.hot_added = hot_added
        self.pools = pools
        # the vmemmap DRAM pages and the bytes of the pools carved from boot RAM
        self._boot_pool = boot_pool
        self._boot: BootAccount | None = None

    @property
    def boot(self) -> BootAccount:
        """Boot RAM's memmap, less the vmemmap of the pools carved from it."""
        if self._boot is None:
            self._boot = _boot(self.host.machine, self.struct_page_size, *self._boot_pool)
        return self._boot

    def hot_added_unoptimized(self) -> list[SystemRamEstimate]:
        """The hot-adds again without any optimisation (memmap_on_memory off, pgmaps
        before them not deduplicated): what each would cost with its memmap in DRAM."""
        from vmemplan.system_ram import hot_add_after  # noqa: PLC0415

        base = base_request(self.host.machine)
        estimates = [e for _, e in self.pgmaps]
        # (each keeps its pool_vmemmap_pages: the pools' own entries count them either way)
        return hot_add_after(base, estimates, [e for _, e in self.hot_added], baseline=True)

    @property
    def devices_dram_bytes(self) -> int:
        """DRAM of every device and pool (what is added to boot RAM's memmap)."""
        return (
            sum(e.figures.dram_bytes for _, e in self.pgmaps)
            + sum(e.dram_bytes for _, e in self.hot_added)
            + sum(p.dram_bytes for p in self.pools)
        )

    @property
    def dram_bytes(self) -> int:
        """The whole host: boot RAM, every device and every pool."""
        return self.boot.dram_bytes + self.devices_dram_bytes


def device_name(device: Device) -> str:
    """The name an entry of ``device`` goes by: its kmem dax device's, if it has one."""
    if isinstance(device, PmemNamespace) and device.dax is not None:
        return device.dax.name
    return device.name


def base_request(machine: HostMachine) -> EstimateRequest:
    """The machine as an ``EstimateRequest`` without a device."""
    return EstimateRequest(
        arch=machine.arch,
        kernel=machine.kernel,
        system_ram=machine.system_ram_ranges,
        struct_page_size=machine.struct_page_size_bytes,
        ps_per_struct_page=machine.init_ps_per_struct_page,
        linear_map=machine.linear_map,
        gbpages=machine.gbpages,
    )


def pgmap_request(base: EstimateRequest, device: Device) -> EstimateRequest:
    """The request for a device mapped with a dev_pagemap (not a kmem one)."""
    if isinstance(device, DaxDevice):
        return request_with(
            base,
            label=device.name or None,
            dax_ranges=device.ranges,
            align=device.align_bytes,
            vmemmap_shift=device.vmemmap_shift,
            mode="fsdax" if device.driver == "fsdev_dax" else "devdax",
        )
    return request_with(
        base,
        label=device.name or None,
        size=device.size_bytes,
        start=device.start,
        align=device.align_bytes,
        vmemmap_shift=device.vmemmap_shift,
        map=device.map,
        mode=device.mode,
    )


def machine_of(base: EstimateRequest, memory_block_size: int | None = None) -> HostMachine:
    """The machine of an ``EstimateRequest`` (what a source that builds requests for its
    devices describes; ``base_request()`` of it is ``base`` without a device)."""
    return HostMachine(
        arch=base.arch,
        kernel=base.kernel,
        system_ram_ranges=base.system_ram,
        struct_page_size_bytes=base.struct_page_size,
        init_ps_per_struct_page=base.ps_per_struct_page,
        memory_block_size_bytes=memory_block_size,
        linear_map=base.linear_map,
        gbpages=base.gbpages,
    )


def pgmap_device(req: EstimateRequest) -> Device:
    """The device a dev_pagemap request describes (``pgmap_request()``'s inverse)."""
    name = req.label or ""
    if req.dax_ranges:
        driver: Driver = "fsdev_dax" if req.mode == "fsdax" else "device_dax"
        return DaxDevice(
            name, req.dax_ranges, driver, align_bytes=req.align, vmemmap_shift=req.vmemmap_shift
        )
    if req.size is None:
        raise InputError("--size", "missing: give --size (or --dax-range)")
    return PmemNamespace(
        name,
        req.start,
        req.size,
        req.mode,
        req.map,
        align_bytes=req.align,
        vmemmap_shift=req.vmemmap_shift,
    )


def hot_add_device(name: str, req: SystemRamRequest, namespace: Device | None = None) -> Device:
    """The device a kmem hot-add request describes: a dax device bound to kmem, in the
    pmem ``namespace`` (a PmemNamespace) when it is one's dax device."""
    dax = DaxDevice(name, req.ranges, "kmem", memmap_on_memory=req.memmap_on_memory)
    if isinstance(namespace, PmemNamespace):
        return namespace._replace(dax=dax)
    return dax


def hot_add_request(machine: HostMachine, device: Device) -> SystemRamRequest:
    """The request for a device kmem onlines as System RAM (a pmem namespace's dax device
    keeps its namespace's layout: the head before the data area is stranded)."""
    from vmemplan.system_ram import SystemRamRequest, pmem_namespace_layout  # noqa: PLC0415

    dax = device if isinstance(device, DaxDevice) else device.dax
    assert dax is not None
    assert dax.driver == "kmem"
    namespace = None
    if not isinstance(device, DaxDevice):
        namespace = pmem_namespace_layout(pgmap_request(base_request(machine), device))
    return SystemRamRequest(
        arch=machine.arch,
        kernel=machine.kernel,
        ranges=dax.ranges,
        system_ram=machine.system_ram_ranges,
        memmap_on_memory=dax.memmap_on_memory,
        memory_block_size=machine.memory_block_size_bytes,
        struct_page_size=machine.struct_page_size_bytes,
        ps_per_struct_page=machine.init_ps_per_struct_page or DEFAULT_PS_PER_STRUCT_PAGE,
        namespace=namespace,
        linear_map=machine.linear_map,
        gbpages=machine.gbpages,
    )


def _raise(index: int, key: str, message: str) -> None:
    raise InputError("--hugetlb", message)


def account(
    host: Host,
    *,
    prepared: Sequence[Prepared] | None = None,
    checked: Sequence[SystemRamEstimate] | None = None,
    pool_problem: PoolProblem = _raise,
    boot_ram_key: str = "--system-ram",
) -> HostAccount:
    """Cost ``host`` in the kernel's order on one machine state (see the module doc).

    ``prepared`` / ``checked``: ``prepare()`` of each pgmap device and
    ``system_ram_estimate()`` of each kmem device, when the source validated them already.
    A pool that cannot be carved is reported to ``pool_problem`` and left out."""
    m = host.machine
    arch = m.arch
    s = m.struct_page_size_bytes or arch.struct_page_size
    base = base_request(m)
    pg_devs = [d for d in host.devices if not is_hot_added(d)]
    kmem_devs = [d for d in host.devices if is_hot_added(d)]
    estimates = estimate_many([pgmap_request(base, d) for d in pg_devs], prepared)
    added: list[SystemRamEstimate] = []
    if kmem_devs:
        from vmemplan.system_ram import hot_add_after, system_ram_estimate  # noqa: PLC0415

        if checked is None:
            checked = [system_ram_estimate(hot_add_request(m, d)) for d in kmem_devs]
        added = hot_add_after(base, estimates, checked)
    kmem = {device_name(d): e for d, e in zip(kmem_devs, added, strict=True)}

    pools: list[PoolAccount] = []
    carved: dict[str | None, int] = {}  # vmemmap DRAM pages of the pools, by what they are on
    carved_bytes: dict[str | None, int] = {}  # the pools' bytes, likewise
    if host.pools:
        pools = _carve(host, kmem, carved, carved_bytes, pool_problem, boot_ram_key)
    hot_added = [
        (
            d,
            replace(
                e,
                pool_vmemmap_pages=carved.get(device_name(d), 0),
                pool_bytes=carved_bytes.get(device_name(d), 0),
            ),
        )
        for d, e in zip(kmem_devs, added, strict=True)
    ]
    return HostAccount(
        host=host,
        struct_page_size=s,
        pgmaps=list(zip(pg_devs, estimates, strict=True)),
        hot_added=hot_added,
        pools=pools,
        boot_pool=(carved.get(None, 0), carved_bytes.get(None, 0)),
    )


def _carve(
    host: Host,
    kmem: dict[str, SystemRamEstimate],
    carved: dict[str | None, int],
    carved_bytes: dict[str | None, int],
    pool_problem: PoolProblem,
    boot_ram_key: str,
) -> list[PoolAccount]:
    """Carve the host's HugeTLB pools from boot RAM (``on`` None) or from the managed
    System RAM of the kmem devices (``kmem``, by name), in order; add each pool's vmemmap
    DRAM pages and bytes to ``carved``/``carved_bytes`` under what it is carved from."""
    m = host.machine
    arch = m.arch
    s = m.struct_page_size_bytes or arch.struct_page_size
    p = arch.page_size
    boot_bytes = sum(hi - lo for lo, hi in m.system_ram_ranges)
    room: dict[str | None, int] = {None: boot_bytes}
    room.update({name: e.cost.managed_pages * p for name, e in kmem.items()})
    used: dict[str | None, int] = {}
    from vmemplan.hugetlb import hugetlb_pools  # noqa: PLC0415
    from vmemplan.sources.cmdline import HugetlbPool as PoolSpec  # noqa: PLC0415

    pools: list[PoolAccount] = []
    for i, pool in enumerate(host.pools):
        if pool.on is not None and pool.on not in kmem:
            names = ", ".join(repr(n) for n in kmem) or "none"
            pool_problem(
                i,
                "on",
                f"no device onlined as System RAM named {pool.on!r} to carve the pool from "
                f"(such devices: {names})",
            )
            continue
        spec = PoolSpec(pool.page_size_bytes, pool.nr_huge_pages, pool.node)
        used[pool.on] = used.get(pool.on, 0) + spec.folio_bytes * spec.nr_folios
        if used[pool.on] > room[pool.on]:
            where = (
                f"{format_size_exact(room[None])} of boot RAM ({boot_ram_key}) they are carved from"
                if pool.on is None
                else f"{format_size_exact(room[pool.on])} that {pool.on} onlines as managed "
                "System RAM"
            )
            need = format_size_exact(used[pool.on])
            pool_problem(i, "count", f"the pools need {need}, more than the {where}")
            continue
        # A pool on a device whose blocks host their own memmap (memmap_on_memory): the
        # folios' vmemmap is PageVmemmapSelfHosted, and HVO skips them.
        device = kmem.get(pool.on) if pool.on is not None else None
        self_hosted = device is not None and device.cost.blocks_self_hosted > 0
        try:
            (result,) = hugetlb_pools(
                arch,
                m.kernel,
                [spec],
                hvo_enabled=pool.hvo,
                struct_page_size=s,
                self_hosted=self_hosted,
            )
        except InputError as err:
            pool_problem(i, "page_size", err.message)
            continue
        dram_pages = result.vmemmap.dram_pages_unoptimized
        carved[pool.on] = carved.get(pool.on, 0) + dram_pages
        carved_bytes[pool.on] = carved_bytes.get(pool.on, 0) + spec.folio_bytes * spec.nr_folios
        pools.append(PoolAccount(result, p, pool.on, dram_pages))

    return pools


def _table_bytes(machine: HostMachine, acct: Account) -> int:
    sizes: dict[str, int] = {lvl.name: lvl.table_bytes for lvl in machine.arch.levels}
    return sum(n * sizes.get(lvl, 0) for lvl, n in acct.tables.items())


def _boot(m: HostMachine, s: int, pool_pages: int, pool_bytes: int) -> BootAccount:
    """Boot RAM's memmap (sparse_init()) less ``pool_pages``, the vmemmap of the
    ``pool_bytes`` of pools carved from it."""
    machine = boot_machine(m.arch, m.kernel, s, m.system_ram_ranges, fresh=False)
    boot = machine.boot
    memmap = boot.dram_pages - pool_pages
    return BootAccount(
        capacity_bytes=sum(hi - lo for lo, hi in m.system_ram_ranges),
        pool_bytes=pool_bytes,
        sections=sum(hi - lo for lo, hi in machine.early),
        memmap_pages_dram=memmap,
        pagetable_pages=sum(boot.tables.values()),
        dram_bytes=memmap * m.arch.page_size + _table_bytes(m, boot),
    )
