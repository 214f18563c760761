"""The machine a /proc/iomem dump describes: ``from_iomem()``.

/proc/iomem prints ranges but no modes: each ``Persistent Memory`` range's namespaces take
the request's mode, map and align, a dax device outside pmem is a dynamic dax range, and
a dax device holding ``System RAM (kmem)`` is hot-added System RAM (a
:class:`KmemDevice`), in memory blocks of the size that gives the ranges it shows.
"""

from __future__ import annotations

from vmemplan.errors import InputError
from vmemplan.estimate import EstimateRequest, prepare
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.sources.discover import (
    Discovered,
    Found,
    Given,
    Kmem,
    KmemDevice,
    PmemNamespace,
    _Blocks,
    _devdax_request,
    _kmem_block_size,
    _kmem_notes,
    _kmem_request,
    _lines,
    _refuse_unused_kmem_options,
    _span,
)
from vmemplan.sources.iomem import (
    PERSISTENT_MEMORY,
    IomemDevice,
    IomemEntry,
    memory_devices,
    pmem_namespaces,
    unclaimed,
)
from vmemplan.sources.notes import SourceNote
from vmemplan.units import format_iec, format_size_exact

__all__ = ["from_iomem", "pmem_namespaces"]


# Follows nd_pfn_init() in drivers/nvdimm/pfn_devs.c.
def _pfn_layout(
    base: EstimateRequest, ns: IomemEntry, map_: MapMode, align: int
) -> PfnLayout | None:
    """The pfn layout of the pmem namespace ``ns`` with ``map_`` and ``align``; None where
    the kernel refuses that pair for it."""
    arch = base.arch
    try:
        return nd_pfn_init(
            arch,
            start=ns.start,
            size=ns.end - ns.start,
            align=align,
            map_=map_,
            struct_page_size=base.struct_page_size or arch.struct_page_size,
        )
    except InputError:
        return None


def _layout_from_dax_start(
    dev: IomemDevice, ns: IomemEntry, base: EstimateRequest, given: Given
) -> tuple[MapMode, int | None, str]:
    """The map and align of a pmem devdax namespace, read from where its dax device starts.

    The dax range begins ``dataoff`` into the namespace (nd_pfn_init() in
    drivers/nvdimm/pfn_devs.c), and dataoff depends on map and align: a map=dev memmap
    pushes it to ~1/64 of the namespace. Typed --map/--align win; a default gives way to
    the pair that reproduces the dump's dataoff.
    """
    arch = base.arch
    seen = dev.ranges[0][0] - ns.start
    cli_align = base.align or arch.pmd_size

    def dataoff(map_: MapMode, align: int) -> int | None:
        layout = _pfn_layout(base, ns, map_, align)
        return None if layout is None else layout.dataoff

    maps: list[MapMode] = (
        [base.map] if given.map else [base.map, "dev" if base.map == "mem" else "mem"]
    )
    aligns = (
        [cli_align]
        if given.align
        else [cli_align, *(a for a in arch.dax_alignments if a != cli_align)]
    )
    hits = [(m, a) for m in maps for a in aligns if dataoff(m, a) == seen]
    shown = f"{dev.name} starts {format_size_exact(seen)} into {ns.name} (its dataoff)"
    if hits and hits[0] == (base.map, cli_align):
        return (
            base.map,
            base.align,
            f"map={base.map}, align {format_size_exact(cli_align)}: {shown}, as they give",
        )
    if hits:
        m, a = hits[0]
        return (
            m,
            a,
            (
                f"map={m}, align {format_size_exact(a)} inferred: {shown}, which they give "
                f"(map={base.map}, align {format_size_exact(cli_align)} would not)"
            ),
        )
    expected = dataoff(base.map, cli_align)
    return (
        base.map,
        base.align,
        (
            f"map={base.map}, align {format_size_exact(cli_align)} from the command line; "
            f"{shown}, where they would give "
            + (format_size_exact(expected) if expected is not None else "no valid layout")
            + ": /proc/iomem and the options disagree"
        ),
    )


def from_iomem(
    entries: list[IomemEntry],
    base: EstimateRequest,
    given: Given | None = None,
    kmem: Kmem | None = None,
) -> Discovered:
    """One request per pmem namespace and device-dax instance of the dump, and one
    :class:`KmemDevice` per dax device kmem hot-added.

    A pmem namespace takes the request's mode, map and align (/proc/iomem does not show
    them), except that one holding a dax device is devdax unless ``--mode`` says
    otherwise. A dax device outside pmem (hmem ``Soft Reserved``, a CXL region) is a
    dynamic dax range with the request's align. A dax device holding ``System RAM
    (kmem)`` is hot-added System RAM: its own ranges, trimmed to memory blocks of the
    size that gives the kmem ranges /proc/iomem shows (unless ``kmem`` sets one); one in
    a pmem namespace strands the namespace's info block (and map=dev memmap reservation).
    """
    given = given or Given()
    kmem = kmem or Kmem()
    requests: list[EstimateRequest] = []
    origins: list[str] = []
    found: list[Found] = []
    system_ram: list[KmemDevice] = []
    devices = memory_devices(entries)
    namespaces = [d for d in devices if d.namespace is not None and d.kind != "system-ram"]
    if given.map and base.map == "dev" and not namespaces:
        raise InputError("--map", "dev: the /proc/iomem dump has no pmem namespace to apply it to")
    if given.mode and base.mode == "fsdax" and not namespaces:
        raise InputError("--mode", "fsdax: the /proc/iomem dump has no pmem namespace")
    if given.align and all(d.kind == "system-ram" for d in devices):
        raise InputError(
            "--align",
            f"{format_size_exact(base.align or 0)}: the /proc/iomem dump has no pmem "
            "namespace or device-dax device to apply it to (kmem System RAM has no compound "
            "pages)",
        )
    kmem_devices = [d for d in devices if d.kind == "system-ram"]
    _refuse_unused_kmem_options(kmem, bool(kmem_devices), "/proc/iomem dump")

    def where_of(dev: IomemDevice) -> str:
        return f"{dev.name} ({_lines(dev.lines)}{', in ' + dev.within if dev.within else ''})"

    evidence = [
        _Blocks(
            where_of(d),
            d.dax_ranges,
            d.ranges,
            None,
            f"System RAM (kmem) {', '.join(_span(r) for r in d.ranges)} in "
            f"{', '.join(_span(r) for r in d.dax_ranges)}",
        )
        for d in kmem_devices
    ]
    mb, block, mb_source, inferred = _kmem_block_size(base, kmem.memory_block_size, evidence)
    for dev in devices:
        where = where_of(dev)
        ns = dev.namespace
        if dev.kind == "system-ram":
            notes = _kmem_notes(kmem, block, cxl="CXL Window" in dev.within)
            layout = None
            if ns is not None:
                layout, note = _kmem_namespace(dev, ns, base)
                notes.append(note)
                if dev.head_only:
                    inferred.append(_head_note(dev, ns))
            inferred.extend(f"{where}: {n}" for n in notes)
            system_ram.append(
                KmemDevice(
                    dev.name,
                    where,
                    _kmem_request(base, kmem, dev.dax_ranges, mb, layout),
                    _devdax_request(base, dev.dax_ranges, dev.name),
                    None
                    if ns is None
                    else PmemNamespace(ns.name, ns.start, ns.end - ns.start, layout),
                )
            )
        elif ns is None:  # a dynamic dax device: hmem Soft Reserved or a CXL region
            inferred.append(
                f"{where}: device-dax, ranges from /proc/iomem; align from the command line"
                + (
                    " (--map and --mode apply to pmem namespaces only)"
                    if given.map or given.mode
                    else ""
                )
            )
            origins.append(where)
            requests.append(
                base._replace(
                    size=None, mode="devdax", map="mem", dax_ranges=dev.ranges, label=dev.name
                )
            )
        else:
            mode = base.mode
            map_, align = base.map, base.align
            if dev.kind == "devdax":
                what = f"{ns.name} holds {dev.name}: devdax"
                if given.mode and base.mode != "devdax":
                    what += f", but --mode {base.mode} overrides it"
                else:
                    mode = "devdax"
                map_, align, layout_note = _layout_from_dax_start(dev, ns, base, given)
                inferred.append(f"{where}: {what}; {layout_note}")
                if dev.head_only:
                    inferred.append(_head_note(dev, ns))
            else:
                inferred.append(
                    f"{where}: mode {base.mode}, map={base.map} and align from the command "
                    "line (/proc/iomem does not say)"
                )
            req = base._replace(
                size=ns.end - ns.start,
                start=ns.start,
                mode=mode,
                map=map_,
                align=align,
                vmemmap_shift=base.vmemmap_shift if align == base.align else None,
                dax_ranges=(),
                label=ns.name,
            )
            refusal = _no_namespace_refusal(ns, req)
            if refusal is not None:
                inferred[-1] = SourceNote("from the dump", f"{where}: {refusal}")
                found.append(Found(dev.name, dev.kind, _lines(dev.lines), dev.ranges, False))
                continue
            origins.append(where)
            requests.append(req)
        found.append(Found(dev.name, dev.kind, _lines(dev.lines), dev.ranges))
    for e in unclaimed(entries):
        inferred.append(
            f"{e.name} {e.span} (line {e.line}): no dax device or System RAM in it (no "
            "driver has claimed it); not estimated"
        )
        found.append(Found(e.name, "unclaimed", f"line {e.line}", ((e.start, e.end),), False))
    return Discovered(requests, inferred, found, origins, system_ram, mb_source)


def _kmem_namespace(
    dev: IomemDevice, ns: IomemEntry, base: EstimateRequest
) -> tuple[PfnLayout | None, str]:
    """The pfn layout of the pmem namespace a kmem device was the devdax device of.

    __dax_pmem_probe() (drivers/dax/pmem.c) starts the dax device ``dataoff`` into the
    namespace: the map and align that give that offset are the namespace's (the command
    line's are for namespaces /proc/iomem does not describe). Its info block, and with
    map=dev its memmap reservation, are neither dax device nor RAM.
    """
    arch = base.arch
    seen = dev.dax_ranges[0][0] - ns.start
    for map_ in (base.map, "dev" if base.map == "mem" else "mem"):
        for align in dict.fromkeys(
            (base.align or arch.pmd_size, arch.pmd_size, *arch.dax_alignments)
        ):
            layout = _pfn_layout(base, ns, map_, align)
            if layout is not None and layout.dataoff == seen:
                return layout, (
                    f"the dax device starts {seen:#x} into {ns.name} (its dataoff), as "
                    f"map={map_}, align {format_size_exact(align)} give: {format_iec(seen)} of "
                    "the namespace is stranded (neither dax device nor RAM)"
                )
    return None, (
        f"the dax device starts {seen:#x} into {ns.name}, which no map and align give: the "
        "namespace's info block is left out"
    )


def _head_note(dev: IomemDevice, ns: IomemEntry) -> str:
    """What a namespace /proc/iomem lists beside its dax device stands for."""
    data = (dev.dax_ranges or dev.ranges)[0][0]
    return (
        f"{ns.name} (line {ns.line}) covers only the namespace's first "
        f"{format_iec(data - ns.start)} (info block and any map=dev memmap; "
        f"__dax_pmem_probe() reserves the data under {dev.name}): namespace {ns.span} "
        f"inferred from it and {dev.name}; what the namespace has past the dax device's "
        "end (end_trunc) is not shown"
    )


def _no_namespace_refusal(ns: IomemEntry, req: EstimateRequest) -> str | None:
    """Why a ``Persistent Memory`` range that holds no namespace cannot be estimated as
    one (the kernel would refuse that namespace: a range not on 2M subsections, say);
    None if it can, or if ``ns`` is a namespace the dump lists (its refusal stands).

    Such a range has no pgmap today (no namespace is enabled in it); it is estimated as the
    namespace it could hold, and where it cannot hold one the rest of the dump still is.
    """
    if ns.name not in PERSISTENT_MEMORY:
        return None
    try:
        prepare(req)
    except InputError as e:
        why = e.message.split("; did you intend")[0]  # no option to fix: it is the dump's
        return (
            f"holds no namespace, and cannot be estimated as one ({why}); not estimated, "
            "the rest of the dump is"
        )
    return None
