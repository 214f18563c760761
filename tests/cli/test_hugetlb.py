"""``vmemplan hugetlb``: the spec's HVO worked examples (hotplug-hvo-model.md B.6, C5)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from tests.helpers import flat_pools, flat_rows
from vmemplan.cli import cli
from vmemplan.output.hugetlb_schema import HugetlbDoc
from vmemplan.sources.cmdline import HugetlbPool, parse_hugetlb_cmdline

PAGE_BYTES = 4096  # x86_64 PAGE_SIZE: the saved pages are saved_bytes / PAGE_SIZE

GiB, MiB = 1 << 30, 1 << 20


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["hugetlb", *args], catch_exceptions=False)


def doc(*args: str) -> dict[str, Any]:
    r = run(*args, "--json")
    assert r.exit_code == 0, r.stderr
    d: dict[str, Any] = json.loads(r.stdout)
    HugetlbDoc.model_validate(d)
    return d


def test_b6_per_tib_of_2m_and_1g() -> None:
    """B.6 / C5: per TiB, 2M saves 3,661,824 pages, 1G saves 4,185,088 (v6.11+)."""
    d = doc("--hugetlb", "2M:524288", "--hugetlb", "1G:1024", "--kernel", "6.12")
    two, one = flat_pools(d)
    assert (two["vmemmap_pages_unoptimized"], two["vmemmap_pages_optimized"]) == (4194304, 524288)
    assert (two["page_tables"]["pte"], two["saved_bytes"] // PAGE_BYTES) == (8192, 3661824)
    assert (one["vmemmap_pages_unoptimized"], one["vmemmap_pages_optimized"]) == (4194304, 1024)
    assert (one["page_tables"]["pte"], one["saved_bytes"] // PAGE_BYTES) == (8192, 4185088)
    assert one["dram_bytes"] == 36 * MiB  # C5: 4 MiB + 32 MiB
    assert two["counters"]["nr_memmap_boot_pages"] == -4194304
    assert (two["counters"]["nr_memmap_pages"], one["counters"]["nr_memmap_pages"]) == (
        524288,
        1024,
    )


def test_b6_keep_two_before_5_18() -> None:
    """B.6 last row: v5.14-5.17 keep 2 pages per folio; no vmstat counters yet."""
    d = doc("--hugetlb", "2M:524288", "--hugetlb", "1G:1024", "--kernel", "5.17")
    two, one = flat_pools(d)
    assert two["vmemmap_pages_optimized"] == 1048576
    assert one["vmemmap_pages_optimized"] == 2048
    assert one["freed_pages_per_folio"] == 4094
    assert one["counters"]["nr_memmap_pages"] is None


def test_cmdline_per_node_and_switch_off() -> None:
    d = doc(
        "--cmdline",
        "default_hugepagesz=1G hugepagesz=1G hugepages=0:256,1:256 hugetlb_free_vmemmap=off",
    )
    assert [p["node"] for p in flat_pools(d)] == [0, 1]
    assert not any(p["optimized"] for p in flat_pools(d))
    assert d["total"]["dram_bytes"] == 512 * 4096 * 4096  # 8 GiB of vmemmap, nothing freed
    assert "hugetlb_free_vmemmap=off" in d["notes"][0]


def test_cmdline_parser_default_size() -> None:
    c = parse_hugetlb_cmdline(
        "quiet default_hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=8", 2 * MiB
    )
    assert set(c.pools) == {HugetlbPool(GiB, 4), HugetlbPool(2 * MiB, 8)}
    assert c.hvo_enabled is None


def test_struct_page_72_refused_with_rule() -> None:
    d = doc("--hugetlb", "1G:512", "--struct-page-size", "72")
    assert flat_pools(d)[0]["optimized"] is False
    assert "not a power of two" in flat_pools(d)[0]["refusal"]


def test_powerpc_never_selects() -> None:
    d = doc("--hugetlb", "2M:8", "--arch", "ppc64-radix-4k")
    assert d["hvo"]["arch_selects"] is False
    assert flat_pools(d)[0]["saved_bytes"] // PAGE_BYTES == 0


def test_bad_values_exit_2_one_line() -> None:
    for args in (
        ("--hugetlb", "1G:x"),
        ("--hugetlb", "3M:1"),
        ("--cmdline", "hugetlb_free_vmemmap=maybe"),
        (),
    ):
        r = run(*args)
        assert r.exit_code == 2
        assert r.stderr.count("\n") == 1


def test_memmap_on_memory_pools_keep_their_vmemmap_on_the_memory() -> None:
    """B.4 / A.4.3: HugeTLB pages carved from memory hot-added with memmap_on_memory have a
    self-hosted vmemmap (PageVmemmapSelfHosted): HVO skips them, and that vmemmap is on the
    memory itself. 4096 x 2M: VH = 512 x 64 / 4096 = 8 pages per folio, 32,768 in all,
    none of them DRAM, nothing saved, no PMD split."""
    d = doc("--hugetlb", "2M:4096", "--kernel", "6.12", "--memmap-on-memory")
    assert d["input"]["memmap_on_memory"] is True
    (pool,) = flat_pools(d)
    assert pool["vmemmap_self_hosted"] is True
    assert pool["optimized"] is False
    assert pool["vmemmap_pages_unoptimized"] == 4096 * 8
    assert pool["vmemmap_pages_optimized"] == 4096 * 8  # all kept, on the device
    assert (pool["page_tables"]["pte"], pool["saved_bytes"] // PAGE_BYTES) == (0, 0)
    assert (pool["dram_bytes_unoptimized"], pool["dram_bytes"]) == (0, 0)
    assert "PageVmemmapSelfHosted" in pool["refusal"]
    text = run("--hugetlb", "2M:4096", "--kernel", "6.12", "--memmap-on-memory")
    assert "vmemmap self-hosted, not in DRAM" in text.stdout


def test_memmap_on_memory_before_6_1_gives_way_to_hvo() -> None:
    """Before v6.1 mhp_supports_memmap_on_memory() refused while HVO was on: the memmap is
    in DRAM and HVO applies as for boot memory. 4096 x 2M = 8 GiB of folios, 128 MiB of
    vmemmap = 64 PMD leaves split: 4096 kept + 64 tables = 17,039,360 B."""
    d = doc("--hugetlb", "2M:4096", "--kernel", "6.0", "--memmap-on-memory")
    (pool,) = flat_pools(d)
    assert pool["vmemmap_self_hosted"] is False
    assert pool["optimized"] is True
    assert (pool["vmemmap_pages_optimized"], pool["page_tables"]["pte"]) == (4096, 64)
    assert pool["dram_bytes"] == (4096 + 64) * 4096 == 17_039_360
    assert any("before v6.1" in n for n in d["notes"])
    # with HVO off the kernel keeps memmap_on_memory: self-hosted, no DRAM
    off = doc("--hugetlb", "2M:4096", "--kernel", "6.0", "--memmap-on-memory", "--no-hvo")
    assert flat_pools(off)[0]["vmemmap_self_hosted"] is True
    assert flat_pools(off)[0]["dram_bytes"] == 0


def test_memmap_on_memory_before_5_12_is_refused() -> None:
    r = CliRunner().invoke(
        cli, ["hugetlb", "--hugetlb", "2M:16", "--kernel", "5.10", "--memmap-on-memory"]
    )
    assert r.exit_code == 2
    assert r.stderr == (
        "vmemplan: error: --memmap-on-memory: memory_hotplug.memmap_on_memory does not exist "
        "before v5.12 (kernel 5.10)\n"
    )


def test_one_name_for_a_pool_on_hugetlb_and_host() -> None:
    """``--hugetlb SIZE:COUNT`` on both commands; ``hugetlb --pages`` still works (hidden)."""
    assert doc("--hugetlb", "1G:512") == doc("--pages", "1G:512")
    help_text = CliRunner().invoke(cli, ["hugetlb", "--help"]).stdout
    assert "--hugetlb" in help_text
    assert "--pages" not in help_text
    host = CliRunner().invoke(
        cli, ["host", "--system-ram", "512G", "--hugetlb", "1G:512", "--json"]
    )
    (pool,) = [r for r in flat_rows(json.loads(host.stdout)) if r["kind"] == "hugetlb"]
    assert pool["dram_bytes"] == flat_pools(doc("--hugetlb", "1G:512"))[0]["dram_bytes"]
