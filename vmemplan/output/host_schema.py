"""The JSON contract of ``vmemplan host --json`` (see schema.py for the rules)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HostInputDoc(_Model):
    """What the figures were computed for."""

    arch: str
    kernel: str
    page_size_bytes: int
    struct_page_size_bytes: int
    boot_ram: list[list[int]]
    hvo_requested: bool


class HostRowDoc(_Model):
    """One kind of memory. ``dram_bytes`` is what the row adds to the host's struct page
    bill, never negative: every struct page is counted in one row (a HugeTLB pool's
    vmemmap is the pool's row, after HVO; the boot RAM row counts the rest of its memmap);
    ``dram_bytes_unoptimized`` is the same without dedup/HVO/memmap_on_memory;
    ``device_bytes`` is device capacity that does not become usable memory."""

    kind: Literal["boot-ram", "hugetlb", "devdax", "fsdax", "system-ram"]
    label: str
    node: int | None
    capacity_bytes: int
    memmap_pages_dram: int
    memmap_pages_device: int
    pagetable_pages: int
    dram_bytes: int
    dram_bytes_unoptimized: int
    saved_bytes: int
    device_bytes: int
    optimization: Literal["none", "dedup", "hvo", "memmap_on_memory"]
    note: str | None


class HostTotalDoc(_Model):
    """Sums over every row; percentages in the human output are of ``boot_ram_bytes``."""

    boot_ram_bytes: int
    dram_bytes: int
    dram_bytes_unoptimized: int
    saved_bytes: int
    device_bytes: int


class HostDoc(_Model):
    """``vmemplan host --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: HostInputDoc
    rows: list[HostRowDoc]
    total: HostTotalDoc
    notes: list[str]
