"""The JSON contract of ``vmemplan estimate --mode system-ram --json`` (see schema.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.cost_schema import CostDoc, CostTotalDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NamespaceDoc(_Model):
    """The pmem namespace a dax device came from (``--map``/``--align`` given)."""

    start: int
    size_bytes: int
    map: Literal["mem", "dev"]
    align_bytes: int
    dataoff_bytes: int
    end_trunc_bytes: int


class SystemRamInputDoc(_Model):
    """What the figures were computed for."""

    arch: str
    kernel: str
    page_size_bytes: int
    struct_page_size_bytes: int
    memmap_on_memory: Literal["off", "on", "force"]
    memory_block_size_bytes: int
    # dump: the memory blocks an ndctl/daxctl or /proc/iomem dump shows (estimate
    # --from-ndctl/--iomem), where the kernel's rule would not give them
    memory_block_size_source: Literal[
        "probe_memory_block_size", "section", "option", "dump", "cfmws_advice"
    ]
    boot_mem_end_bytes: int
    system_ram: list[list[int]]
    linear_map: Literal["pages", "blocks"] | None  # null: the direct map is not modelled
    gbpages: bool | None  # x86 direct_gbpages; null off x86 and where not modelled
    namespace: NamespaceDoc | None


class KmemRangeDoc(_Model):
    """One dax range and the whole memory blocks dax_kmem_range() adds of it."""

    start: int
    size_bytes: int
    added_start: int
    added_bytes: int
    head_trimmed_bytes: int
    tail_trimmed_bytes: int
    blocks: int
    memmap: Literal["device", "dram", "none"]
    as_given: str | None = None  # the range as the user typed it (--size/--start, --dax-range)


class PlacementDoc(_Model):
    """Where the memory blocks' memmap went, and why it is not self-hosted (reason)."""

    blocks_self_hosted: int
    blocks_dram: int
    altmap_pages_per_block: int
    reason: str | None


class TablesDoc(_Model):
    """Page-table tables newly allocated, per level (always DRAM)."""

    pte: int
    pmd: int
    pud: int
    p4d: int


class SystemRamCountersDoc(_Model):
    """Predicted ``/proc/vmstat`` deltas (null before the kernel has the counter)."""

    nr_memmap_pages: int | None
    nr_memmap_boot_pages: int | None


class SystemRamDetailDoc(_Model):
    """What only a kmem hot-add has: its ranges, where each block's memmap went, what
    was added, trimmed and stranded, and its tables per level.

    ``page_tables`` counts the vmemmap tables (``page_table_bytes``);
    ``direct_map_tables`` (null where the arch's direct map is not modelled) the
    linear-map tables arch_add_memory() allocates (``direct_map_bytes``)."""

    ranges: list[KmemRangeDoc]
    placement: PlacementDoc
    added_bytes: int
    trimmed_bytes: int
    stranded_bytes: int
    altmap_pages: int
    managed_pages: int
    page_tables: TablesDoc
    direct_map_tables: TablesDoc | None
    counters: SystemRamCountersDoc


class SystemRamDeviceDoc(CostDoc):
    """A dax device kmem onlines as System RAM."""

    detail: SystemRamDetailDoc  # type: ignore[assignment]


class SystemRamDoc(_Model):
    """``vmemplan estimate --mode system-ram --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: SystemRamInputDoc
    total: CostTotalDoc
    devices: list[SystemRamDeviceDoc]
    notes: list[str]
