"""The devices a ``cxl list`` dump describes, under the kernel's CXL rules (kernel/cxl.py).

A committed RAM region becomes its one dax device (``dax<id>.0``, the region's whole
range, at the region's ``resource``): bound to kmem (a :class:`KmemDevice`, hot-added as
System RAM after the pgmaps) or to device_dax (a device-dax pgmap), as the dump's
``daxregion`` says or, when the dump does not show it, as the kernel's default for that
version. Its memmap_on_memory is the dax device's own (drivers/dax/cxl.c asks for it from
v6.8) and ``memory_hotplug.memmap_on_memory`` (``--memmap-on-memory``). The memory blocks
kmem trims it to are ``--memory-block-size``, else those the dump's ``total_memblocks``
show, else x86's ``probe_memory_block_size()`` with the CFMWS advice of the dump's root
decoders (v6.16). A region part of which is already System RAM is boot RAM (firmware
onlined it). A pmem region is costed through its libnvdimm namespaces (``--from-ndctl``).
Decoders with no region cost nothing. Every device gets a note naming the rule that
decided it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from vmemplan.estimate import EstimateRequest
from vmemplan.kernel import cxl as rules
from vmemplan.kernel.memory_hotplug import MAX_BLOCK_SIZE, memory_block_size_bytes
from vmemplan.sources.cxl import CxlListing, CxlRegion
from vmemplan.sources.discover import (
    Discovered,
    Found,
    Kmem,
    KmemDevice,
    _Blocks,
    _devdax_request,
    _kmem_request,
)
from vmemplan.units import format_size_exact

Range = tuple[int, int]


class _Ranges:
    """Ranges to test overlaps against in O(log n) each (sorted by start; with ``ends``
    the running maximum of the ends, so overlapping inputs are handled too)."""

    def __init__(self, ranges: tuple[Range, ...]) -> None:
        ordered = sorted(ranges)
        self.starts = [lo for lo, _ in ordered]
        self.ends: list[int] = []
        top = 0
        for _, hi in ordered:
            top = max(top, hi)
            self.ends.append(top)

    def overlaps(self, r: Range) -> bool:
        """Whether ``[r0, r1)`` meets any range: the last range starting before r1 (or
        any before it, by the running maximum of ends) must end after r0."""
        if r[1] <= r[0]:
            return False
        i = bisect_right(self.starts, r[1] - 1)
        return i > 0 and self.ends[i - 1] > r[0]


def region_range(region: CxlRegion) -> Range | None:
    """``[start, end)`` of a region the dump places, else None."""
    end = region.end
    if region.start is None or end is None or end <= region.start:
        return None
    return region.start, end


def cfmws_advice(listing: CxlListing) -> tuple[int, list[str]]:
    """The memory block size the dump's root decoders (CFMWS windows) advise (0: none),
    and what keeps it from being known."""
    roots = [d for d in listing.decoders if d.role == "root" and d.size_bytes]
    windows = [
        (d.start, d.start + d.size_bytes) for d in roots if d.start is not None and d.size_bytes
    ]
    notes: list[str] = []
    if not roots:
        notes.append(
            "the dump lists no root decoder (a CFMWS window; cxl list -D or -vvv shows them): "
            "no CFMWS advice modelled (--memory-block-size to choose)"
        )
    elif len(windows) < len(roots):
        notes.append(
            "the root decoders' resource is not in the dump (cxl list reads it as root only): "
            "CFMWS advice not modelled for them (--memory-block-size to choose)"
        )
    advice, bios = rules.cfmws_block_advice(windows)
    return advice, notes + bios


def _block_size(
    listing: CxlListing, base: EstimateRequest, kmem: Kmem, evidence: list[_Blocks]
) -> tuple[int | None, str | None, list[str]]:
    """The memory block size for the dump's kmem devices (None: the kernel's rule that
    system_ram.py applies with no advice), where it came from, and the notes."""
    if kmem.memory_block_size is not None:
        return kmem.memory_block_size, "option", []
    arch = base.arch
    boot_mem_end = max((hi for _, hi in base.system_ram), default=0)
    advice, notes = cfmws_advice(listing)
    rule = rules.probe_memory_block_size(arch, base.kernel, boot_mem_end, advice)
    mb = int(rule.value)
    wrong = [e for e in evidence if not e.fits(mb)]
    if wrong:
        top = max(MAX_BLOCK_SIZE, 1 << arch.section_size_bits)
        sizes = [1 << k for k in range(arch.section_size_bits, top.bit_length())]
        fitting = [s for s in reversed(sizes) if all(e.fits(s) for e in evidence)]
        if fitting:
            notes.append(
                f"{wrong[0].where}: memory blocks of {format_size_exact(fitting[0])} inferred "
                f"from its {wrong[0].shown}, which {format_size_exact(mb)} ({rule.rule}) "
                "would not give (--memory-block-size to choose)"
            )
            return fitting[0], "dump", notes
    notes.append(f"memory blocks of {format_size_exact(mb)}: kernel rule: {rule.rule}")
    if mb == memory_block_size_bytes(arch, boot_mem_end):
        return None, None, notes  # what system_ram.py picks without advice
    return mb, "cfmws_advice", notes


def from_cxl(
    listing: CxlListing, base: EstimateRequest, kmem: Kmem | None = None, *, ndctl: bool = False
) -> Discovered:
    """The devices of ``listing`` on ``base``'s machine (see the module doc); ``ndctl``:
    the pmem regions' namespaces come from an ndctl dump of the same host."""
    kmem = kmem or Kmem()
    kernel = base.kernel
    boot = _Ranges(base.system_ram)
    seen: set[str] = set()
    inferred: list[str] = []
    found: list[Found] = []
    requests: list[EstimateRequest] = []
    origins: list[str] = []
    system_ram: list[KmemDevice] = []
    if listing.approximate:
        inferred.append(
            f"{', '.join(listing.approximate[:3])}: cxl list -u sizes are rounded; read back to "
            "whole 256M (the CXL decode granularity): inferred"
        )
    # (region, its range, its dax device name, its driver, the rules that decided them)
    ram: list[tuple[CxlRegion, Range, str, str, list[str]]] = []
    for region in listing.regions:
        where = f"{region.name} ({region.location})"
        if region.name in seen:  # listed twice (cxl list never does): counted once
            inferred.append(f"{where}: {region.name} is listed again: counted once")
            continue
        seen.add(region.name)
        span = region_range(region)
        if region.decode_state == "reset" or span is None:
            why = "not committed (decode_state reset)" if span else "no resource or size"
            inferred.append(f"{where}: {why}: no memory behind it, costs nothing")
            found.append(
                Found(region.name, "unclaimed", region.location, (), False, region.size_bytes)
            )
            continue
        if region.type == "pmem":
            inferred.append(
                f"{where}: pmem region: costed through its libnvdimm namespaces, "
                + (
                    "from --from-ndctl"
                    if ndctl
                    else "which cxl list does not show (give ndctl list -N as --from-ndctl)"
                )
            )
            found.append(
                Found(region.name, "pmem", region.location, (span,), False, region.size_bytes)
            )
            continue
        if region.type is None:
            inferred.append(f"{where}: no type in the dump; assumed ram")
        onlined = boot.overlaps(span)
        dax = rules.cxl_ram_region_dax(kernel, onlined)
        if not dax.value:
            kind = "boot-ram" if onlined else "unclaimed"
            inferred.append(f"{where}: kernel rule: {dax.rule}")
            found.append(
                Found(
                    region.name,
                    kind,
                    region.location,
                    (span,),
                    False,
                    region.size_bytes,
                    rules=(dax.rule,),
                )
            )
            continue
        dev = region.dax_devices[0] if region.dax_devices else None
        name = dev.name if dev is not None else f"dax{region.region_id or 0}.0"
        default = rules.default_dax_driver(kernel, "cxl")
        if dev is not None and dev.mode is not None:
            driver = "kmem" if dev.mode == "system-ram" else "device_dax"
            why = f"{driver}: the dump shows mode {dev.mode} (the default: {default.rule})"
        else:
            driver = str(default.value)
            why = f"{driver}: {default.rule} (the dump has no daxregion)"
        inferred.append(f"{name} ({region.name}): kernel rule: {dax.rule}; {why}")
        if len(region.dax_devices) > 1 or (
            dev is not None and dev.size_bytes not in (None, span[1] - span[0])
        ):
            inferred.append(
                f"{name} ({region.name}): the dump shows dax devices other than the one of "
                "the whole region (resized or added with daxctl): costed as the whole region "
                "(cxl list does not show their ranges)"
            )
        ram.append((region, span, name, driver, [dax.rule, why]))

    evidence = []
    for region, span, name, driver, _ in ram:
        dev = region.dax_devices[0] if region.dax_devices else None
        if driver == "kmem" and dev is not None and dev.total_memblocks is not None:
            evidence.append(
                _Blocks(
                    f"{name} ({dev.location})",
                    (span,),
                    None,
                    dev.total_memblocks,
                    f"total_memblocks {dev.total_memblocks:,} "
                    f"({format_size_exact(span[1] - span[0])})",
                )
            )
    has_kmem = any(driver == "kmem" for *_, driver, _ in ram)
    mb, mb_source, mb_notes = (
        _block_size(listing, base, kmem, evidence) if has_kmem else (None, None, [])
    )
    inferred.extend(mb_notes)
    mb_rule = [n for n in mb_notes if n.startswith("memory blocks of ")] or mb_notes[-1:]
    # each kernel picks its own blocks (compare --kernel A --kernel B) unless pinned
    advice = cfmws_advice(listing)[0] if mb_source in (None, "cfmws_advice") else None
    attr = rules.dax_memmap_on_memory(kernel, "cxl")
    param = kmem.memmap_on_memory or "off"
    for region, span, name, driver, decided in ram:
        where = f"{name} ({region.location})"
        ranges = (span,)
        dev = region.dax_devices[0] if region.dax_devices else None
        mom = f"memmap_on_memory: {attr.rule}"
        found.append(
            Found(
                name,
                "system-ram" if driver == "kmem" else "devdax",
                region.location,
                ranges,
                True,
                span[1] - span[0],
                region.size_exact,
                rules=tuple(decided + ([*mb_rule, mom] if driver == "kmem" else [])),
            )
        )
        if driver != "kmem":
            # drivers/dax/cxl.c: alloc_dax_region(..., PMD_SIZE, ...): the device's align
            requests.append(_devdax_request(base, ranges, name)._replace(align=base.arch.pmd_size))
            origins.append(where)
            continue
        # below v6.8 kmem never passes MHP_MEMMAP_ON_MEMORY: the estimate refuses it itself
        mode = param
        setting = (
            f"{param} (from --memmap-on-memory)"
            if kmem.memmap_on_memory is not None
            else "assumed off (the default; --memmap-on-memory on|force to model it)"
        )
        inferred.append(
            f"{where}: memmap_on_memory {mode}: kernel rule: {attr.rule}; "
            f"memory_hotplug.memmap_on_memory {setting}"
        )
        online = dev.online_memblocks if dev is not None else None
        total = dev.total_memblocks if dev is not None else None
        if online is not None and total is not None and online < total:
            inferred.append(
                f"{where}: online_memblocks {online:,} of {total:,}: the figures count every "
                "block onlined"
            )
        system_ram.append(
            KmemDevice(
                name,
                where,
                _kmem_request(base, replace(kmem, memmap_on_memory=mode), ranges, mb),
                _devdax_request(base, ranges, name),
                cxl=True,
                cfmws_advice=advice,
            )
        )
    windows = {r.window for r in listing.regions}
    idle = [d.name for d in listing.decoders if d.region is None and d.name not in windows]
    if idle:
        shown = ", ".join(idle[:8]) + (f" and {len(idle) - 8} more" if len(idle) > 8 else "")
        inferred.append(f"decoders with no region in the dump cost nothing: {shown}")
    return Discovered(requests, inferred, found, origins, system_ram, mb_source)


def _spans(req: EstimateRequest) -> tuple[Range, ...]:
    if req.dax_ranges:
        return tuple(req.dax_ranges)
    if req.size is not None:
        return ((req.start, req.start + req.size),)
    return ()


def merge(other: Discovered, cxl: Discovered, option: str, *, by_range: bool) -> Discovered:
    """``other`` (from ``option``: --from-ndctl or --iomem of the same host) and ``cxl``
    with each device once: a device of ``other`` that has the name of a device ``cxl``
    costs (or, with ``by_range``, overlaps one) is ``cxl``'s. ``other``'s kmem devices
    take ``cxl``'s memory block size (one per host) when ``cxl`` sets one."""
    costed = [f for f in cxl.found if f.estimated]
    names = {f.label for f in costed}
    spans = _Ranges(tuple(r for f in costed for r in f.ranges))

    def same(label: str, ranges: tuple[Range, ...]) -> bool:
        return label in names or (by_range and any(spans.overlaps(r) for r in ranges))

    notes: list[str] = []
    dropped: set[str] = set()
    requests, origins = [], []
    for req, origin in zip(other.requests, other.origins, strict=True):
        label = req.label or ""
        if same(label, _spans(req)):
            dropped.add(label)
            continue
        requests.append(req)
        origins.append(origin)
    kmem = []
    block = next((k.request.memory_block_size for k in cxl.system_ram), None)
    for k in other.system_ram:
        if same(k.label, tuple(k.request.ranges)):
            dropped.add(k.label)
            continue
        if block is not None:
            k = replace(k, request=replace(k.request, memory_block_size=block))  # noqa: PLW2901
        kmem.append(k)
    found = [f for f in other.found if not (f.label in dropped and f.estimated)]
    if option == "--from-ndctl":
        notes.extend(_outside_pmem_regions(cxl, requests))
    inferred = [line for line in other.inferred if line.split(" ", 1)[0] not in dropped]
    for label in sorted(dropped):
        notes.append(
            f"{label}: listed by --from-cxl and {option}: counted once, as --from-cxl describes it"
        )
    return Discovered(
        requests + cxl.requests,
        inferred + cxl.inferred + notes,
        found + cxl.found,
        origins + cxl.origins,
        kmem + cxl.system_ram,
        cxl.memory_block_size_source if cxl.system_ram else other.memory_block_size_source,
    )


def _outside_pmem_regions(cxl: Discovered, requests: list[EstimateRequest]) -> list[str]:
    """Namespaces of an ndctl dump placed beyond the dump's CXL pmem regions (ndctl does
    not print where a namespace starts: they are packed from the first region's start)."""
    regions = [r for f in cxl.found if f.kind == "pmem" for r in f.ranges]
    if not regions:
        return []
    inside = _Ranges(tuple(regions))
    out = []
    for req in requests:
        if req.size is None or req.dax_ranges:
            continue
        lo, hi = req.start, req.start + req.size
        # within one region: the region that starts at or before lo must reach hi
        i = bisect_right(inside.starts, lo)
        if i == 0 or inside.ends[i - 1] < hi:
            out.append(
                f"{req.label}: placed at {lo:#x}-{hi - 1:#x}, beyond the pmem regions of "
                "--from-cxl (the ndctl dump has no addresses): check the dumps are of one host"
            )
    return out
