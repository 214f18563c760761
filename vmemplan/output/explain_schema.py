"""The JSON contract of ``vmemplan explain --json`` (see schema.py for the rules).

The drawings are the layouts of vmemplan/explain/layout.py field for field; ``total``
and ``devices`` are the cost records of the reference document for the same input.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.cost_schema import CostDoc, CostTotalDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TablesDoc(_Model):
    """Page-table tables per level."""

    pte: int
    pmd: int
    pud: int
    p4d: int


class ChunkRunDoc(_Model):
    """A run of ``__add_pages()`` chunks and what populating it did."""

    start_pfn: int
    end_pfn: int
    nr_pfns: int
    sections: int
    full_sections: bool
    path: Literal["early", "compound", "populate"]
    memmap_dram_pages: int
    memmap_device_pages: int
    altmap_align_pfns: int
    new_tables: TablesDoc
    pmd_leaves: int
    pte_pages: int
    compound_heads: int
    reuse_chunks: int


class CompoundDoc(_Model):
    """One compound page and its vmemmap pages: kept, and remapped onto a tail page."""

    head_pfn: int
    vmemmap_shift: int
    nr_pages: int
    struct_page_size_bytes: int
    struct_pages_per_vmemmap_page: int
    vmemmap_pages: int
    kept_pages: int
    remapped_pages: int
    nr_compounds: int
    vmemmap_pages_per_pte_table: int
    optimized: bool
    shared_tail: bool
    reason: str | None


class DedupDoc(_Model):
    """The compound page drawing and the runs of chunks of the pgmap."""

    compound: CompoundDoc
    runs: list[ChunkRunDoc]


class SegmentDoc(_Model):
    """A piece ``[start, end)`` (bytes) of the device and what is there."""

    start_bytes: int
    end_bytes: int
    what: Literal[
        "info-block",
        "dataoff",
        "altmap-align",
        "altmap-memmap",
        "altmap-unused",
        "data",
        "end-trunc",
        "trimmed-head",
        "trimmed-tail",
        "memory-blocks",
    ]
    pages: int


class AltmapDoc(_Model):
    """A map=dev namespace: info block, altmap (struct vmem_altmap) and data."""

    base_pfn: int
    reserve_pfns: int
    free_pfns: int
    alloc_pfns: int
    align_pfns: int
    unused_pfns: int
    dataoff_bytes: int
    end_trunc_bytes: int
    info_block_bytes: int
    segments: list[SegmentDoc]
    memmap_dram_pages: int


class KmemDoc(_Model):
    """A dax device onlined as System RAM by dax kmem, memory block by memory block."""

    memory_block_size_bytes: int
    memmap_on_memory: Literal["off", "on", "force"]
    refusal: str | None
    segments: list[SegmentDoc]
    blocks: int
    blocks_self_hosted: int
    memmap_pages_per_block: int
    dram_pages_per_block: int
    pages_per_block: int
    onlined_pages_per_block: int
    sections_per_block: int
    stranded_bytes: int
    trimmed_bytes: int


class HvoDoc(_Model):
    """One HugeTLB pool's folio vmemmap before and after HVO."""

    folio_bytes: int
    nr_folios: int
    struct_pages: int
    vmemmap_pages: int
    kept_pages: int
    freed_pages: int
    optimized: bool
    refusal: str | None
    self_hosted: bool
    pmd_windows_per_folio: int
    folios_per_pmd_window: int
    pool_vmemmap_pages: int
    pool_kept_pages: int
    pool_freed_pages: int
    pte_tables: int


class LevelDoc(_Model):
    """One level of the vmemmap page tables: what a table covers, windows, new tables."""

    name: Literal["pte", "pmd", "pud", "p4d"]
    va_bytes: int
    describes_bytes: int
    windows: int
    new_tables: int


class PageTablesDoc(_Model):
    """The vmemmap tables per level and the direct-map tables (null: not modelled)."""

    levels: list[LevelDoc]
    pmd_leaves: int
    pte_pages: int
    direct_map: TablesDoc | None


class DrawingsDoc(_Model):
    """Each drawing's data; null where it does not apply to the input."""

    dedup: DedupDoc | None
    altmap: AltmapDoc | None
    kmem: KmemDoc | None
    hvo: list[HvoDoc] | None
    page_tables: PageTablesDoc | None


class ExplainInputDoc(_Model):
    """What the drawings were made for."""

    arch: str
    kernel: str
    page_size_bytes: int
    pmd_bytes: int
    """PMD_SIZE: what a PMD leaf (a vmemmap block) maps, and a PTE table."""
    linear_map: Literal["pages", "blocks"] | None
    """How arch_add_memory() maps the device into the direct map (null: not modelled,
    or a HugeTLB pool)."""
    gbpages: bool | None
    """x86 direct_gbpages (null elsewhere)."""


class ExplainDoc(_Model):
    """``vmemplan explain --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    kind: Literal["device", "system-ram", "hugetlb"]
    input: ExplainInputDoc
    drawings: DrawingsDoc
    total: CostTotalDoc
    devices: list[CostDoc]
    notes: list[str]
