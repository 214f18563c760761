"""Worked examples of the direct-map tables, derived by hand from arch_add_memory().

Boot RAM is [0, 4G); namespaces start at 4 GiB. With 4K pages a PTE table maps 2 MiB, a
PMD table 1 GiB, a PUD table 512 GiB; the boot RAM already owns the PUD table of [0, 512G).
"""

from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.linear_map import direct_map_table_pages

G = 1 << 30
M = 1 << 20
BOOT = [(0, 4 * G)]


def _tables(arch: str, lo: int, hi: int, mode: str, gbpages: bool = True) -> dict[str, int]:
    return direct_map_table_pages(ARCHES[arch], [(lo, hi)], BOOT, mode, gbpages)  # type: ignore[arg-type]


def test_arm64_pages_1g_and_4g() -> None:
    # NO_BLOCK_MAPPINGS: one PTE table per 2 MiB, one PMD table per new GiB.
    assert _tables("arm64-4k", 4 * G, 5 * G, "pages") == {"pte": 512, "pmd": 1, "pud": 0, "p4d": 0}
    assert _tables("arm64-4k", 4 * G, 8 * G, "pages") == {
        "pte": 2048,
        "pmd": 4,
        "pud": 0,
        "p4d": 0,
    }


def test_arm64_blocks_aligned_gib_is_a_pud_block() -> None:
    # pud_sect_supported() with 4K: an aligned GiB is one PUD entry, no new table.
    assert _tables("arm64-4k", 4 * G, 8 * G, "blocks") == {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}


def test_partial_first_section() -> None:
    # [4G+64M, 5G): 480 PTE tables at pages; at blocks one PMD table of 2 MiB blocks.
    lo = 4 * G + 64 * M
    assert _tables("arm64-4k", lo, 5 * G, "pages") == {"pte": 480, "pmd": 1, "pud": 0, "p4d": 0}
    assert _tables("arm64-4k", lo, 5 * G, "blocks") == {"pte": 0, "pmd": 1, "pud": 0, "p4d": 0}
    assert _tables("x86_64", lo, 5 * G, "blocks") == {"pte": 0, "pmd": 1, "pud": 0, "p4d": 0}


def test_x86_gbpages_switch() -> None:
    assert _tables("x86_64", 4 * G, 5 * G, "blocks") == {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
    assert _tables("x86_64", 4 * G, 5 * G, "blocks", gbpages=False) == {
        "pte": 0,
        "pmd": 1,
        "pud": 0,
        "p4d": 0,
    }


def test_tables_owned_by_boot_ram_or_earlier_range_count_once() -> None:
    arch = ARCHES["arm64-4k"]
    alone = direct_map_table_pages(arch, [(4 * G, 5 * G)], [], "pages", gbpages=True)
    assert alone == {"pte": 512, "pmd": 1, "pud": 1, "p4d": 0}
    # Two halves of one GiB share its PMD table.
    halves = direct_map_table_pages(
        arch, [(4 * G, 4 * G + 512 * M), (4 * G + 512 * M, 5 * G)], BOOT, "pages", gbpages=True
    )
    assert halves == {"pte": 512, "pmd": 1, "pud": 0, "p4d": 0}


def test_arm64_16k_and_64k() -> None:
    # 16K: a PTE table maps 32 MiB, a PMD table 64 GiB; 64K: 512 MiB and 4 TiB (PUD folded).
    zero = {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
    assert _tables("arm64-16k", 4 * G, 5 * G, "pages") == {**zero, "pte": 32}
    assert _tables("arm64-16k", 4 * G, 5 * G, "blocks") == zero
    assert _tables("arm64-64k", 4 * G, 5 * G, "pages") == {**zero, "pte": 2}
    assert _tables("arm64-64k", 4 * G, 5 * G, "blocks") == zero
