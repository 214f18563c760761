"""The dax devices of an ndctl/daxctl dump: a daxctl device as a request, and the dax
device (``ndctl list -X``) of a devdax namespace that kmem or fsdev_dax holds.

A device in system-ram mode has no pgmap (kmem hot-added it as System RAM); one in famfs
mode (fsdev_dax) keeps a pgmap without compound pages.
"""

from __future__ import annotations

from vmemplan.errors import InputError
from vmemplan.estimate import EstimateRequest
from vmemplan.kernel.arch import SUBSECTION_SIZE
from vmemplan.sources.discover import (
    Given,
    _lines,
    _placement_align,
    _span,
    human_resolution,
)
from vmemplan.sources.iomem import IomemDevice
from vmemplan.sources.ndctl import FoundDevice
from vmemplan.sources.notes import SourceNote
from vmemplan.units import align_up, format_iec, format_size_exact


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
    elif dev.ranges:
        ranges = dev.ranges
        notes.append(
            SourceNote(
                "from the dump",
                f"ranges from the dump's mappings ({', '.join(_span(r) for r in ranges)})",
            )
        )
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
    req = base._replace(
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
