"""The ``/proc/vmstat`` memmap counters a device chunk moves.

Follows memmap_pages_add() as called from populate_section_memmap() (v6.11 - v6.16, and
again with the 2026 fix) or section_activate() (v6.17, c3576889d87b), and
section_nr_vmemmap_pages() of the 2026 accounting fix. Device memory is hot-added after
boot, so it only ever moves ``nr_memmap_pages``, never ``nr_memmap_boot_pages``.
"""

from __future__ import annotations

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.intervals import count_congruent
from vmemplan.kernel.sparse import ChunkRun
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import div_round_up


def section_nr_vmemmap_pages(
    arch: ArchProfile,
    kernel: KernelProfile,
    struct_page_size: int,
    run: ChunkRun,
    *,
    optimized: bool,
    vmemmap_shift: int,
) -> int:
    """``nr_memmap_pages`` added by populating every chunk of ``run``.

    "nominal" counts DIV_ROUND_UP(nr_pages * sizeof(struct page), PAGE_SIZE) per chunk
    whatever was really allocated (altmap pages included). "exact" follows
    section_nr_vmemmap_pages(): optimized compounds smaller than a section count
    VMEMMAP_RESERVE_NR * nr_pages / nr_compound; larger ones count VMEMMAP_RESERVE_NR for a
    chunk whose first pfn is compound aligned (absolute pfn), else 0.
    """
    n_chunk = (run.end_pfn - run.start_pfn) // run.nr_chunks
    nominal = run.nr_chunks * div_round_up(n_chunk * struct_page_size, arch.page_size)
    if kernel.counters == "nominal" or not optimized:
        return nominal
    nr = 1 << vmemmap_shift
    if vmemmap_shift < arch.pfn_section_shift:
        return run.nr_chunks * (kernel.dedup_keep * n_chunk // nr)
    # Chunk starts of a run are multiples of PAGES_PER_SECTION (or the run's only start).
    aligned = (
        count_congruent(run.start_pfn, run.end_pfn, 0, nr)
        if run.full_sections
        else int(run.start_pfn % nr == 0)
    )
    return kernel.dedup_keep * aligned


# Follows free_vmemmap_page() and vmemmap_remap_free() in mm/hugetlb_vmemmap.c.
def hugetlb_vmemmap_counter_deltas(
    *,
    optimized: bool,
    vmemmap_pages: int,
    kept_pages: int,
    hot_added: bool,
) -> tuple[int, int]:
    """What HVO of a pool moves: ``(nr_memmap_pages, nr_memmap_boot_pages)`` deltas.

    free_vmemmap_page() looks at each vmemmap page it frees: a page with PG_reserved came
    from memblock at boot (sparse_init()'s memmap) and leaves ``nr_memmap_boot_pages``
    (memmap_boot_pages_add(-1)); any other page came from the page allocator
    (vmemmap_alloc_block() once slab is up, as for every section hot-added after boot:
    __populate_section_memmap() in mm/sparse-vmemmap.c counts those with
    memmap_pages_add()) and leaves ``nr_memmap_pages`` (memmap_pages_add(-1)).
    vmemmap_remap_free() copies the head vmemmap page into a newly allocated page and
    adds it to ``nr_memmap_pages`` (memmap_pages_add(1)), whatever the pool is carved
    from. Linux kernel commit 15995a352474 ("mm: report per-page metadata information")
    (in v6.11) added both counters.

    So a pool carved from boot RAM frees ``vmemmap_pages`` boot pages and adds
    ``kept_pages`` copies; a pool carved from hot-added (kmem) memory whose memmap is in
    DRAM never touches the boot counter: its ``vmemmap_pages`` leave ``nr_memmap_pages``
    and the copies join it again. A pool whose vmemmap HVO skips (not optimized, or
    self-hosted by memmap_on_memory) moves neither."""
    if not optimized:
        return 0, 0
    if hot_added:
        return kept_pages - vmemmap_pages, 0
    return kept_pages, -vmemmap_pages
