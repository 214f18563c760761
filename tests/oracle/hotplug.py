"""Brute-force dax kmem hot-add oracle (memmap in DRAM or on the device): a TEST ORACLE.

Written from /work/shared/spec/hotplug-hvo-model.md part A and the kernel source only,
without reading vmemplan's own hotplug code.  It is deliberately slow: it visits every
pfn of every added memory block, records the vmemmap page that holds its ``struct page``
in a Python set, and counts set members.  Small geometries only (a few GiB of 4K pages).

What it counts (``hotplug_memmap()``)
-------------------------------------
* ``memmap_pages_dram``: vmemmap data pages allocated from DRAM (buddy) for blocks whose
  memmap is not self-hosted.  Page-table pages are not included.
* ``memmap_pages_self_hosted``: vmemmap data pages taken from the device itself through
  the per-block altmap (memmap_on_memory).
* ``blocks_self_hosted`` / ``blocks_dram``: memory blocks added each way.
* ``usable_bytes``: device bytes that become System RAM managed by the buddy allocator:
  the block-trimmed range minus, per self-hosted block, the altmap pages reserved for its
  memmap (``memory_block_memmap_on_memory_pages()``).

Rules and the kernel code each follows
--------------------------------------
1. Trim (``dax_kmem_range()`` in drivers/dax/kmem.c): ``[ALIGN(start, MB),
   ALIGN_DOWN(end, MB))``; an empty result adds nothing (``-ENOSPC`` for that range).
2. Whether kmem asks for memmap_on_memory at all (``dev_dax_kmem_probe()``): only from
   v6.8, when Vishal Verma's series made kmem pass ``MHP_MEMMAP_ON_MEMORY`` if
   ``dev_dax->memmap_on_memory`` is set (spec A.2.2, A.5).  Switch
   ``KMEM_PASSES_MHP_MEMMAP_ON_MEMORY`` below.  Here ``memmap_on_memory`` stands for the
   global ``memory_hotplug.memmap_on_memory=Y`` AND the device attribute both true.
3. The decision (``add_memory_resource()`` -> ``mhp_supports_memmap_on_memory()`` in
   mm/memory_hotplug.c).  Since 6b8f0798b85a ("mm/memory_hotplug: split memmap_on_memory
   requests across memblocks") (in v6.8) the test is made with ``size == MB`` and, when it
   passes, every block gets its own altmap (``create_altmaps_and_memory_blocks()``).  The
   6.6+ form of the test (Aneesh Kumar's series): memmap_size = PHYS_PFN(MB) * S must be
   PAGE_SIZE aligned, memmap_pages = PFN_UP(memmap_size) must be pageblock aligned and
   smaller than the block, and ``arch_supports_memmap_on_memory()`` (generic:
   memmap_size a multiple of PMD_SIZE) must hold.  Force mode is not an input here.
4. Per block, the memmap is populated for the block's pfns (``arch_add_memory()`` ->
   ``__add_pages()`` -> ``__populate_section_memmap()`` per section).  x86_64 and arm64-4K
   ``vmemmap_populate()`` map full sections with PMD-sized vmemmap blocks
   (``vmemmap_populate_hugepages()``), arm64 16K/64K with base pages
   (``vmemmap_populate_basepages()``); data pages come from the block's altmap when it
   has one, else from DRAM.  The oracle expands the touched vmemmap pages to whole PMD
   blocks on the hugepage arches, and checks that a self-hosted block's memmap fits in
   its altmap (``altmap->free = memmap_pages``).
"""

from __future__ import annotations

from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

STRUCT_PAGE_SIZE = 64  # sizeof(struct page) on these 64-bit configs


@dataclass(frozen=True)
class _Arch:
    page_size: int
    section_size: int  # 1 << SECTION_SIZE_BITS (arch/*/include/asm/sparsemem.h)
    pmd_size: int  # PMD_SIZE
    pageblock_pages: int  # pageblock_nr_pages: 1 << HUGETLB_PAGE_ORDER (PMD order)
    vmemmap_hugepages: bool  # vmemmap_populate() uses PMD blocks for full sections


_ARCHES = {
    "x86_64": _Arch(4 * KiB, 128 * MiB, 2 * MiB, 512, vmemmap_hugepages=True),
    "arm64-4k": _Arch(4 * KiB, 128 * MiB, 2 * MiB, 512, vmemmap_hugepages=True),
    "arm64-16k": _Arch(16 * KiB, 128 * MiB, 32 * MiB, 2048, vmemmap_hugepages=False),
    "arm64-64k": _Arch(64 * KiB, 512 * MiB, 512 * MiB, 8192, vmemmap_hugepages=False),
}


@dataclass(frozen=True)
class _Kernel:
    # dax kmem passes MHP_MEMMAP_ON_MEMORY when dev_dax->memmap_on_memory is set:
    # Vishal Verma's "dax/kmem: allow kmem to add memory with memmap_on_memory" (in v6.8).
    KMEM_PASSES_MHP_MEMMAP_ON_MEMORY: bool
    # memmap_on_memory for multi-block requests, one altmap per block: Linux kernel
    # commit 6b8f0798b85a ("mm/memory_hotplug: split memmap_on_memory requests across
    # memblocks") (in v6.8).  Before it, only size == MB requests qualified.
    MHP_PER_BLOCK_ALTMAPS: bool


_KERNELS = {
    "6.1": _Kernel(KMEM_PASSES_MHP_MEMMAP_ON_MEMORY=False, MHP_PER_BLOCK_ALTMAPS=False),
    "6.6": _Kernel(KMEM_PASSES_MHP_MEMMAP_ON_MEMORY=False, MHP_PER_BLOCK_ALTMAPS=False),
    "6.12": _Kernel(KMEM_PASSES_MHP_MEMMAP_ON_MEMORY=True, MHP_PER_BLOCK_ALTMAPS=True),
    "7.2": _Kernel(KMEM_PASSES_MHP_MEMMAP_ON_MEMORY=True, MHP_PER_BLOCK_ALTMAPS=True),
}


# Follows dax_kmem_range() in drivers/dax/kmem.c.
def dax_kmem_range(start: int, end: int, memory_block_size: int) -> tuple[int, int] | None:
    """Block-aligned part [lo, hi) of the device byte range [start, end), or None."""
    lo = start + (-start) % memory_block_size  # ALIGN(start, MB)
    hi = end - end % memory_block_size  # ALIGN_DOWN(end, MB)
    # kernel: r.end = ALIGN_DOWN(end, MB) - 1 (inclusive); skipped if r.start >= r.end
    if lo >= hi - 1:
        return None
    return lo, hi


# Follows memory_block_memmap_on_memory_pages() in mm/memory_hotplug.c (non-force).
def memory_block_memmap_on_memory_pages(arch: _Arch, memory_block_size: int) -> int:
    """PFN_UP(PHYS_PFN(MB) * sizeof(struct page)) pages of memmap per block."""
    memmap_size = (memory_block_size // arch.page_size) * STRUCT_PAGE_SIZE
    pages = 0
    while pages * arch.page_size < memmap_size:  # PFN_UP by counting
        pages += 1
    return pages


# Follows mhp_supports_memmap_on_memory() and the generic
# arch_supports_memmap_on_memory() in mm/memory_hotplug.c (6.6+ form).
def mhp_supports_memmap_on_memory(arch: _Arch, memory_block_size: int) -> bool:
    """Whether one memory block may host its own memmap (size == MB)."""
    memmap_size = (memory_block_size // arch.page_size) * STRUCT_PAGE_SIZE
    memmap_pages = memory_block_memmap_on_memory_pages(arch, memory_block_size)
    if memmap_size % arch.page_size:
        return False
    if memmap_pages % arch.pageblock_pages:
        return False
    if memmap_pages == memory_block_size // arch.page_size:
        return False
    return memmap_size % arch.pmd_size == 0


# Follows __populate_section_memmap() -> vmemmap_populate() for one block's sections.
def _populate_block_memmap(arch: _Arch, block_start: int, memory_block_size: int) -> set[int]:
    """Vmemmap page numbers allocated to back the struct pages of one block."""
    first_pfn = block_start // arch.page_size
    nr_pfns = memory_block_size // arch.page_size
    touched: set[int] = set()
    for pfn in range(first_pfn, first_pfn + nr_pfns):  # every struct page
        first_byte = pfn * STRUCT_PAGE_SIZE  # offset of pfn_to_page(pfn) in vmemmap
        last_byte = first_byte + STRUCT_PAGE_SIZE - 1
        touched.add(first_byte // arch.page_size)
        touched.add(last_byte // arch.page_size)
    if not arch.vmemmap_hugepages:
        return touched
    # vmemmap_populate_hugepages(): whole PMD-sized vmemmap blocks (full sections only,
    # which blocks always are)
    per_block = arch.pmd_size // arch.page_size
    pmd_blocks = {v // per_block for v in touched}
    return {b * per_block + i for b in pmd_blocks for i in range(per_block)}


def hotplug_memmap(
    arch: str,
    kernel: str,
    start: int,
    size: int,
    memory_block_size: int,
    memmap_on_memory: bool,
) -> dict[str, int]:
    """Memmap placement and usable RAM when dax kmem onlines [start, start + size).

    ``memory_block_size`` is ``memory_block_size_bytes()``; ``memmap_on_memory`` means the
    global parameter is Y and the dax device's attribute is set.
    """
    a = _ARCHES.get(arch)
    if a is None:
        raise ValueError(f"unknown arch {arch!r}")
    k = _KERNELS.get(kernel)
    if k is None:
        raise ValueError(f"unknown kernel {kernel!r}")
    mb = memory_block_size
    if mb <= 0 or mb & (mb - 1) or mb % a.section_size:
        raise ValueError(f"memory_block_size {mb} is not a power-of-two multiple of a section")
    if start < 0 or size < 0:
        raise ValueError(f"negative range {start}+{size}")

    out = dict.fromkeys(
        (
            "memmap_pages_dram",
            "memmap_pages_self_hosted",
            "blocks_self_hosted",
            "blocks_dram",
            "usable_bytes",
        ),
        0,
    )
    trimmed = dax_kmem_range(start, start + size, mb)
    if trimmed is None:
        return out
    lo, hi = trimmed
    nr_blocks = (hi - lo) // mb
    # add_memory_resource(): MHP_MEMMAP_ON_MEMORY from kmem and the size == MB test
    flag = memmap_on_memory and k.KMEM_PASSES_MHP_MEMMAP_ON_MEMORY
    request_size = mb if k.MHP_PER_BLOCK_ALTMAPS else hi - lo
    self_hosted = (
        flag and request_size == mb and mhp_supports_memmap_on_memory(a, mb)
    )  # the same answer for every block of the request (all or nothing)
    altmap_free = memory_block_memmap_on_memory_pages(a, mb)
    for block in range(nr_blocks):  # create_altmaps_and_memory_blocks() / one request
        block_start = lo + block * mb
        pages = len(_populate_block_memmap(a, block_start, mb))
        if self_hosted:
            assert pages <= altmap_free, f"altmap of {altmap_free} pages cannot hold {pages}"
            out["memmap_pages_self_hosted"] += pages
            out["blocks_self_hosted"] += 1
            out["usable_bytes"] += mb - altmap_free * a.page_size
        else:
            out["memmap_pages_dram"] += pages
            out["blocks_dram"] += 1
            out["usable_bytes"] += mb
    return out


def vmemmap_pmd_tables(
    arch: str,
    kernel: str,
    start: int,
    size: int,
    memory_block_size: int,
    memmap_on_memory: bool,
) -> int:
    """PMD tables (DRAM pages, never from the altmap) the added blocks' vmemmap needs.

    Spec A.4 "vmemmap PMD tables (DRAM)": one per distinct window of vmemmap VA that one
    PMD table maps (PAGE_SIZE / 8 entries of PMD_SIZE each), on a machine with nothing
    mapped before.  Self-hosting changes where the data pages come from, not the tables
    (vmemmap_pmd_populate() allocates with vmemmap_alloc_block_zero(), never the altmap).
    """
    del kernel, memmap_on_memory  # the tables are the same either way
    a = _ARCHES[arch]
    trimmed = dax_kmem_range(start, start + size, memory_block_size)
    if trimmed is None:
        return 0
    lo, hi = trimmed
    span = a.pmd_size * (a.page_size // 8)  # VA one PMD table maps
    windows: set[int] = set()
    for block_start in range(lo, hi, memory_block_size):
        for page in _populate_block_memmap(a, block_start, memory_block_size):
            windows.add(page * a.page_size // span)
    return len(windows)
