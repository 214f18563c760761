"""Real systems as input: what the two readers of dumps share.

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

The readers, one module each:

- ``ndctl_machine``: ``from_ndctl()``, namespaces and dax devices from ndctl/daxctl JSON;
- ``daxctl_devices``: a daxctl device, or the dax device of a devdax namespace that kmem
  or fsdev_dax holds, as a request;
- ``iomem_machine``: ``from_iomem()``, boot RAM, pmem and dax devices from /proc/iomem.

This module holds what they share: what was found (:class:`Found`, :class:`Discovered`),
what the user typed (:class:`Given`, :class:`Kmem`), where a device may be placed, and how
a kmem device's memory blocks and request are worked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vmemplan.errors import InputError
from vmemplan.estimate import DEFAULT_PS_PER_STRUCT_PAGE, EstimateRequest
from vmemplan.kernel.arch import SUBSECTION_SIZE
from vmemplan.kernel.memory_hotplug import MAX_BLOCK_SIZE, MemmapOnMemory
from vmemplan.kernel.pfn_devs import PfnLayout
from vmemplan.sizing import REGION_ALIGN
from vmemplan.system_ram import SystemRamRequest, block_size
from vmemplan.units import align_down, align_up, format_size_exact

if TYPE_CHECKING:
    from vmemplan.host.description import Host


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
    rules: tuple[str, ...] = ()
    """``--from-cxl``: the kernel rules that decided the device (sources/cxl_machine.py)."""


@dataclass(frozen=True)
class PmemNamespace:
    """The pmem namespace a dax device belongs to: its static dax region's one device, whose
    align and size are read-only (``dev_dax_visible()`` in drivers/dax/bus.c: 0444 when
    is_static()), so only re-creating the namespace changes its layout."""

    name: str
    start: int
    size: int
    layout: PfnLayout | None
    """Its pfn layout (map, align), when the dump gives or implies it."""


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
    namespace: PmemNamespace | None = None
    """The pmem namespace it is the dax device of; None: a dynamic (hmem/CXL) device."""
    cxl: bool = False
    """A CXL region's dax device (``--from-cxl``)."""
    cfmws_advice: int | None = None
    """A CXL region's dax device whose memory blocks follow the kernel's rule (not the dump
    or --memory-block-size): the block size the CFMWS windows advise (0: none), so that
    each kernel picks its own (kernel/cxl.py probe_memory_block_size())."""


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
        "rules": list(f.rules),
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
    return base._replace(
        size=None,
        align=base.arch.page_size,
        vmemmap_shift=None,
        mode="devdax",
        map="mem",
        dax_ranges=ranges,
        label=label,
    )


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


def discovered_host(found: Discovered, base: EstimateRequest, *, hot_add: bool = True) -> Host:
    """The host a dump describes: its pgmaps in dump order, then (with ``hot_add``) its
    dax devices in system-ram mode, each in its pmem namespace when it is one's."""
    from vmemplan.host import description as d  # noqa: PLC0415
    from vmemplan.host.accounting import hot_add_device, machine_of, pgmap_device  # noqa: PLC0415

    devices = [pgmap_device(r) for r in found.requests]
    kmem = found.system_ram if hot_add else []
    for k in kmem:
        ns = k.namespace
        held = None
        if ns is not None:
            layout = ns.layout
            held = d.PmemNamespace(
                ns.name,
                ns.start,
                ns.size,
                map=layout.map if layout is not None else "mem",
                align_bytes=layout.align if layout is not None else None,
            )
        devices.append(hot_add_device(k.label, k.request, held))
    block = kmem[0].request.memory_block_size if kmem else None
    return d.Host(machine_of(base, block), tuple(devices))
