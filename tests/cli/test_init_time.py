"""Init time: map=dev has its own per-struct-page cost; --ns-per-page overrides every map.

Issue 6 item 20. The figures are derived by hand:

- 100 GiB is 26,214,400 pfns of 4 KiB. With map=dev the info block takes the first 8 KiB,
  i.e. ``altmap->reserve`` = 2 pfns, whose struct pages nobody writes; every other pfn's
  struct page is written once (memmap_init_range() over the altmap's free pfns, then
  memmap_init_zone_device() from base_pfn + vmem_altmap_offset()): 26,214,398 writes.
- The map=dev calibration (Li Zhe, "[PATCH 0/4] mm: speed up ZONE_DEVICE memmap
  initialization", linux-mm 2026-05-15): 100 GB fsdax map=dev on v7.1-rc3, 273.52 ms per
  rebind and 1486 ms on first bind, as printed by memmap_init_zone_device(), whose count
  starts after the altmap: npfns = (100 GiB - dataoff) / 4 KiB, dataoff = ALIGN(8 KiB +
  64 x 26,214,398, 2 MiB) = 1602 MiB, so npfns = (102,400 - 1602) MiB / 4 KiB = 25,804,288.
- map=mem keeps the DRAM calibration, 8.0 - 10.7 ns (128 GiB in 268 - 358 ms).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import dev
from vmemplan.cli import cli

GiB = 1 << 30
DEV_WRITES_100G = 100 * GiB // 4096 - 2
NPFNS_100G = (102_400 - 1602) * (1 << 20) // 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def doc(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def test_hand_figures_agree() -> None:
    assert DEV_WRITES_100G == 26_214_398
    assert NPFNS_100G == 25_804_288


def test_map_dev_uses_the_device_calibration() -> None:
    d = doc("estimate", "--size", "100G", "--map", "dev", "--mode", "fsdax")
    assert dev(d)["detail"]["namespace"]["npfns"] == NPFNS_100G
    init = dev(d)
    assert init["struct_pages_initialised"] == DEV_WRITES_100G
    assert (d["input"]["ps_per_struct_page_low"], d["input"]["ps_per_struct_page_high"]) == (
        10_600,
        57_600,
    )
    assert init["init_ns_low"] == DEV_WRITES_100G * 10_600 // 1000
    assert init["init_ns_high"] == ceil_div(DEV_WRITES_100G * 57_600, 1000)


def test_the_device_calibration_reproduces_its_measurement() -> None:
    """npfns x 10.6 ns ~ 273.52 ms (rebind); npfns x 57.6 ns ~ 1486 ms (first bind)."""
    assert abs(NPFNS_100G * 10_600 // 1000 - 273_520_000) < 10_000  # within 0.01 ms
    assert abs(NPFNS_100G * 57_600 // 1000 - 1_486_000_000) < 500_000  # within 0.5 ms


def test_map_mem_keeps_the_dram_calibration() -> None:
    d = doc("estimate", "--size", "100G", "--map", "mem", "--mode", "fsdax")
    n = dev(d)["struct_pages_initialised"]
    assert n == 100 * GiB // 4096  # no altmap: every pfn's struct page
    assert (dev(d)["init_ns_low"], dev(d)["init_ns_high"]) == (
        n * 8000 // 1000,
        ceil_div(n * 10_700, 1000),
    )
    assert not any("per struct page written to the device" in x for x in d["notes"])


def test_dax_ranges_have_the_dram_calibration() -> None:
    d = doc("estimate", "--dax-range", "0x2000000000+64G")
    assert (d["input"]["ps_per_struct_page_low"], d["input"]["ps_per_struct_page_high"]) == (
        8000,
        10_700,
    )


def test_map_dev_note_says_what_is_assumed() -> None:
    d = doc("estimate", "--size", "100G", "--map", "dev")
    (note,) = (x for x in d["notes"] if "written to the device" in x)
    assert "10.6 ns - 57.6 ns" in note
    assert "Li Zhe" in note
    assert "unknown" in note
    assert "--ns-per-page" in note


def test_ns_per_page_overrides_map_dev() -> None:
    d = doc("estimate", "--size", "100G", "--map", "dev", "--ns-per-page", "20-30")
    assert (dev(d)["init_ns_low"], dev(d)["init_ns_high"]) == (
        DEV_WRITES_100G * 20,
        DEV_WRITES_100G * 30,
    )
    assert not any("written to the device" in x for x in d["notes"])


@pytest.mark.parametrize("command", ["compare", "plan"])
def test_grid_rows_cost_by_map(command: str) -> None:
    """compare/plan rows: map=dev rows at the device rate, map=mem rows at the DRAM rate."""
    d = doc(command, "--size", "100G", "--mode", "fsdax", "--align", "2M")
    rows = {r["map"]: r for r in d["rows"]}
    on_dev, mem = rows["dev"], rows["mem"]
    assert on_dev["struct_pages_initialised"] == DEV_WRITES_100G
    assert on_dev["init_ns_high"] == ceil_div(DEV_WRITES_100G * 57_600, 1000)
    n = mem["struct_pages_initialised"]
    assert mem["init_ns_high"] == ceil_div(n * 10_700, 1000)


def test_ns_per_page_overrides_every_row() -> None:
    d = doc("compare", "--size", "100G", "--mode", "fsdax", "--ns-per-page", "5")
    for row in d["rows"]:
        n = row["struct_pages_initialised"]
        assert (row["init_ns_low"], row["init_ns_high"]) == (n * 5, n * 5)


COMMANDS = ["estimate", "compare", "plan", "check", "hugetlb", "schema"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_kernel_changes_not_seed_or_year(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = result.stdout.lower()
    assert "seed" not in text
    assert "2026" not in text


@pytest.mark.parametrize(
    "args",
    [
        ("estimate", "--size", "1T", "--align", "2M"),
        ("estimate", "--size", "1G", "--start", "0x1004000000", "--system-ram", "0+0x1004000000"),
        ("estimate", "--size", "100G", "--map", "dev"),
        ("estimate", "--size", "1T", "--kernel", "7.2"),
    ],
)
def test_output_names_kernel_changes_not_seed_or_year(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    text = result.stdout.lower()
    assert "seed" not in text
    assert "2026 " not in text.replace("may 2026", "")
    assert "in 2026" not in text


def test_early_section_note_names_the_fix_and_version() -> None:
    d = doc("estimate", "--size", "1G", "--start", "0x1004000000", "--system-ram", "0+0x1004000000")
    notes = " ".join(d["notes"])
    assert "v7.2" in notes
    assert "Fix uninitialized struct pages for ZONE_DEVICE" in notes
