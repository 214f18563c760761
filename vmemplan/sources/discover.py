"""Real systems as input: namespaces from ndctl/daxctl JSON, boot RAM and pmem from iomem.

ndctl prints the usable size of a namespace, never its raw size or physical start;
/proc/iomem prints ranges but no modes. What a dump does not say is inferred, and every
inference is reported so the output can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vmemplan.estimate import EstimateRequest
from vmemplan.kernel.arch import SUBSECTION_SIZE
from vmemplan.sizing import REGION_ALIGN, raw_size_for_usable
from vmemplan.sources.iomem import IomemEntry, persistent_memory
from vmemplan.sources.ndctl import FoundDevice
from vmemplan.units import align_up, format_size_exact


@dataclass(frozen=True)
class Discovered:
    """Requests for each namespace found, and what had to be inferred."""

    requests: list[EstimateRequest]
    inferred: list[str]


def human_resolution(value: int) -> int:
    """The last digit of ``ndctl --human``'s "N.NN XiB": MiB below 2 GiB, GiB below 2 TiB,
    else TiB (util_display_size() in ndctl's util/json.c)."""
    unit = 1 << 20 if value < 2 << 30 else 1 << 30 if value < 2 << 40 else 1 << 40
    return unit // 100


def _placement_align(align: int) -> int:
    """Where the next namespace may start: the region align and the device align."""
    return max(REGION_ALIGN, align, SUBSECTION_SIZE)


def from_ndctl(
    devices: list[FoundDevice], base: EstimateRequest, start: int | None = None
) -> Discovered:
    """One request per fsdax/devdax namespace or daxctl device, placed one after another.

    The raw size of a namespace is inferred from its usable size with the inverse model
    (the smallest raw size ndctl accepts that gives at least that usable size). The
    physical start is not in the dump: namespaces are packed from ``start`` (default:
    the request's start) at the region's 16 MiB and the device's align.
    """
    arch = base.arch
    s = base.struct_page_size or arch.struct_page_size
    cursor = base.start if start is None else start
    requests: list[EstimateRequest] = []
    inferred: list[str] = []
    for dev in devices:
        where = f"{dev.name} ({dev.location})"
        if dev.mode in ("sector", "raw"):
            inferred.append(f"{where}: {dev.mode} mode has no struct pages; skipped")
            continue
        align = dev.align or base.align or arch.pmd_size
        cursor = align_up(cursor, _placement_align(align))
        if dev.source == "daxctl" or dev.mode == "system-ram":
            # A dax device: its range is the usable size; no altmap. A system-ram device
            # is hot-plugged RAM: a full memmap without compound pages.
            dax_align = arch.page_size if dev.mode == "system-ram" else align
            size = align_up(dev.usable_bytes, max(dax_align, SUBSECTION_SIZE))
            if dev.mode == "system-ram":
                inferred.append(
                    f"{where}: system-ram (kmem): modelled as hot-plugged memory without "
                    "compound pages; memmap_on_memory is not modelled"
                )
            requests.append(
                replace(
                    base,
                    size=None,
                    align=dax_align,
                    vmemmap_shift=None,
                    mode="devdax",
                    map="mem",
                    dax_ranges=((cursor, cursor + size),),
                    label=dev.name,
                )
            )
            inferred.append(f"{where}: placed at {cursor:#x} (the dump has no address)")
            cursor += size
            continue
        map_ = dev.map or "dev"
        if dev.map is None:
            inferred.append(f"{where}: no map in the dump; assumed dev (ndctl's default)")
        want = dev.usable_bytes
        if not dev.usable_exact:
            want -= human_resolution(want) // 2  # the true size is within half a digit
        sized = raw_size_for_usable(
            arch, usable=want, align=align, map_=map_, start=cursor, struct_page_size=s
        )
        inferred.append(
            f"{where}: raw size {format_size_exact(sized.raw_size)} inferred from usable "
            f"{dev.usable_bytes:,} bytes{'' if dev.usable_exact else ' (rounded in the dump)'}; "
            f"placed at {cursor:#x}"
        )
        requests.append(
            replace(
                base,
                size=sized.raw_size,
                start=cursor,
                align=align,
                vmemmap_shift=None,
                mode="fsdax" if dev.mode == "fsdax" else "devdax",
                map=map_,
                dax_ranges=(),
                label=dev.name,
            )
        )
        cursor += sized.raw_size
    return Discovered(requests, inferred)


def pmem_namespaces(entries: list[IomemEntry]) -> list[IomemEntry]:
    """The namespaces of each ``Persistent Memory`` range: its ``namespaceX.Y`` children
    when /proc/iomem lists them, else the whole range."""
    out: list[IomemEntry] = []
    for region in persistent_memory(entries):
        index = entries.index(region)
        children = []
        for e in entries[index + 1 :]:
            if e.depth <= region.depth:
                break
            if e.depth == region.depth + 1 and e.name.startswith("namespace"):
                children.append(e)
        out.extend(children or [region])
    return out


def from_iomem(entries: list[IomemEntry], base: EstimateRequest) -> Discovered:
    """One request per pmem namespace of the dump, with the request's align/map/mode."""
    requests = []
    inferred = []
    for e in pmem_namespaces(entries):
        label = e.name if e.name.startswith("namespace") else f"{e.name}@{e.start:#x}"
        requests.append(
            replace(base, size=e.end - e.start, start=e.start, dax_ranges=(), label=label)
        )
        inferred.append(
            f"{label} (line {e.line}): mode {base.mode}, map={base.map} and align from the "
            "command line (/proc/iomem does not say)"
        )
    return Discovered(requests, inferred)
