"""``check`` as a CI gate with nothing to check: a warning on stderr (a GitHub annotation
with --format github); --strict makes it an input error, exit 2 (issue 6 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DUMP = str(ROOT / "tests" / "data" / "ndctl" / "example_a_list_X_devdax.json")
BUDGETED = str(ROOT / "examples" / "two-socket-vm-host.toml")
NO_BUDGETS = '[[namespaces]]\nname = "pmem0"\nsize = "1T"\nalign = "1G"\n'


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _no_budgets(tmp_path: Path) -> str:
    path = tmp_path / "host.toml"
    path.write_text(NO_BUDGETS)
    return str(path)


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
