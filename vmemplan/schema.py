"""The JSON contract of vmemplan's documents, as pydantic models.

These models are the schema: ``vmemplan`` itself builds its documents as plain dicts
(report.py) so that ``--json`` does not pay pydantic's model-building cost at start-up;
the test suite validates every document it produces against these models (extra keys
forbidden, every key required), and the published JSON Schema is generated from them.

Rules: ``schema_version`` changes only when a field is renamed, removed or changes
meaning; every key is always present (``null`` where it does not apply); every figure is
an exact integer in bytes, pages, pfns or ns, with the unit in its name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ByteRange(_Model):
    """A half-open physical range ``[start_bytes, end_bytes)``."""

    start_bytes: int
    end_bytes: int


class KernelInput(_Model):
    """The kernel behaviour switches the estimate used."""

    version: str
    compound_devmap: bool
    optimize_rule: str
    counters: str
    early_init_fix: bool
    dedup_keep: int
    arm64_subsection_basepages: bool


class InputDoc(_Model):
    """The normalised geometry, every default spelled out."""

    arch: str
    page_size: int
    struct_page_size: int
    paging_levels: int
    max_physmem_bits: int
    kernel: KernelInput
    mode: str
    map: Literal["mem", "dev"] | None
    align_bytes: int
    vmemmap_shift: int
    start_bytes: int | None
    size_bytes: int | None
    dax_ranges: list[ByteRange]
    system_ram: list[ByteRange]
    ps_per_struct_page_low: int
    ps_per_struct_page_high: int
    assumptions: list[str]


class AltmapDoc(_Model):
    """``struct vmem_altmap`` (pfns) and what the population used of it."""

    base_pfn: int
    reserve: int
    free: int
    alloc: int
    align: int


class NamespaceDoc(_Model):
    """The pfn layout (nd_pfn_init): ``ndctl read-infoblock`` vocabulary."""

    size_bytes: int
    dataoff_bytes: int
    end_trunc_bytes: int
    usable_bytes: int
    npfns: int


class PgmapDoc(_Model):
    """The dev_pagemap the kernel builds."""

    ranges: list[ByteRange]
    vmemmap_shift: int
    compound_nr_pages: int
    compound_pages: int
    vmemmap_pages_per_compound: int
    kept_pages_per_compound: int | None
    saved_pages_per_compound: int | None
    optimized: bool
    altmap: AltmapDoc | None


class MemmapDoc(_Model):
    """Pages that hold struct pages, by origin."""

    nominal_pages: int
    dram_pages: int
    device_pages: int
    saved_pages: int
    altmap_align_pfns: int


class PageTablesDoc(_Model):
    """Vmemmap page-table tables newly allocated, per level (always DRAM)."""

    pte_pages: int
    pmd_pages: int
    pud_pages: int
    p4d_pages: int
    bytes: int


class InitDoc(_Model):
    """Struct pages written when the range is enabled, and the time that takes."""

    struct_pages_initialised: int
    altmap_area_struct_pages: int
    time_ns_low: int
    time_ns_high: int


class CountersDoc(_Model):
    """Predicted ``/proc/vmstat`` deltas (null where the kernel has no such counter)."""

    nr_memmap_pages: int | None
    nr_memmap_boot_pages: int | None


class SectionsDoc(_Model):
    """Memory sections the ranges touch."""

    touched: int
    early_reused: int


class FiguresDoc(_Model):
    """The figures of one walk (with the kernel's deduplication, or without)."""

    memmap: MemmapDoc
    page_tables: PageTablesDoc
    dram_bytes: int
    device_bytes: int
    init: InitDoc
    counters: CountersDoc


class EstimateDoc(_Model):
    """``vmemplan estimate --json``."""

    schema_version: int
    vmemplan_version: str
    input: InputDoc
    namespace: NamespaceDoc | None
    pgmap: PgmapDoc
    struct_pages: int
    memmap: MemmapDoc
    page_tables: PageTablesDoc
    dram_bytes: int
    device_bytes: int
    init: InitDoc
    counters: CountersDoc
    sections: SectionsDoc
    baseline: FiguresDoc
    notes: list[str]
