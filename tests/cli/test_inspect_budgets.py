"""``vmemplan inspect --max-dram`` (and the other budgets of ``plan``): the host as it is
against a budget, and the reconfigurations that save DRAM, each with the commands the
kernel accepts for it. Fixtures: tests/data/live/ (x86_64, 4 KiB pages, 4 GiB of boot
RAM: 1% of it is 42,949,672 bytes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.inspect_schema import InspectDoc

LIVE = Path(__file__).resolve().parents[1] / "data" / "live"
MiB, GiB = 1 << 20, 1 << 30


def run(name: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["inspect", "--root", str(LIVE / name), *args], catch_exceptions=False
    )


def budget(name: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = run(name, *args, "--json")
    doc: dict[str, Any] = json.loads(result.stdout)
    InspectDoc.model_validate(doc)
    return result.exit_code, doc


def test_kmem_memmap_in_dram_is_over_1_percent_and_memmap_on_memory_fixes_it() -> None:
    """dax0.0 (16 GiB, kmem, memmap_on_memory off) puts 65536 memmap pages (256 MiB) in
    DRAM: over 1% of 4 GiB. memmap_on_memory moves them onto the device (the blocks lose
    the same 256 MiB), leaving only the vmemmap page tables (64 KiB) in DRAM. The budget
    fails now: exit 1, status fail, and the change and its commands are proposed."""
    code, doc = budget("kmem-memmap-in-dram", "--max-dram", "1%")
    assert code == 1
    assert doc["status"] == "fail"
    b = doc["budget"]
    assert b["verdicts"][0]["limit"] == 4 * GiB // 100
    assert b["verdicts"][0]["used"] == 256 * MiB
    (p,) = b["proposals"]
    assert (p["target"], p["change"]) == ("dax0.0", "memmap_on_memory off -> on")
    assert p["saved_bytes"] == 256 * MiB - p["dram_bytes"]
    assert p["lost_bytes"] == 256 * MiB
    assert "echo 1 > /sys/bus/dax/devices/dax0.0/memmap_on_memory" in p["commands"]
    assert any("memory_hotplug.memmap_on_memory=1" in c for c in p["commands"])
    assert b["to_take"] == ["dax0.0"]
    assert b["holds_after"] is True


def test_a_pool_without_hvo_is_offered_hvo_and_a_rebuilt_pool() -> None:
    """512 x 2 MiB pages without HVO: 512 x 8 = 4096 vmemmap pages (16 MiB); with HVO 1
    kept per folio plus the split PTE tables. The budget of 1% (40.96 MiB) holds now:
    exit 0, and the saving is still shown."""
    code, doc = budget("hugetlb-hvo-off", "--max-dram", "1%")
    assert code == 0
    b = doc["budget"]
    assert b["holds_now"] is True
    assert b["to_take"] == []
    (p,) = b["proposals"]
    assert p["change"] == "HVO off -> on"
    assert p["commands"][0].startswith("sysctl -w vm.hugetlb_optimize_vmemmap=1")
    assert p["commands"][-1].startswith("echo 512 > ")
    assert p["saved_bytes"] == 16 * MiB - p["dram_bytes"]


def test_a_pmem_namespace_is_re_created_in_place_with_ndctl() -> None:
    """fsdax map=dev (namespace0.0, 16 GiB): its memmap is on the device, no DRAM, so a
    DRAM budget of 0 holds and devdax map=mem (some DRAM) is no saving: nothing proposed.
    devdax map=mem align 2M (16384 DRAM pages, 64 MiB): align 1G keeps 2 vmemmap pages per
    1 GiB page, so re-creating it saves almost all of them; a pmem dax device's align is
    read-only, hence ndctl create-namespace -f -e."""
    code, doc = budget("fsdax", "--max-dram", "0")
    assert code == 0
    assert doc["budget"]["proposals"] == []
    code, doc = budget("devdax-map-mem", "--max-dram", "1G")
    assert code == 0
    (p,) = doc["budget"]["proposals"]
    assert p["commands"] == [
        "ndctl create-namespace -f -e namespace0.0 --mode=devdax --map=mem --align=1G"
    ]
    assert p["saved_bytes"] > 0


def test_human_output_lists_the_commands() -> None:
    result = run("kmem-memmap-in-dram", "--max-dram", "1%")
    assert result.exit_code == 1
    assert "budget: FAILS: DRAM 256.00 MiB exceeds 1% of 4.00 GiB (40.96 MiB)" in result.stdout
    assert "    daxctl reconfigure-device --mode=system-ram dax0.0" in result.stdout


def test_without_a_budget_the_key_is_null() -> None:
    code, doc = budget("fsdax")
    assert code == 0
    assert doc["budget"] is None


def test_a_bad_budget_is_bad_input() -> None:
    result = run("fsdax", "--max-dram", "lots")
    assert result.exit_code == 2
    assert result.stderr.startswith("vmemplan: error: --max-dram: 'lots'")
