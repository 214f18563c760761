"""The JSON contract of ``vmemplan hugetlb --json`` (see schema.py for the rules)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


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


class HugetlbPoolDoc(_Model):
    """One pool (one huge page size, on one node or on any node when ``node`` is null)."""

    folio_bytes: int
    node: int | None
    nr_folios: int
    vmemmap_pages_per_folio: int
    optimized: bool
    kept_pages_per_folio: int
    freed_pages_per_folio: int
    vmemmap_pages_unoptimized: int
    vmemmap_pages_optimized: int
    pagetable_pages: int
    pages_saved: int
    dram_bytes_unoptimized: int
    dram_bytes: int
    nr_memmap_boot_pages_delta: int | None
    nr_memmap_pages_delta: int | None
    refusal: str | None
    vmemmap_self_hosted: bool = False  # on the pool's own memory (memmap_on_memory): no DRAM
    # check: the system-ram namespace the pool is carved from (null: boot RAM)
    on: str | None = None


class HugetlbTotalDoc(_Model):
    """The sums over every pool."""

    nr_folios: int
    vmemmap_pages_unoptimized: int
    vmemmap_pages_optimized: int
    pagetable_pages: int
    pages_saved: int
    dram_bytes_unoptimized: int
    dram_bytes: int


class HugetlbDoc(_Model):
    """``vmemplan hugetlb --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: HugetlbInputDoc
    hvo: HvoDoc
    pools: list[HugetlbPoolDoc]
    total: HugetlbTotalDoc
    notes: list[str]
