"""The direct-map part of the JSON contract, shared by the estimate and system-ram documents
(its own module so that schema.py and system_ram_schema.py can both import it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DirectMapDoc(BaseModel):
    """Direct-map (linear map) tables arch_add_memory() newly allocated, per level (DRAM)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pte_pages: int
    pmd_pages: int
    pud_pages: int
    p4d_pages: int
    bytes: int
