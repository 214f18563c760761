"""The machine part of a live reading: kernel, arch and page size, memory blocks, NUMA
nodes, boot RAM, the switches on the command line, and the kernel's own counters
(live-inspect.md §2.1, §2.2, §2.6, §2.7, §2.9, §2.10).

Every ``*_bytes`` is bytes, every range half-open ``[start, end)`` in bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from vmemplan.errors import InputError
from vmemplan.excerpt import quoted
from vmemplan.kernel.arch import ArchProfile, arch_for_machine, get_arch
from vmemplan.kernel.versions import (
    NEWEST,
    KernelProfile,
    kernel_profile,
    parse_kernel_release,
)
from vmemplan.sources.live.procfs import (
    first_block,
    parse_cmdline,
    parse_int,
    parse_kb_lines,
    parse_node_list,
    parse_vmstat,
    parse_zoneinfo,
)
from vmemplan.sources.live.tree import Tree
from vmemplan.units import KiB, format_size_exact

SNAPSHOT_MANIFEST = "vmemplan-snapshot.json"
# No memory block is larger than this (MAX_BLOCK_SIZE in drivers/base/memory.c is 2 GiB on
# x86; s390 and powerpc use up to 16 GiB): a larger value is not one the kernel prints.
_MAX_BLOCK_BYTES = 1 << 40
MEMORY = "sys/devices/system/memory"
NODES = "sys/devices/system/node"

# hugepages-<kB>kB of the PMD size tell the page size when nothing else does.
_PMD_HUGEPAGE_TO_PAGE_SIZE = {
    2048 * KiB: 4 * KiB,
    32 * 1024 * KiB: 16 * KiB,
    512 * 1024 * KiB: 64 * KiB,
}


@dataclass
class Counters:
    """What the kernel counts itself (None: not readable on this machine)."""

    vmstat: dict[str, int] = field(default_factory=dict)
    meminfo: dict[str, int] = field(default_factory=dict)
    # node -> (present pages, managed pages), summed over its zones
    zones: dict[int, tuple[int, int]] = field(default_factory=dict)
    # node -> MemTotal bytes of nodeN/meminfo
    node_memtotal: dict[int, int] = field(default_factory=dict)


@dataclass
class System:
    """The machine without its devices."""

    release: str
    kernel: KernelProfile
    machine: str  # uname -m
    arch: ArchProfile
    block_size_bytes: int | None
    # block id -> (node or None, online)
    blocks: dict[int, tuple[int | None, bool]]
    boot_ram: tuple[tuple[int, int], ...]
    boot_ram_source: str
    cpu_nodes: list[int]
    nodes: list[int]
    cmdline: dict[str, str]
    counters: Counters
    gbpages: bool | None
    euid: int | None


def read_manifest(tree: Tree) -> dict[str, object]:
    """The snapshot's ``vmemplan-snapshot.json`` ({} if absent or not an object; the
    running machine has none)."""
    if _is_live(tree):
        return {}
    text = tree.read(SNAPSHOT_MANIFEST)
    if text is None:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _is_live(tree: Tree) -> bool:
    root = getattr(tree, "root", None)
    return root == "/"


def read_kernel(tree: Tree, notes: list[str]) -> tuple[str, KernelProfile]:
    """The kernel release (osrelease, else /proc/version) and its switches."""
    release = tree.value("proc/sys/kernel/osrelease")
    if not release:
        version = tree.value("proc/version") or ""
        words = version.split()
        release = words[2] if len(words) > 2 and words[:2] == ["Linux", "version"] else None
    newest = f"{NEWEST[0]}.{NEWEST[1]}"
    if not release:
        notes.append(f"kernel release unreadable (proc/sys/kernel/osrelease): {newest} assumed")
        return newest, kernel_profile(parse_kernel_release(newest))
    try:
        rel = parse_kernel_release(release, "proc/sys/kernel/osrelease")
    except InputError:  # a release the table cannot read
        notes.append(
            f"kernel release {quoted(release)} is not one vmemplan can read: "
            f"the rules of {newest} were assumed"
        )
        return release[:64], kernel_profile(parse_kernel_release(newest))
    return release, kernel_profile(rel)


def read_arch(
    tree: Tree, manifest: dict[str, object], hugepage_sizes: list[int], notes: list[str]
) -> tuple[str, ArchProfile]:
    """``uname -m`` and the page size: the running machine's own, a snapshot's manifest,
    else guessed from /proc/cpuinfo and the PMD-sized HugeTLB pool (with a note)."""
    cpu = first_block(tree.read("proc/cpuinfo", "proc/cpuinfo") or "")
    machine = manifest.get("machine")
    page_size = manifest.get("page_size")
    if _is_live(tree):
        machine, page_size = os.uname().machine, os.sysconf("SC_PAGE_SIZE")
    if not isinstance(machine, str) or not machine:
        if "flags" in cpu and "vendor_id" in cpu:
            machine = "x86_64"
        elif "cpu implementer" in cpu or "features" in cpu:
            machine = "aarch64"
        elif "mmu" in cpu and "cpu" in cpu:
            machine = "ppc64le"
        elif "isa" in cpu:
            machine = "riscv64"
        else:
            machine = "x86_64"
        notes.append(f"uname -m not recorded: {machine} assumed from proc/cpuinfo")
    if not isinstance(page_size, int) or page_size <= 0:
        guessed = next(
            (
                _PMD_HUGEPAGE_TO_PAGE_SIZE[s]
                for s in hugepage_sizes
                if s in _PMD_HUGEPAGE_TO_PAGE_SIZE
            ),
            4 * KiB,
        )
        page_size = guessed
        if machine not in ("x86_64", "riscv64"):
            notes.append(
                f"page size not recorded: {format_size_exact(guessed)} assumed from the "
                "HugeTLB page sizes"
            )
    if machine == "x86_64" and "la57" in cpu.get("flags", "").split():
        return machine, get_arch("x86_64-la57")
    if machine.startswith("ppc64") and cpu.get("mmu", "").lower() == "hash":
        notes.append("powerpc hash MMU: only the radix MMU is modelled; radix assumed")
    name = arch_for_machine(
        machine.replace("ppc64", "ppc64le") if machine == "ppc64" else machine, page_size
    )
    if name is None:
        raise InputError(
            "--root",
            f"{tree.shown}: {quoted(machine)} with {page_size}-byte pages is not an "
            "architecture vmemplan models",
        )
    return machine, get_arch(name)


def read_blocks(
    tree: Tree, notes: list[str], boot_ram: list[tuple[int, int]], section_bytes: int
) -> tuple[int | None, dict[int, tuple[int | None, bool]], list[int], list[int]]:
    """Memory block size, each block's node and state, the nodes and the CPU nodes.

    A block's node comes from the ``nodeM/memoryN`` links (one listing per node, not a
    look into every block). Its state (``memoryN/state``) is read only for the blocks
    outside ``boot_ram``: boot RAM has its memmap from boot whether its blocks are online
    or not, so a machine of 100,000 boot blocks costs two directory listings, not
    100,000 reads."""
    size = parse_int(tree.value(f"{MEMORY}/block_size_bytes"), 16)
    if size is not None and not (
        size >= section_bytes and size & (size - 1) == 0 and size <= _MAX_BLOCK_BYTES
    ):
        notes.append(
            f"{MEMORY}/block_size_bytes reads {size:#x}, not a power of two of at least a "
            "section: ignored (the kernel's choice assumed)"
        )
        size = None
    node_of: dict[int, int] = {}
    nodes = parse_node_list(tree.value(f"{NODES}/online", f"{NODES}/{{online,has_cpu}}"))
    names = tree.listdir(NODES)
    listed = sorted(
        n for name in names if name.startswith("node") and (n := parse_int(name[4:])) is not None
    )
    nodes = nodes or listed
    cpu_nodes = parse_node_list(tree.value(f"{NODES}/has_cpu", f"{NODES}/{{online,has_cpu}}"))
    for node in listed:
        for name in tree.listdir(f"{NODES}/node{node}"):
            if name.startswith("memory"):
                block = parse_int(name[6:])
                if block is not None:
                    node_of[block] = node
    ids = sorted(
        b
        for name in tree.listdir(MEMORY)
        if name.startswith("memory") and (b := parse_int(name[6:])) is not None
    )
    booted = _covered(ids, size, boot_ram) if size else set()
    blocks: dict[int, tuple[int | None, bool]] = {}
    source = f"{MEMORY}/memory*/state"
    for block in ids:
        if block in booted:
            blocks[block] = (node_of.get(block), True)
            continue
        state = tree.value(f"{MEMORY}/memory{block}/state", source)
        blocks[block] = (node_of.get(block), state is None or state == "online")
    if size is None and blocks:
        notes.append(f"{MEMORY}/block_size_bytes unreadable: the kernel's choice is assumed")
    return size, blocks, nodes, cpu_nodes


def _covered(ids: list[int], size: int, ranges: list[tuple[int, int]]) -> set[int]:
    """The block ids (sorted ``ids``) whose block starts inside ``ranges`` (sorted,
    disjoint): one merge, linear in blocks and ranges."""
    out = set()
    i = 0
    for b in ids:
        start = b * size
        while i < len(ranges) and ranges[i][1] <= start:
            i += 1
        if i < len(ranges) and ranges[i][0] <= start:
            out.add(b)
    return out


def read_firmware_ram(tree: Tree) -> list[tuple[int, int]]:
    """The ``System RAM`` entries of /sys/firmware/memmap (``end`` there is inclusive)."""
    out = []
    base = "sys/firmware/memmap"
    for name in tree.listdir(base):
        kind = tree.value(f"{base}/{name}/type", f"{base}/*/{{start,end,type}}")
        if kind != "System RAM":
            continue
        start = parse_int(tree.value(f"{base}/{name}/start", f"{base}/*/{{start,end,type}}"), 16)
        end = parse_int(tree.value(f"{base}/{name}/end", f"{base}/*/{{start,end,type}}"), 16)
        if start is not None and end is not None and end >= start:
            out.append((start, end + 1))
    return _merged(out)


def read_iomem_ram(tree: Tree) -> tuple[list[tuple[int, int]], bool]:
    """Top-level ``System RAM`` lines of /proc/iomem, and whether its addresses were all
    zero (read without CAP_SYS_ADMIN)."""
    text = tree.read("proc/iomem")
    if text is None:
        return [], False
    out = []
    zero = True
    for line in text.splitlines():
        if line.startswith(" "):
            continue
        span, sep, name = line.partition(" : ")
        lo, dash, hi = span.partition("-")
        a, b = parse_int(lo, 16), parse_int(hi, 16)
        if not sep or not dash or a is None or b is None:
            continue
        if a or b:
            zero = False
        if name.strip() == "System RAM" and b >= a:
            out.append((a, b + 1))
    return ([] if zero else _merged(out)), zero


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def block_ranges(blocks: list[int], size: int) -> list[tuple[int, int]]:
    """Runs of consecutive block ids as byte ranges (``phys_index x block_size_bytes``)."""
    out: list[tuple[int, int]] = []
    for b in sorted(blocks):
        lo = b * size
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], lo + size)
        else:
            out.append((lo, lo + size))
    return out


def read_counters(tree: Tree, nodes: list[int]) -> Counters:
    """/proc/vmstat, /proc/meminfo, /proc/zoneinfo and each node's meminfo."""
    c = Counters()
    c.vmstat = parse_vmstat(tree.read("proc/vmstat") or "")
    c.meminfo = parse_kb_lines(tree.read("proc/meminfo") or "")
    c.zones = parse_zoneinfo(tree.read("proc/zoneinfo") or "")
    for node in nodes:
        text = tree.read(f"{NODES}/node{node}/meminfo", f"{NODES}/node*/meminfo")
        if text is not None:
            total = parse_kb_lines(text).get("MemTotal")
            if total is not None:
                c.node_memtotal[node] = total
    return c


def read_cmdline(tree: Tree) -> dict[str, str]:
    """The kernel command line's parameters."""
    return parse_cmdline(tree.read("proc/cmdline") or "")


def euid_of(tree: Tree, manifest: dict[str, object]) -> int | None:
    """Who read the tree: this process for the running machine, else the manifest's."""
    if _is_live(tree):
        return os.geteuid()
    euid = manifest.get("euid")
    return euid if isinstance(euid, int) else None
