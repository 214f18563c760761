"""SPARSEMEM sections and subsections, and the order in which memory is added.

Follows __add_pages() in mm/memory_hotplug.c and sparse_add_section() /
section_activate() in mm/sparse.c (mm/sparse-vmemmap.c in 2026 trees). PFN ranges are
half-open ``[start_pfn, end_pfn)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.intervals import IntervalSet


def pfn_to_section_nr(arch: ArchProfile, pfn: int) -> int:
    """``pfn_to_section_nr()``."""
    return pfn >> arch.pfn_section_shift


def section_nr_to_pfn(arch: ArchProfile, section_nr: int) -> int:
    """``section_nr_to_pfn()``."""
    return section_nr << arch.pfn_section_shift


def early_sections(arch: ArchProfile, boot_ram: Iterable[tuple[int, int]]) -> IntervalSet:
    """Section numbers that boot RAM touches: sparse_init() gives each a full memmap.

    ``boot_ram`` holds half-open byte ranges; they need not be aligned.
    """
    out = IntervalSet()
    shift = arch.section_size_bits
    for lo, hi in boot_ram:
        out.add(lo >> shift, ((hi - 1) >> shift) + 1)
    return out


class ChunkRun(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """Consecutive chunks that __add_pages() passes to sparse_add_section() one by one.

    A run is either one partial-section chunk or several full sections in a row; every
    chunk of a run takes the same path, so the walker handles the run in one step.
    """

    start_pfn: int
    end_pfn: int
    full_sections: bool  # every chunk is a whole section (nr_pages == PAGES_PER_SECTION)
    nr_chunks: int


def chunk_runs(arch: ArchProfile, start_pfn: int, end_pfn: int) -> list[ChunkRun]:
    """Split ``[start_pfn, end_pfn)`` the way __add_pages() does, never crossing a section.

    Returns at most three runs: a partial head chunk, the full sections, a partial tail.
    """
    pps = arch.pages_per_section
    runs = []
    pfn = start_pfn
    head_end = min(end_pfn, -(-(pfn + 1) // pps) * pps)
    if pfn % pps or head_end - pfn < pps:
        runs.append(ChunkRun(pfn, head_end, full_sections=False, nr_chunks=1))
        pfn = head_end
    full_end = pfn + (end_pfn - pfn) // pps * pps
    if full_end > pfn:
        runs.append(ChunkRun(pfn, full_end, full_sections=True, nr_chunks=(full_end - pfn) // pps))
        pfn = full_end
    if pfn < end_pfn:
        runs.append(ChunkRun(pfn, end_pfn, full_sections=False, nr_chunks=1))
    return runs


def subsection_span(arch: ArchProfile, lo: int, hi: int) -> tuple[int, int]:
    """Byte range ``[lo, hi)`` widened to whole subsections (what subsection_map_init() marks)."""
    sub = arch.pages_per_subsection * arch.page_size
    return lo // sub * sub, -(-hi // sub) * sub
