"""The JSON contract of ``vmemplan host --json`` (see schema.py for the rules)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.cost_schema import CostDoc, CostTotalDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HostInputDoc(_Model):
    """What the figures were computed for."""

    arch: str
    kernel: str
    page_size_bytes: int
    struct_page_size_bytes: int
    boot_ram: list[list[int]]
    boot_ram_bytes: int
    """What the human output's percentages are of."""
    hvo_requested: bool


class HostDetailDoc(_Model):
    """What ``host`` shows of an entry beyond its cost keys: its label, node, what
    optimised it, and a note."""

    label: str
    node: int | None
    optimization: Literal["none", "dedup", "hvo", "memmap_on_memory"]
    note: str | None


class HostDeviceDoc(CostDoc):
    """One kind of memory (boot RAM, a pool, a pgmap, a kmem device). Every struct page
    is counted in one entry: a HugeTLB pool's vmemmap is the pool's (after HVO); the boot
    RAM or kmem entry it is carved from counts the rest of its memmap."""

    detail: HostDetailDoc  # type: ignore[assignment]


class HostDoc(_Model):
    """``vmemplan host --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: HostInputDoc
    total: CostTotalDoc
    devices: list[HostDeviceDoc]
    notes: list[str]
