"""Worked examples: the direct (linear) map tables arch_add_memory() allocates, by hand.

Every figure below is derived in the docstring from the kernel code it follows, not read
from vmemplan's output. Geometry used throughout (arch/arm64/include/asm/pgtable-hwdef.h
for 4K pages and 48-bit VA; arch/x86/include/asm/pgtable_64_types.h for 4-level x86):
one PTE table maps 2 MiB (512 x 4 KiB), one PMD table 1 GiB (512 x 2 MiB), one PUD table
512 GiB (512 x 1 GiB); the PGD is part of the kernel image and never allocated. Every table
is one 4 KiB page.

Boot RAM is ``0+4G`` so that a namespace can start at 4 GiB; boot RAM is mapped first in
the same mode (arm64 ``map_mem()``: the same ``can_set_direct_map()`` test as
``arch_add_memory()``; x86 ``init_mem_mapping()``: the same ``page_size_mask``), so it owns
the PUD table of [0, 512G) and, with pages/2M, the PMD tables of GiB 0-3.

* arm64, pages (``NO_BLOCK_MAPPINGS``): ``init_pmd()`` never sets a block, so every 2 MiB
  gets a PTE table (``alloc_init_cont_pte()``), every GiB a PMD table
  (``alloc_init_cont_pmd()``).
* arm64 4K, blocks: ``alloc_init_pud()`` puts a 1G block where ``addr | next | phys`` is
  GiB aligned (``pud_sect_supported()``), else a PMD table whose 2M-aligned entries are
  blocks (``init_pmd()``).
* x86_64 (``phys_pud_init()`` / ``phys_pmd_init()`` in arch/x86/mm/init_64.c, page sizes
  from ``split_mem_range()``): 1G pages for a covered aligned GiB when ``direct_gbpages``,
  2M pages for covered aligned 2 MiB, else a PTE table.
"""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import GiB, MiB, request
from vmemplan.cli import cli
from vmemplan.errors import InputError
from vmemplan.estimate import Estimate, estimate, estimate_many
from vmemplan.output.report import estimate_doc

BOOT = ((0, 4 * GiB),)
PAGE = 4096


def _dmap(e: Estimate) -> dict[str, int]:
    assert e.figures.direct_map is not None
    assert e.figures.direct_map == e.baseline.direct_map  # dedup does not change it
    return e.figures.direct_map


def _tables(pte: int = 0, pmd: int = 0, pud: int = 0) -> dict[str, int]:
    return {"pte": pte, "pmd": pmd, "pud": pud, "p4d": 0}


def _est(arch: str, size: int, start: int, **fields: Any) -> Estimate:
    return estimate(request(arch=arch, size=size, start=start, system_ram=BOOT, **fields))


# -- arm64 4K, linear map at pages (the default: rodata=full) ---------------------------


@pytest.mark.parametrize("map_", ["mem", "dev"])
def test_arm64_pages_1g_at_4g(map_: str) -> None:
    """1 GiB at 4 GiB, pages: [4G, 5G) is 512 x 2 MiB -> 512 PTE tables; it lies in GiB 4,
    which boot RAM [0, 4G) did not touch -> 1 PMD table; the PUD table of [0, 512G) is boot
    RAM's -> 0. 513 pages, map=mem and map=dev alike: pagemap_range() hands the whole pgmap
    range (altmap reserve included) to arch_add_memory()."""
    e = _est("arm64-4k", GiB, 4 * GiB, map=map_)
    assert e.pgmap.ranges == ((4 * GiB // PAGE, 5 * GiB // PAGE),)
    assert _dmap(e) == _tables(pte=512, pmd=1)
    assert e.figures.direct_map_bytes == 513 * PAGE


def test_arm64_pages_1g_at_4g_dram_total() -> None:
    """dram_bytes adds the direct map to the memmap: arm64 has no DAX dedup
    (ARCH_WANT_OPTIMIZE_DAX_VMEMMAP is x86/powerpc/riscv), so map=mem keeps
    262,144 struct pages x 64 B = 4096 memmap pages; the vmemmap of [4G, 5G) is VA
    [64M, 80M) of the vmemmap, in full sections -> 8 PMD blocks in the PMD table of vmemmap
    [0, 1G) that boot RAM's vmemmap [0, 64M) already allocated -> 0 vmemmap tables. With
    the 513 direct-map tables: (4096 + 513) pages."""
    e = _est("arm64-4k", GiB, 4 * GiB, map="mem")
    assert e.figures.cost.account.dram_pages == 4096
    assert e.figures.cost.account.tables == _tables()
    assert e.figures.dram_bytes == (4096 + 513) * PAGE


@pytest.mark.parametrize("map_", ["mem", "dev"])
def test_arm64_pages_4g_at_4g(map_: str) -> None:
    """4 GiB at 4 GiB, pages: [4G, 8G) is 2048 x 2 MiB -> 2048 PTE tables, GiB 4-7 -> 4 PMD
    tables, PUD table boot RAM's -> 2052 pages (8.02 MiB: ~2 MiB per GiB, the shortfall
    the issue measured on a Debian arm64 kernel)."""
    e = _est("arm64-4k", 4 * GiB, 4 * GiB, map=map_)
    assert _dmap(e) == _tables(pte=2048, pmd=4)
    assert e.figures.direct_map_bytes == 2052 * PAGE


def test_arm64_pages_first_section_partial() -> None:
    """1 GiB at 4G + 64M: its first 128 MiB section [4G, 4G+128M) is partial. Pages: the
    range [4G+64M, 5G+64M) is 512 x 2 MiB (64M is 2M aligned) -> 512 PTE tables; it
    touches GiB 4 and GiB 5 -> 2 PMD tables; PUD boot RAM's -> 514 pages."""
    e = _est("arm64-4k", GiB, 4 * GiB + 64 * MiB)
    assert e.pgmap.ranges[0][0] * PAGE == 4 * GiB + 64 * MiB
    assert _dmap(e) == _tables(pte=512, pmd=2)


# -- arm64 4K, linear map at blocks (rodata=on/off, no KFENCE late pool) ----------------


@pytest.mark.parametrize("map_", ["mem", "dev"])
@pytest.mark.parametrize("size", [GiB, 4 * GiB])
def test_arm64_blocks_gib_aligned(size: int, map_: str) -> None:
    """Blocks: boot RAM [0, 4G) is four 1G blocks in the PUD table of [0, 512G). [4G, 5G)
    and [4G, 8G) are GiB aligned: each GiB is a 1G block in that existing PUD table
    (alloc_init_pud()), so no table is allocated at all."""
    e = _est("arm64-4k", size, 4 * GiB, map=map_, linear_map="blocks")
    assert _dmap(e) == _tables()


def test_arm64_blocks_first_section_partial() -> None:
    """Blocks, [4G+64M, 5G+64M): neither GiB 4 nor GiB 5 is wholly covered -> a PMD table
    each (alloc_init_cont_pmd()); every 2 MiB in them is aligned and covered -> 2M blocks,
    no PTE table. 2 pages."""
    e = _est("arm64-4k", GiB, 4 * GiB + 64 * MiB, linear_map="blocks")
    assert _dmap(e) == _tables(pmd=2)


# -- x86_64 (blocks, 1G pages by default) ------------------------------------------------


@pytest.mark.parametrize("map_", ["mem", "dev"])
@pytest.mark.parametrize("size", [GiB, 4 * GiB])
def test_x86_gbpages_gib_aligned(size: int, map_: str) -> None:
    """x86 with direct_gbpages: [4G, 5G) / [4G, 8G) are whole aligned GiBs -> 1G pages set
    in the PUD table boot RAM owns (phys_pud_init()) -> no new table."""
    e = _est("x86_64", size, 4 * GiB, map=map_)
    assert _dmap(e) == _tables()


def test_x86_first_section_partial() -> None:
    """x86, [4G+64M, 5G+64M): GiB 4 and 5 are partly covered -> phys_pud_init() allocates
    a PMD table for each; phys_pmd_init() maps every covered 2M with a 2M page -> 2."""
    e = _est("x86_64", GiB, 4 * GiB + 64 * MiB)
    assert _dmap(e) == _tables(pmd=2)


@pytest.mark.parametrize(
    ("size", "start", "expected"),
    [
        (GiB, 4 * GiB, _tables(pmd=1)),
        (4 * GiB, 4 * GiB, _tables(pmd=4)),
        (GiB, 4 * GiB + 64 * MiB, _tables(pmd=2)),
    ],
)
def test_x86_no_gbpages(size: int, start: int, expected: dict[str, int]) -> None:
    """nogbpages: page_size_mask has no PG_LEVEL_1G, so each GiB touched gets a PMD table of
    2M pages: 1 (GiB 4), 4 (GiB 4-7), 2 (GiB 4-5); boot RAM's own PMD tables are GiB 0-3."""
    e = _est("x86_64", size, start, gbpages=False)
    assert _dmap(e) == expected


def test_x86_la57_new_pgd_entry() -> None:
    """5-level x86 (la57): one PGD entry maps 256 TiB, one P4D table 256 TiB (512 x 512G).
    1 GiB at 256 TiB is in PGD entry 1, which boot RAM [0, 4G) never touched:
    __kernel_physical_mapping_init() allocates its P4D table, phys_p4d_init() a PUD table
    for [256T, 256T+512G), and phys_pud_init() sets a 1G page -> 1 P4D + 1 PUD."""
    e = _est("x86_64-la57", GiB, 256 << 40)
    assert _dmap(e) == {"pte": 0, "pmd": 0, "pud": 1, "p4d": 1}


def test_x86_pages_is_arm64_pages() -> None:
    """x86 under debug_pagealloc (probe_page_size_mask() leaves 2M/1G out): the same tables
    as arm64 4K pages, 512 PTE + 1 PMD for [4G, 5G)."""
    e = _est("x86_64", GiB, 4 * GiB, linear_map="pages")
    assert _dmap(e) == _tables(pte=512, pmd=1)


# -- kinds and the shared machine ---------------------------------------------------------


def test_fsdax_and_dax_ranges_get_it_too() -> None:
    """fsdax goes through the same pagemap_range() -> arch_add_memory(); a dax range
    [4G, 5G) is one pgmap range: both 513 tables on arm64 pages, like devdax."""
    fs = _est("arm64-4k", GiB, 4 * GiB, mode="fsdax")
    assert _dmap(fs) == _tables(pte=512, pmd=1)
    dr = estimate(request(arch="arm64-4k", dax_ranges=((4 * GiB, 5 * GiB),), system_ram=BOOT))
    assert _dmap(dr) == _tables(pte=512, pmd=1)


def test_two_dax_ranges_in_one_gib_share_the_pmd_table() -> None:
    """Two ranges [4G, 4G+512M) and [4G+512M, 5G) of one device: 256 PTE tables each, and
    one PMD table (GiB 4) for the first range only: 513 in all."""
    dr = estimate(
        request(
            arch="arm64-4k",
            dax_ranges=((4 * GiB, 4 * GiB + 512 * MiB), (4 * GiB + 512 * MiB, 5 * GiB)),
            system_ram=BOOT,
        )
    )
    assert _dmap(dr) == _tables(pte=512, pmd=1)


def test_estimate_many_shares_the_direct_map() -> None:
    """Two 512 MiB namespaces at 4G and 4G+512M on one machine: the first allocates the PMD
    table of GiB 4 and 256 PTE tables, the second only its 256 PTE tables."""
    reqs = [
        request(arch="arm64-4k", size=512 * MiB, start=s, system_ram=BOOT, label=f"ns{i}")
        for i, s in enumerate((4 * GiB, 4 * GiB + 512 * MiB))
    ]
    first, second = estimate_many(reqs)
    assert _dmap(first) == _tables(pte=256, pmd=1)
    assert _dmap(second) == _tables(pte=256)


def test_arm64_default_says_what_it_assumed() -> None:
    """The default (pages) is a boot-time choice of can_set_direct_map(): say so; an
    explicit --linear-map is the user's statement and needs no note."""
    assumed = [n for n in _est("arm64-4k", GiB, 4 * GiB).notes if "direct map" in n]
    assert len(assumed) == 1
    assert "rodata=full" in assumed[0]
    explicit = _est("arm64-4k", GiB, 4 * GiB, linear_map="pages")
    assert not [n for n in explicit.notes if "direct map" in n]


def test_json_and_dram_bytes() -> None:
    """The JSON carries the tables per level, and dram_bytes includes their bytes."""
    doc = estimate_doc(_est("arm64-4k", GiB, 4 * GiB))
    assert doc["input"]["linear_map"] == "pages"
    assert doc["input"]["gbpages"] is None
    (one,) = doc["devices"]
    assert one["detail"]["direct_map_tables"] == {"pte": 512, "pmd": 1, "pud": 0, "p4d": 0}
    assert one["direct_map_bytes"] == 513 * PAGE
    base = one["detail"]["baseline"]
    assert base["direct_map_tables"] == one["detail"]["direct_map_tables"]
    assert base["direct_map_bytes"] == one["direct_map_bytes"]
    x86 = estimate_doc(_est("x86_64", GiB, 4 * GiB, gbpages=False))["input"]
    assert (x86["linear_map"], x86["gbpages"]) == ("blocks", False)
    vmemmap = one["memmap_dram_pages"] * PAGE + one["page_table_bytes"]
    assert one["dram_bytes"] == vmemmap + 513 * PAGE


@pytest.mark.parametrize(
    ("size", "start", "linear_map", "expected"),
    [
        (GiB, 4 * GiB, None, _tables()),
        (4 * GiB, 4 * GiB, None, _tables()),
        (GiB, 4 * GiB + 64 * MiB, None, _tables(pmd=2)),
        (GiB, 4 * GiB, "pages", _tables(pte=512, pmd=1)),
    ],
)
def test_riscv_sv48(size: int, start: int, linear_map: Any, expected: dict[str, int]) -> None:
    """riscv64 Sv48, best_map_size(): [4G, 5G) and [4G, 8G) are whole aligned GiBs -> 1G
    leaves in the PUD table boot RAM owns -> 0; [4G+64M, 5G+64M) -> GiB 4 and 5 get a PMD
    table each, filled with 2M leaves -> 2; debug_pagealloc (pages) -> 512 PTE + 1 PMD."""
    e = _est("riscv64", size, start, linear_map=linear_map)
    assert _dmap(e) == expected


def test_not_modelled_arches_say_so() -> None:
    """powerpc radix: not modelled, the field is null and dram_bytes excludes it."""
    for arch in ("ppc64-radix-64k", "ppc64-radix-4k"):
        doc = estimate_doc(estimate(request(arch=arch, size=GiB, start=4 * GiB, system_ram=BOOT)))
        (one,) = doc["devices"]
        assert one["detail"]["direct_map_tables"] is None
        assert one["direct_map_bytes"] == 0
        assert doc["input"]["linear_map"] is None
        vmemmap = one["memmap_dram_pages"] * doc["input"]["page_size"]
        assert one["dram_bytes"] == vmemmap + one["page_table_bytes"]


@pytest.mark.parametrize(
    ("fields", "option"),
    [
        ({"arch": "arm64-4k", "gbpages": False}, "--no-gbpages"),
        ({"arch": "x86_64", "gbpages": False, "linear_map": "pages"}, "--no-gbpages"),
        ({"arch": "ppc64-radix-64k", "linear_map": "pages"}, "--linear-map"),
        ({"arch": "riscv64", "gbpages": False}, "--no-gbpages"),
        ({"arch": "ppc64-radix-4k", "gbpages": False}, "--no-gbpages"),
    ],
)
def test_switches_without_effect_are_refused(fields: dict[str, Any], option: str) -> None:
    with pytest.raises(InputError) as err:
        estimate(request(size=GiB, start=4 * GiB, system_ram=BOOT, **fields))
    assert err.value.option == option


def test_cli_switches() -> None:
    """--linear-map changes the answer; bad values and x86-only switches exit 2."""
    runner = CliRunner()
    base = ["estimate", "--size", "1G", "--start", "4G", "--system-ram", "0+4G", "--json"]
    import json  # noqa: PLC0415

    def dmap(*extra: str) -> Any:
        result = runner.invoke(cli, [*base, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["devices"][0]["detail"]["direct_map_tables"]

    assert dmap("--arch", "arm64-4k")["pte"] == 512
    assert dmap("--arch", "arm64-4k", "--linear-map", "blocks")["pte"] == 0
    assert dmap("--no-gbpages")["pmd"] == 1
    for extra, word in (
        (["--linear-map", "huge"], "--linear-map"),
        (["--arch", "arm64-4k", "--no-gbpages"], "--no-gbpages"),
    ):
        result = runner.invoke(cli, [*base, *extra])
        assert result.exit_code == 2
        assert word in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
