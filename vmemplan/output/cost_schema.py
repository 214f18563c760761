"""The cost record of schema_version 2 (see cost.py and docs/json.md), as pydantic models.

Every document that costs something has ``total: CostTotalDoc`` and
``devices: list[CostDoc]``; both carry the same cost keys with the same meaning.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _CostKeys(_Model):
    """The figures every device entry and every total carry (exact integers)."""

    capacity_bytes: int
    """The device's whole size: the raw namespace, the dax ranges' sum, the pool's
    bytes, boot RAM."""
    usable_bytes: int
    """What the user gets: the pgmap's usable bytes, the RAM kmem onlines, the pool."""
    lost_bytes: int
    """``capacity_bytes - usable_bytes``: info block, altmap reservation, trimmed and
    stranded bytes, self-hosted memmap; 0 for a pool and boot RAM."""
    struct_pages: int
    memmap_dram_pages: int
    memmap_device_pages: int
    page_table_bytes: int
    """Vmemmap page-table tables (a pool: the PTE tables split PMD leaves need)."""
    direct_map_bytes: int
    """Linear-map tables (0 where not modelled)."""
    dram_bytes: int
    """``memmap_dram_pages x PAGE_SIZE + page_table_bytes + direct_map_bytes``. A HugeTLB
    pool's vmemmap is the pool's; what it is carved from counts the rest."""
    dram_bytes_unoptimized: int
    """The same without dedup, HVO or memmap_on_memory (memmap in DRAM)."""
    saved_bytes: int
    """``dram_bytes_unoptimized - dram_bytes``."""
    struct_pages_initialised: int
    init_ns_low: int
    init_ns_high: int


DeviceKind = Literal["devdax", "fsdax", "dax", "famfs", "system-ram", "hugetlb", "boot-ram"]


class CostDoc(_CostKeys):
    """One device, pool or boot RAM; ``detail`` holds what only its kind has."""

    kind: DeviceKind
    name: str | None
    detail: dict[str, object]


class TotalDetailDoc(_Model):
    """How many entries of each kind the total sums."""

    devices: dict[DeviceKind, int]


class CostTotalDoc(_CostKeys):
    """The plain sum of ``devices`` for every figure."""

    kind: Literal["total"]
    name: None
    detail: TotalDetailDoc


class CostFileDoc(_CostKeys):
    """``check``: one file's total as an entry of the whole run's ``devices`` (the file's
    own devices are under ``files[i]``; ``detail`` counts them by kind)."""

    kind: Literal["file"]
    name: str
    detail: TotalDetailDoc
