"""The direct-map part of the JSON documents, shared by the estimate and system-ram documents
(its own module so that report.py and system_ram_report.py can both import it)."""

from __future__ import annotations


def direct_map_doc(tables: dict[str, int] | None, nbytes: int) -> dict[str, int] | None:
    """``direct_map``: the new direct-map tables per level and their bytes; None where the
    arch's direct map is not modelled (schema: DirectMapDoc)."""
    if tables is None:
        return None
    return {
        "pte_pages": tables["pte"],
        "pmd_pages": tables["pmd"],
        "pud_pages": tables["pud"],
        "p4d_pages": tables["p4d"],
        "bytes": nbytes,
    }
