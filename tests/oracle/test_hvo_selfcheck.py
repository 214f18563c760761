"""Pin the HVO oracle (tests/oracle/hvo.py) to hotplug-hvo-model.md B.1 and B.6.

B.6 is per TiB; the 1G column is scaled to 4 folios and the 2M column to 512 folios
(1 GiB) so the per-struct-page walk stays fast; per-folio figures are the spec's.
"""

from __future__ import annotations

from tests.oracle.hvo import GiB, MiB, hvo


def test_b6_1g_folios_scaled() -> None:
    """1G: VH = 4096, keep 1, free 4095; 16 MiB of vmemmap = 8 PMD windows per folio."""
    got = hvo("x86_64", (6, 12), folio_bytes=GiB, nr_folios=4)
    assert got["optimized"] is True
    assert got["vmemmap_pages_per_folio"] == 4096
    assert (got["kept_pages"], got["freed_pages"]) == (4, 4 * 4095)
    assert got["pte_tables"] == 4 * 8


def test_b6_2m_folios_scaled() -> None:
    """2M: VH = 8, free 7; 1 GiB of folios = 8 windows of 128 MiB = 8 PTE tables."""
    got = hvo("x86_64", (6, 12), folio_bytes=2 * MiB, nr_folios=512)
    assert (got["vmemmap_pages"], got["kept_pages"], got["freed_pages"]) == (4096, 512, 3584)
    assert got["pte_tables"] == 8


def test_b6_keep_two_before_5_18() -> None:
    got = hvo("x86_64", (5, 17), folio_bytes=2 * MiB, nr_folios=64)
    assert (got["kept_pages"], got["freed_pages"]) == (128, 64 * 6)


def test_b1_refusals() -> None:
    """B.1: arm64 64K with 2M folios has VH = 0; a 72-byte struct page is not a power of
    two; arm64 has not selected HVO since 6.3; the switch off."""
    assert (
        hvo("x86_64", (6, 12), folio_bytes=2 * MiB, nr_folios=4, struct_page_size=72)["optimized"]
        is False
    )
    assert hvo("arm64-4k", (6, 12), folio_bytes=2 * MiB, nr_folios=4)["optimized"] is False
    assert hvo("arm64-4k", (6, 1), folio_bytes=2 * MiB, nr_folios=4)["optimized"] is True
    off = hvo("x86_64", (6, 12), folio_bytes=2 * MiB, nr_folios=4, hvo_enabled=False)
    assert (off["optimized"], off["kept_pages"], off["pte_tables"]) == (False, 32, 0)
