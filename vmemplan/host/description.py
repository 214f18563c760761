"""A host as the kernel sees it: frozen value objects, no figures.

Every source (command-line flags, config files, ndctl/daxctl dumps, /proc/iomem) builds a
``Host``; only ``vmemplan.host.accounting.account()`` costs one. Sizes are bytes, ranges
are half-open ``[start, end)`` in bytes. This module imports nothing heavier than the
kernel profiles (``estimate --json`` start-up pays for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from vmemplan.kernel.arch import ArchProfile, LinearMap
    from vmemplan.kernel.memory_hotplug import MemmapOnMemory
    from vmemplan.kernel.versions import KernelProfile

Driver = Literal["device_dax", "kmem", "fsdev_dax"]
NamespaceMode = Literal["devdax", "fsdax"]
MapMode = Literal["mem", "dev"]


class HostMachine(NamedTuple):
    """The machine before any device: arch, kernel (with its switches), boot RAM."""

    arch: ArchProfile
    kernel: KernelProfile
    # boot System RAM, [start, end) bytes, sorted and disjoint
    system_ram_ranges: tuple[tuple[int, int], ...]
    # the NUMA node of each boot RAM range (None: not known); () when no source says
    system_ram_nodes: tuple[int | None, ...] = ()
    struct_page_size_bytes: int | None = None  # None: the arch's sizeof(struct page)
    # picoseconds per struct page initialised, (low, high); None: the calibrated default
    init_ps_per_struct_page: tuple[int, int] | None = None
    memory_block_size_bytes: int | None = None  # None: as memory_block_size_bytes() picks
    linear_map: LinearMap | None = None  # None: the arch profile's
    gbpages: bool | None = None  # x86 direct_gbpages; None: on


class DaxDevice(NamedTuple):
    """A dax device (/dev/daxX.Y): its ranges and the driver bound to it.

    ``device_dax`` and ``fsdev_dax`` map it with a dev_pagemap (memremap_pages()); ``kmem``
    hot-adds it as System RAM (add_memory_driver_managed()), each memory block with its
    memmap on itself when ``memmap_on_memory`` allows it."""

    name: str
    ranges: tuple[tuple[int, int], ...]  # [start, end) bytes
    driver: Driver = "device_dax"
    align_bytes: int | None = None  # None: the arch's PMD_SIZE
    vmemmap_shift: int | None = None
    memmap_on_memory: MemmapOnMemory = "off"
    node: int | None = None


class PmemNamespace(NamedTuple):
    """A pmem namespace in fsdax or devdax mode, with its pfn/dax info block (``map``:
    where the struct pages go) and, in devdax mode, the dax device a driver holds in it
    (``dax``: None means device_dax over the namespace's data area)."""

    name: str
    start: int
    size_bytes: int
    mode: NamespaceMode = "devdax"
    map: MapMode = "mem"
    align_bytes: int | None = None  # None: the arch's PMD_SIZE
    vmemmap_shift: int | None = None
    dax: DaxDevice | None = None


class HugetlbPool(NamedTuple):
    """``nr_huge_pages`` HugeTLB pages of ``page_size_bytes`` on ``node`` (None: any), carved from
    boot RAM (``on`` None) or from the System RAM a kmem dax device onlined (``on``: its
    name); ``hvo``: hugetlb_free_vmemmap for this pool."""

    page_size_bytes: int
    nr_huge_pages: int
    node: int | None = None
    hvo: bool = True
    on: str | None = None


Device = PmemNamespace | DaxDevice


class Host(NamedTuple):
    """One machine: its boot RAM, its devices in the order they are probed, its pools."""

    machine: HostMachine
    devices: tuple[Device, ...] = ()
    pools: tuple[HugetlbPool, ...] = ()


def is_hot_added(device: Device) -> bool:
    """Whether kmem onlines the device as System RAM (else it is a dev_pagemap)."""
    dax = device if isinstance(device, DaxDevice) else device.dax
    return dax is not None and dax.driver == "kmem"
