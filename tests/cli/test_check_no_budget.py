"""``check`` of a file with no budget: the hint names the file's sections, and under
``--strict`` the verdict printed (text, github, JSON) is the error its exit code 2 says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DUMP = str(ROOT / "tests" / "data" / "ndctl" / "list_NX_devdax_kmem.json")
POOLS_ONLY = '[host]\nsystem_ram = ["0+64G"]\n\n[[hugetlb]]\npage_size = "2M"\ncount = 10\n'
NAMESPACE = '[[namespaces]]\nname = "pmem0"\nsize = "1T"\nalign = "1G"\n'


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "host.toml"
    path.write_text(text)
    return str(path)


def test_strict_github_says_error_not_pass(tmp_path: Path) -> None:
    """It printed ``::warning`` and "pass", then exited 2."""
    path = _file(tmp_path, POOLS_ONLY)
    r = run("check", path, "--strict", "--format", "github")
    assert r.exit_code == 2
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"::error file={path},title=vmemplan error::budgets: no budget")
    assert lines[1] == f"{path}: error (1 problem)"
    assert "::warning" not in r.stdout
    assert "pass" not in r.stdout


def test_strict_json_status_is_error(tmp_path: Path) -> None:
    path = _file(tmp_path, NAMESPACE)
    r = run("check", path, "--strict", "--json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["status"] == "error"
    assert [(f["location"], f["severity"]) for f in doc["findings"]] == [("budgets", "error")]


def test_strict_from_ndctl_without_max_is_an_error() -> None:
    r = run("check", "--from-ndctl", DUMP, "--strict")
    assert r.exit_code == 2
    assert r.stdout.splitlines()[-1] == f"{DUMP}: error (1 problem)"
    assert "--max-dram: no budget to check (give --max-dram" in r.stdout


def test_without_strict_it_still_passes_with_a_warning(tmp_path: Path) -> None:
    path = _file(tmp_path, POOLS_ONLY)
    r = run("check", path, "--format", "github")
    assert r.exit_code == 0
    assert f"::warning file={path},title=vmemplan::no budget to check" in r.stdout
    assert f"{path}: pass" in r.stdout


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (POOLS_ONLY, "add [budgets] or [hugetlb.budgets]"),
        (NAMESPACE, "add [budgets] or [namespaces.budgets]"),
        (
            NAMESPACE + POOLS_ONLY.replace("[host]", "[host]\nkernel = '6.12'"),
            "add [budgets], [namespaces.budgets] or [hugetlb.budgets]",
        ),
    ],
)
def test_the_hint_names_the_budget_sections_the_file_can_carry(
    tmp_path: Path, text: str, hint: str
) -> None:
    """A pools-only file was told to add [namespaces.budgets], which it has no place for."""
    path = _file(tmp_path, text)
    r = run("check", path)
    assert r.exit_code == 0, r.stdout
    assert r.stderr == (
        f"vmemplan: warning: {path}: no budget to check, so it passes only by parsing and "
        f"estimating ({hint}; --strict makes this exit 2)\n"
    )
