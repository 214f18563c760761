"""Options given twice, the pool-size cap the command line shares with config files, and
completion answered only to the shells' completion calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.sources.cmdline import MAX_POOL_FOLIOS
from vmemplan.sources.config.values import _MAX_POOL_FOLIOS

CONFIG = Path(__file__).resolve().parents[1] / "data" / "config" / "good" / "host.toml"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(args), env=env, prog_name="vmemplan", catch_exceptions=False
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["estimate", "--size", "1T", "--size", "2T"], "--size"),
        (["estimate", "-s", "1T", "--size", "1T"], "--size"),
        (["estimate", "--size", "1T", "--align", "2M", "--align=1G"], "--align"),
        (
            ["compare", "--size", "1T", "--current", "fsdax/dev/2M", "--current", "devdax/mem/2M"],
            "--current",
        ),
        (["hugetlb", "--hugetlb", "1G:1", "--hvo", "--no-hvo"], "--hvo/--no-hvo"),
        (["estimate", "--size", "1T", "--json", "--json"], "--json"),
        (["check", "--format", "json", "--format", "text", str(CONFIG)], "--format"),
    ],
)
def test_an_option_of_one_value_given_twice_is_refused(args: list[str], option: str) -> None:
    """click keeps the last value silently; vmemplan says which option, exit 2."""
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("vmemplan: error: ")
    assert option in result.stderr
    assert "given more than once" in result.stderr


def test_repeatable_options_stay_repeatable() -> None:
    result = run(
        "estimate", "--size", "1T", "--start", "1T",
        "--system-ram", "0+64G", "--system-ram", "128G+64G", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    ranges = json.loads(result.stdout)["input"]["system_ram"]
    assert [(r["start_bytes"], r["end_bytes"]) for r in ranges] == [
        (0, 64 << 30),
        (128 << 30, 192 << 30),
    ]


def test_the_command_line_and_config_files_share_one_pool_cap() -> None:
    assert MAX_POOL_FOLIOS == _MAX_POOL_FOLIOS == 1 << 40


@pytest.mark.parametrize(
    "args",
    [
        ["hugetlb", "--hugetlb", "1G:99999999999999999999999"],
        ["hugetlb", "--hugetlb", f"1G:{(1 << 40) + 1}"],
        ["hugetlb", "--hugetlb", f"2M:0:1,1:{(1 << 40) + 1}"],
        ["hugetlb", "--cmdline", f"hugepagesz=1G hugepages={'9' * 5000}"],
        ["host", "--system-ram", "64G", "--hugetlb", "1G:99999999999999999999999"],
    ],
)
def test_a_pool_over_the_cap_is_refused(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "2^40 huge pages" in result.stderr
    assert len(result.stderr) < 200  # a long count is echoed as an excerpt


def test_a_pool_at_the_cap_is_estimated() -> None:
    result = run("hugetlb", "--hugetlb", f"1G:{1 << 40}", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["devices"][0]["detail"]["nr_folios"] == 1 << 40


def test_a_node_beyond_max_numnodes_is_refused() -> None:
    result = run("hugetlb", "--hugetlb", "1G:1024:5")
    assert result.exit_code == 2
    assert "not a NUMA node (0 to 1023)" in result.stderr


def test_the_completion_variable_does_not_hijack_a_command(tmp_path: Path) -> None:
    """`_VMEMPLAN_COMPLETE=bash_source vmemplan check FILE` checks FILE (exit 1 here)."""
    failing = tmp_path / "fail.toml"
    failing.write_text(
        '[[namespaces]]\nname = "pmem0"\nsize = "1T"\nalign = "1G"\n'
        '[namespaces.budgets]\ndram = "1M"\n'  # 1 TiB at 1G needs 40 MiB of DRAM
    )
    result = run("check", str(failing), env={"_VMEMPLAN_COMPLETE": "bash_source"})
    assert "_VMEMPLAN_COMPLETE" not in result.stdout
    assert result.exit_code == 1, result.stdout
    assert ": fail" in result.stdout


def test_the_completion_variable_alone_still_prints_the_script() -> None:
    result = run(env={"_VMEMPLAN_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_VMEMPLAN_COMPLETE=bash_complete" in result.stdout.replace('"', "")


PASTED = "ghp_" + "0123456789abcdefghijklmnopqrstuvwxyzABCD"  # a token in the wrong field


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--size", "1T", "--kernel", PASTED],
        ["estimate", "--size", "1T", "--arch", PASTED],
        ["estimate", "--size", PASTED],
        ["estimate", "--size", "1T", "--mode", PASTED],
        ["estimate", "--size", "1T", "--map", PASTED],
        ["estimate", "--size", "1T", "--counters", PASTED],
        ["estimate", "--size", "1T", "--linear-map", PASTED],
        ["estimate", "--size", "1T", "--color", PASTED],
        ["estimate", "--size", "1T", "--kernel-switch", PASTED],
        ["compare", "--size", "1T", "--current", PASTED],
        ["hugetlb", "--pages", PASTED],
        ["hugetlb", "--cmdline", f"hugepages={PASTED}"],
        ["check", "--format", PASTED, str(CONFIG)],
        ["check", "--input-format", PASTED, str(CONFIG)],
        ["schema", PASTED],
    ],
    ids=lambda args: " ".join(a for a in args if a != PASTED),
)
def test_a_long_option_value_is_quoted_as_its_start_and_length(args: list[str]) -> None:
    """Values were quoted whole (up to the 1,000-character line cap)."""
    result = run(*args)
    assert result.exit_code == 2
    assert f"{PASTED[:24]}'... ({len(PASTED)} characters)" in result.output
    assert PASTED[-16:] not in result.output
