"""``vmemplan hugetlb``: the spec's HVO worked examples (hotplug-hvo-model.md B.6, C5)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.hugetlb_schema import HugetlbDoc
from vmemplan.sources.cmdline import HugetlbPool, parse_hugetlb_cmdline

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
    d = doc("--pages", "2M:524288", "--pages", "1G:1024", "--kernel", "6.12")
    two, one = d["pools"]
    assert (two["vmemmap_pages_unoptimized"], two["vmemmap_pages_optimized"]) == (4194304, 524288)
    assert (two["pagetable_pages"], two["pages_saved"]) == (8192, 3661824)
    assert (one["vmemmap_pages_unoptimized"], one["vmemmap_pages_optimized"]) == (4194304, 1024)
    assert (one["pagetable_pages"], one["pages_saved"]) == (8192, 4185088)
    assert one["dram_bytes"] == 36 * MiB  # C5: 4 MiB + 32 MiB
    assert two["nr_memmap_boot_pages_delta"] == -4194304
    assert (two["nr_memmap_pages_delta"], one["nr_memmap_pages_delta"]) == (524288, 1024)


def test_b6_keep_two_before_5_18() -> None:
    """B.6 last row: v5.14-5.17 keep 2 pages per folio; no vmstat counters yet."""
    d = doc("--pages", "2M:524288", "--pages", "1G:1024", "--kernel", "5.17")
    two, one = d["pools"]
    assert two["vmemmap_pages_optimized"] == 1048576
    assert one["vmemmap_pages_optimized"] == 2048
    assert one["freed_pages_per_folio"] == 4094
    assert one["nr_memmap_pages_delta"] is None


def test_cmdline_per_node_and_switch_off() -> None:
    d = doc(
        "--cmdline",
        "default_hugepagesz=1G hugepagesz=1G hugepages=0:256,1:256 hugetlb_free_vmemmap=off",
    )
    assert [p["node"] for p in d["pools"]] == [0, 1]
    assert not any(p["optimized"] for p in d["pools"])
    assert d["total"]["dram_bytes"] == 512 * 4096 * 4096  # 8 GiB of vmemmap, nothing freed
    assert "hugetlb_free_vmemmap=off" in d["notes"][0]


def test_cmdline_parser_default_size() -> None:
    c = parse_hugetlb_cmdline(
        "quiet default_hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=8", 2 * MiB
    )
    assert set(c.pools) == {HugetlbPool(GiB, 4), HugetlbPool(2 * MiB, 8)}
    assert c.hvo_enabled is None


def test_struct_page_72_refused_with_rule() -> None:
    d = doc("--pages", "1G:512", "--struct-page-size", "72")
    assert d["pools"][0]["optimized"] is False
    assert "not a power of two" in d["pools"][0]["refusal"]


def test_powerpc_never_selects() -> None:
    d = doc("--pages", "2M:8", "--arch", "ppc64-radix-4k")
    assert d["hvo"]["arch_selects"] is False
    assert d["pools"][0]["pages_saved"] == 0


def test_bad_values_exit_2_one_line() -> None:
    for args in (
        ("--pages", "1G:x"),
        ("--pages", "3M:1"),
        ("--cmdline", "hugetlb_free_vmemmap=maybe"),
        (),
    ):
        r = run(*args)
        assert r.exit_code == 2
        assert r.stderr.count("\n") == 1
