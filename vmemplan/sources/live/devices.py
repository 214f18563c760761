"""The devices of a live reading: pmem namespaces (``/sys/bus/nd``), dax devices
(``/sys/bus/dax``) with their driver, and CXL regions (live-inspect.md §2.3 - §2.5,
cxl.md §3).

What needs root (``resource``, ``mappingN/{start,end}``) is read when it can be and left
``None`` when it cannot; the caller places what has no address and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan.sources.live.procfs import parse_int
from vmemplan.sources.live.tree import Tree

ND = "sys/bus/nd/devices"
DAX = "sys/bus/dax/devices"
CXL = "sys/bus/cxl/devices"


@dataclass(frozen=True)
class NdNamespace:
    """A pmem namespace and the pfn/dax device that claims it."""

    name: str  # namespaceX.Y
    size_bytes: int
    mode: str  # raw | memory | dax | safe
    start: int | None  # resource (root only)
    holder: str | None  # pfnX.Y / daxX.Y
    map: str | None  # mem | dev (holder mode ram | pmem)
    align_bytes: int | None
    data_bytes: int | None  # the holder's size: usable data


@dataclass(frozen=True)
class DaxBusDevice:
    """A device on the dax bus (``/dev/daxX.Y``)."""

    name: str
    size_bytes: int
    align_bytes: int | None
    driver: str | None  # device_dax | kmem | fsdev_dax; None: unbound
    target_node: int | None
    ranges: tuple[tuple[int, int], ...] | None  # mappingN or resource (root only)
    memmap_on_memory: bool | None  # the attribute (v6.9+); None: absent
    region: str  # pmem | cxl | hmem | other
    cxl_region: str | None  # regionN whose dax region holds it


def _read_int(tree: Tree, path: str, source: str, base: int = 10) -> int | None:
    return parse_int(tree.value(path, source), base)


def read_namespaces(tree: Tree) -> list[NdNamespace]:
    """Every pmem namespace with a mode that gives struct pages or claims a dax device."""
    out = []
    src = f"{ND}/namespace*/{{size,mode,holder,resource}}"
    hsrc = f"{ND}/{{pfn,dax}}*/{{mode,align,size,resource}}"
    for name in tree.listdir(ND):
        if not name.startswith("namespace"):
            continue
        base = f"{ND}/{name}"
        size = _read_int(tree, f"{base}/size", src)
        mode = tree.value(f"{base}/mode", src)
        if size is None or not mode:
            continue
        holder = tree.value(f"{base}/holder", src) or None
        start = _read_int(tree, f"{base}/resource", src, 16)
        pmap = align = data = None
        if holder and (holder.startswith("pfn") or holder.startswith("dax")):
            hb = f"{ND}/{holder}"
            hmode = tree.value(f"{hb}/mode", hsrc)
            pmap = {"ram": "mem", "pmem": "dev"}.get(hmode or "")
            align = _read_int(tree, f"{hb}/align", hsrc)
            data = _read_int(tree, f"{hb}/size", hsrc)
        out.append(NdNamespace(name, size, mode, start, holder, pmap, align, data))
    return out


def read_dax_devices(tree: Tree) -> list[DaxBusDevice]:
    """Every dax-bus device, with its driver, ranges (root) and region kind."""
    out = []
    src = f"{DAX}/dax*/{{size,align,target_node,resource,memmap_on_memory}}"
    msrc = f"{DAX}/dax*/mapping*/{{start,end}}"
    for name in tree.listdir(DAX):
        if not name.startswith("dax"):
            continue
        base = f"{DAX}/{name}"
        size = _read_int(tree, f"{base}/size", src)
        if size is None:
            continue
        align = _read_int(tree, f"{base}/align", src)
        target = _read_int(tree, f"{base}/target_node", src)  # hidden (absent) if < 0
        mom_text = tree.value(f"{base}/memmap_on_memory", src)
        mom = None if mom_text is None else mom_text == "1"
        ranges: list[tuple[int, int]] = []
        for entry in tree.listdir(base):
            if entry.startswith("mapping") and entry[7:].isdigit():
                lo = _read_int(tree, f"{base}/{entry}/start", msrc, 16)
                hi = _read_int(tree, f"{base}/{entry}/end", msrc, 16)
                if lo is not None and hi is not None and hi >= lo:
                    ranges.append((lo, hi + 1))
        if not ranges:
            start = _read_int(tree, f"{base}/resource", src, 16)
            if start is not None and size:
                ranges = [(start, start + size)]
        real = tree.resolve(base) or ""
        cxl_region = None
        if "/ndbus" in f"/{real}":
            region = "pmem"
        elif "hmem" in real:
            region = "hmem"
        else:
            parts = real.split("/")
            cxl_region = next(
                (p for p in parts if p.startswith("region") and p[6:].isdigit()), None
            )
            region = "cxl" if cxl_region is not None or "/cxl" in f"/{real}" else "other"
        out.append(
            DaxBusDevice(
                name,
                size,
                align,
                tree.link_name(f"{base}/driver"),
                target,
                tuple(sorted(ranges)) or None,
                mom,
                region,
                cxl_region,
            )
        )
    return out


def read_cxl_regions(tree: Tree) -> dict[str, tuple[int, int]]:
    """CXL regions with a committed range: {regionN: [start, end)} (0444, no root)."""
    out = {}
    src = f"{CXL}/region*/{{size,resource}}"
    for name in tree.listdir(CXL):
        if not (name.startswith("region") and name[6:].isdigit()):
            continue
        start = _read_int(tree, f"{CXL}/{name}/resource", src, 16)
        size = _read_int(tree, f"{CXL}/{name}/size", src, 16)  # %#llx
        if start is not None and size:
            out[name] = (start, start + size)
    return out
