"""Law: the HVO model (kernel/hugetlb_vmemmap.py) equals the brute-force oracle.

``hugetlb_vmemmap()`` counts with closed forms per pool; ``tests/oracle/hvo.py`` (written
from the spec) visits every struct page of every folio. Pools are packed from a pfn whose
struct page starts a PMD window of vmemmap (128 MiB physical on x86 with S = 64), the
placement the model assumes.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from tests.oracle.hvo import hvo as oracle_hvo
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.hugetlb_vmemmap import hugetlb_vmemmap

VERSIONS = [(5, 13), (5, 14), (5, 17), (5, 18), (5, 19), (6, 1), (6, 3), (6, 4), (6, 12), (7, 2)]


@st.composite
def pools(draw: st.DrawFn) -> tuple[str, tuple[int, int], int, int, int, bool, int]:
    arch = draw(st.sampled_from(["x86_64", "arm64-4k", "riscv64"]))
    version = draw(st.sampled_from(VERSIONS))
    a = ARCHES[arch]
    order = draw(st.sampled_from([9, 10, 12, 18]))  # 2M, 4M, 16M, 1G folios of 4K pages
    folio = a.page_size << order
    nr = draw(st.integers(1, max(2, (1 << 19) >> order)))  # at most ~512k struct pages
    s = draw(st.sampled_from([64, 64, 128, 72]))
    # a start the model's packing assumption holds for: a pfn whose struct page starts a
    # PMD window of vmemmap (pfn * S a multiple of PMD_SIZE)
    window_pfns = a.pmd_size // math.gcd(a.pmd_size, s)
    start = window_pfns * draw(st.integers(0, 3))
    return arch, version, folio, nr, s, draw(st.booleans()), start


@given(pools())
def test_hugetlb_vmemmap_equals_oracle(
    case: tuple[str, tuple[int, int], int, int, int, bool, int],
) -> None:
    """Kept, freed and PTE-table pages of a pool: the closed form and the walk agree."""
    arch, version, folio, nr, s, enabled, start = case
    fast = hugetlb_vmemmap(
        ARCHES[arch],
        version,
        folio_bytes=folio,
        nr_folios=nr,
        struct_page_size=s,
        hvo_enabled=enabled,
    )
    slow = oracle_hvo(
        arch,
        version,
        folio_bytes=folio,
        nr_folios=nr,
        struct_page_size=s,
        hvo_enabled=enabled,
        start_pfn=start,
    )
    assert fast.optimized == slow["optimized"]
    assert fast.vmemmap_pages_per_folio == slow["vmemmap_pages_per_folio"]
    assert fast.vmemmap_pages == slow["vmemmap_pages"]
    assert fast.kept_pages == slow["kept_pages"]
    assert fast.freed_pages == slow["freed_pages"]
    assert fast.pte_tables == slow["pte_tables"]
