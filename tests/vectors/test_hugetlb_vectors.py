"""HugeTLB HVO figures: spec D1, D2, D4, D5, D8, D13 and the C5 table."""

from __future__ import annotations

import pytest

from tests.helpers import GiB, MiB, TiB
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.hugetlb_vmemmap import hugetlb_vmemmap, hugetlb_vmemmap_reserve_pages

X86 = ARCHES["x86_64"]


@pytest.mark.parametrize(
    ("folio", "base_pages", "vmemmap_pages", "freed"),
    [(2 * MiB, 512, 8, 7), (GiB, 262_144, 4096, 4095)],
)
def test_d1_d4_per_folio(folio: int, base_pages: int, vmemmap_pages: int, freed: int) -> None:
    """D1 Documentation/mm/vmemmap_dedup.rst: "A 2MB HugeTLB page on x86_64 consists in 8
    page frames while 1GB HugeTLB page consists in 4096"; D4 vm.rst: "7 pages per 2MB
    HugeTLB page and 4095 pages per 1GB HugeTLB page"."""
    r = hugetlb_vmemmap(X86, (6, 12), folio_bytes=folio, nr_folios=1)
    assert (r.folio_pages, r.vmemmap_pages_per_folio, r.freed_pages_per_folio) == (
        base_pages,
        vmemmap_pages,
        freed,
    )


def test_d5_d8_keep_one_since_5_18() -> None:
    """D5 kernel-parameters.txt: frees "7 * PAGE_SIZE for each 2MB hugetlb page" (6 before
    v5.18); D8 HUGETLB_VMEMMAP_RESERVE_SIZE = PAGE_SIZE."""
    assert hugetlb_vmemmap_reserve_pages((5, 18)) == 1
    assert hugetlb_vmemmap_reserve_pages((5, 17)) == 2
    assert hugetlb_vmemmap_reserve_pages((5, 13)) == 0
    old = hugetlb_vmemmap(X86, (5, 17), folio_bytes=2 * MiB, nr_folios=1)
    assert old.freed_pages_per_folio == 6
    assert hugetlb_vmemmap(X86, (5, 13), folio_bytes=2 * MiB, nr_folios=1).optimized is False


def test_d13_extra_2g_per_tib() -> None:
    """D13 e7d324850bfc: "save extra 2GB memory when there is 1TB HugeTLB pages"."""
    new = hugetlb_vmemmap(X86, (5, 18), folio_bytes=2 * MiB, nr_folios=TiB // (2 * MiB))
    old = hugetlb_vmemmap(X86, (5, 17), folio_bytes=2 * MiB, nr_folios=TiB // (2 * MiB))
    assert (new.freed_pages - old.freed_pages) * 4096 == 2 * GiB


@pytest.mark.parametrize(
    ("folio", "nr", "kept_new", "kept_old", "freed_new"),
    [
        (2 * MiB, 524_288, 524_288, 1_048_576, 3_670_016),
        (GiB, 1024, 1024, 2048, 4_193_280),
    ],
)
def test_c5_per_tib(folio: int, nr: int, kept_new: int, kept_old: int, freed_new: int) -> None:
    """C5: HugeTLB HVO per TiB on x86_64; 8192 PTE tables (32 MiB) from PMD splits."""
    new = hugetlb_vmemmap(X86, (6, 12), folio_bytes=folio, nr_folios=nr)
    old = hugetlb_vmemmap(X86, (5, 17), folio_bytes=folio, nr_folios=nr)
    assert new.vmemmap_pages == 4_194_304
    assert (new.kept_pages, old.kept_pages, new.freed_pages) == (kept_new, kept_old, freed_new)
    assert new.pte_tables == 8192
    assert new.net_pages * 4096 == kept_new * 4096 + 32 * MiB


def test_d1_contiguous_sizes_need_more_than_one_vmemmap_page() -> None:
    """D1: arm64 contiguous-bit sizes are optimisable only if their struct pages span more
    than one page: a 64K HugeTLB page on 4K pages has 16 struct pages (a quarter page)."""
    r = hugetlb_vmemmap(X86, (6, 12), folio_bytes=64 * 1024, nr_folios=1)
    assert r.vmemmap_pages_per_folio == 0
    assert r.optimized is False


def test_hvo_needs_a_power_of_two_struct_page() -> None:
    """0effdf461c57: HVO is disabled when sizeof(struct page) is not a power of two."""
    assert not hugetlb_vmemmap(
        X86, (6, 12), folio_bytes=GiB, nr_folios=1, struct_page_size=72
    ).optimized
