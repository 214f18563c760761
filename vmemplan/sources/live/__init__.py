"""The running machine (or a snapshot of one) as a source: ``read_live(tree)`` reads the
files of live-inspect.md under a root that mirrors ``/`` and builds a ``Host``, with the
notes of what it could not read and what it assumed instead. It never writes.

What it assumes, in order of preference (each with a note when it applies):

- boot RAM: ``/sys/firmware/memmap`` ``System RAM`` (0444), else /proc/iomem's when its
  addresses are real (CAP_SYS_ADMIN), else the online memory blocks that no kmem device
  holds (``phys_index x block_size_bytes``);
- a pmem namespace's start: its ``resource`` (root); without it, the namespaces are placed
  one after the other above boot RAM, each on the next 1 GiB boundary;
- a kmem device's ranges: ``mappingN`` (root); else its CXL region's ``resource`` (0444);
  else the online blocks of its ``target_node`` that boot RAM does not hold;
- a HugeTLB pool is carved from a kmem device when its node holds only that device's
  memory, else from boot RAM; HVO is the ``hugetlb_optimize_vmemmap`` sysctl (the pages
  were allocated while it had its current value).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from vmemplan.host.description import (
    DaxDevice,
    Device,
    Driver,
    Host,
    HostMachine,
    HugetlbPool,
    PmemNamespace,
)
from vmemplan.kernel.memory_hotplug import KMEM_MEMMAP_ON_MEMORY_SINCE, MemmapOnMemory
from vmemplan.sources.live.devices import (
    DaxBusDevice,
    NdNamespace,
    read_cxl_regions,
    read_dax_devices,
    read_namespaces,
)
from vmemplan.sources.live.procfs import cmdline_bool, parse_int
from vmemplan.sources.live.system import (
    Counters,
    System,
    _covered,
    _merged,
    block_ranges,
    euid_of,
    read_arch,
    read_blocks,
    read_cmdline,
    read_counters,
    read_firmware_ram,
    read_iomem_ram,
    read_kernel,
    read_manifest,
)
from vmemplan.sources.live.tree import Tree
from vmemplan.units import GiB, align_up, format_size_exact

HUGEPAGES = "sys/kernel/mm/hugepages"
MOM_PARAM = "sys/module/memory_hotplug/parameters/memmap_on_memory"
HVO_SYSCTL = "proc/sys/vm/hugetlb_optimize_vmemmap"
# Linux kernel commit 73954d379efd ("dax: add a sysfs knob to control memmap_on_memory
# behavior") (in v6.9, spec corrections item 8): the per-device attribute.
DAX_MEMMAP_ON_MEMORY_ATTR_SINCE = (6, 9)


@dataclass
class LiveReading:
    """A host read from a tree, and what the reading itself found out."""

    host: Host
    system: System
    notes: list[str]
    # node -> the kmem devices whose memory it holds, for nodes holding no boot RAM
    kmem_nodes: dict[int, list[str]] = field(default_factory=dict)
    mom_param: str | None = None
    hvo_sysctl: bool | None = None
    cmdline_switches: dict[str, str] = field(default_factory=dict)

    @property
    def counters(self) -> Counters:
        """The kernel's own counters."""
        return self.system.counters


# The command-line parameters that change the model (live-inspect.md §2.2).
CMDLINE_SWITCHES = (
    "memory_hotplug.memmap_on_memory",
    "memhp_default_state",
    "movable_node",
    "kernelcore",
    "movablecore",
    "hugetlb_free_vmemmap",
    "hugepages",
    "hugepagesz",
    "default_hugepagesz",
    "hugetlb_cma",
    "memmap",
    "efi",
    "nosoftreserve",
    "nogbpages",
    "rodata",
    "kfence.sample_interval",
    "mem",
)


def _mom_mode(param: str | None) -> MemmapOnMemory:
    if param is None:
        return "off"
    p = param.strip().lower()
    if p == "force":
        return "force"
    return "on" if p in ("y", "1", "on") else "off"


def read_live(tree: Tree) -> LiveReading:
    """Read ``tree`` into a host (see the module doc for what is assumed)."""
    notes: list[str] = [
        "sizeof(struct page) is not readable from userspace: 64 bytes assumed (the "
        "distribution kernels' size; nr_memmap_boot_pages below checks it)"
    ]
    manifest = read_manifest(tree)
    unreadable = manifest.get("unreadable")
    if isinstance(unreadable, list) and unreadable:
        euid = manifest.get("euid")
        shown = ", ".join(str(p)[:120] for p in unreadable[:20])
        more = f" and {len(unreadable) - 20:,} more" if len(unreadable) > 20 else ""
        notes.append(
            f"the snapshot was captured {'without root ' if euid != 0 else ''}and could not "
            f"read: {shown}{more}"
        )
    release, kernel = read_kernel(tree, notes)
    pool_dirs = [
        (size, name)
        for name in tree.listdir(HUGEPAGES)
        if name.startswith("hugepages-") and name.endswith("kB")
        for size in [parse_int(name[10:-2])]
        if size is not None
    ]
    machine, arch = read_arch(tree, manifest, [s * 1024 for s, _ in pool_dirs], notes)
    firmware = _below(read_firmware_ram(tree), 1 << arch.max_physmem_bits, notes)
    iomem, iomem_zero = read_iomem_ram(tree)
    iomem = _below(iomem, 1 << arch.max_physmem_bits, notes)
    section = arch.pages_per_section * arch.page_size
    block_size, blocks, nodes, cpu_nodes = read_blocks(tree, notes, firmware or iomem, section)
    cmdline = read_cmdline(tree)
    counters = read_counters(tree, nodes)
    meminfo = counters.meminfo
    gbpages: bool | None = None
    if arch.name.startswith("x86_64") and "DirectMap2M" in meminfo:
        # arch_report_meminfo() prints DirectMap1G only if direct_gbpages
        gbpages = "DirectMap1G" in meminfo

    namespaces = read_namespaces(tree)
    daxes = read_dax_devices(tree)
    cxl = read_cxl_regions(tree)

    # -- boot RAM ------------------------------------------------------------------------
    mb = block_size or arch.pages_per_section * arch.page_size
    kmem_devs = [d for d in daxes if d.driver == "kmem"]
    kmem_known = [r for d in kmem_devs for r in (d.ranges or ())]
    if firmware:
        boot, boot_source = firmware, "sys/firmware/memmap"
    elif iomem:
        boot, boot_source = iomem, "proc/iomem"
    else:
        kmem_target_nodes = {d.target_node for d in kmem_devs if d.ranges is None}
        own = [
            b
            for b, (node, online) in blocks.items()
            if online
            and not any(lo <= b * mb < hi for lo, hi in kmem_known)
            and not (node in kmem_target_nodes and node not in cpu_nodes)
        ]
        boot, boot_source = block_ranges(own, mb), f"{'sys/devices/system/memory'} blocks"
        if iomem_zero:
            notes.append(
                "proc/iomem addresses are all zero (read without CAP_SYS_ADMIN) and "
                "sys/firmware/memmap is absent: boot RAM rebuilt from the online memory "
                "blocks no kmem device holds"
            )
        elif blocks:
            notes.append("boot RAM rebuilt from the online memory blocks no kmem device holds")
    if not boot:
        total = meminfo.get("MemTotal", 0)
        boot = [(0, align_up(max(total, 1), GiB))]
        boot_source = "proc/meminfo MemTotal"
        notes.append(
            f"no memory map readable: boot RAM assumed to be 0-{format_size_exact(boot[0][1])} "
            "(MemTotal rounded up to 1 GiB)"
        )
    boot = _split_by_node(boot, blocks, mb)
    boot_nodes = tuple(_node_of(lo, hi, blocks, mb) for lo, hi in boot)

    system = System(
        release=release,
        kernel=kernel,
        machine=machine,
        arch=arch,
        block_size_bytes=block_size,
        blocks=blocks,
        boot_ram=tuple(boot),
        boot_ram_source=boot_source,
        cpu_nodes=cpu_nodes,
        nodes=nodes,
        cmdline=cmdline,
        counters=counters,
        gbpages=gbpages,
        euid=euid_of(tree, manifest),
    )
    host_machine = HostMachine(
        arch=arch,
        kernel=kernel,
        system_ram_ranges=tuple(boot),
        system_ram_nodes=boot_nodes,
        memory_block_size_bytes=block_size,
        gbpages=gbpages,
    )

    # -- devices ------------------------------------------------------------------------
    mom_param = tree.value(MOM_PARAM)
    mom_global = _mom_mode(mom_param)
    cursor = align_up(max(hi for _, hi in boot), GiB)
    devices: list[Device] = []
    pmem_dax: dict[str, NdNamespace] = {}
    unplaced: list[str] = []
    for ns in namespaces:
        if ns.mode not in ("memory", "dax") or ns.holder is None:
            if ns.mode in ("memory",) and ns.holder is None:
                notes.append(f"{ns.name}: mode memory without a pfn device: not modelled")
            continue
        start = ns.start
        if start is None:
            start = cursor
            unplaced.append(ns.name)
        cursor = max(cursor, align_up(start + ns.size_bytes, GiB))
        dev = PmemNamespace(
            ns.name,
            start,
            ns.size_bytes,
            "fsdax" if ns.mode == "memory" else "devdax",
            "dev" if ns.map == "dev" else "mem",
            align_bytes=ns.align_bytes,
        )
        if ns.mode == "dax":
            region, _, nsid = ns.name[len("namespace") :].partition(".")
            pmem_dax[f"dax{region}.{nsid}"] = ns
            bus = next((d for d in daxes if d.name == f"dax{region}.{nsid}"), None)
            if bus is not None and bus.driver is None:
                notes.append(f"{bus.name} (on {ns.name}) has no driver bound: no memmap")
                continue
            if bus is not None and bus.driver in ("kmem", "fsdev_dax"):
                data = bus.size_bytes
                ranges = bus.ranges or ((start + ns.size_bytes - data, start + ns.size_bytes),)
                mom = _device_mom(bus, mom_global, kernel.version, notes)
                driver: Driver = "kmem" if bus.driver == "kmem" else "fsdev_dax"
                dev = dev._replace(
                    dax=DaxDevice(
                        bus.name,
                        ranges,
                        driver,
                        align_bytes=bus.align_bytes,
                        memmap_on_memory=mom,
                        node=bus.target_node,
                    )
                )
        devices.append(dev)
    if unplaced:
        notes.append(
            f"namespace addresses unreadable without root ({', '.join(unplaced)}): placed one "
            "after the other above boot RAM, each on the next 1 GiB boundary (section "
            "aligned); start_pad and end_trunc assumed 0"
        )

    kmem_nodes: dict[int, list[str]] = {}
    ids = sorted(blocks)
    boot_blocks = _covered(ids, mb, boot)
    for bus in daxes:
        if bus.name in pmem_dax:
            continue
        if bus.driver is None:
            notes.append(f"{bus.name} has no driver bound: no memmap")
            continue
        spans = bus.ranges
        if spans is None and bus.cxl_region in cxl:
            spans = (cxl[bus.cxl_region],)
            notes.append(
                f"{bus.name}: range taken from {bus.cxl_region}/resource "
                "(one device spans the region)"
            )
        if spans is None and bus.driver == "kmem" and bus.target_node is not None:
            held = sorted(r for d in devices if isinstance(d, DaxDevice) for r in d.ranges)
            taken = _covered(ids, mb, _merged(held))
            mine = sorted(
                b
                for b, (node, online) in blocks.items()
                if node == bus.target_node and online and b not in boot_blocks and b not in taken
            )[: -(-bus.size_bytes // mb)]
            if mine:
                spans = tuple(block_ranges(mine, mb))
                notes.append(
                    f"{bus.name}: ranges rebuilt from the {len(mine):,} online memory blocks of "
                    f"node {bus.target_node} (mappingN is root only)"
                )
        if spans is None:
            start = cursor
            spans = ((start, start + bus.size_bytes),)
            cursor = align_up(start + bus.size_bytes, GiB)
            notes.append(f"{bus.name}: address unreadable: placed at {format_size_exact(start)}")
        kind: Driver = (
            "kmem"
            if bus.driver == "kmem"
            else "fsdev_dax"
            if bus.driver == "fsdev_dax"
            else "device_dax"
        )
        mom = _device_mom(bus, mom_global, kernel.version, notes) if kind == "kmem" else "off"
        devices.append(
            DaxDevice(
                bus.name,
                spans,
                kind,
                align_bytes=bus.align_bytes,
                memmap_on_memory=mom,
                node=bus.target_node,
            )
        )
        if (
            kind == "kmem"
            and bus.target_node is not None
            and bus.target_node not in cpu_nodes
            and bus.target_node not in boot_nodes
        ):
            kmem_nodes.setdefault(bus.target_node, []).append(bus.name)

    # -- HugeTLB pools --------------------------------------------------------------------
    hvo_text = tree.value(HVO_SYSCTL)
    hvo = cmdline_bool(hvo_text) if hvo_text is not None else None
    if hvo is None:
        hvo = bool(cmdline_bool(cmdline.get("hugetlb_free_vmemmap")))
        notes.append(
            f"{HVO_SYSCTL} absent (HVO not built, or not possible on this machine): HVO "
            + ("from hugetlb_free_vmemmap=" if "hugetlb_free_vmemmap" in cmdline else "off")
        )
    pools = _pools(tree, [s for s, _ in pool_dirs], nodes, hvo, kmem_nodes, notes)
    if any(p.nr_huge_pages for p in pools):
        notes.append(
            "HVO applies to the huge pages allocated while hugetlb_optimize_vmemmap was on: "
            "every page of the pools is assumed allocated with its current value"
        )
    host = Host(host_machine, tuple(devices), tuple(p for p in pools if p.nr_huge_pages))
    return LiveReading(
        host=host,
        system=system,
        notes=notes,
        kmem_nodes=kmem_nodes,
        mom_param=mom_param,
        hvo_sysctl=hvo if hvo_text is not None else None,
        cmdline_switches={k: v for k, v in cmdline.items() if k in CMDLINE_SWITCHES},
    )


def _below(ranges: list[tuple[int, int]], limit: int, notes: list[str]) -> list[tuple[int, int]]:
    """``ranges`` cut at ``limit`` (1 << MAX_PHYSMEM_BITS): no RAM lies above it."""
    out = [(lo, min(hi, limit)) for lo, hi in ranges if lo < limit]
    if out != ranges:
        notes.append(f"memory map entries above {limit:#x} (MAX_PHYSMEM_BITS) were ignored")
    return out


def _split_by_node(
    ranges: list[tuple[int, int]], blocks: dict[int, tuple[int | None, bool]], mb: int
) -> list[tuple[int, int]]:
    """``ranges`` cut where the node of their memory blocks changes: one pass over the
    blocks listed (never over the range's size)."""
    if not blocks:
        return ranges
    ids = sorted(blocks)
    out = []
    for lo, hi in ranges:
        start, node = lo, None
        for b in ids[bisect_left(ids, lo // mb) : bisect_left(ids, -(-hi // mb))]:
            n = blocks[b][0]
            if n is None:
                continue
            cut = max(b * mb, lo)
            if node is not None and n != node and cut > start:
                out.append((start, cut))
                start = cut
            node = n
        out.append((start, hi))
    return out


def _node_of(lo: int, hi: int, blocks: dict[int, tuple[int | None, bool]], mb: int) -> int | None:
    """The node of the blocks of ``[lo, hi)`` when they agree (None: mixed or unknown)."""
    seen = {blocks[b][0] for b in (lo // mb, (hi - 1) // mb) if b in blocks}
    return seen.pop() if len(seen) == 1 else None


def _device_mom(
    bus: DaxBusDevice, mom_global: MemmapOnMemory, version: tuple[int, int], notes: list[str]
) -> MemmapOnMemory:
    """Whether kmem asked for memmap_on_memory for this device, and the parameter allows
    it: the attribute from v6.9; before it, v6.8 kmem asks for CXL regions only."""
    if bus.memmap_on_memory is not None:
        return mom_global if bus.memmap_on_memory else "off"
    if version >= DAX_MEMMAP_ON_MEMORY_ATTR_SINCE:
        notes.append(f"{bus.name}/memmap_on_memory unreadable: off assumed")
        return "off"
    if version >= KMEM_MEMMAP_ON_MEMORY_SINCE and bus.region == "cxl":
        return mom_global
    return "off"


def _pools(
    tree: Tree,
    sizes_kb: list[int],
    nodes: list[int],
    hvo: bool,
    kmem_nodes: dict[int, list[str]],
    notes: list[str],
) -> list[HugetlbPool]:
    """HugeTLB pools per size and node (per node where the node files say it)."""
    out: list[HugetlbPool] = []
    for kb in sorted(sizes_kb):
        name = f"hugepages-{kb}kB"
        per_node = []
        for node in nodes:
            n = parse_int(
                tree.value(
                    f"sys/devices/system/node/node{node}/hugepages/{name}/nr_hugepages",
                    "sys/devices/system/node/node*/hugepages/hugepages-*/nr_hugepages",
                )
            )
            if n is not None:
                per_node.append((node, n))
        if per_node:
            for node, n in per_node:
                on = None
                owners = kmem_nodes.get(node, [])
                if len(owners) == 1:
                    on = owners[0]
                elif len(owners) > 1:
                    notes.append(
                        f"node {node} holds several kmem devices: its {name} pool is "
                        f"assumed carved from {owners[0]}"
                    )
                    on = owners[0]
                out.append(HugetlbPool(kb * 1024, n, node, hvo, on))
            continue
        n = parse_int(
            tree.value(f"{HUGEPAGES}/{name}/nr_hugepages", f"{HUGEPAGES}/hugepages-*/nr_hugepages")
        )
        if n:
            out.append(HugetlbPool(kb * 1024, n, None, hvo))
    return out
