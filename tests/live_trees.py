"""Writing trees that mirror ``/`` as live-inspect.md §5 lists them: the fixtures under
tests/data/live/ (``python -m tests.live_trees`` rewrites them) and the benchmark's hosts.

Each file holds what the kernel prints (formats: live-inspect.md §2): decimal sizes, hex
without ``0x`` for ``block_size_bytes`` and ``phys_index``, ``0x`` hex for resources and
firmware memmap, ``Name: value kB`` meminfo lines; links are links, relative as sysfs
makes them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

GiB, MiB = 1 << 30, 1 << 20
LIVE = Path(__file__).resolve().parent / "data" / "live"
MEMORY = "sys/devices/system/memory"
NODES = "sys/devices/system/node"


class Writer:
    """Files and links under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, path: str, text: str) -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text if text.endswith("\n") else text + "\n")

    def link(self, path: str, target: str) -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)


@dataclass
class Machine:
    """A machine's files (everything but its devices)."""

    release: str = "6.12.0"
    machine: str = "x86_64"
    page_size: int = 4096
    euid: int = 0
    # boot RAM: (start, end, node), end exclusive
    boot: list[tuple[int, int, int]] = field(default_factory=lambda: [(0, 4 * GiB, 0)])
    block_bytes: int = 128 * MiB
    cpu_nodes: list[int] = field(default_factory=lambda: [0])
    # extra online blocks (kmem): (first block, count, node)
    hot_blocks: list[tuple[int, int, int]] = field(default_factory=list)
    cmdline: str = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro"
    mom: str | None = "N"
    hvo: int | None = 0
    vmstat: dict[str, int] = field(default_factory=dict)
    memtotal_kb: int = 3_900_000
    # node -> (present, managed); node -> MemTotal kB
    zones: dict[int, tuple[int, int]] = field(default_factory=dict)
    node_memtotal_kb: dict[int, int] = field(default_factory=dict)
    # size kB -> {node: count}
    pools: dict[int, dict[int, int]] = field(default_factory=dict)
    iomem_as_root: bool = True
    direct_map_1g: bool = True
    # what the capture could not read (the manifest's "unreadable")
    unreadable: list[str] = field(default_factory=list)


def _blocks_of(start: int, end: int, block: int) -> range:
    return range(start // block, (end + block - 1) // block)


def write_machine(w: Writer, m: Machine) -> None:
    """The machine part of a tree (live-inspect.md §5, less the devices)."""
    w.file("proc/sys/kernel/osrelease", m.release)
    w.file("proc/version", f"Linux version {m.release} (builder@fixture) #1 SMP")
    w.file("proc/cmdline", m.cmdline)
    w.file(
        "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu pse pdpe1gb lm\n"
        if m.machine == "x86_64"
        else "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n",
    )
    direct = "DirectMap4k:  102400 kB\nDirectMap2M:  4091904 kB\n"
    if m.direct_map_1g:
        direct += "DirectMap1G:  0 kB\n"
    w.file("proc/meminfo", f"MemTotal:  {m.memtotal_kb} kB\nMemFree:  1000000 kB\n{direct}")
    vm = {"nr_free_pages": 250000, **m.vmstat}
    w.file("proc/vmstat", "".join(f"{k} {v}\n" for k, v in vm.items()))
    zone_lines = []
    for node in sorted({n for *_, n in m.boot} | {n for *_, n in m.hot_blocks}):
        present, managed = m.zones.get(node, (0, 0))
        zone_lines.append(
            f"Node {node}, zone   Normal\n  pages free     1000\n        spanned  {present}\n"
            f"        present  {present}\n        managed  {managed}\n"
        )
    w.file("proc/zoneinfo", "".join(zone_lines))
    iomem = []
    for lo, hi, _ in m.boot:
        a, b = (lo, hi - 1) if m.iomem_as_root else (0, 0)
        iomem.append(f"{a:08x}-{b:08x} : System RAM")
    w.file("proc/iomem", "\n".join(iomem))
    if m.hvo is not None:
        w.file("proc/sys/vm/hugetlb_optimize_vmemmap", str(m.hvo))
    for i, (lo, hi, _) in enumerate(m.boot):
        w.file(f"sys/firmware/memmap/{i}/start", f"0x{lo:x}")
        w.file(f"sys/firmware/memmap/{i}/end", f"0x{hi - 1:x}")
        w.file(f"sys/firmware/memmap/{i}/type", "System RAM")
    w.file(f"{MEMORY}/block_size_bytes", f"{m.block_bytes:x}")
    w.file(f"{MEMORY}/auto_online_blocks", "online")
    nodes = sorted({n for *_, n in m.boot} | {n for *_, n in m.hot_blocks})
    blocks = [(b, n) for lo, hi, n in m.boot for b in _blocks_of(lo, hi, m.block_bytes)]
    blocks += [(first + i, n) for first, count, n in m.hot_blocks for i in range(count)]
    for b, n in blocks:
        w.file(f"{MEMORY}/memory{b}/state", "online")
        w.file(f"{MEMORY}/memory{b}/phys_index", f"{b:08x}")
        w.file(f"{MEMORY}/memory{b}/valid_zones", "Normal")
        w.link(f"{MEMORY}/memory{b}/node{n}", f"../../node/node{n}")
        w.link(f"{NODES}/node{n}/memory{b}", f"../../memory/memory{b}")
    span = ",".join(str(n) for n in nodes)
    w.file(f"{NODES}/online", span)
    w.file(f"{NODES}/possible", span)
    w.file(f"{NODES}/has_memory", span)
    w.file(f"{NODES}/has_normal_memory", span)
    w.file(f"{NODES}/has_cpu", ",".join(str(n) for n in m.cpu_nodes))
    for n in nodes:
        w.file(f"{NODES}/node{n}/cpulist", "0-3" if n in m.cpu_nodes else "")
        total = m.node_memtotal_kb.get(n, 1_000_000)
        w.file(f"{NODES}/node{n}/meminfo", f"Node {n} MemTotal:  {total} kB\n")
    for kb, per_node in sorted(m.pools.items()):
        d = f"sys/kernel/mm/hugepages/hugepages-{kb}kB"
        w.file(f"{d}/nr_hugepages", str(sum(per_node.values())))
        w.file(f"{d}/free_hugepages", str(sum(per_node.values())))
        for n in nodes:
            nd = f"{NODES}/node{n}/hugepages/hugepages-{kb}kB"
            w.file(f"{nd}/nr_hugepages", str(per_node.get(n, 0)))
            w.file(f"{nd}/free_hugepages", str(per_node.get(n, 0)))
            w.file(f"{nd}/surplus_hugepages", "0")
    if m.mom is not None:
        w.file("sys/module/memory_hotplug/parameters/memmap_on_memory", m.mom)
    w.file(
        "vmemplan-snapshot.json",
        json.dumps(
            {
                "machine": m.machine,
                "page_size": m.page_size,
                "euid": m.euid,
                "unreadable": m.unreadable,
                "fixture": True,
            },
            indent=2,
        ),
    )


def pmem_namespace(
    w: Writer,
    *,
    region: int,
    ns: int,
    size: int,
    start: int | None,
    mode: str,
    map_: str,
    align: int,
    data: int,
    dax_driver: str | None = "device_dax",
    dax_mom: int = 0,
) -> None:
    """A pmem namespace claimed by a pfn (``mode`` memory, fsdax) or nd dax device
    (``mode`` dax), with its dax-bus device in dax mode (whose ``driver`` is
    ``dax_driver``; None: unbound)."""
    region_dir = f"sys/devices/LNXSYSTM:00/ndbus0/region{region}"
    nsname = f"namespace{region}.{ns}"
    holder = f"{'pfn' if mode == 'memory' else 'dax'}{region}.{ns}"
    nsd = f"{region_dir}/{nsname}"
    w.file(f"{nsd}/size", str(size))
    w.file(f"{nsd}/mode", mode)
    w.file(f"{nsd}/holder", holder)
    w.file(f"{nsd}/holder_class", "pfn" if mode == "memory" else "dax")
    w.file(f"{nsd}/numa_node", "0")
    if start is not None:
        w.file(f"{nsd}/resource", f"0x{start:x}")
    w.link(
        f"sys/bus/nd/devices/{nsname}",
        f"../../../devices/LNXSYSTM:00/ndbus0/region{region}/{nsname}",
    )
    hd = f"{region_dir}/{holder}"
    w.file(f"{hd}/mode", {"mem": "ram", "dev": "pmem"}[map_])
    w.file(f"{hd}/align", str(align))
    w.file(f"{hd}/size", str(data))
    w.file(f"{hd}/namespace", nsname)
    w.link(
        f"sys/bus/nd/devices/{holder}",
        f"../../../devices/LNXSYSTM:00/ndbus0/region{region}/{holder}",
    )
    if mode != "dax":
        return
    dax = f"dax{region}.{ns}"
    dd = f"{hd}/{dax}"
    w.file(f"{dd}/size", str(data))
    w.file(f"{dd}/align", str(align))
    w.file(f"{dd}/target_node", "0")
    w.file(f"{dd}/memmap_on_memory", str(dax_mom))
    if start is not None:
        w.file(f"{dd}/resource", f"0x{start + size - data:x}")
    if dax_driver is not None:
        w.link(f"{dd}/driver", f"../../../../../../bus/dax/drivers/{dax_driver}")
    w.file(f"{hd}/dax_region/id", str(region))
    w.file(f"{hd}/dax_region/size", str(data))
    w.link(
        f"sys/bus/dax/devices/{dax}",
        f"../../../devices/LNXSYSTM:00/ndbus0/region{region}/{holder}/{dax}",
    )


def dynamic_dax(
    w: Writer,
    *,
    name: str,
    size: int,
    start: int | None,
    node: int,
    driver: str,
    mom: int,
    cxl_region: int | None = None,
    align: int = 2 * MiB,
) -> None:
    """An hmem or CXL dax device (``cxl_region``: under that region's dax region, with the
    region's 0444 ``resource`` and ``size``)."""
    if cxl_region is None:
        parent = "sys/devices/platform/hmem.0"
    else:
        region = f"region{cxl_region}"
        parent = f"sys/devices/platform/ACPI0017:00/root0/decoder0.0/{region}/dax_{region}"
        rd = f"sys/devices/platform/ACPI0017:00/root0/decoder0.0/{region}"
        if start is not None:
            w.file(f"{rd}/resource", f"0x{start:x}")
        w.file(f"{rd}/size", f"0x{size:x}")
        w.file(f"{rd}/mode", "ram")
        w.file(f"{rd}/commit", "1")
        w.link(
            f"sys/bus/cxl/devices/{region}",
            f"../../../devices/platform/ACPI0017:00/root0/decoder0.0/{region}",
        )
    dd = f"{parent}/{name}"
    w.file(f"{dd}/size", str(size))
    w.file(f"{dd}/align", str(align))
    w.file(f"{dd}/target_node", str(node))
    w.file(f"{dd}/numa_node", "0")
    w.file(f"{dd}/memmap_on_memory", str(mom))
    w.link(f"{dd}/driver", f"../../../../bus/dax/drivers/{driver}")
    w.file(f"{parent}/dax_region/id", name[3:].split(".", maxsplit=1)[0])
    w.file(f"{parent}/dax_region/size", str(size))
    depth = parent.count("/") + 1
    w.link(
        f"sys/bus/dax/devices/{name}", "../../../" + "/".join(parent.split("/")[1:]) + f"/{name}"
    )
    del depth


def dax_mapping(w: Writer, device_dir: str, ranges: list[tuple[int, int]]) -> None:
    """``mappingN/{start,end,page_offset}`` (root only) of a dax device."""
    offset = 0
    for i, (lo, hi) in enumerate(ranges):
        w.file(f"{device_dir}/mapping{i}/start", f"0x{lo:x}")
        w.file(f"{device_dir}/mapping{i}/end", f"0x{hi - 1:x}")
        w.file(f"{device_dir}/mapping{i}/page_offset", f"0x{offset:x}")
        offset += (hi - lo) // 4096


def fresh(name: str) -> Writer:
    """A new, empty fixture directory tests/data/live/NAME."""
    root = LIVE / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return Writer(root)


def _boot_vmstat(extra: dict[str, int] | None = None) -> dict[str, int]:
    # 4 GiB of boot RAM: 32 sections x 512 memmap pages
    return {"nr_memmap_boot_pages": 16384, "nr_memmap_pages": 0, **(extra or {})}


def write_fixtures() -> None:
    """Every fixture of tests/data/live/ (their figures: tests/cli/test_inspect_fixtures.py)."""
    ns_start, size = 8 * GiB, 16 * GiB
    # devdax and fsdax namespaces of 16 GiB at 8 GiB, 2 MiB aligned, read as root
    for name, mode, map_, data, pages in (
        ("devdax-map-mem", "dax", "mem", size - 2 * MiB, 65536),
        ("devdax-map-dev", "dax", "dev", size - 2 * MiB - 256 * MiB, 65536),
        ("fsdax", "memory", "dev", size - 2 * MiB - 256 * MiB, 65536),
    ):
        w = fresh(name)
        write_machine(w, Machine(vmstat=_boot_vmstat({"nr_memmap_pages": pages})))
        pmem_namespace(
            w,
            region=0,
            ns=0,
            size=size,
            start=ns_start,
            mode=mode,
            map_=map_,
            align=2 * MiB,
            data=data,
        )
    # the same devdax namespace captured without root: no resource, iomem zero
    w = fresh("no-root")
    write_machine(
        w,
        Machine(
            euid=1000,
            iomem_as_root=False,
            vmstat=_boot_vmstat({"nr_memmap_pages": 65536}),
            unreadable=[
                "sys/bus/nd/devices/namespace0.0/resource",
                "sys/bus/dax/devices/dax0.0/resource",
            ],
        ),
    )
    pmem_namespace(
        w,
        region=0,
        ns=0,
        size=size,
        start=None,
        mode="dax",
        map_="mem",
        align=2 * MiB,
        data=size - 2 * MiB,
    )
    # 16 GiB of hmem at 8 GiB onlined by kmem into CPU-less node 1 (blocks 64-191)
    kmem_blocks = [(64, 128, 1)]
    for name, mom, hosted, pools, vm_pages in (
        ("kmem-memmap-in-dram", 0, 0, {}, 65536),
        ("kmem-memmap-on-memory", 1, 128 * 512, {}, 65536),
        ("hugetlb-on-kmem", 0, 0, {1048576: {1: 4}}, 65536 - 4 * 4096 + 4),
    ):
        w = fresh(name)
        present = 128 * 32768
        write_machine(
            w,
            Machine(
                hot_blocks=kmem_blocks,
                mom="Y" if mom else "N",
                hvo=1 if pools else 0,
                pools=pools,
                vmstat=_boot_vmstat({"nr_memmap_pages": vm_pages}),
                zones={0: (1048576, 1000000), 1: (present, present - hosted)},
                node_memtotal_kb={1: (present - hosted) * 4},
            ),
        )
        dynamic_dax(w, name="dax0.0", size=size, start=ns_start, node=1, driver="kmem", mom=mom)
        dax_mapping(w, "sys/devices/platform/hmem.0/dax0.0", [(ns_start, ns_start + size)])
    # a 16 GiB CXL region at 64 GiB onlined by kmem with memmap_on_memory (CXL's default),
    # captured without root: the range comes from regionN/resource (0444)
    w = fresh("cxl-kmem")
    present = 128 * 32768
    write_machine(
        w,
        Machine(
            euid=1000,
            iomem_as_root=False,
            hot_blocks=[(512, 128, 1)],
            mom="Y",
            vmstat=_boot_vmstat({"nr_memmap_pages": 65536}),
            zones={0: (1048576, 1000000), 1: (present, present - 128 * 512)},
            node_memtotal_kb={1: (present - 128 * 512) * 4},
        ),
    )
    dynamic_dax(
        w, name="dax0.0", size=size, start=64 * GiB, node=1, driver="kmem", mom=1, cxl_region=0
    )
    # HugeTLB: 512 x 2 MiB on node 0 of 4 GiB boot RAM
    for name, hvo, boot_pages, pages in (
        ("hugetlb-hvo-on", 1, 16384 - 512 * 8, 512),
        ("hugetlb-hvo-off", 0, 16384, 0),
        # HVO turned on after the pool was built: nothing was freed
        ("hugetlb-hvo-toggled", 1, 16384, 0),
    ):
        w = fresh(name)
        write_machine(
            w,
            Machine(
                hvo=hvo,
                pools={2048: {0: 512}},
                vmstat={"nr_memmap_boot_pages": boot_pages, "nr_memmap_pages": pages},
            ),
        )
    # two NUMA nodes of 4 GiB each, 256 x 2 MiB pages on each, HVO on
    w = fresh("two-nodes")
    write_machine(
        w,
        Machine(
            boot=[(0, 4 * GiB, 0), (4 * GiB, 8 * GiB, 1)],
            cpu_nodes=[0, 1],
            hvo=1,
            pools={2048: {0: 256, 1: 256}},
            vmstat={"nr_memmap_boot_pages": 32768 - 512 * 8, "nr_memmap_pages": 512},
        ),
    )


if __name__ == "__main__":
    write_fixtures()
