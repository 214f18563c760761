"""The JSON contract of ``vmemplan hugetlb --json`` (see schema.py for the rules)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.cost_schema import CostDoc, CostTotalDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HugetlbInputDoc(_Model):
    """What the figures were computed for."""

    arch: str
    kernel: str
    page_size_bytes: int
    struct_page_size_bytes: int
    hvo_requested: bool
    memmap_on_memory: bool = False  # --memmap-on-memory: the pools are hot-added memory


class HvoDoc(_Model):
    """Whether the kernel and arch have HVO, and how many vmemmap pages it keeps per folio."""

    arch_selects: bool
    reserve_pages_per_folio: int


class TablesDoc(_Model):
    """Page-table tables per level (a pool splits PMD leaves into PTE tables only)."""

    pte: int
    pmd: int
    pud: int
    p4d: int


class PoolCountersDoc(_Model):
    """Predicted ``/proc/vmstat`` deltas (null before v6.11)."""

    nr_memmap_pages: int | None
    nr_memmap_boot_pages: int | None


class HugetlbPoolDetailDoc(_Model):
    """One pool (one huge page size, on one node or any node when ``node`` is null)."""

    folio_bytes: int
    node: int | None
    nr_folios: int
    on: str | None
    """The kmem device the pool is carved from (null: boot RAM)."""
    vmemmap_pages_per_folio: int
    optimized: bool
    kept_pages_per_folio: int
    freed_pages_per_folio: int
    vmemmap_pages_unoptimized: int
    vmemmap_pages_optimized: int
    page_tables: TablesDoc
    counters: PoolCountersDoc
    refusal: str | None
    vmemmap_self_hosted: bool
    """On the pool's own memory (memmap_on_memory): no DRAM."""


class HugetlbPoolDoc(CostDoc):
    """A HugeTLB pool's cost record."""

    detail: HugetlbPoolDetailDoc  # type: ignore[assignment]


class HugetlbDoc(_Model):
    """``vmemplan hugetlb --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: HugetlbInputDoc
    hvo: HvoDoc
    total: CostTotalDoc
    devices: list[HugetlbPoolDoc]
    notes: list[str]
