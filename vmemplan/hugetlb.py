"""``vmemplan hugetlb``: the vmemmap of HugeTLB pools without and with HVO.

Composes the pure model in vmemplan/kernel/hugetlb_vmemmap.py per pool; the pool's
vmemmap is boot memory mapped with PMD leaves (x86 boot RAM), and every copy allocation
succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan import __version__
from vmemplan.cost import SCHEMA_VERSION
from vmemplan.errors import InputError
from vmemplan.kernel.arch import ArchProfile, get_arch
from vmemplan.kernel.hugetlb_vmemmap import (
    HugetlbVmemmap,
    hugetlb_vmemmap,
    hugetlb_vmemmap_arch_selects,
    hugetlb_vmemmap_refusal,
    hugetlb_vmemmap_reserve_pages,
    vmemmap_self_hosted,
)
from vmemplan.kernel.hugetlbpage import check_hugetlb_page_size
from vmemplan.kernel.memory_hotplug import MEMMAP_ON_MEMORY_SINCE
from vmemplan.kernel.versions import KernelProfile, kernel_profile, parse_kernel_release
from vmemplan.kernel.vmstat import hugetlb_vmemmap_counter_deltas
from vmemplan.sources.cmdline import HugetlbPool, parse_hugetlb_cmdline, parse_pages_option
from vmemplan.units import format_size_exact, parse_size, quote_value

# Linux kernel commit 15995a352474 ("mm: report per-page metadata information") (in v6.11):
# HVO adjusts nr_memmap_boot_pages / nr_memmap_pages as it frees and allocates.
MEMMAP_COUNTERS_SINCE = (6, 11)


@dataclass(frozen=True)
class PoolResult:
    """One pool and what HVO does to its vmemmap."""

    pool: HugetlbPool
    vmemmap: HugetlbVmemmap
    refusal: str | None


def hugetlb_pools(
    arch: ArchProfile,
    kernel: KernelProfile,
    pools: list[HugetlbPool],
    *,
    hvo_enabled: bool,
    struct_page_size: int | None,
    self_hosted: bool = False,
) -> list[PoolResult]:
    """Each pool's vmemmap, sorted by (folio size, node). ``self_hosted``: the pools are
    hot-added memory whose memmap is on itself (see ``vmemmap_self_hosted()``)."""
    if not pools:
        raise InputError("--hugetlb", "no HugeTLB pool given (use --hugetlb 1G:512 or --cmdline)")
    out = []
    for pool in sorted(pools, key=lambda p: (p.folio_bytes, -1 if p.node is None else p.node)):
        check_hugetlb_page_size(arch.name, pool.folio_bytes, "--hugetlb")
        v = hugetlb_vmemmap(
            arch,
            kernel.version,
            folio_bytes=pool.folio_bytes,
            nr_folios=pool.nr_folios,
            struct_page_size=struct_page_size,
            hvo_enabled=hvo_enabled,
            self_hosted=self_hosted,
        )
        refusal = hugetlb_vmemmap_refusal(
            arch,
            kernel.version,
            folio_bytes=pool.folio_bytes,
            struct_page_size=struct_page_size,
            hvo_enabled=hvo_enabled,
            self_hosted=self_hosted,
        )
        out.append(PoolResult(pool, v, refusal))
    return out


def pool_name(r: PoolResult, on: str | None = None) -> str:
    """``HugeTLB 1 GiB x 128`` (``on cxl0``: carved from a kmem device)."""
    name = f"HugeTLB {format_size_exact(r.pool.folio_bytes)} x {r.pool.nr_folios:,}"
    return name if on is None else f"{name} on {on}"


def pool_entry(
    r: PoolResult, kernel: KernelProfile, page_size: int, on: str | None = None
) -> dict[str, object]:
    """One pool's cost record (``devices[]`` of hugetlb, host and check)."""
    from vmemplan.cost import pool_cost  # noqa: PLC0415

    v = r.vmemmap
    boot_delta: int | None = None
    pages_delta: int | None = None
    if kernel.version >= MEMMAP_COUNTERS_SINCE:
        # A pool carved from kmem memory frees pages of nr_memmap_pages, not boot pages.
        pages_delta, boot_delta = hugetlb_vmemmap_counter_deltas(
            optimized=v.optimized,
            vmemmap_pages=v.vmemmap_pages,
            kept_pages=v.kept_pages,
            hot_added=on is not None,
        )
    detail = {
        "folio_bytes": r.pool.folio_bytes,
        "node": r.pool.node,
        "nr_folios": r.pool.nr_folios,
        "on": on,
        "vmemmap_pages_per_folio": v.vmemmap_pages_per_folio,
        "optimized": v.optimized,
        "kept_pages_per_folio": v.kept_pages_per_folio,
        "freed_pages_per_folio": v.freed_pages_per_folio,
        "vmemmap_pages_unoptimized": v.vmemmap_pages,
        "vmemmap_pages_optimized": v.kept_pages,
        "page_tables": {"pte": v.pte_tables, "pmd": 0, "pud": 0, "p4d": 0},
        "counters": {"nr_memmap_pages": pages_delta, "nr_memmap_boot_pages": boot_delta},
        "refusal": r.refusal,
        "vmemmap_self_hosted": v.self_hosted,
    }
    return pool_cost(r, page_size, pool_name(r, on), detail)


def hugetlb_doc(
    arch: ArchProfile,
    kernel: KernelProfile,
    results: list[PoolResult],
    *,
    hvo_enabled: bool,
    struct_page_size: int,
    memmap_on_memory: bool = False,
) -> dict[str, object]:
    """The ``vmemplan hugetlb --json`` document (schema: HugetlbDoc)."""
    p = arch.page_size
    from vmemplan.cost import total_record  # noqa: PLC0415

    pools = [pool_entry(r, kernel, p) for r in results]

    notes = sorted(
        {
            f"{format_size_exact(r.pool.folio_bytes)} pages: HVO refused: {r.refusal}"
            for r in results
            if r.refusal
        }
    )
    if memmap_on_memory and any(r.vmemmap.self_hosted for r in results):
        notes.append(
            "--memmap-on-memory: the pools are memory hot-added with memmap_on_memory: their "
            "vmemmap is on that memory, so it costs no DRAM and HVO frees nothing (HVO skips "
            "self-hosted folios since ~v6.1; that tag is not confirmed)"
        )
    elif memmap_on_memory:
        notes.append(
            "--memmap-on-memory: before v6.1 mhp_supports_memmap_on_memory() refuses it while "
            "HVO is on, so the pools' hot-added memmap is in DRAM and HVO applies"
        )
    notes.append(
        "assumes the pool's vmemmap is mapped with PMD leaves (boot memory, or memory "
        "hot-added with its memmap in DRAM), one PTE table per PMD the pool spans, and that "
        "every head-page copy allocation succeeds"
    )
    rel = kernel.release
    if rel is not None and rel.extra:
        notes.append(
            f"{rel.text} is a distribution kernel ({quote_value(rel.extra)} after the upstream "
            "version):"
            f" the upstream HugeTLB vmemmap rules of {rel.label} were assumed (the arch's HVO "
            "Kconfig and the vmemmap pages kept per folio, by version); distributions backport"
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": {
            "arch": arch.name,
            "kernel": kernel.label,
            "page_size_bytes": p,
            "struct_page_size_bytes": struct_page_size,
            "hvo_requested": hvo_enabled,
            "memmap_on_memory": memmap_on_memory,
        },
        "hvo": {
            "arch_selects": hugetlb_vmemmap_arch_selects(arch, kernel.version),
            "reserve_pages_per_folio": hugetlb_vmemmap_reserve_pages(kernel.version),
        },
        "total": total_record(pools),
        "devices": pools,
        "notes": notes,
    }


def hugetlb_command(
    *,
    pages: tuple[str, ...],
    cmdline: str | None,
    hvo: bool | None,
    arch: str,
    kernel: str,
    struct_page_size: str | None,
    memmap_on_memory: bool = False,
) -> dict[str, object]:
    """Parse the ``vmemplan hugetlb`` options and build its document."""
    a = get_arch(arch)
    k = kernel_profile(parse_kernel_release(kernel))
    s = a.struct_page_size
    if struct_page_size is not None:
        s = parse_size(struct_page_size, "--struct-page-size")
        if s == 0:
            raise InputError("--struct-page-size", f"{struct_page_size!r}: must be positive")
    pools: list[HugetlbPool] = []
    for text in pages:
        pools.extend(parse_pages_option(text, "--hugetlb", a.name))
    hvo_enabled = True if hvo is None else hvo
    if cmdline is not None:
        parsed = parse_hugetlb_cmdline(cmdline, a.pmd_size, a.name)
        pools.extend(parsed.pools)
        if parsed.hvo_enabled is not None:
            if hvo is not None and hvo != parsed.hvo_enabled:
                raise InputError("--hvo", "contradicts hugetlb_free_vmemmap= in --cmdline")
            hvo_enabled = parsed.hvo_enabled
    keys = [(p.folio_bytes, p.node) for p in pools]
    if len(set(keys)) != len(keys):
        raise InputError("--hugetlb", "the same huge page size (and node) is given twice")
    if memmap_on_memory and k.version < MEMMAP_ON_MEMORY_SINCE:
        raise InputError(
            "--memmap-on-memory",
            f"memory_hotplug.memmap_on_memory does not exist before v5.12 (kernel {k.label})",
        )
    self_hosted = vmemmap_self_hosted(
        a, k.version, memmap_on_memory=memmap_on_memory, hvo_enabled=hvo_enabled
    )
    results = hugetlb_pools(
        a, k, pools, hvo_enabled=hvo_enabled, struct_page_size=s, self_hosted=self_hosted
    )
    return hugetlb_doc(
        a,
        k,
        results,
        hvo_enabled=hvo_enabled,
        struct_page_size=s,
        memmap_on_memory=memmap_on_memory,
    )
