"""What an ndctl namespace's own values say about it, before it is placed and estimated.

ndctl prints the usable size; the raw size, and a map the dump leaves out or prints as
``none``, are inferred with the inverse model (sizing.py) under the dump's align and map.
A namespace with no pfn device (legacy e820) has no info block: raw = usable. An align
the architecture cannot have, or a dax device smaller than its namespace, is said.
"""

from __future__ import annotations

from typing import Protocol

from vmemplan.errors import InputError, InternalError
from vmemplan.estimate import EstimateRequest
from vmemplan.kernel.arch import ARCHES, SUBSECTION_SIZE
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.sizing import raw_size_for_usable
from vmemplan.sources.discover import Found, Given, _placement_align, human_resolution
from vmemplan.sources.ndctl import FoundDevice
from vmemplan.sources.notes import SourceNote
from vmemplan.units import align_up, format_iec, format_size_exact


def _dump_geometry(dev: FoundDevice, base: EstimateRequest, given: Given) -> tuple[int, MapMode]:
    """The align and map the namespace of the dump has: the dump's, else the typed ones,
    else ndctl's defaults (they give its raw size)."""
    align = dev.align or (base.align if given.align else None) or base.arch.pmd_size
    map_: MapMode = dev.map or (base.map if given.map else "dev")
    if dev.map_none and not given.map:
        map_ = next(iter(_maps_giving_usable(dev, base, align)), "dev")
    return align, map_


def _maps_giving_usable(dev: FoundDevice, base: EstimateRequest, align: int) -> list[MapMode]:
    """The maps (dev first) under which a raw size gives the dump's usable size (within
    its rounding), for a namespace placed on an aligned start."""
    s = base.struct_page_size or base.arch.struct_page_size
    slack = 0 if dev.usable_exact else human_resolution(dev.usable_bytes) // 2
    hits: list[MapMode] = []
    maps: tuple[MapMode, ...] = ("dev", "mem")
    for map_ in maps:
        try:
            sized = raw_size_for_usable(
                base.arch,
                usable=_wanted_usable(dev),
                align=align,
                map_=map_,
                start=0,
                struct_page_size=s,
            )
        except (InputError, InternalError):
            continue
        if abs(sized.usable - dev.usable_bytes) <= slack:
            hits.append(map_)
    return hits


def _map_none_note(
    dev: FoundDevice, base: EstimateRequest, given: Given, where: str, map_: MapMode
) -> str:
    """What a namespace whose dump says ``"map":"none"`` is estimated with."""
    what = (
        f"{where}: map none in the dump (the kernel reported no memmap location for its "
        "pfn/dax device: mode none)"
    )
    if given.map:
        return SourceNote("given", f"{what}; map={map_} from --map")
    if _maps_giving_usable(dev, base, _dump_geometry(dev, base, given)[0]):
        return SourceNote(
            "inferred", f"{what}; map={map_} inferred: it gives the dump's usable size"
        )
    return SourceNote(
        "default",
        f"{what}; neither map gives its usable size exactly: assumed dev (ndctl's default)",
    )


def _wanted_usable(dev: FoundDevice) -> int:
    """The least usable size the dump's ``size`` can stand for."""
    if dev.usable_exact:
        return dev.usable_bytes
    return dev.usable_bytes - human_resolution(dev.usable_bytes) // 2  # within half a digit


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


def _dump_checks(dev: FoundDevice, base: EstimateRequest, given: Given, where: str) -> list[str]:
    """What the dump's own values say before a device is estimated: an align the
    architecture cannot have (the dump comes from another one: refused, or noted where
    ``--align`` replaces it), and an ndctl ``-X`` dax device smaller than its namespace.
    """
    notes: list[str] = []
    arch = base.arch
    aligns = [a for a in (dev.align, *(d.align for d in dev.dax_devices)) if a is not None]
    foreign = next((a for a in aligns if a not in arch.dax_alignments), None)
    if foreign is not None:
        theirs = [name for name, a in ARCHES.items() if foreign in a.dax_alignments]
        supported = ", ".join(format_size_exact(a) for a in arch.dax_alignments)
        what = f"{where}: align {format_size_exact(foreign)} is not an {arch.name} alignment "
        what += (
            f"({supported}): the dump comes from another architecture ({', '.join(theirs)} "
            "have it; a PowerVM LPAR prints 64K)"
            if theirs
            else f"({supported}), nor one of any architecture vmemplan models"
        )
        if not given.align:
            raise InputError("--from-ndctl", what + (": give its --arch" if theirs else ""))
        notes.append(SourceNote("given", f"{what}; --align replaces it (--arch to model that one)"))
    smaller = [d for d in dev.dax_devices if d.usable_bytes < dev.usable_bytes]
    if smaller and dev.usable_exact and smaller[0].usable_exact:
        d = smaller[0]
        notes.append(
            SourceNote(
                "from the dump",
                f"{where}: its dax device {d.name} is {d.usable_bytes:,} bytes, "
                f"{format_iec(dev.usable_bytes - d.usable_bytes)} less than the namespace's "
                f"{dev.usable_bytes:,}: the namespace is estimated (its pgmap covers all "
                "of it); the dax device maps only its own size",
            )
        )
    return notes


class _Places(Protocol):
    """Where a namespace goes when /proc/iomem is given too (ndctl_machine._Placer)."""

    def place(self, dev: FoundDevice, raw: int, align: int) -> tuple[int, str]: ...


def _static_namespace(
    dev: FoundDevice, base: EstimateRequest, cursor: int, placer: _Places | None
) -> tuple[EstimateRequest, list[str], Found]:
    """A namespace with no pfn device (:attr:`FoundDevice.static`): its request, notes and
    :class:`Found`.

    Follows pmem_attach_disk() in drivers/nvdimm/pmem.c: without a pfn device, a namespace
    of a region with ND_REGION_PAGEMAP (e820, memmap=) gets a MEMORY_DEVICE_FS_DAX pgmap
    over its whole range, no altmap and order-0 pages: no info block, nothing lost, the
    memmap in DRAM. Modelled as one dax range without compound pages.
    """
    size = dev.usable_bytes
    notes: list[str] = [
        SourceNote(
            "inferred",
            "no uuid and no align: a namespace with no pfn info block (legacy e820 or "
            'memmap=, ndctl\'s "native/static" fsdax), mapped whole with its memmap in DRAM: '
            "raw size = size, nothing lost",
        )
    ]
    if not dev.usable_exact:
        size = (dev.usable_bytes + SUBSECTION_SIZE // 2) // SUBSECTION_SIZE * SUBSECTION_SIZE
        notes.append(
            SourceNote(
                "inferred",
                f"size {dev.usable_bytes:,} bytes rounded in the dump; "
                f"{format_size_exact(size)} taken (the nearest whole 2M subsections)",
            )
        )
    if placer is not None:
        start, placed = placer.place(dev, size, SUBSECTION_SIZE)
    else:
        start = align_up(cursor, _placement_align(SUBSECTION_SIZE))
        placed = f"placed at {start:#x} (the dump has no address)"
    notes.append(placed)
    req = base._replace(
        size=None,
        align=None,
        vmemmap_shift=0,
        mode="devdax",
        map="mem",
        dax_ranges=((start, start + size),),
        label=dev.name,
    )
    found = Found(
        dev.name,
        dev.mode,
        dev.location,
        ((start, start + size),),
        True,
        dev.usable_bytes,
        dev.usable_exact,
        size,
        size,
        True,
    )
    return req, notes, found
