"""Memory hot-added as System RAM by dax kmem, with or without memmap_on_memory.

Follows mm/memory_hotplug.c (mhp_supports_memmap_on_memory(), add_memory_resource()),
drivers/dax/kmem.c (dax_kmem_range()) and arch/x86/mm/init_64.c
(probe_memory_block_size()). Ranges are half-open ``[start, end)`` in bytes.
"""

from __future__ import annotations

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import GiB, MiB, align_down, align_up, div_round_up

# Linux kernel commit 6b8f0798b85a ("mm/memory_hotplug: split memmap_on_memory requests
# across memblocks") (in v6.8), with Vishal Verma's series in which dax kmem passes
# MHP_MEMMAP_ON_MEMORY: before it a multi-block kmem request never got an altmap.
MHP_PER_BLOCK_ALTMAP_SINCE = (6, 8)

MAX_BLOCK_SIZE = 2 * GiB
MEM_SIZE_FOR_LARGE_BLOCK = 64 * GiB
MIN_MEMORY_BLOCK_SIZE_X86 = 128 * MiB


# Follows probe_memory_block_size() in arch/x86/mm/init_64.c (bare metal, no CFMWS advice).
def memory_block_size_bytes(arch: ArchProfile, boot_mem_end: int) -> int:
    """The memory block size: x86 picks 2 GiB on hosts with >= 64 GiB of boot RAM."""
    section = 1 << arch.section_size_bits
    if arch.populate != "x86":
        return section  # MIN_MEMORY_BLOCK_SIZE, the generic default
    if boot_mem_end < MEM_SIZE_FOR_LARGE_BLOCK:
        return MIN_MEMORY_BLOCK_SIZE_X86
    return MAX_BLOCK_SIZE


# Follows mhp_supports_memmap_on_memory() in mm/memory_hotplug.c (not force mode).
def mhp_supports_memmap_on_memory(arch: ArchProfile, memory_block_size: int) -> str | None:
    """None when a block can host its own memmap, else the rule that refuses it."""
    p = arch.page_size
    blk_pfns = memory_block_size // p
    memmap_bytes = blk_pfns * arch.struct_page_size
    memmap_pages = div_round_up(memmap_bytes, p)
    pageblock_pages = arch.pmd_size // p  # pageblock_order = HUGETLB_PAGE_ORDER
    if memmap_bytes % p:
        return "memmap size is not a multiple of PAGE_SIZE"
    if memmap_pages % pageblock_pages:
        return "memmap pages are not pageblock aligned"
    if memmap_pages >= blk_pfns:
        return "the memmap would fill the whole block"
    if memmap_bytes % arch.pmd_size:
        return "memmap size is not a multiple of PMD_SIZE (arch_supports_memmap_on_memory())"
    return None


# Follows dax_kmem_range() in drivers/dax/kmem.c and add_memory_resource().
def hotplug_memmap(
    arch: ArchProfile,
    kernel: KernelProfile,
    start: int,
    size: int,
    memory_block_size: int,
    memmap_on_memory: bool,
) -> dict[str, int]:
    """Memmap of the dax kmem range ``[start, start + size)`` trimmed to whole blocks."""
    p = arch.page_size
    lo, hi = align_up(start, memory_block_size), align_down(start + size, memory_block_size)
    added = max(0, hi - lo)
    blocks = added // memory_block_size
    self_hosted = (
        memmap_on_memory
        and kernel.version >= MHP_PER_BLOCK_ALTMAP_SINCE
        and mhp_supports_memmap_on_memory(arch, memory_block_size) is None
    )
    per_block = div_round_up(memory_block_size // p * arch.struct_page_size, p)
    sections = added >> arch.section_size_bits
    per_section = div_round_up(arch.pages_per_section * arch.struct_page_size, p)
    device = blocks * per_block if self_hosted else 0
    return {
        "memmap_pages_dram": 0 if self_hosted else sections * per_section,
        "memmap_pages_self_hosted": device,
        "blocks_self_hosted": blocks if self_hosted else 0,
        "blocks_dram": 0 if self_hosted else blocks,
        "usable_bytes": added - device * p,
    }
