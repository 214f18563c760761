"""``vmemplan host``: the whole machine, one row per kind of memory.

Figures derived by hand (x86_64, 4K pages, 64-byte struct page, 4-level paging, v6.12):
- boot RAM 512 GiB = 4096 sections x 512 memmap pages = 2,097,152 pages (8 GiB, 1.5625%),
  PMD-leaf mapped: 512 GiB / 64 GiB = 8 PMD tables + 1 PUD table (kernel-model B14);
- 512 x 1 GiB HugeTLB with HVO (hotplug-hvo-model B.6, per 512 folios): vmemmap 512 x 4096
  = 2,097,152 pages, kept 512, 8 PTE tables per folio = 4096; saved 2,092,544 pages;
- 512 GiB devdax align 1G (kernel-model C1 halved): 2 pages kept per 1 GiB compound = 1024,
  one PTE table per compound's vmemmap (16 MiB of vmemmap = 8 PMD windows) = 4096 PTE,
  8 PMD tables; without dedup 2,097,152 pages + 8 PMD tables; map=mem dataoff 1 GiB;
- 2 TiB System RAM at 1 TiB (after the devdax): 16,384 sections x 512 = 8,388,608 pages
  (32 GiB) + 32 PMD tables, in DRAM (off) or on the device (on, 1024 blocks x 8192);
- direct map (x86 blocks, 1G pages; arch_add_memory() -> init_memory_mapping()): one PUD
  table maps 512 GiB (the PGD entry's window); boot RAM [0, 512G) owns the first; GiB
  aligned RAM is mapped with 1G pages, so a range needs only the PUD tables of the 512 GiB
  windows it is the first to touch.
"""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from tests.helpers import flat_pools, flat_rows
from vmemplan.cli import cli
from vmemplan.output.host_schema import HostDoc

GiB, MiB, P = 1 << 30, 1 << 20, 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["host", *args])


def doc(*args: str) -> dict[str, Any]:
    r = run(*args, "--json")
    assert r.exit_code == 0, r.output
    d: dict[str, Any] = json.loads(r.stdout)
    HostDoc.model_validate(d)
    return d


def test_boot_ram_row_pays_one_and_a_half_percent() -> None:
    (boot,) = flat_rows(doc("--system-ram", "512G"))
    assert boot["kind"] == "boot-ram"
    assert boot["memmap_dram_pages"] == 2097152
    assert boot["page_table_bytes"] // P == 9
    assert boot["dram_bytes"] == 8 * GiB + 9 * P


def test_hugetlb_with_hvo_next_to_devdax_align_1g() -> None:
    """The issue's comparison: 512 x 1 GiB HugeTLB with HVO vs 512 GiB devdax align 1G."""
    d = doc("--system-ram", "512G", "--hugetlb", "1G:512", "--devdax", "512G:1G")
    boot, huge, dax = flat_rows(d)
    assert huge["optimization"] == "hvo"
    assert (huge["memmap_dram_pages"], huge["page_table_bytes"] // P) == (512, 4096)
    assert huge["saved_bytes"] == 2092544 * P
    # the pool's vmemmap is its own row: the kept pages and the split PTE tables ...
    assert huge["dram_bytes"] == (512 + 4096) * P
    assert huge["dram_bytes_unoptimized"] == 2097152 * P
    # ... and the boot RAM row counts the rest of its memmap (the pool is all of it)
    assert boot["memmap_dram_pages"] == 2097152 - 2097152
    assert boot["dram_bytes"] == 9 * P
    assert dax["optimization"] == "dedup"
    assert (dax["memmap_dram_pages"], dax["page_table_bytes"] // P) == (1024, 4104)
    # placed at 512G, after the boot RAM: its direct map (1G leaves) needs one new PUD table,
    # the one under the second PGD entry (arch_add_memory(), as `estimate` counts it)
    direct_map = 1
    assert dax["dram_bytes"] == (1024 + 4104 + direct_map) * P
    assert dax["dram_bytes_unoptimized"] == (2097152 + 8 + direct_map) * P
    assert dax["lost_bytes"] == GiB
    assert d["total"]["dram_bytes"] == boot["dram_bytes"] + huge["dram_bytes"] + dax["dram_bytes"]
    assert (
        d["total"]["dram_bytes"] == (8 * GiB + 9 * P) - 2092544 * P + (1024 + 4104 + direct_map) * P
    )


def test_no_hvo_gives_nothing_back() -> None:
    huge = flat_rows(doc("--system-ram", "512G", "--hugetlb", "1G:512", "--no-hvo"))[1]
    assert (huge["dram_bytes"], huge["saved_bytes"], huge["optimization"]) == (
        2097152 * P,  # 512 folios x 4096 vmemmap pages, all kept
        0,
        "none",
    )
    assert "hugetlb_free_vmemmap=off" in huge["note"]


def test_system_ram_with_and_without_memmap_on_memory() -> None:
    """Both rows now pay the direct map of their 2 TiB: [1T, 3T) and [3T, 5T) each span
    four 512 GiB windows no one mapped before -> 4 new PUD tables; their 2 GiB blocks are
    GiB aligned, so even block by block (memmap_on_memory) every GiB is a 1G page: no PMD
    table. The baseline pays the same direct map, so ``saved_bytes`` stays 32 GiB."""
    d = doc("--system-ram", "512G", "--kmem", "2T:on@1T", "--kmem", "2T:off@3T")
    on, off = flat_rows(d)[1:]
    direct_map = 4  # PUD tables
    assert (on["memmap_device_pages"], on["memmap_dram_pages"]) == (8388608, 0)
    assert on["dram_bytes"] == (32 + direct_map) * P
    assert on["saved_bytes"] == 32 * GiB
    assert on["lost_bytes"] == 32 * GiB
    assert off["dram_bytes"] == 32 * GiB + (32 + direct_map) * P
    assert off["lost_bytes"] == 0


def test_system_ram_shares_the_direct_map_with_devdax() -> None:
    """One direct map for the host: the devdax [512G, 768G) allocates the PUD table of the
    [512G, 1T) window (1G pages below it); the kmem device [768G, 1T) lies in the same
    window and is GiB aligned -> 0 direct-map tables. Its DRAM is the memmap, 2048 sections
    x 512 pages, plus 4 new vmemmap PMD tables ([768G, 1T) is four 64 GiB windows)."""
    d = doc("--system-ram", "512G", "--devdax", "256G:1G@512G", "--kmem", "256G:off@768G")
    dax, kmem = flat_rows(d)[1:]
    assert dax["dram_bytes"] == (512 + 2052 + 1) * P  # 2 kept pages x 256, tables, 1 PUD
    assert kmem["dram_bytes"] == 1048576 * P + 4 * P
    # alone, the same device pays the PUD table itself
    (alone,) = flat_rows(doc("--system-ram", "512G", "--kmem", "256G:off@768G"))[1:]
    assert alone["dram_bytes"] == 1048576 * P + 4 * P + P


def test_memmap_on_memory_small_blocks_lose_1g_pages() -> None:
    """48 GiB of boot RAM -> 128 MiB blocks (probe_memory_block_size()). 16 GiB at 48G:
    memmap_on_memory adds it block by block (create_altmaps_and_memory_blocks()), and no
    128 MiB block covers a GiB, so each of GiB 48-63 gets a PMD table of 2M pages: 16 pages
    (the 6.8 commit's "does preclude being able to use PUD mappings in the direct map").
    The baseline adds [48G, 64G) at once: 16 x 1G pages in boot RAM's PUD table, 0 tables.
    Memmap 128 sections x 512 = 65,536 pages on the device; vmemmap PMD tables: the
    [0, 64G) window is boot RAM's -> 0. saved = 65,536 - 16 pages."""
    (on,) = flat_rows(doc("--system-ram", "48G", "--kmem", "16G:on@48G"))[1:]
    assert (on["memmap_device_pages"], on["page_table_bytes"] // P) == (65536, 0)
    assert on["dram_bytes"] == 16 * P
    assert on["dram_bytes_unoptimized"] == 65536 * P
    assert on["saved_bytes"] == (65536 - 16) * P


def test_devices_are_placed_above_boot_ram_and_share_nothing_twice() -> None:
    """Without @START the kmem device follows the devdax (at 1T): its own 32 PMD tables."""
    d = doc("--system-ram", "512G", "--devdax", "512G:1G", "--kmem", "2T:off")
    assert flat_rows(d)[2]["page_table_bytes"] // P == 32


def test_bad_values_exit_2() -> None:
    cases = [
        ((), "--system-ram: missing"),
        (("--system-ram", "64G", "--hugetlb", "1G:128"), "--hugetlb: the pools need 128G"),
        (("--system-ram", "64G", "--kmem", "1T:maybe"), "--kmem: '1T:maybe'"),
        (("--system-ram", "64G", "--kmem", "1T@32G"), "overlaps boot System RAM"),
        (("--system-ram", "64G", "--devdax", "1T:3M"), "--align"),
        (("--system-ram", "64G", "--memory-block-size", "1G"), "only with a --device that kmem"),
    ]
    for args, expected in cases:
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert expected in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_per_node_pools_share_one_note_line() -> None:
    """Two per-node pools of one size carry the same note: the text prints it once."""
    result = CliRunner().invoke(
        cli, ["host", "--system-ram", "512G", "--hugetlb", "1G:0:128,1:128"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert "HugeTLB 1G x 128 node 0" in result.stdout
    assert "HugeTLB 1G x 128 node 1" in result.stdout
    assert result.stdout.count("carved from boot RAM") == 1


def test_boot_ram_is_the_old_spelling_of_system_ram() -> None:
    """``--system-ram`` is boot RAM's name in every command; ``--boot-ram`` still works."""
    assert doc("--boot-ram", "512G") == doc("--system-ram", "512G")
    assert "--boot-ram" not in run("--help").stdout


def test_a_pool_row_is_what_check_says_the_pool_costs() -> None:
    """A 1G x 128 pool carved from boot RAM: its row is its vmemmap after HVO (128 kept
    pages + 128 x 8 split PTE tables = 4.50 MiB), the same figure ``check`` and
    ``hugetlb`` give; the boot RAM row counts the rest of its memmap, so the total is the
    plain sum of the rows and no row is negative."""
    d = doc("--system-ram", "512G", "--hugetlb", "1G:128")
    boot, huge = flat_rows(d)
    assert huge["dram_bytes"] == (128 + 128 * 8) * P == 4608 * 1024
    assert boot["memmap_dram_pages"] == 2097152 - 128 * 4096
    assert d["total"]["dram_bytes"] == boot["dram_bytes"] + huge["dram_bytes"]
    assert all(r["dram_bytes"] >= 0 for r in flat_rows(d))
    r = CliRunner().invoke(cli, ["hugetlb", "--hugetlb", "1G:128", "--json"])
    assert flat_pools(json.loads(r.stdout))[0]["dram_bytes"] == huge["dram_bytes"]
