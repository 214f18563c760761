"""The machine's own words wherever an option takes them: a ``uname -r`` newer than the
version table, ``uname -m`` names, and ``block_size_bytes`` as sysfs prints it (hex
without 0x)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.kernel.versions import NEWEST


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def doc(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_a_release_newer_than_the_table_takes_the_newest_rules_with_a_note() -> None:
    """7.9 (and 8.1) were refused ("unknown kernel version"); they have every change the
    table knows, so they give the figures of the newest release, plus a note."""
    newest = f"{NEWEST[0]}.{NEWEST[1]}"
    base = doc("estimate", "--size", "1T", "--kernel", newest)
    for release in ("7.9", "8.1.3", "7.9.0-1-amd64"):
        newer = doc("estimate", "--size", "1T", "--kernel", release)
        assert newer["total"]["dram_bytes"] == base["total"]["dram_bytes"]
        assert any(f"the rules of {newest} were assumed" in n for n in newer["notes"])


def test_an_impossible_release_is_still_refused() -> None:
    """6.99 lies inside the table's range but never existed; 3.2 is older than it."""
    for release in ("6.99", "3.2"):
        result = run("estimate", "--size", "1T", "--kernel", release)
        assert result.exit_code == 2
        assert "unknown kernel version" in result.stderr


@pytest.mark.parametrize(
    ("machine", "profile"),
    [
        ("x86_64", "x86_64"),
        ("aarch64-4k", "arm64-4k"),
        ("aarch64-64k", "arm64-64k"),
        ("AARCH64:16k", "arm64-16k"),
        ("ppc64le-64k", "ppc64-radix-64k"),
        ("riscv64", "riscv64"),
    ],
)
def test_uname_machine_names_choose_a_profile(machine: str, profile: str) -> None:
    assert doc("estimate", "--size", "64G", "--arch", machine)["input"]["arch"] == profile


@pytest.mark.parametrize("machine", ["aarch64", "ppc64le"])
def test_a_machine_name_without_its_page_size_is_refused_with_the_choices(machine: str) -> None:
    """aarch64 kernels run 4K, 16K or 64K pages: vmemplan does not guess which."""
    result = run("estimate", "--size", "64G", "--arch", machine)
    assert result.exit_code == 2
    assert f"{machine}-64k" in result.stderr
    assert "getconf PAGESIZE" in result.stderr


@pytest.mark.parametrize(
    ("text", "block_bytes"),
    [
        ("80000000", 2 << 30),  # block_size_bytes of a 2 GiB block: hex without 0x
        ("8000000", 128 << 20),  # and of a 128 MiB one
        ("134217728", 128 << 20),  # the same in decimal: a power of two, read as such
        ("0x80000000", 2 << 30),
        ("2G", 2 << 30),
    ],
)
def test_memory_block_size_reads_block_size_bytes_as_sysfs_prints_it(
    text: str, block_bytes: int
) -> None:
    """A decimal power of two of 2 MiB or more never ends in 0, a hex one always does: no
    bare number is a block size both ways, so neither reading is a guess."""
    out = doc("estimate", "--size", "64G", "--mode", "system-ram", "--memory-block-size", text)
    assert out["input"]["memory_block_size_bytes"] == block_bytes


def test_a_bare_number_that_is_no_block_size_either_way_is_refused() -> None:
    result = run("estimate", "--size", "64G", "--mode", "system-ram", "--memory-block-size", "1000")
    assert result.exit_code == 2
    assert "--memory-block-size: '1000': not a memory block size in decimal or in hex" in (
        result.stderr
    )
