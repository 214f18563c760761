"""The machine an ndctl/daxctl dump describes: ``from_ndctl()``.

ndctl prints the usable size of a namespace, never its raw size or physical start: the
raw size is inferred with the inverse model (sizing.py), and namespaces are placed one
after another, or where a /proc/iomem dump given too lists them. A devdax namespace whose
dax device kmem holds keeps its layout and becomes a :class:`KmemDevice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vmemplan.errors import InputError
from vmemplan.estimate import EstimateRequest
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout
from vmemplan.sizing import raw_size_for_usable, size_step
from vmemplan.sources.daxctl_devices import (
    _dax_device,
    _famfs_note,
    _held_dax_device,
    _no_compound_pages,
)
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
    _placement_align,
    _refuse_unused_kmem_options,
    _span,
    human_resolution,
)
from vmemplan.sources.iomem import (
    IomemDevice,
    IomemEntry,
    memory_devices,
    persistent_memory,
)
from vmemplan.sources.ndctl import FoundDevice
from vmemplan.sources.ndctl_sizes import (
    _dump_checks,
    _dump_geometry,
    _exact_alternatives,
    _map_none_note,
    _static_namespace,
    _wanted_usable,
)
from vmemplan.sources.notes import SourceNote, prefixed
from vmemplan.system_ram import pmem_namespace_layout
from vmemplan.units import align_up, format_iec, format_size_exact, quote_value


@dataclass
class _Placer:
    """Where ndctl namespaces go when a /proc/iomem dump is given too.

    A namespace /proc/iomem lists by name is placed at its range; the others are packed
    from the first ``Persistent Memory`` range. Either way it must fit the range it
    lands in: a dump whose namespace overruns it is refused.
    """

    entries: list[IomemEntry]
    cursor: int
    heads: dict[str, IomemEntry] = field(default_factory=dict)
    """A namespace /proc/iomem lists beside its dax device (head only): the
    ``Persistent Memory`` range it must fit, since its end (end_trunc) is not shown."""

    def __post_init__(self) -> None:
        pmem = persistent_memory(self.entries)
        for d in memory_devices(self.entries):
            if d.head_only and d.namespace is not None:
                ns = d.namespace
                self.heads[ns.name] = next((p for p in pmem if p.start <= ns.start < p.end), ns)

    def named(self, dev: FoundDevice) -> IomemEntry | None:
        """The /proc/iomem entry of ``dev``'s name, if the dump lists it."""
        return next((e for e in self.entries if e.name == dev.name), None)

    def place(self, dev: FoundDevice, raw: int, align: int) -> tuple[int, str]:
        """The start of ``dev`` and a note saying where it came from."""
        named = self.named(dev)
        region: IomemEntry | None
        if named is not None and dev.name in self.heads:
            start, region = named.start, self.heads[dev.name]
            what = "its /proc/iomem head, in its Persistent Memory range"
        elif named is not None:
            start, region, what = named.start, named, "its /proc/iomem range"
        else:
            start = align_up(self.cursor, _placement_align(align))
            region = next(
                (p for p in persistent_memory(self.entries) if p.start <= start < p.end), None
            )
            if region is None:
                where = (
                    f"is left for it at {start:#x} (the ranges before are full)"
                    if persistent_memory(self.entries)
                    else "holds it (the dump has none)"
                )
                raise InputError(
                    "--from-ndctl",
                    f"{dev.name}: no Persistent Memory range of the /proc/iomem dump {where}",
                )
            what = "its Persistent Memory range"
        if start + raw > region.end:
            raise InputError(
                "--from-ndctl",
                f"{dev.name}: raw size {format_size_exact(raw)} at {start:#x} does not fit "
                f"{what} {region.span} {region.name!r} (line {region.line}, "
                f"{format_iec(region.end - region.start)}): the dumps disagree",
            )
        self.cursor = start + raw
        return start, f"placed at {start:#x} ({what} {region.span}, line {region.line})"


def from_ndctl(
    devices: list[FoundDevice],
    base: EstimateRequest,
    start: int | None = None,
    *,
    given: Given | None = None,
    iomem: list[IomemEntry] | None = None,
    kmem: Kmem | None = None,
) -> Discovered:
    """One request per fsdax/devdax namespace or daxctl device, placed one after another;
    a daxctl device in system-ram mode, or a devdax namespace whose dax device (``-X``)
    is, is a :class:`KmemDevice` instead.

    The raw size of a namespace is inferred from its usable size with the inverse model
    (the smallest raw size ndctl accepts that gives at least that usable size), under the
    dump's own align and map. The physical start is not in the dump: with ``iomem``, a
    namespace goes where /proc/iomem lists it (or is packed into its ``Persistent
    Memory`` ranges) and must fit there; otherwise namespaces are packed from ``start``
    (default: the request's start) at the region's 16 MiB and the device's align.
    ``given`` says which of the request's align/map/mode the user typed: those win over
    the dump's values. A kmem device (or the namespace holding it) goes on a memory block
    boundary (so kmem trims only what its size or layout leaves over), or at its
    /proc/iomem ranges; its memory blocks are
    ``kmem``'s, else those the dump shows (daxctl's ``total_memblocks``, /proc/iomem's
    System RAM (kmem) ranges), else the kernel's rule.
    """
    given = given or Given()
    kmem = kmem or Kmem()
    arch = base.arch
    s = base.struct_page_size or arch.struct_page_size
    cursor = base.start if start is None else start
    if iomem is not None:
        placer: _Placer | None = _Placer(iomem, cursor)
        dax_in_iomem = {d.name: d for d in memory_devices(iomem) if d.kind != "pmem"}
    else:
        placer, dax_in_iomem = None, {}
    kmem_devices = [d for d in devices if d.mode == "system-ram" and not given.mode]
    # ndctl -X: the dax device of each devdax namespace that kmem or fsdev_dax holds
    held_of = [_held_dax_device(d) if d.source == "ndctl" else None for d in devices]
    kmem_namespaces = [
        (d, held)
        for d, held in zip(devices, held_of, strict=True)
        if held is not None and held.mode == "system-ram" and not given.mode
    ]
    _refuse_unused_kmem_options(kmem, bool(kmem_devices or kmem_namespaces), "ndctl/daxctl dump")
    evidence = []
    for ns, dax in kmem_namespaces:
        blocks = _kmem_namespace_blocks(ns, dax, base, given, placer, dax_in_iomem)
        if blocks is not None:
            evidence.append(blocks)
    for dev in kmem_devices:
        known = dax_in_iomem.get(dev.name)
        on_iomem = known is not None and known.kind == "system-ram"
        if dev.total_memblocks is None and not on_iomem:
            continue
        shown = []
        if dev.total_memblocks is not None:
            shown.append(f"total_memblocks {dev.total_memblocks:,}")
        if known is not None and on_iomem:
            shown.append(f"System RAM (kmem) {', '.join(_span(r) for r in known.ranges)}")
        evidence.append(
            _Blocks(
                f"{dev.name} ({dev.location})",
                known.dax_ranges
                if known is not None and on_iomem
                else dev.ranges or ((0, dev.usable_bytes),),
                known.ranges if known is not None and on_iomem else None,
                dev.total_memblocks,
                " and ".join(shown) + f" ({format_size_exact(dev.usable_bytes)})",
            )
        )
    mb, block, mb_source, mb_notes = _kmem_block_size(base, kmem.memory_block_size, evidence)
    requests: list[EstimateRequest] = []
    origins: list[str] = []
    inferred: list[str] = list(mb_notes)
    found: list[Found] = []
    system_ram: list[KmemDevice] = []
    for dev, held in zip(devices, held_of, strict=True):
        where = f"{dev.name} ({dev.location})"
        if dev.mode in ("sector", "raw"):
            inferred.append(f"{where}: {dev.mode} mode has no struct pages; skipped")
            found.append(
                Found(
                    dev.name, dev.mode, dev.location, (), False, dev.usable_bytes, dev.usable_exact
                )
            )
            continue
        inferred.extend(_dump_checks(dev, base, given, where))
        # a typed pfn geometry (--align, --map dev, --mode devdax) models it with a pfn
        # device, as if reconfigured; --map mem and --mode fsdax are what it has
        as_pfn = [
            o
            for o, typed in (
                (f"--align {format_size_exact(base.align or 0)}", given.align),
                ("--map dev", given.map and base.map == "dev"),
                (f"--mode {base.mode}", given.mode and base.mode != "fsdax"),
            )
            if typed
        ]
        if dev.static and as_pfn:
            inferred.append(
                SourceNote(
                    "given",
                    f"{where}: no pfn info block in the dump (legacy e820 or memmap=); "
                    f"{', '.join(as_pfn)} models it with one, as if reconfigured",
                )
            )
        elif dev.static:
            static_req, notes, found_one = _static_namespace(dev, base, cursor, placer)
            inferred.extend(prefixed(where, n) for n in notes)
            origins.append(where)
            requests.append(static_req)
            found.append(found_one)
            cursor = max(cursor, found_one.ranges[-1][1])
            continue
        overridden: list[str] = []
        if dev.source == "daxctl" or dev.mode == "system-ram":
            req, notes, ranges = _dax_device(
                dev, base, given, cursor, dax_in_iomem, overridden, block
            )
            if req is None:
                online = None
                if dev.online_memblocks is not None and dev.total_memblocks is not None:
                    online = (dev.online_memblocks, dev.total_memblocks)
                notes = _kmem_notes(kmem, block, online) + notes
                system_ram.append(
                    KmemDevice(
                        dev.name,
                        where,
                        _kmem_request(base, kmem, ranges, mb),
                        _devdax_request(base, ranges, dev.name),
                    )
                )
            else:
                origins.append(where)
                requests.append(req)
            inferred.extend(prefixed(where, n) for n in notes)
            found.append(
                Found(
                    dev.name,
                    dev.mode,
                    dev.location,
                    ranges,
                    True,
                    dev.usable_bytes,
                    dev.usable_exact,
                    overridden=tuple(overridden),
                )
            )
            cursor = max(cursor, ranges[-1][1])
            continue
        kmem_held = held if held is not None and held.mode == "system-ram" else None
        if given.mode:  # --mode models the namespace as a pgmap
            kmem_held = None
        if kmem_held is not None and given.align:
            raise _no_compound_pages(base, f"{kmem_held.name} of {dev.name}", kmem_held.mode)
        # The namespace as it is: its raw size follows from the dump's own align and map.
        dump_align, dump_map = _dump_geometry(dev, base, given)
        if dev.pmem_region is not None:
            inferred.append(
                SourceNote(
                    "from the dump",
                    f"{where}: {dev.dax_devices[0].name} is in a pmem region "
                    f"({quote_value(dev.pmem_region, 60)}): the dax device of {dev.name}, "
                    "estimated as that devdax namespace (daxctl shows its usable size and "
                    "align, not its map)",
                )
            )
        if dev.map_none:
            inferred.append(_map_none_note(dev, base, given, where, dump_map))
        elif dev.map is None:
            inferred.append(
                f"{where}: no map in the dump; assumed {dump_map}"
                + (" (from --map)" if given.map else " (ndctl's default)")
            )
        if dev.align is None:
            inferred.append(
                f"{where}: no align in the dump; assumed {format_size_exact(dump_align)}"
                + (" (from --align)" if given.align else " (ndctl's default, the PMD size)")
            )
        # What to estimate: the command line wins over the dump.
        align, map_ = dump_align, dump_map
        mode: Mode = "fsdax" if dev.mode == "fsdax" else "devdax"
        kind = dev.mode
        if held is not None and given.mode:
            if mode == base.mode:  # else the override note below says it
                overridden.append("mode")
                inferred.append(
                    f"{where}: --mode {base.mode} overrides its dax device {held.name}'s mode "
                    f"{held.mode}"
                )
        elif held is not None and held.mode == "famfs":
            if given.align:
                raise _no_compound_pages(base, f"{held.name} of {dev.name}", held.mode)
            mode, kind = "fsdax", held.mode
            inferred.append(f"{where}: {_famfs_note(dump_align, held.name)}")
        if given.align and base.align is not None:
            if dev.align is not None and dev.align != base.align:
                overridden.append("align")
                inferred.append(
                    f"{where}: --align {format_size_exact(base.align)} overrides the dump's "
                    f"align {format_size_exact(dev.align)}"
                )
            align = base.align
        if given.map:
            if dev.map is not None and dev.map != base.map:
                overridden.append("map")
                inferred.append(f"{where}: --map {base.map} overrides the dump's map {dev.map}")
            map_ = base.map
        if given.mode:
            if mode != base.mode:
                overridden.append("mode")
                inferred.append(f"{where}: --mode {base.mode} overrides the dump's mode {mode}")
            mode = base.mode
        want = _wanted_usable(dev)
        at = max(dump_align, align)  # the estimate's compounds must start aligned too
        if kmem_held is not None:
            # on a memory block boundary, so kmem trims only what the layout leaves over
            at = max(at, block)
        placement = align_up(cursor, _placement_align(at))
        sized = raw_size_for_usable(
            arch, usable=want, align=dump_align, map_=dump_map, start=placement, struct_page_size=s
        )
        raw = sized.raw_size
        if placer is not None:
            placement, placed = placer.place(dev, raw, at)
            sized = raw_size_for_usable(
                arch,
                usable=want,
                align=dump_align,
                map_=dump_map,
                start=placement,
                struct_page_size=s,
            )
            raw = sized.raw_size
        else:
            placed = f"placed at {placement:#x}" + (
                f" (on a {format_size_exact(block)} memory block boundary)"
                if kmem_held is not None
                else ""
            )
        got = sized.usable
        slack = 0 if dev.usable_exact else human_resolution(dev.usable_bytes) // 2
        matches = abs(got - dev.usable_bytes) <= slack
        inferred.append(
            f"{where}: raw size {format_size_exact(raw)} inferred from usable "
            f"{dev.usable_bytes:,} bytes{'' if dev.usable_exact else ' (rounded in the dump)'}; "
            f"{placed}"
        )
        if not matches:
            exact = _exact_alternatives(dev, base, placement, s, slack)
            inferred.append(
                f"{where}: usable size mismatch: no raw size in "
                f"{format_size_exact(size_step(dump_align))} steps gives the dump's "
                f"{dev.usable_bytes:,} bytes with map={dump_map}, align "
                f"{format_size_exact(dump_align)} (dataoff and end_trunc take at least "
                f"{format_size_exact(raw - got)}); the nearest, {format_size_exact(raw)}, "
                f"gives {got:,}. "
                + (
                    f"{exact}, which the dump does not state: pass it if that is the namespace's"
                    if exact
                    else "The dump may be edited, or the namespace a legacy e820 one "
                    "(memmap=), whose raw size is not bound to those steps"
                )
            )
        if kmem_held is not None:
            layout = _namespace_layout(base, where, raw, placement, dump_align, map_)
            device, notes = _kmem_held_by_namespace(
                dev, kmem_held, base, kmem, layout, (mb, block), dax_in_iomem
            )
            inferred.extend(f"{device.origin}: {n}" for n in notes)
            system_ram.append(device)
            kind = kmem_held.mode
        else:
            origins.append(where)
            requests.append(
                base._replace(
                    size=raw,
                    start=placement,
                    align=align,
                    vmemmap_shift=None,
                    mode=mode,
                    map=map_,
                    dax_ranges=(),
                    label=dev.name,
                )
            )
        found.append(
            Found(
                dev.name,
                kind,
                dev.location,
                ((placement, placement + raw),),
                True,
                dev.usable_bytes,
                dev.usable_exact,
                raw,
                got,
                matches,
                tuple(overridden),
            )
        )
        cursor = placement + raw
    return Discovered(requests, inferred, found, origins, system_ram, mb_source)


def _namespace_layout(
    base: EstimateRequest, where: str, raw: int, start: int, align: int, map_: MapMode
) -> PfnLayout:
    """The pfn layout of a dump's namespace whose dax device kmem holds."""
    try:
        return pmem_namespace_layout(
            base._replace(size=raw, start=start, align=align, vmemmap_shift=None, map=map_)
        )
    except InputError as e:  # the dump's align: name the namespace, not the option
        raise InputError("--from-ndctl", f"{where}: align {e.message}") from None


def _kmem_namespace_blocks(
    dev: FoundDevice,
    held: FoundDevice,
    base: EstimateRequest,
    given: Given,
    placer: _Placer | None,
    dax_in_iomem: dict[str, IomemDevice],
) -> _Blocks | None:
    """What the dump shows of the memory blocks kmem made of a namespace's dax device
    (its ``total_memblocks``, /proc/iomem's System RAM (kmem) ranges), None if nothing.

    Without /proc/iomem the namespace goes on a memory block boundary, so its dax range
    is taken at its place in a namespace starting at 0; one /proc/iomem names is at its
    range.
    """
    known = dax_in_iomem.get(held.name)
    on_iomem = known is not None and known.kind == "system-ram"
    if held.total_memblocks is None and not on_iomem:
        return None
    shown = []
    if held.total_memblocks is not None:
        shown.append(f"total_memblocks {held.total_memblocks:,}")
    if known is not None and on_iomem:
        shown.append(f"System RAM (kmem) {', '.join(_span(r) for r in known.ranges)}")
        ranges, added = known.dax_ranges, known.ranges
    else:
        where = f"{dev.name} ({dev.location})"
        named = placer.named(dev) if placer is not None else None
        start = named.start if named is not None else 0
        align, dump_map = _dump_geometry(dev, base, given)
        s = base.struct_page_size or base.arch.struct_page_size
        raw = raw_size_for_usable(
            base.arch,
            usable=_wanted_usable(dev),
            align=align,
            map_=dump_map,
            start=start,
            struct_page_size=s,
        ).raw_size
        map_ = base.map if given.map else dump_map
        layout = _namespace_layout(base, where, raw, start, align, map_)
        ranges, added = ((start + layout.dataoff, start + raw - layout.end_trunc),), None
    return _Blocks(
        f"{held.name} ({held.location}, in {dev.name})",
        ranges,
        added,
        held.total_memblocks,
        " and ".join(shown) + f" ({format_size_exact(held.usable_bytes)})",
    )


def _kmem_held_by_namespace(
    dev: FoundDevice,
    held: FoundDevice,
    base: EstimateRequest,
    kmem: Kmem,
    layout: PfnLayout,
    blocks: tuple[int | None, int],
    dax_in_iomem: dict[str, IomemDevice],
) -> tuple[KmemDevice, list[str]]:
    """A devdax namespace of the dump whose dax device kmem holds, and its notes.

    The namespace layout is unchanged (the nd_dax info block, and with map=dev the memmap
    reservation, stay: stranded); device_dax's pgmap went with the unbind, and kmem
    hot-adds the dax device's range, ``[start + dataoff, end - end_trunc)`` as
    __dax_pmem_probe() (drivers/dax/pmem.c) sets it, trimmed to memory blocks.
    ``blocks`` is the block size for the request (None: the kernel's) and the size itself.
    """
    mb, block = blocks
    origin = f"{held.name} ({held.location}, in {dev.name})"
    end = layout.start + layout.size - layout.end_trunc
    ranges = ((layout.start + layout.dataoff, end),)
    known = dax_in_iomem.get(held.name)
    if known is not None and (known.dax_ranges or known.ranges) != ranges:
        seen = ", ".join(_span(r) for r in known.dax_ranges or known.ranges)
        raise InputError(
            "--from-ndctl",
            f"{origin}: /proc/iomem puts it at {seen} ({_lines(known.lines)}), its "
            f"namespace's layout at {_span(ranges[0])}: the dumps disagree",
        )
    online = None
    if held.online_memblocks is not None and held.total_memblocks is not None:
        online = (held.online_memblocks, held.total_memblocks)
    notes = _kmem_notes(kmem, block, online)
    notes.append(
        f"the dax device starts {layout.dataoff:#x} into {dev.name} (its dataoff, "
        f"map={layout.map}, align {format_size_exact(layout.align)}): "
        f"{format_iec(layout.dataoff + layout.end_trunc)} of the namespace is stranded "
        "(neither dax device nor RAM)"
    )
    device = KmemDevice(
        held.name,
        origin,
        _kmem_request(base, kmem, ranges, mb, layout),
        _devdax_request(base, ranges, held.name),
        PmemNamespace(dev.name, layout.start, layout.size, layout),
    )
    return device, notes
