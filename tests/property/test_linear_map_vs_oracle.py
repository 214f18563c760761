"""Law: the linear-map table model equals the brute-force page-table oracle.

``vmemplan.kernel.linear_map.direct_map_table_pages()`` works on runs per level;
``tests/oracle/directmap.py`` (written independently) allocates every table entry by entry.
Both count the new PTE/PMD/PUD/P4D table pages that adding ``added`` (after boot RAM)
allocates for the kernel's direct map.
"""

from __future__ import annotations

from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from tests.oracle.directmap import direct_map_tables
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.linear_map import direct_map_table_pages

MiB, GiB = 1 << 20, 1 << 30
Case = tuple[str, list[tuple[int, int]], list[tuple[int, int]], Literal["pages", "blocks"], bool]


@st.composite
def linear_map_cases(draw: st.DrawFn) -> Case:
    arch = draw(st.sampled_from(["x86_64", "arm64-4k", "arm64-16k", "arm64-64k"]))
    step = 2 * MiB if arch != "arm64-64k" else 64 * MiB
    hi = 8 * GiB // step

    def ranges(n: int, lo: int) -> list[tuple[int, int]]:
        cuts = sorted(draw(st.lists(st.integers(lo, hi), max_size=2 * n, unique=True)))
        return [(cuts[i] * step, cuts[i + 1] * step) for i in range(0, len(cuts) - 1, 2)]

    boot = ranges(2, 0)
    boot_end = max((e for _, e in boot), default=0) // step
    added = ranges(2, boot_end)
    mode: Literal["pages", "blocks"] = draw(st.sampled_from(["pages", "blocks"]))
    return arch, added, boot, mode, draw(st.booleans())


@given(linear_map_cases())
def test_direct_map_tables_equal_oracle(case: Case) -> None:
    """kernel_physical_mapping_init() (x86) / __create_pgd_mapping() (arm64): the same
    table pages per level, counted once whoever owns them first."""
    arch, added, boot, mode, gbpages = case
    fast = direct_map_table_pages(ARCHES[arch], added, boot, mode, gbpages)
    assert fast == direct_map_tables(arch, added, boot, mode, gbpages)
