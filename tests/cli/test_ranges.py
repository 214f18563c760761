"""Issue 6 item 17: ranges in three spellings, echoed as typed; messages never show a
spelling of a value the user did not type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import GiB, TiB, dev, flat_kmems, flat_pgmaps
from vmemplan.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def doc(*args: str) -> dict[str, Any]:
    result = run("estimate", *args, "--json")
    assert result.exit_code == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


# [512 GiB, 4 TiB) written three ways: 4 TiB - 1 is 0x3ffffffffff, 4 TiB - 512 GiB = 3584 GiB.
@pytest.mark.parametrize(
    "text", ["512G..4T", "512G+3584G", "512G-0x3ffffffffff", "0x8000000000..4t"]
)
def test_every_spelling_is_the_same_range_and_is_echoed(text: str) -> None:
    d = doc("--dax-range", text, "--align", "1G")
    assert d["input"]["dax_ranges"] == [
        {"start_bytes": 512 * GiB, "end_bytes": 4 * TiB, "as_given": text}
    ]
    assert dev(d)["detail"]["pgmap"]["ranges"] == [{"start_bytes": 512 * GiB, "end_bytes": 4 * TiB}]
    assert dev(d)["struct_pages"] == (4 * TiB - 512 * GiB) // 4096


def test_human_output_prints_the_range_as_typed() -> None:
    result = run("estimate", "--dax-range", "512G..4T", "--align", "1G", "--color", "never")
    assert result.exit_code == 0
    assert "512G..4T (0x8000000000-0x3ffffffffff)" in result.stdout


def test_system_ram_takes_the_exclusive_spelling() -> None:
    d = doc("--size", "64G", "--start", "64G", "--system-ram", "0..64G")
    assert d["input"]["system_ram"] == [
        {"start_bytes": 0, "end_bytes": 64 * GiB, "as_given": "0..64G"}
    ]
    default = doc("--size", "64G", "--start", "64G")
    assert default["input"]["system_ram"] == [{"start_bytes": 0, "end_bytes": 64 * GiB}]
    assert dev(d)["dram_bytes"] == dev(default)["dram_bytes"]


@pytest.mark.parametrize(
    ("args", "fragments", "absent"),
    [
        (("--dax-range", "4T..512G"), ["'4T..512G'", "end is below start"], []),
        (("--dax-range", "1G..1G"), ["'1G..1G'", "empty range"], []),
        (("--dax-range", "1G"), ["'1G'", "START..END (END exclusive)"], []),
        (("--dax-range", "1G..2X"), ["'1G..2X'", "unknown suffix"], []),
        # the start is echoed as typed and the suggestions are hex like it, not 64G / 65538M
        (
            ("--start", "0x1000100000", "--size", "64G"),
            ["--start: 0x1000100000 is not aligned", "0x1000000000 or 0x1000200000"],
            ["65537M", "65538M", "64G or"],
        ),
        (
            ("--start", "0x1000000000", "--size", "0x40100000"),
            ["--size: 0x40100000 is not a multiple", "--size=0x40200000"],
            ["1025M", "1026M"],
        ),
        (
            ("--dax-range", "0x8000100000+1G"),
            ["--dax-range: 0x8000100000+1G is not aligned"],
            ["524289M"],
        ),
        (
            ("--dax-range", "512G..514G", "--dax-range", "513G+2G"),
            ["ranges 512G..514G and 513G+2G overlap"],
            [],
        ),
        (("--size", "64G", "--align", "0x300000"), ["--align: 0x300000 is not a power"], ["3M"]),
        (
            ("--size", "64G", "--start", "64G", "--system-ram", "0..65G"),
            ["System RAM 0..65G"],
            ["0x1043fffffff", "0x0-"],
        ),
        (("--dax-range", "512G..4T", "--start", "1G"), ["--start: 1G: not with --dax-range"], []),
        # the compound-alignment check and the boot RAM check name the typed start/range
        (
            ("--start", "0x1002000000", "--size", "64G", "--align", "1G"),
            ["--start: 0x1002000000 is not aligned to 128M", "0x1000000000 or 0x1008000000"],
            ["65568M", "65664M"],
        ),
        (
            ("--start", "0x1000000000", "--size", "64G", "--system-ram", "0..0x1000100000"),
            ["the namespace at 0x1000000000 overlaps", "System RAM 0..0x1000100000"],
            ["64G+"],
        ),
        (
            ("--dax-range", "64G..65G", "--system-ram", "0..0x1000100000"),
            ["--dax-range: 64G..65G overlaps System RAM"],
            ["64G+1G"],
        ),
    ],
)
def test_range_and_address_errors_echo_the_input(
    args: tuple[str, ...], fragments: list[str], absent: list[str]
) -> None:
    result = run("estimate", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    for fragment in absent:
        assert fragment not in result.stderr


def test_config_files_take_the_exclusive_spelling(tmp_path: Path) -> None:
    """A config range '512G..514G' is the same as '512G+2G': check passes its budgets."""
    texts = {}
    for name, spelled in (("dotted", "512G..514G"), ("plus", "512G+2G")):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            'schema_version = 1\n[budgets]\ndram = "1%"\n[[namespaces]]\nname = "cxl0"\n'
            f'dax_ranges = ["{spelled}"]\nalign = "1G"\n'
        )
        result = run("check", str(path), "--format", "json")
        assert result.exit_code == 0, result.output
        (ns,) = flat_pgmaps(json.loads(result.stdout)["files"][0])
        texts[name] = ns
    for ns in texts.values():
        assert ns["input"]["dax_ranges"][0]["start_bytes"] == 512 * GiB
        assert ns["input"]["dax_ranges"][0]["end_bytes"] == 514 * GiB
    assert texts["dotted"]["dram_bytes"] == texts["plus"]["dram_bytes"] > 0


@pytest.mark.parametrize(
    ("system_ram", "start"),
    [("0+64G", 64 << 30), ("0+512G", 512 << 30), ("0..0x1000100000", 65 << 30), ("none", 64 << 30)],
)
def test_default_start_is_above_the_boot_ram(system_ram: str, start: int) -> None:
    """Without --start a namespace goes at 64G, or at the first GiB above --system-ram
    when that ends higher (64G + 1M of boot RAM: 65G)."""
    result = run("estimate", "--size", "4G", "--system-ram", system_ram, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["input"]["start_bytes"] == start


def test_check_places_entries_without_a_start_above_the_boot_ram(tmp_path: Path) -> None:
    """[host] system_ram = 0+512G: the first entry goes at 512G, the next after it."""
    cfg = tmp_path / "host.toml"
    cfg.write_text(
        '[host]\nsystem_ram = ["0+512G"]\n\n[[namespaces]]\nname = "a"\nsize = "4G"\n\n'
        '[[namespaces]]\nname = "b"\nmode = "system-ram"\nsize = "4G"\n'
    )
    result = run("check", str(cfg), "--format", "json")
    assert result.exit_code == 0, result.output
    (f,) = json.loads(result.stdout)["files"]
    assert flat_pgmaps(f)[0]["input"]["start_bytes"] == 512 << 30
    # the system-ram entry goes on the cursor after it (516G), rounded up to a 2G block
    assert flat_kmems(f)[0]["ranges"][0]["start"] == 516 << 30  # 516G is 2G aligned
