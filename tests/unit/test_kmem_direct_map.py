"""Worked examples: the direct map of System RAM hot-added by dax kmem, by hand.

dax kmem hands each range, trimmed to whole memory blocks (dax_kmem_range()), to
add_memory_driver_managed() -> add_memory_resource(), which calls arch_add_memory() once
for the whole range, or once per memory block when the blocks host their own memmap
(create_altmaps_and_memory_blocks(), v6.8+). arch_add_memory() maps its range into the
direct map (x86 init_memory_mapping(), arm64 __create_pgd_mapping()) before __add_pages();
the altmap only feeds the vmemmap, so the direct-map tables are DRAM either way.

Geometry (x86_64 4-level and arm64 4K/48-bit alike): one PTE table maps 2 MiB, one PMD
table 1 GiB, one PUD table 512 GiB; the PGD is part of the kernel image; a table is one
4 KiB page. Boot RAM is mapped first in the same mode and owns its tables.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from vmemplan.cli import cli
from vmemplan.output.system_ram_schema import SystemRamDoc

PAGE = 4096


def _doc(*args: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["estimate", "--mode", "system-ram", *args, "--json"])
    assert r.exit_code == 0, r.output
    d: dict[str, Any] = json.loads(r.stdout)
    SystemRamDoc.model_validate(d)
    (dev,) = d["devices"]
    # the one device's cost keys and detail side by side, its direct-map tables with
    # their bytes as the v1 ``direct_map`` object was (null where not modelled)
    tables = dev["detail"]["direct_map_tables"]
    dmap = None if tables is None else {**tables, "bytes": dev["direct_map_bytes"]}
    return {"input": d["input"], "notes": d["notes"], **dev, **dev["detail"], "direct_map": dmap}


def _dmap(pte: int = 0, pmd: int = 0, pud: int = 0) -> dict[str, int]:
    return {"pte": pte, "pmd": pmd, "pud": pud, "p4d": 0, "bytes": (pte + pmd + pud) * PAGE}


def _vmemmap_bytes(d: dict[str, Any]) -> int:
    """What dram_bytes held before the direct map was counted: memmap and vmemmap tables."""
    return int(d["memmap_dram_pages"] * d["input"]["page_size_bytes"] + d["page_table_bytes"])


CXL_256G_AT_1T = ("--size", "256G", "--start", "1T", "--system-ram", "0+512G")


# -- x86_64: 256 GiB at 1 TiB, boot RAM 0+512G (2 GiB blocks, 128 of them) -------------


def test_x86_gbpages_one_pud_table() -> None:
    """gbpages (the default): [1T, 1T+256G) is 256 whole aligned GiBs -> 256 1G pages
    (phys_pud_init()), all in the PUD table of the PGD entry [1T, 1.5T), which boot RAM
    [0, 512G) never touched: 1 PUD table, no PMD or PTE table. 4 KiB."""
    d = _doc(*CXL_256G_AT_1T)
    assert (d["input"]["linear_map"], d["input"]["gbpages"]) == ("blocks", True)
    assert d["direct_map"] == _dmap(pud=1)
    assert d["dram_bytes"] == _vmemmap_bytes(d) + PAGE


def test_x86_no_gbpages_pmd_tables() -> None:
    """--no-gbpages (page_size_mask without PG_LEVEL_1G): the same 256 GiB is 2M pages,
    one PMD table per GiB (phys_pud_init() allocates it) -> 256 PMD + the 1 PUD table:
    257 pages, 1028 KiB; and the option changes dram_bytes by exactly 256 pages."""
    on = _doc(*CXL_256G_AT_1T)
    f = _doc(*CXL_256G_AT_1T, "--no-gbpages")
    assert f["direct_map"] == _dmap(pmd=256, pud=1)
    assert f["direct_map"]["bytes"] == 1028 * 1024
    assert f["dram_bytes"] - on["dram_bytes"] == 256 * PAGE


def test_x86_pages_debug_pagealloc() -> None:
    """--linear-map pages (debug_pagealloc): 4K pages, one PTE table per 2 MiB ->
    256 GiB / 2 MiB = 131,072 PTE + 256 PMD + 1 PUD = 131,329 pages."""
    f = _doc(*CXL_256G_AT_1T, "--linear-map", "pages")
    assert f["direct_map"] == _dmap(pte=131072, pmd=256, pud=1)


@pytest.mark.parametrize("mom", ["off", "on"])
def test_x86_memmap_on_memory_same_direct_map_with_2g_blocks(mom: str) -> None:
    """memmap_on_memory adds the 128 blocks one by one, but each 2 GiB block is two whole
    aligned GiBs: the same 256 1G pages and 1 PUD table as one call for the whole range."""
    f = _doc(*CXL_256G_AT_1T, "--memmap-on-memory", mom)
    assert f["direct_map"] == _dmap(pud=1)


def test_x86_only_the_added_blocks_are_mapped() -> None:
    """--dax-range 1T+1G..1T+5G with 2 GiB blocks: dax_kmem_range() keeps [1T+2G, 1T+4G);
    only that is mapped. --no-gbpages: GiB 1026 and 1027 -> 2 PMD tables (the trimmed
    GiB 1025 and 1028 would make 4) + the PUD table of [1T, 1.5T)."""
    d = _doc("--dax-range", "0x10040000000..0x10140000000", "--system-ram", "0+512G",
             "--no-gbpages")  # fmt: skip
    (r,) = d["ranges"]
    assert (r["added_start"], r["added_bytes"]) == ((1 << 40) + (2 << 30), 2 << 30)
    assert d["direct_map"] == _dmap(pmd=2, pud=1)


def test_x86_ranges_of_one_device_share_tables() -> None:
    """Two ranges of one device, [1T, 1T+2G) and [1.25T, 1.25T+2G): the first allocates
    the PUD table of [1T, 1.5T), the second lies in it -> 1 PUD table in all, not 2."""
    d = _doc("--dax-range", "1T+2G", "--dax-range", "1280G+2G", "--system-ram", "0+512G")
    assert d["direct_map"] == _dmap(pud=1)


def test_x86_boot_ram_owns_its_window() -> None:
    """Boot RAM 0+64G (the default) owns the PUD table of [0, 512G): 16 GiB at 64G is 16
    1G pages in it -> no new table at all."""
    d = _doc("--size", "16G", "--start", "64G")
    assert d["direct_map"] == _dmap()
    assert d["dram_bytes"] == _vmemmap_bytes(d)


def test_x86_compare_rows_take_the_linear_map() -> None:
    """compare --mode system-ram: each row's direct_map_bytes is the estimate's, 1 PUD
    table by default and 256 PMD + 1 PUD with --no-gbpages, and is in its dram_bytes."""

    def rows(*args: str) -> list[dict[str, Any]]:
        r = CliRunner().invoke(
            cli, ["compare", "--mode", "system-ram", *CXL_256G_AT_1T, *args, "--json"]
        )
        assert r.exit_code == 0, r.output
        out: list[dict[str, Any]] = json.loads(r.stdout)["system_ram_rows"]
        return out

    default, nogb = rows(), rows("--no-gbpages")
    assert [r["direct_map_bytes"] for r in default] == [PAGE, PAGE]  # off, on
    assert [r["direct_map_bytes"] for r in nogb] == [257 * PAGE, 257 * PAGE]
    for a, b in zip(default, nogb, strict=True):
        assert b["dram_bytes"] - a["dram_bytes"] == 256 * PAGE


# -- arm64 4K: pages (rodata=full, the default) vs blocks (rodata=on/off) ---------------


def test_arm64_pages_256g_at_1t() -> None:
    """arm64 maps with NO_BLOCK_MAPPINGS under can_set_direct_map(): 4K PTEs everywhere ->
    131,072 PTE + 256 PMD + 1 PUD ([1T, 1.5T)) = 131,329 pages (513 MiB + 4 KiB: ~2 MiB
    per GiB),
    with a note saying which boot options this assumes."""
    d = _doc(*CXL_256G_AT_1T, "--arch", "arm64-4k")
    assert (d["input"]["linear_map"], d["input"]["gbpages"]) == ("pages", None)
    assert d["direct_map"] == _dmap(pte=131072, pmd=256, pud=1)
    assert d["direct_map"]["bytes"] == 513 * 1024 * 1024 + PAGE
    assert any("rodata=full" in n for n in d["notes"])


def test_arm64_blocks_256g_at_1t() -> None:
    """--linear-map blocks: every GiB aligned and covered -> a 1G block (alloc_init_pud(),
    pud_sect_supported() on 4K) in the new PUD table: 1 page. No note: the mode was given."""
    d = _doc(*CXL_256G_AT_1T, "--arch", "arm64-4k", "--linear-map", "blocks")
    assert d["direct_map"] == _dmap(pud=1)
    assert not any("rodata=full" in n for n in d["notes"])


ARM64_4G_AT_4G = ("--arch", "arm64-4k", "--system-ram", "0+4G", "--size", "4G", "--start", "4G")


@pytest.mark.parametrize("mom", ["off", "on"])
def test_arm64_pages_4g_at_4g(mom: str) -> None:
    """Pages, [4G, 8G) after boot RAM [0, 4G): 2048 x 2 MiB -> 2048 PTE tables, GiB 4-7 ->
    4 PMD tables, the PUD table of [0, 512G) is boot RAM's: 2052 pages, added at once or
    in 32 blocks of 128 MiB (memmap_on_memory) alike."""
    d = _doc(*ARM64_4G_AT_4G, "--memmap-on-memory", mom)
    assert d["placement"]["blocks_self_hosted"] == (32 if mom == "on" else 0)
    assert d["direct_map"] == _dmap(pte=2048, pmd=4)


def test_arm64_blocks_4g_at_4g_whole_range() -> None:
    """Blocks, [4G, 8G) at once: 4 1G blocks in boot RAM's PUD table -> no table."""
    d = _doc(*ARM64_4G_AT_4G, "--linear-map", "blocks")
    assert d["direct_map"] == _dmap()


def test_arm64_blocks_4g_at_4g_block_by_block() -> None:
    """Blocks with memmap_on_memory: 32 arch_add_memory() calls of 128 MiB; none covers a
    GiB, so alloc_init_pud() gives each of GiB 4-7 a PMD table of 2M blocks: 4 pages."""
    d = _doc(*ARM64_4G_AT_4G, "--linear-map", "blocks", "--memmap-on-memory", "on")
    assert d["placement"]["blocks_self_hosted"] == 32
    assert d["direct_map"] == _dmap(pmd=4)
    assert d["dram_bytes"] == _vmemmap_bytes(d) + 4 * PAGE


# -- not modelled, refused, printed -----------------------------------------------------


def test_ppc64_not_modelled_is_null() -> None:
    d = _doc("--size", "16G", "--start", "64G", "--arch", "ppc64-radix-64k")
    assert d["direct_map"] is None
    assert (d["input"]["linear_map"], d["input"]["gbpages"]) == (None, None)
    assert d["dram_bytes"] == _vmemmap_bytes(d)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arch", "ppc64-radix-64k", "--linear-map", "pages"), "--linear-map: pages: the"),
        (("--arch", "arm64-4k", "--no-gbpages"), "--no-gbpages: x86 only"),
        (("--linear-map", "pages", "--no-gbpages"), "--no-gbpages: no effect"),
        (("--linear-map", "huge"), "--linear-map: 'huge'"),
    ],
)
def test_switches_without_effect_are_refused(args: tuple[str, ...], message: str) -> None:
    r = CliRunner().invoke(
        cli, ["estimate", "--mode", "system-ram", "--size", "16G", "--start", "64G", *args]
    )
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_human_output_has_a_direct_map_line() -> None:
    def out(*args: str) -> str:
        r = CliRunner().invoke(cli, ["estimate", "--mode", "system-ram", *args])
        assert r.exit_code == 0, r.output
        return r.stdout

    assert "  direct map tables    1 PUD (4.00 KiB)\n" in out(*CXL_256G_AT_1T)
    assert "  direct map tables    256 PMD, 1 PUD (1.00 MiB)\n" in out(
        *CXL_256G_AT_1T, "--no-gbpages"
    )
    assert "  direct map tables    none (0 B)\n" in out("--size", "16G", "--start", "64G")
    ppc = out("--size", "16G", "--start", "64G", "--arch", "ppc64-radix-64k")
    assert "  direct map tables    not modelled\n" in ppc
    assert "not counted" not in out(*CXL_256G_AT_1T)
