"""Real systems as input: namespaces from ndctl/daxctl JSON, boot RAM and pmem from iomem.

ndctl prints the usable size of a namespace, never its raw size or physical start;
/proc/iomem prints ranges but no modes. What a dump does not say is inferred, and every
inference is reported so the output can say so. Where the command line gives
``--align``, ``--map`` or ``--mode``, it wins over the dump, and a note says so.

A dax device in system-ram mode has no pgmap: dax kmem released the device-dax one and
hot-added the device's ranges, trimmed to memory blocks, as System RAM
(dev_dax_kmem_probe() in drivers/dax/kmem.c). Such a device becomes a
:class:`KmemDevice` (a :class:`~vmemplan.system_ram.SystemRamRequest`), hot-added after
the pmem and device-dax namespaces on the same machine. So does a pmem devdax namespace
whose dax device (``ndctl list -X``) is in system-ram mode: its layout stays, so its info
block and map=dev reservation are stranded. A dax device in famfs mode (fsdev_dax) keeps
a pgmap, without compound pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from vmemplan.errors import InputError, InternalError
from vmemplan.estimate import DEFAULT_PS_PER_STRUCT_PAGE, EstimateRequest
from vmemplan.kernel.arch import SUBSECTION_SIZE
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.memory_hotplug import MAX_BLOCK_SIZE, MemmapOnMemory
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.sizing import REGION_ALIGN, raw_size_for_usable, size_step
from vmemplan.sources.iomem import (
    IomemDevice,
    IomemEntry,
    memory_devices,
    persistent_memory,
    unclaimed,
)
from vmemplan.sources.ndctl import FoundDevice
from vmemplan.system_ram import SystemRamRequest, block_size, pmem_namespace_layout
from vmemplan.units import align_down, align_up, format_iec, format_size_exact


@dataclass(frozen=True)
class Given:
    """Which of ``--align``, ``--map`` and ``--mode`` the user typed (the request carries
    their values; a default is not a choice, so it never overrides a dump)."""

    align: bool = False
    map: bool = False
    mode: bool = False


@dataclass(frozen=True)
class Found:
    """One device a dump lists, as vmemplan read it (the ``source.found`` JSON items)."""

    label: str
    kind: str
    """``fsdax``, ``devdax``, ``system-ram``, ``famfs``, ``sector`` or ``raw`` from
    ndctl/daxctl (a devdax namespace whose dax device kmem or fsdev_dax holds: the
    device's mode);
    ``pmem`` (a namespace whose mode /proc/iomem does not show), ``devdax``,
    ``system-ram`` or ``unclaimed`` (a Soft Reserved range or CXL window no driver
    claimed) from /proc/iomem."""
    location: str
    """The JSON path (``[0].namespaces[1]``) or the /proc/iomem line(s) (``line 30``)."""
    ranges: tuple[tuple[int, int], ...]
    """Half-open byte ranges: read from /proc/iomem, or where the namespace was placed."""
    estimated: bool = True
    """False for a device with no struct pages (sector, raw) or no range to estimate."""
    dump_size_bytes: int | None = None
    """ndctl/daxctl ``size`` (the usable size)."""
    dump_size_exact: bool | None = None
    """False when the dump's size was a rounded ``--human`` string."""
    inferred_raw_bytes: int | None = None
    """The raw namespace size inferred from the usable size."""
    inferred_usable_bytes: int | None = None
    """The usable size that raw size really gives (nd_pfn_init())."""
    usable_matches: bool | None = None
    """Whether the inferred raw size gives the dump's usable size back (within the dump's
    rounding); False flags a dump no raw size ndctl accepts can produce."""
    overridden: tuple[str, ...] = ()
    """``align``, ``map``, ``mode``: where the command line replaced the dump's value."""


@dataclass(frozen=True)
class KmemDevice:
    """A dax device in system-ram mode: System RAM dax kmem hot-added, not a pgmap."""

    label: str
    origin: str
    """The device and where the dump lists it (``dax0.0 ([0].devices[0])``)."""
    request: SystemRamRequest
    """Its ranges as ``estimate --mode system-ram`` takes them, on the dump's machine."""
    devdax: EstimateRequest
    """The same ranges as a device-dax device: what ``compare``/``plan`` weigh it against."""


@dataclass(frozen=True)
class Kmem:
    """How the dump's kmem devices are hot-added: the memory block size and
    memmap_on_memory (from the command line, else from the dump or the kernel's rule)."""

    memmap_on_memory: MemmapOnMemory | None = None
    """``--memmap-on-memory``; None: not given (the dump never says: off)."""
    memory_block_size: int | None = None
    """``--memory-block-size``; None: read from the dump, else the kernel's pick."""


@dataclass(frozen=True)
class Discovered:
    """Requests for each namespace found, and what had to be inferred."""

    requests: list[EstimateRequest]
    inferred: list[str]
    found: list[Found] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    """For each request, the device it models and where the dump lists it."""
    system_ram: list[KmemDevice] = field(default_factory=list)
    """The dax devices kmem hot-added as System RAM, in dump order."""
    memory_block_size_source: str | None = None
    """``dump`` when the dump's memory blocks gave the block size (the requests carry it),
    ``option`` for ``--memory-block-size``; None: the kernel's rule (system_ram.py)."""


def found_doc(f: Found) -> dict[str, object]:
    """``f`` as a JSON object (``source.found`` items of the machine document)."""
    doc: dict[str, object] = {
        "label": f.label,
        "kind": f.kind,
        "location": f.location,
        "ranges": [{"start_bytes": a, "end_bytes": b} for a, b in f.ranges],
        "estimated": f.estimated,
        "dump_size_bytes": f.dump_size_bytes,
        "dump_size_exact": f.dump_size_exact,
        "inferred_raw_bytes": f.inferred_raw_bytes,
        "inferred_usable_bytes": f.inferred_usable_bytes,
        "usable_matches": f.usable_matches,
        "overridden": list(f.overridden),
    }
    return doc


def human_resolution(value: int) -> int:
    """The last digit of ``ndctl --human``'s "N.NN XiB": MiB below 2 GiB, GiB below 2 TiB,
    else TiB (util_display_size() in ndctl's util/json.c)."""
    unit = 1 << 20 if value < 2 << 30 else 1 << 30 if value < 2 << 40 else 1 << 40
    return unit // 100


def _placement_align(align: int) -> int:
    """Where the next namespace may start: the region align and the device align."""
    return max(REGION_ALIGN, align, SUBSECTION_SIZE)


def _span(r: tuple[int, int]) -> str:
    """A byte range as /proc/iomem prints it (END inclusive)."""
    return f"{r[0]:x}-{r[1] - 1:x}"


def _lines(lines: tuple[int, ...]) -> str:
    return f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))


@dataclass(frozen=True)
class _Blocks:
    """What a dump shows of the memory blocks kmem made of one device: the System RAM
    (kmem) ranges /proc/iomem lists, and/or daxctl's ``total_memblocks``."""

    where: str
    ranges: tuple[tuple[int, int], ...]
    """The dax device's ranges, half-open; ``((0, size),)`` for a daxctl device that the
    dump does not place (it is placed on a block boundary, so only its size counts)."""
    added: tuple[tuple[int, int], ...] | None
    blocks: int | None
    shown: str
    """The evidence as the dump prints it: ``total_memblocks 512``."""

    def fits(self, mb: int) -> bool:
        """Whether memory blocks of ``mb`` bytes give what the dump shows: dax_kmem_range()
        adds ``[ALIGN(start, mb), ALIGN_DOWN(end, mb))`` of each range, if not empty."""
        kept = [(align_up(a, mb), align_down(b, mb)) for a, b in self.ranges]
        kept = [(a, b) for a, b in kept if a < b]
        if self.added is not None and sorted(kept) != sorted(self.added):
            return False
        return self.blocks is None or sum(b - a for a, b in kept) // mb == self.blocks


def _kmem_block_size(
    base: EstimateRequest, typed: int | None, evidence: list[_Blocks]
) -> tuple[int | None, int, str | None, list[str]]:
    """The memory block size to hot-add the dump's kmem devices with: the value for their
    requests (None: the kernel's rule, which system_ram.py applies and notes), the size
    itself, where it came from (``option``, ``dump``, None) and the notes.

    The command line wins. Else the kernel's pick (probe_memory_block_size() on x86, one
    section elsewhere) when it gives the blocks the dump shows; else the largest power of
    two from one section to 2 GiB (MAX_BLOCK_SIZE) that does: a VM, CXL CFMWS advice or a
    smaller boot RAM picks less than the rule vmemplan follows.
    """
    arch = base.arch
    probe = SystemRamRequest(arch, base.kernel, (), base.system_ram, memory_block_size=typed)
    mb, source, boot_end = block_size(probe)  # refuses a typed size that is no block size
    if typed is not None:
        notes = [
            f"{e.where}: --memory-block-size {format_size_exact(typed)} does not give its "
            f"{e.shown}: the dump and the option disagree"
            for e in evidence
            if not e.fits(typed)
        ]
        return typed, typed, "option", notes
    wrong = [e for e in evidence if not e.fits(mb)]
    if not wrong:
        return None, mb, None, []
    rule = (
        f"probe_memory_block_size() with boot RAM ending at {format_size_exact(boot_end)}"
        if source == "probe_memory_block_size"
        else f"one section on {arch.name}"
    )
    top = max(MAX_BLOCK_SIZE, 1 << arch.section_size_bits)
    sizes = [1 << k for k in range(arch.section_size_bits, top.bit_length())]
    fitting = [size for size in reversed(sizes) if all(e.fits(size) for e in evidence)]
    e = wrong[0]
    if fitting:
        note = (
            f"{e.where}: memory blocks of {format_size_exact(fitting[0])} inferred from its "
            f"{e.shown}, which blocks of {format_size_exact(mb)} ({rule}) would not give "
            "(--memory-block-size to choose)"
        )
        return fitting[0], fitting[0], "dump", [note]
    note = (
        f"{e.where}: no memory block size of {format_size_exact(sizes[0])} to "
        f"{format_size_exact(sizes[-1])} gives its {e.shown}"
        + (" together with the other devices'" if len(evidence) > 1 else "")
        + f"; {format_size_exact(mb)} assumed ({rule})"
    )
    return None, mb, None, [note]


def _kmem_notes(
    kmem: Kmem, mb: int, online: tuple[int, int] | None = None, *, cxl: bool = False
) -> list[str]:
    """What a kmem device's estimate models, and assumes where the dump does not say."""
    what = (
        "system-ram (kmem): no pgmap; hot-added as System RAM in whole memory blocks of "
        f"{format_size_exact(mb)} after the namespaces, memmap_on_memory "
    )
    if kmem.memmap_on_memory is not None:
        what += f"{kmem.memmap_on_memory} (from --memmap-on-memory)"
    else:
        what += (
            "assumed off (the dump shows neither the device's memmap_on_memory attribute nor "
            "memory_hotplug.memmap_on_memory"
            + ("; a CXL region's dax device sets the attribute, drivers/dax/cxl.c" if cxl else "")
            + "): --memmap-on-memory on|force to model it"
        )
    notes = [what]
    if online is not None and online[0] < online[1]:
        notes.append(
            f"online_memblocks {online[0]:,} of {online[1]:,}: struct pages are written when "
            "a block is onlined; the figures count every block onlined"
        )
    return notes


def _kmem_request(
    base: EstimateRequest,
    kmem: Kmem,
    ranges: tuple[tuple[int, int], ...],
    mb: int | None,
    namespace: PfnLayout | None = None,
) -> SystemRamRequest:
    """The SystemRamRequest of one kmem device on ``base``'s machine."""
    return SystemRamRequest(
        arch=base.arch,
        kernel=base.kernel,
        ranges=ranges,
        system_ram=base.system_ram,
        memmap_on_memory=kmem.memmap_on_memory or "off",
        memory_block_size=mb,
        struct_page_size=base.struct_page_size,
        ps_per_struct_page=base.ps_per_struct_page or DEFAULT_PS_PER_STRUCT_PAGE,
        namespace=namespace,
        linear_map=base.linear_map,
        gbpages=base.gbpages,
    )


def _devdax_request(
    base: EstimateRequest, ranges: tuple[tuple[int, int], ...], label: str
) -> EstimateRequest:
    """The ranges of a kmem device as a device-dax device (no compound pages: the align
    is for compare/plan to vary)."""
    return replace(
        base,
        size=None,
        align=base.arch.page_size,
        vmemmap_shift=None,
        mode="devdax",
        map="mem",
        dax_ranges=ranges,
        label=label,
    )


@dataclass
class _Placer:
    """Where ndctl namespaces go when a /proc/iomem dump is given too.

    A namespace /proc/iomem lists by name is placed at its range; the others are packed
    from the first ``Persistent Memory`` range. Either way it must fit the range it
    lands in: a dump whose namespace overruns it is refused.
    """

    entries: list[IomemEntry]
    cursor: int

    def named(self, dev: FoundDevice) -> IomemEntry | None:
        """The /proc/iomem entry of ``dev``'s name, if the dump lists it."""
        return next((e for e in self.entries if e.name == dev.name), None)

    def place(self, dev: FoundDevice, raw: int, align: int) -> tuple[int, str]:
        """The start of ``dev`` and a note saying where it came from."""
        named = self.named(dev)
        region: IomemEntry | None
        if named is not None:
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
                known.dax_ranges if known is not None and on_iomem else ((0, dev.usable_bytes),),
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
            inferred.extend(f"{where}: {n}" for n in notes)
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
        if dev.map is None:
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
                replace(
                    base,
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


def _refuse_unused_kmem_options(kmem: Kmem, has_kmem: bool, what: str) -> None:
    """--memmap-on-memory and --memory-block-size apply to kmem devices only."""
    if has_kmem:
        return
    for option, value in (
        ("--memmap-on-memory", kmem.memmap_on_memory),
        ("--memory-block-size", kmem.memory_block_size),
    ):
        if value is not None:
            shown = value if isinstance(value, str) else format_size_exact(value)
            raise InputError(
                option,
                f"{shown}: the {what} has no dax device in system-ram mode (kmem) to apply it to",
            )


def _dump_geometry(dev: FoundDevice, base: EstimateRequest, given: Given) -> tuple[int, MapMode]:
    """The align and map the namespace of the dump has: the dump's, else the typed ones,
    else ndctl's defaults (they give its raw size)."""
    align = dev.align or (base.align if given.align else None) or base.arch.pmd_size
    map_: MapMode = dev.map or (base.map if given.map else "dev")
    return align, map_


def _wanted_usable(dev: FoundDevice) -> int:
    """The least usable size the dump's ``size`` can stand for."""
    if dev.usable_exact:
        return dev.usable_bytes
    return dev.usable_bytes - human_resolution(dev.usable_bytes) // 2  # within half a digit


def _namespace_layout(
    base: EstimateRequest, where: str, raw: int, start: int, align: int, map_: MapMode
) -> PfnLayout:
    """The pfn layout of a dump's namespace whose dax device kmem holds."""
    try:
        return pmem_namespace_layout(
            replace(base, size=raw, start=start, align=align, vmemmap_shift=None, map=map_)
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
    )
    return device, notes


def _held_dax_device(dev: FoundDevice) -> FoundDevice | None:
    """The dax device of a devdax namespace (ndctl ``-X``) when kmem or fsdev_dax holds it.

    A pmem dax region has one static dax device (__dax_pmem_probe() in drivers/dax/pmem.c);
    its daxctl mode says which driver holds it. None: device_dax (or the dump does not say).
    """
    held = [d for d in dev.dax_devices if d.mode in _HELD_MODES]
    if not held:
        return None
    where = f"{dev.name} ({dev.location})"
    if dev.mode != "devdax":
        raise InputError(
            "--from-ndctl",
            f"{where}: mode {dev.mode}, but its daxregion holds {held[0].name} in "
            f"{held[0].mode} mode: only a devdax namespace has a dax device",
        )
    if len(dev.dax_devices) > 1:
        raise InputError(
            "--from-ndctl",
            f"{where}: its daxregion lists {len(dev.dax_devices)} dax devices; a pmem "
            "namespace has one (__dax_pmem_probe() in drivers/dax/pmem.c)",
        )
    return held[0]


def _exact_alternatives(
    dev: FoundDevice, base: EstimateRequest, start: int, s: int, slack: int
) -> str:
    """The align/map choices the dump leaves open (it omits them) under which some raw
    size gives exactly the dump's usable size: ``"--align 1G (raw 17G) would give it"``."""
    arch = base.arch
    aligns = [dev.align] if dev.align is not None else list(arch.dax_alignments)
    maps: list[MapMode] = [dev.map] if dev.map is not None else ["dev", "mem"]
    hits = []
    for map_ in maps:
        for align in aligns:
            assert align is not None
            try:
                sized = raw_size_for_usable(
                    arch,
                    usable=dev.usable_bytes - slack,
                    align=align,
                    map_=map_,
                    start=align_up(start, _placement_align(align)),
                    struct_page_size=s,
                )
            except (InputError, InternalError):
                continue
            if abs(sized.usable - dev.usable_bytes) <= slack:
                opts = [f"--align {format_size_exact(align)}"] if dev.align is None else []
                opts += [f"--map {map_}"] if dev.map is None else []
                hits.append(f"{' '.join(opts)} (raw {format_size_exact(sized.raw_size)})")
    if not hits:
        return ""
    return " or ".join(hits) + " would give it exactly"


def _dax_device(
    dev: FoundDevice,
    base: EstimateRequest,
    given: Given,
    cursor: int,
    dax_in_iomem: dict[str, IomemDevice],
    overridden: list[str],
    memory_block_size: int,
) -> tuple[EstimateRequest | None, list[str], tuple[tuple[int, int], ...]]:
    """A daxctl device: its request (None in system-ram mode: kmem hot-added it), the
    notes and its ranges (its usable size, no altmap; a kmem device's, placed on a memory
    block boundary)."""
    arch = base.arch
    notes: list[str] = []
    if given.map and base.map == "dev":
        raise InputError(
            "--map", f"dev: {dev.name} is a dax device: its memmap is never on the device"
        )
    mode = dev.mode
    if given.mode:
        if base.mode == "fsdax":
            raise InputError("--mode", f"fsdax: {dev.name} is a dax device, not a pmem namespace")
        if mode != "devdax":
            overridden.append("mode")
            notes.append(f"--mode devdax overrides the dump's mode {mode}")
            mode = "devdax"
    if mode in _HELD_MODES and given.align:
        raise _no_compound_pages(base, dev.name, mode)
    if mode == "system-ram":
        align = max(arch.page_size, memory_block_size)
    else:
        align = dev.align or base.align or arch.pmd_size
        if given.align and base.align is not None:
            if dev.align is not None and dev.align != base.align:
                overridden.append("align")
                notes.append(
                    f"--align {format_size_exact(base.align)} overrides the dump's align "
                    f"{format_size_exact(dev.align)}"
                )
            align = base.align
    known = dax_in_iomem.get(dev.name)
    if known is not None:
        # a kmem device's own ranges, not the blocks kmem made of them
        ranges = known.dax_ranges or known.ranges
        total = sum(b - a for a, b in ranges)
        if dev.usable_bytes > total + (0 if dev.usable_exact else human_resolution(total)):
            raise InputError(
                "--from-ndctl",
                f"{dev.name}: size {dev.usable_bytes:,} does not fit its /proc/iomem "
                f"range(s) {', '.join(_span(r) for r in ranges)} ({_lines(known.lines)}, "
                f"{format_iec(total)}): the dumps disagree",
            )
        notes.append(f"ranges from /proc/iomem ({_lines(known.lines)})")
    else:
        start = align_up(cursor, _placement_align(align))
        step = SUBSECTION_SIZE if mode == "system-ram" else max(align, SUBSECTION_SIZE)
        size = align_up(dev.usable_bytes, step)
        ranges = ((start, start + size),)
        notes.append(f"placed at {start:#x} (the dump has no address)")
    if mode == "system-ram":
        return None, notes, ranges
    if mode == "famfs":
        notes.append(_famfs_note(align))
    req = replace(
        base,
        size=None,
        # fsdev_dax: no compound pages whatever the device align (its ranges keep it)
        align=None if mode == "famfs" else align,
        vmemmap_shift=0 if mode == "famfs" else None,
        mode="devdax",
        map="mem",
        dax_ranges=ranges,
        label=dev.name,
    )
    return req, notes, ranges


# A dax device another driver than device_dax holds, as daxctl names the mode.
_HELD_MODES = {"system-ram": "system-ram (kmem)", "famfs": "famfs (fsdev_dax)"}


def _no_compound_pages(base: EstimateRequest, name: str, mode: str) -> InputError:
    """--align for a dax device kmem or fsdev_dax holds: there are no compound pages."""
    return InputError(
        "--align",
        f"{format_size_exact(base.align or 0)}: {name} is {_HELD_MODES[mode]}, which has no "
        "compound pages; add --mode devdax to model it as device-dax",
    )


def _famfs_note(align: int, held: str | None = None) -> str:
    """What a dax device in famfs mode is modelled as.

    Follows fsdev_dax_probe() in drivers/dax/fsdev.c, Linux kernel commit d5406bd458b0
    ("dax: add fsdev.c driver for fs-dax on character dax"): the pgmap (the namespace's
    static one for pmem, else one over the dax ranges) is MEMORY_DEVICE_FS_DAX with
    vmemmap_shift 0, so every pfn has an order-0 struct page and nothing is deduplicated.
    """
    what = (
        "estimated as fsdax (the namespace's pgmap: its map and info block are unchanged)"
        if held is not None
        else "estimated as device-dax without compound pages"
    )
    return (
        f"famfs: fsdev_dax holds {'its dax device ' + held if held else 'the device'}; "
        "fsdev_dax_probe() (drivers/dax/fsdev.c) maps it as MEMORY_DEVICE_FS_DAX with "
        "vmemmap_shift 0, so its struct pages are order-0 whatever the align "
        f"{format_size_exact(align)}, with no vmemmap deduplication: {what}; --mode devdax "
        "models it bound to device_dax"
    )


def pmem_namespaces(entries: list[IomemEntry]) -> list[IomemEntry]:
    """The namespaces of each ``Persistent Memory`` range: its ``namespaceX.Y`` children
    when /proc/iomem lists them, else the whole range."""
    out: list[IomemEntry] = []
    position = {id(e): i for i, e in enumerate(entries)}  # list.index() is linear per call
    for region in persistent_memory(entries):
        index = position[id(region)]
        children = []
        for e in entries[index + 1 :]:
            if e.depth <= region.depth:
                break
            if e.depth == region.depth + 1 and e.name.startswith("namespace"):
                children.append(e)
        out.extend(children or [region])
    return out


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
            inferred.extend(f"{where}: {n}" for n in notes)
            system_ram.append(
                KmemDevice(
                    dev.name,
                    where,
                    _kmem_request(base, kmem, dev.dax_ranges, mb, layout),
                    _devdax_request(base, dev.dax_ranges, dev.name),
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
                replace(
                    base, size=None, mode="devdax", map="mem", dax_ranges=dev.ranges, label=dev.name
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
            else:
                inferred.append(
                    f"{where}: mode {base.mode}, map={base.map} and align from the command "
                    "line (/proc/iomem does not say)"
                )
            origins.append(where)
            requests.append(
                replace(
                    base,
                    size=ns.end - ns.start,
                    start=ns.start,
                    mode=mode,
                    map=map_,
                    align=align,
                    vmemmap_shift=base.vmemmap_shift if align == base.align else None,
                    dax_ranges=(),
                    label=ns.name,
                )
            )
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
