"""The JSON contract of ``vmemplan estimate --mode system-ram --json`` (see schema.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.direct_map_schema import DirectMapDoc


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
    memory_block_size_source: Literal["probe_memory_block_size", "section", "option", "dump"]
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


class SystemRamFiguresDoc(_Model):
    """Exact integers: pages, bytes, nanoseconds ([low, high]).

    ``page_tables`` and ``page_table_bytes`` count the vmemmap tables only;
    ``direct_map`` (null where the arch's direct map is not modelled) holds the
    linear-map tables arch_add_memory() allocates for the added blocks, the same shape as
    the estimate document's ``page_tables.direct_map``. ``dram_bytes`` includes both.
    """

    device_bytes: int
    added_bytes: int
    trimmed_bytes: int
    stranded_bytes: int
    memmap_pages_dram: int
    memmap_pages_device: int
    altmap_pages: int
    page_tables: dict[str, int]
    page_table_bytes: int
    direct_map: DirectMapDoc | None
    dram_bytes: int
    managed_pages: int
    usable_bytes: int
    struct_pages_initialised: int
    init_ns: list[int]
    nr_memmap_pages_delta: int | None
    nr_memmap_boot_pages_delta: int | None


class SystemRamDoc(_Model):
    """``vmemplan estimate --mode system-ram --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: SystemRamInputDoc
    ranges: list[KmemRangeDoc]
    placement: PlacementDoc
    figures: SystemRamFiguresDoc
    notes: list[str]
