"""--memmap-on-memory and --memory-block-size mean the same on every command that hot-adds
kmem devices, and are refused where they would change nothing.

The kmem device of ``list_NX_devdax_kmem.json`` (dax0.0 of the 64 GiB namespace0.0,
devdax map=dev align 2M) spans [65 GiB + 2 MiB, 128 GiB): kmem onlines 31 memory blocks
of 2 GiB (the x86 pick with 64 GiB of boot RAM), 62 blocks of 1 GiB.
"""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import flat_kmems, run_cli

NDCTL_KMEM = "tests/data/ndctl/list_NX_devdax_kmem.json"
GiB = 1 << 30


def _json(*args: str) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_check_from_ndctl_takes_memmap_on_memory_and_totals_what_estimate_totals() -> None:
    """With memmap_on_memory each 2 GiB block hosts its own 8,192-page memmap (2 GiB /
    4 KiB x 64 B / 4 KiB): dax0.0 costs no memmap pages in DRAM. check once had no such
    option and counted 253,952 DRAM memmap pages for a host running with it on."""
    est = _json("estimate", "--from-ndctl", NDCTL_KMEM, "--memmap-on-memory", "on")
    chk = _json("check", "--from-ndctl", NDCTL_KMEM, "--memmap-on-memory", "on")
    off = _json("check", "--from-ndctl", NDCTL_KMEM)
    total = chk["files"][0]["total"]
    assert total["memmap_device_pages"] == 31 * 8192 == 253952
    assert off["files"][0]["total"]["memmap_device_pages"] == 0
    for key, value in est["total"].items():
        assert total[key] == value, key


def test_check_from_ndctl_takes_memory_block_size() -> None:
    chk = _json("check", "--from-ndctl", NDCTL_KMEM, "--memory-block-size", "1G")
    (sr,) = flat_kmems(chk["files"][0])
    assert sr["input"]["memory_block_size_bytes"] == GiB
    assert sr["usable_bytes"] == 62 * GiB


def test_check_refuses_kmem_options_for_config_files() -> None:
    result = run_cli("check", "examples/cxl-expander.toml", "--memmap-on-memory", "on")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--memmap-on-memory" in result.stderr
    assert "[host]" in result.stderr


def test_compare_system_ram_rows_take_memory_block_size() -> None:
    """256 GiB in 128 MiB blocks is 2,048 blocks, each self-hosting its memmap with
    memmap_on_memory on."""
    doc = _json("compare", "--size", "256G", "--mode", "system-ram", "--memory-block-size", "128M")
    rows = doc["system_ram_rows"]
    assert {r["memory_block_size_bytes"] for r in rows} == {128 << 20}
    (on,) = [r for r in rows if r["memmap_on_memory"] == "on"]
    assert on["blocks_self_hosted"] == 2048


def test_compare_from_ndctl_kmem_rows_take_memory_block_size_as_estimate_does() -> None:
    est = _json("estimate", "--from-ndctl", NDCTL_KMEM, "--memory-block-size", "1G")
    (kmem,) = flat_kmems(est)
    cmp = _json("compare", "--from-ndctl", NDCTL_KMEM, "--memory-block-size", "1G")
    (dax,) = [d for d in cmp["namespaces"] if d["label"] == "dax0.0"]
    (off,) = [r for r in dax["system_ram_rows"] if r["memmap_on_memory"] == "off"]
    assert off["memory_block_size_bytes"] == GiB
    assert off["usable_bytes"] == kmem["usable_bytes"] == 62 * GiB
    assert off["dram_bytes"] == kmem["dram_bytes"]


def test_compare_refuses_memory_block_size_with_no_system_ram_to_show() -> None:
    result = run_cli("compare", "--size", "256G", "--memory-block-size", "128M")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--memory-block-size: only with --mode system-ram" in result.stderr
