"""``inspect --save``: a snapshot of the files of live-inspect.md §5, and nothing else.

Like sos report, it collects named files only, and lists in the capture what is in it
(``vmemplan-snapshot.json``: who captured it, the machine, each file kept, each file that
could not be read). Every file lands at its real path; every link met on the way
(``sys/bus/dax/devices/dax0.0``, ``driver``, ``nodeM/memoryN``) is kept as a link with its
own target, so the snapshot reads as the machine did. Text only: ``proc/config.gz`` is
left out (``boot/config-<release>`` is kept when readable). The output is a new directory
or a new ``.tar.gz``; an existing path is refused, and nothing else is ever written.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from dataclasses import dataclass, field

from vmemplan import __version__
from vmemplan.errors import InputError
from vmemplan.excerpt import excerpt
from vmemplan.sources.live.tree import Tree

MANIFEST = "vmemplan-snapshot.json"

_PROC = (
    "proc/sys/kernel/osrelease",
    "proc/version",
    "proc/cmdline",
    "proc/cpuinfo",
    "proc/meminfo",
    "proc/vmstat",
    "proc/zoneinfo",
    "proc/iomem",
    "proc/sys/vm/hugetlb_optimize_vmemmap",
)
# (directory, entry prefix, files of each entry); "" prefix: the directory's own files
_GLOBS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sys/firmware/memmap", "", ("start", "end", "type")),
    ("sys/devices/system/memory", "memory", ("state", "phys_index", "valid_zones")),
    ("sys/devices/system/node", "node", ("meminfo", "cpulist")),
    (
        "sys/kernel/mm/hugepages",
        "hugepages-",
        (
            "nr_hugepages",
            "free_hugepages",
            "resv_hugepages",
            "surplus_hugepages",
            "nr_overcommit_hugepages",
        ),
    ),
    (
        "sys/bus/nd/devices",
        "namespace",
        ("size", "mode", "holder", "holder_class", "resource", "numa_node", "target_node"),
    ),
    (
        "sys/bus/nd/devices",
        "pfn",
        ("mode", "align", "size", "resource", "namespace", "supported_alignments"),
    ),
    (
        "sys/bus/nd/devices",
        "dax",
        ("mode", "align", "size", "resource", "namespace", "supported_alignments"),
    ),
    (
        "sys/bus/nd/devices",
        "region",
        ("size", "align", "resource", "available_size", "numa_node", "target_node"),
    ),
    (
        "sys/bus/dax/devices",
        "dax",
        (
            "size",
            "align",
            "target_node",
            "numa_node",
            "resource",
            "memmap_on_memory",
            "state",
            "hotplug",
            "../dax_region/id",
            "../dax_region/size",
            "../dax_region/align",
            "../dax_region/available_size",
        ),
    ),
    (
        "sys/bus/cxl/devices",
        "region",
        ("size", "resource", "mode", "interleave_ways", "interleave_granularity", "commit"),
    ),
    (
        "sys/bus/cxl/devices",
        "decoder",
        (
            "start",
            "size",
            "mode",
            "cap_ram",
            "cap_pmem",
            "interleave_ways",
            "interleave_granularity",
        ),
    ),
    ("sys/bus/cxl/devices", "mem", ("ram/size", "pmem/size", "numa_node", "serial")),
)
_SINGLE = (
    "sys/devices/system/memory/block_size_bytes",
    "sys/devices/system/memory/auto_online_blocks",
    "sys/devices/system/node/online",
    "sys/devices/system/node/possible",
    "sys/devices/system/node/has_memory",
    "sys/devices/system/node/has_normal_memory",
    "sys/devices/system/node/has_cpu",
    "sys/module/memory_hotplug/parameters/memmap_on_memory",
    "sys/module/memory_hotplug/parameters/online_policy",
    "sys/module/memory_hotplug/parameters/auto_movable_ratio",
)


@dataclass
class Capture:
    """What a snapshot holds: files at their real paths, links, and what failed."""

    files: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def _wanted(tree: Tree, release: str | None) -> list[str]:
    """Every path of the spec's list that the tree has (globs expanded)."""
    out = list(_PROC)
    if release:
        out.append(f"boot/config-{release}")
    out.extend(_SINGLE)
    for base, prefix, names in _GLOBS:
        for entry in tree.listdir(base):
            if prefix and not entry.startswith(prefix):
                continue
            out.extend(f"{base}/{entry}/{n}" for n in names)
            if base == "sys/bus/dax/devices":
                out.extend(
                    f"{base}/{entry}/{m}/{f}"
                    for m in tree.listdir(f"{base}/{entry}")
                    if m.startswith("mapping") and m[7:].isdigit()
                    for f in ("start", "end", "page_offset")
                )
            if base == "sys/devices/system/node" and entry[4:].isdigit():
                for kb in tree.listdir(f"{base}/{entry}/hugepages"):
                    out.extend(
                        f"{base}/{entry}/hugepages/{kb}/{f}"
                        for f in ("nr_hugepages", "free_hugepages", "surplus_hugepages")
                    )
    return out


def _link_entries(tree: Tree, capture: Capture) -> None:
    """The links whose names tell something: a block's node, a node's blocks, a dax
    device's driver (their targets need not be in the snapshot)."""
    for base, prefix, child in (
        ("sys/devices/system/memory", "memory", "node"),
        ("sys/devices/system/node", "node", "memory"),
    ):
        for entry in tree.listdir(base):
            if not entry.startswith(prefix) or not entry[len(prefix) :].isdigit():
                continue
            real = tree.resolve(f"{base}/{entry}")
            if real is None:
                continue
            for name in tree.listdir(f"{base}/{entry}"):
                if name.startswith(child) and name[len(child) :].isdigit():
                    target = tree.readlink(f"{real}/{name}")
                    if target:
                        capture.links[f"{real}/{name}"] = target
    for entry in tree.listdir("sys/bus/dax/devices"):
        real = tree.resolve(f"sys/bus/dax/devices/{entry}")
        if real is not None and tree.kind(f"{real}/driver") == "link":
            capture.links[f"{real}/driver"] = tree.readlink(f"{real}/driver")


def capture(tree: Tree) -> Capture:
    """Read the spec's files from ``tree`` (never writing)."""
    out = Capture()
    release = tree.value("proc/sys/kernel/osrelease")
    for path in _wanted(tree, release):
        real = tree.resolve(path)
        if real is None:
            continue  # absent on this machine: nothing to say
        text = tree.read(path)
        if text is None:
            out.unreadable.append(path)
            continue
        if path == "proc/cpuinfo":
            text = text.split("\n\n", 1)[0] + "\n"  # the first processor block
        out.files[real] = text.encode()
    out.links.update(tree.links_seen)
    _link_entries(tree, out)
    return out


def manifest(tree: Tree, cap: Capture) -> dict[str, object]:
    """``vmemplan-snapshot.json``: who, what machine, when, what is in it."""
    live = getattr(tree, "root", None) == "/"
    uname = os.uname() if live else None
    return {
        "vmemplan_version": __version__,
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "root": tree.shown,
        "machine": uname.machine if uname else None,
        "uname": " ".join(uname) if uname else None,
        "page_size": os.sysconf("SC_PAGE_SIZE") if live else None,
        "euid": os.geteuid() if live else None,
        "files": sorted(cap.files),
        "links": dict(sorted(cap.links.items())),
        "unreadable": sorted(cap.unreadable),
    }


def save(tree: Tree, path: str, option: str = "--save") -> tuple[int, int]:
    """Write the snapshot of ``tree`` to ``path`` (a new directory, or a new ``.tar.gz``):
    (files kept, files unreadable)."""
    shown = excerpt(path, 200)
    if os.path.lexists(path):
        raise InputError(option, f"{shown}: already exists (a snapshot is written to a new path)")
    cap = capture(tree)
    doc = json.dumps(manifest(tree, cap), indent=2) + "\n"
    try:
        if path.endswith((".tar.gz", ".tgz")):
            _write_archive(path, cap, doc)
        else:
            _write_directory(path, cap, doc)
    except OSError as err:
        raise InputError(option, f"{shown}: {err.strerror or 'cannot write'}") from None
    return len(cap.files), len(cap.unreadable)


def _write_directory(path: str, cap: Capture, doc: str) -> None:
    os.mkdir(path, 0o755)
    for real, data in cap.files.items():
        target = os.path.join(path, real)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "xb") as f:
            f.write(data)
    for real, link in cap.links.items():
        where = os.path.join(path, real)
        if os.path.lexists(where):
            continue
        os.makedirs(os.path.dirname(where), exist_ok=True)
        os.symlink(link, where)
    with open(os.path.join(path, MANIFEST), "x", encoding="utf-8") as f:
        f.write(doc)


def _write_archive(path: str, cap: Capture, doc: str) -> None:
    now = int(time.time())
    with tarfile.open(path, "x:gz") as tar:
        for real, data in [*sorted(cap.files.items()), (MANIFEST, doc.encode())]:
            info = tarfile.TarInfo(real)
            info.size, info.mode, info.mtime = len(data), 0o644, now
            tar.addfile(info, io.BytesIO(data))
        for real, link in sorted(cap.links.items()):
            if real in cap.files:
                continue
            info = tarfile.TarInfo(real)
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, link, 0o777, now
            tar.addfile(info)
