"""The ``vmemplan estimate --mode system-ram --json`` document: a dax device onlined as System
RAM by dax kmem, its ranges, block placement, figures and notes (schema: SystemRamDoc).

The walk itself is ``vmemplan.system_ram``; this module only turns its result into JSON.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from vmemplan import __version__
from vmemplan.cost import SCHEMA_VERSION, SUMMABLE_KEYS, system_ram_cost, tables_doc, total_record
from vmemplan.units import SpelledRange, format_size_exact

if TYPE_CHECKING:
    from vmemplan.kernel.memory_hotplug import MemmapOnMemory
    from vmemplan.kernel.versions import KernelProfile
    from vmemplan.system_ram import SystemRamEstimate, SystemRamRequest


def _notes(e: SystemRamEstimate) -> list[str]:
    c, mb = e.cost, format_size_exact(e.memory_block_size)
    notes = []
    if c.refusal is not None and e.request.memmap_on_memory != "off":
        notes.append(f"memmap_on_memory falls back to DRAM for every block: {c.refusal}")
    if any(r.blocks == 0 for r in c.ranges):
        notes.append(
            f"a range holds no whole {mb} memory block: dax_kmem_range() skips it (-ENOSPC)"
        )
    if c.blocks_self_hosted:
        notes.append(
            "each self-hosted block is added on its own (create_altmaps_and_memory_blocks()), "
            "so no direct-map leaf spans two blocks (no 1G pages with blocks under 1 GiB); "
            "HugeTLB pages carved from self-hosted memory get no HVO"
        )
    if e.linear is not None and e.linear[0] == "pages" and e.request.linear_map is None:
        # can_set_direct_map() in arch/arm64/mm/pageattr.c decides it at boot.
        notes.append(
            "direct map at base pages, as arm64 maps it with rodata=full (the usual "
            "default), debug_pagealloc or a late KFENCE pool; --linear-map blocks for "
            "rodata=on/off"
        )
    if e.block_size_source == "probe_memory_block_size":
        notes.append(
            f"memory block size {mb} as probe_memory_block_size() picks it on bare metal from "
            f"the end of boot RAM ({format_size_exact(e.boot_mem_end)}); VMs and kernels "
            "following CXL CFMWS advice may pick less (--memory-block-size)"
        )
    ns = e.request.namespace
    if ns is not None:
        notes.append(
            f"pmem namespace map={ns.map}: {format_size_exact(ns.dataoff)} before the dax "
            f"device (info block{' and the memmap reservation' if ns.map == 'dev' else ''}) "
            "is neither dax device nor RAM"
        )
    notes.append("struct pages are written when the blocks are onlined, not when kmem adds them")
    return notes


def unoptimized_bytes(e: SystemRamEstimate) -> int:
    """What the hot-add costs with memmap_on_memory off (every block's memmap in DRAM),
    less the vmemmap of the pools carved from it (theirs either way)."""
    if not e.cost.blocks_self_hosted:
        return e.dram_bytes
    from vmemplan.system_ram import system_ram_estimate  # noqa: PLC0415

    plain = system_ram_estimate(replace(e.request, memmap_on_memory="off"))
    return replace(plain, pool_vmemmap_pages=e.pool_vmemmap_pages).dram_bytes


def system_ram_doc(e: SystemRamEstimate, name: str | None = None) -> dict[str, object]:
    """The ``vmemplan estimate --mode system-ram --json`` document (schema: SystemRamDoc)."""
    req, c = e.request, e.cost
    p = c.page_size
    acct = c.account
    ranges = [
        {
            "start": r.start,
            "size_bytes": r.end - r.start,
            "added_start": r.added_start,
            "added_bytes": r.added_bytes,
            "head_trimmed_bytes": r.added_start - r.start if r.blocks else r.end - r.start,
            "tail_trimmed_bytes": r.end - r.added_end if r.blocks else 0,
            "blocks": r.blocks,
            "memmap": ("device" if r.self_hosted else "dram") if r.blocks else "none",
            "as_given": given.text if isinstance(given, SpelledRange) else None,
        }
        for r, given in zip(c.ranges, req.ranges, strict=True)
    ]
    linear = e.linear
    unoptimized = unoptimized_bytes(e)
    detail = {
        "ranges": ranges,
        "placement": {
            "blocks_self_hosted": c.blocks_self_hosted,
            "blocks_dram": c.blocks_dram,
            "altmap_pages_per_block": c.altmap_pages_per_block,
            "reason": c.refusal,
        },
        "added_bytes": c.added_bytes,
        "trimmed_bytes": sum(r.trimmed_bytes for r in c.ranges),
        "stranded_bytes": e.stranded_bytes,
        "altmap_pages": c.altmap_pages,
        "managed_pages": c.managed_pages,
        "page_tables": tables_doc(acct.tables),
        "direct_map_tables": tables_doc(c.direct_map),
        "counters": {
            "nr_memmap_pages": c.nr_memmap_pages_delta,
            "nr_memmap_boot_pages": None if c.nr_memmap_pages_delta is None else 0,
        },
    }
    device = system_ram_cost(e, name, dram_bytes_unoptimized=unoptimized, detail=detail)
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": {
            "arch": req.arch.name,
            "kernel": req.kernel.label,
            "page_size_bytes": p,
            "struct_page_size_bytes": e.struct_page_size,
            "memmap_on_memory": req.memmap_on_memory,
            "memory_block_size_bytes": e.memory_block_size,
            "memory_block_size_source": e.block_size_source,
            "boot_mem_end_bytes": e.boot_mem_end,
            "system_ram": [[a, b] for a, b in req.system_ram],
            "linear_map": None if linear is None else linear[0],
            "gbpages": None if linear is None or req.arch.populate != "x86" else linear[1],
            "namespace": None
            if req.namespace is None
            else {
                "start": req.namespace.start,
                "size_bytes": req.namespace.size,
                "map": req.namespace.map,
                "align_bytes": req.namespace.align,
                "dataoff_bytes": req.namespace.dataoff,
                "end_trunc_bytes": req.namespace.end_trunc,
            },
        },
        "total": total_record((device,)),
        "devices": [device],
        "notes": _notes(e),
    }


def system_ram_rows(
    kmem: SystemRamRequest,
    kernels: list[KernelProfile],
    blocks: dict[str, int] | None = None,
) -> list[dict[str, object]]:
    """``compare``'s system-ram rows: the hot-add ``kmem`` (as ``estimate --mode
    system-ram`` costs it: the same ranges, memory block size and namespace layout) per
    kernel, with memmap_on_memory off and on (force only differs where struct page is not
    64 B and is refused before v6.6, so it is left to ``estimate``). Each row carries the
    cost keys of its ``devices[0]`` (null where refused); ``lost_bytes`` includes the
    stranded namespace head of a pmem namespace's dax device (``stranded_bytes``).
    ``blocks``: the memory block size of each kernel (by label) where it differs by kernel
    (a CXL region's dax device under the CFMWS advice rule)."""
    from vmemplan.errors import InputError  # noqa: PLC0415
    from vmemplan.system_ram import system_ram_estimate  # noqa: PLC0415

    rows: list[dict[str, object]] = []
    modes: tuple[MemmapOnMemory, ...] = ("off", "on")
    for kernel in kernels:
        for mode in modes:
            mb = (blocks or {}).get(kernel.label, kmem.memory_block_size)
            req = replace(kmem, kernel=kernel, memmap_on_memory=mode, memory_block_size=mb)
            row: dict[str, object] = {"kernel": kernel.label, "memmap_on_memory": mode}
            try:
                e = system_ram_estimate(req)
            except InputError as err:
                rows.append({**row, "refused": err.message, **dict.fromkeys(_ROW_FIGURES)})
                continue
            c = e.cost
            cost = system_ram_cost(e, dram_bytes_unoptimized=unoptimized_bytes(e))
            rows.append(
                {
                    **row,
                    "refused": None,
                    "memory_block_size_bytes": e.memory_block_size,
                    "blocks_self_hosted": c.blocks_self_hosted,
                    "blocks_dram": c.blocks_dram,
                    "reason": c.refusal,
                    "stranded_bytes": e.stranded_bytes,
                    **{k: cost[k] for k in SUMMABLE_KEYS},
                }
            )
    return rows


_ROW_FIGURES = (
    "memory_block_size_bytes",
    "blocks_self_hosted",
    "blocks_dram",
    "reason",
    "stranded_bytes",
    *SUMMABLE_KEYS,
)
