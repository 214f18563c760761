"""Issue 6, scripting half: check's nothing-to-check gate, its --color, --json and -u everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.human import humanize, ndctl_size
from vmemplan.output.schema import CheckDoc

ROOT = Path(__file__).resolve().parents[2]
DUMP = str(ROOT / "tests" / "data" / "ndctl" / "example_a_list_X_devdax.json")
BUDGETED = str(ROOT / "examples" / "two-socket-vm-host.toml")
NO_BUDGETS = '[[namespaces]]\nname = "pmem0"\nsize = "1T"\nalign = "1G"\n'


def run(*args: str, color: bool = False, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, color=color, env=env)


def _no_budgets(tmp_path: Path) -> str:
    path = tmp_path / "host.toml"
    path.write_text(NO_BUDGETS)
    return str(path)


# Item 4: a CI gate with nothing to check says so; --strict makes it an error.
def test_from_ndctl_without_budgets_warns_on_stderr() -> None:
    result = run("check", "--from-ndctl", DUMP)
    assert result.exit_code == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith("vmemplan: warning: ")
    assert "no budget to check" in line
    assert "--max-dram" in line


def test_config_without_budgets_warns_on_stderr(tmp_path: Path) -> None:
    path = _no_budgets(tmp_path)
    result = run("check", path)
    assert result.exit_code == 0
    (line,) = result.stderr.splitlines()
    assert f"warning: {path}: no budget to check" in line
    assert "[budgets]" in line


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_strict_makes_nothing_to_check_exit_2(tmp_path: Path, fmt: str) -> None:
    result = run("check", _no_budgets(tmp_path), "--strict", "--format", fmt)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("vmemplan: error: ")
    assert "no budget to check" in line


def test_strict_with_budgets_changes_nothing() -> None:
    plain, strict = run("check", BUDGETED), run("check", BUDGETED, "--strict")
    assert (plain.exit_code, strict.exit_code) == (0, 0)
    assert plain.stderr == strict.stderr == ""
    assert plain.stdout == strict.stdout


def test_strict_from_ndctl_with_a_budget_passes() -> None:
    result = run("check", "--from-ndctl", DUMP, "--max-dram", "1M", "--strict")
    assert (result.exit_code, result.stderr) == (0, "")


def test_a_failed_budget_is_not_hidden_by_the_warning(tmp_path: Path) -> None:
    """One file without budgets, one failing: exit 1 (2 with --strict), both reported."""
    failing = tmp_path / "fail.toml"
    failing.write_text(NO_BUDGETS + '[namespaces.budgets]\ndram = "1M"\n')
    empty = _no_budgets(tmp_path)
    assert run("check", empty, str(failing)).exit_code == 1
    strict = run("check", empty, str(failing), "--strict")
    assert strict.exit_code == 2
    assert f"{empty}: no budget to check" in strict.stderr
    assert "fail" in strict.stdout  # the failing file is still reported


def test_github_format_annotates_nothing_to_check(tmp_path: Path) -> None:
    path = _no_budgets(tmp_path)
    result = run("check", path, "--format", "github")
    assert f"::warning file={path},title=vmemplan::no budget to check" in result.stdout


def test_help_documents_strict() -> None:
    out = run("check", "--help").stdout
    assert "--strict" in out
    assert "nothing to check" in " ".join(out.split())


# Item 10: check --color auto|always|never, like the other commands.
def test_check_color_always_styles_the_status() -> None:
    out = run("check", BUDGETED, "--color", "always").stdout
    assert "\x1b[32m" in out  # green "pass"
    assert out.startswith("\x1b[32m")
    assert click.unstyle(out) == run("check", BUDGETED).stdout


def test_check_color_never_on_a_terminal_has_no_escape() -> None:
    # color=True makes click treat the runner's stdout as a terminal
    assert "\x1b[" in run("check", BUDGETED, color=True).stdout
    assert "\x1b[" not in run("check", BUDGETED, "--color", "never", color=True).stdout


def test_check_color_auto_honours_no_color() -> None:
    assert "\x1b[" in run("check", BUDGETED, "--color", "auto", color=True).stdout
    out = run("check", BUDGETED, "--color", "auto", color=True, env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in out


def test_check_color_styles_failed_findings(tmp_path: Path) -> None:
    path = tmp_path / "fail.toml"
    path.write_text(NO_BUDGETS + '[namespaces.budgets]\ndram = "1M"\n')
    out = run("check", str(path), "--color", "always").stdout
    assert "\x1b[31m" in out  # red "fail"
    assert "\x1b[1m" in out  # bold FILE:LINE


def test_check_color_rejects_an_unknown_mode() -> None:
    result = run("check", BUDGETED, "--color", "sometimes")
    assert result.exit_code == 2
    assert "'sometimes' is not one of 'auto', 'always', 'never'" in result.stderr


# Item 13: --json on every command; -u/--human as ndctl -u.
def test_check_json_is_format_json() -> None:
    a, b = run("check", BUDGETED, "--json"), run("check", BUDGETED, "--format", "json")
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout
    CheckDoc.model_validate_json(a.stdout)


@pytest.mark.parametrize("flag", ["--json", "-u", "--human"])
def test_check_json_flags_refuse_another_format(flag: str) -> None:
    result = run("check", BUDGETED, flag, "--format", "github")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--format" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "--size", "1T"],
        ["compare", "--size", "1T"],
        ["plan", "--size", "1T"],
        ["hugetlb", "--pages", "1G:4"],
        ["check", BUDGETED],
    ],
    ids=lambda a: a[0],
)
def test_every_command_prints_json_with_json(args: list[str]) -> None:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        # ndctl's own examples (Documentation/daxctl/daxctl-reconfigure-device.txt)
        (16_777_216_000, "15.63 GiB (16.78 GB)"),
        # by hand: 1006 MiB = 1,054,867,456 B: 100600 cMiB; (210973 + 1) // 2 = 105487 cMB
        (1006 << 20, "1006.00 MiB (1054.87 MB)"),
        # 1 TiB: 102400 cGiB; 1099511627776 // 5e6 = 219902, (219902 + 1) // 2 = 109951 cGB
        (1 << 40, "1024.00 GiB (1099.51 GB)"),
        # 2 TiB is the first TiB figure: 200 cTiB; 2199023255552 // 5e9 = 439, 440 // 2 cTB
        (2 << 40, "2.00 TiB (2.20 TB)"),
        # 5000 KiB is the first string; 976.56 cMiB rounds half up to 4.88 MiB
        (5000 * 1024, "4.88 MiB (5.12 MB)"),
        (5000 * 1024 - 1, 5000 * 1024 - 1),
        (4096, 4096),
    ],
)
def test_ndctl_size_matches_ndctl_human(size: int, shown: int | str) -> None:
    assert ndctl_size(size) == shown


def test_humanize_leaves_counts_and_flags_alone() -> None:
    doc: dict[str, Any] = {"a_bytes": 1 << 40, "start_bytes": 64 << 30, "struct_pages": 1 << 40}
    doc["x"] = [{"bytes": 3 << 30, "ok": True, "end_bytes": None}]
    assert humanize(doc) == {
        "a_bytes": "1024.00 GiB (1099.51 GB)",
        "start_bytes": "0x1000000000",
        "struct_pages": 1 << 40,
        "x": [{"bytes": "3.00 GiB (3.22 GB)", "ok": True, "end_bytes": None}],
    }


def test_estimate_human_sizes_are_ndctl_strings() -> None:
    exact = json.loads(run("estimate", "--size", "1T", "--json").stdout)
    human = json.loads(run("estimate", "--size", "1T", "-u").stdout)
    assert human["namespace"]["size_bytes"] == "1024.00 GiB (1099.51 GB)"
    assert human["input"]["start_bytes"] == "0x1000000000"  # the default --start 64G
    assert human["struct_pages"] == exact["struct_pages"]  # counts stay integers
    assert exact["namespace"]["size_bytes"] == 1 << 40  # the default JSON keeps exact integers


@pytest.mark.parametrize("command", [["compare", "--size", "1T"], ["check", BUDGETED]])
def test_human_implies_json(command: list[str]) -> None:
    result = run(*command, "--human")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert any(isinstance(v, str) and v.endswith("B)") for v in _values(doc))


def _values(doc: Any) -> list[Any]:
    if isinstance(doc, dict):
        return [x for v in doc.values() for x in _values(v)]
    if isinstance(doc, list):
        return [x for v in doc for x in _values(v)]
    return [doc]
