"""The layout is the architecture: the wings import in one direction only.

- ``vmemplan.kernel``: the model of Linux; imports nothing of vmemplan but itself, ``errors``
  and ``units``, and no third-party package.
- ``vmemplan.sources``: what a host is read from (config files, ndctl/daxctl JSON, /proc/iomem).
- ``vmemplan.output``: JSON documents, schemas and the rich rendering.
- ``vmemplan.*``: the questions (estimate, plan, sizing, budget, check) and ``cli`` on top.

Only ``cli``, ``__main__`` and ``output.render`` may import click or rich.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import vmemplan

PKG = Path(vmemplan.__file__).parent
EDGES = {"vmemplan.cli", "vmemplan.__main__", "vmemplan.output.render"}
KERNEL_MAY_IMPORT = ("vmemplan.kernel", "vmemplan.errors", "vmemplan.units")


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> list[str]:
    return sorted(module_name(p) for p in PKG.rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    """Every module named by an import statement in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def test_package_has_the_three_wings() -> None:
    modules = set(all_modules())
    for wing in ("vmemplan.kernel", "vmemplan.sources", "vmemplan.output"):
        assert wing in modules
    assert "vmemplan.estimate" in modules
    # no module of the model stands outside its wing any more
    top = {m for m in modules if m.count(".") == 1}
    assert "vmemplan.sparse" not in top
    assert "vmemplan.config" not in top


def test_kernel_wing_imports_only_itself_errors_and_units() -> None:
    stdlib = sys.stdlib_module_names
    offenders = []
    for path in sorted((PKG / "kernel").rglob("*.py")):
        for name in imported_names(path):
            root = name.split(".")[0]
            if root == "vmemplan":
                if not name.startswith(KERNEL_MAY_IMPORT):
                    offenders.append(f"{module_name(path)} imports {name}")
            elif root not in stdlib and root != "__future__":
                offenders.append(f"{module_name(path)} imports third-party {name}")
    assert offenders == []


def test_core_is_ui_free() -> None:
    modules = [m for m in all_modules() if m not in EDGES]
    assert "vmemplan.estimate" in modules
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# What `estimate --json` must not import: rich (human output), pydantic (schemas), PyYAML and
# jsonschema (config files) cost tens of milliseconds each; the others are what
# compare/plan/check/crash reports use (issue 8: import only what the path uses).
JSON_PATH_MUST_NOT_IMPORT = (
    "rich",
    "pydantic",
    "yaml",
    "jsonschema",
    "difflib",
    "traceback",
    "vmemplan.budget",
    "vmemplan.plan",
    "vmemplan.sizing",
    "vmemplan.check",
    "vmemplan.hugetlb",
    "vmemplan.sources",
    "vmemplan.output.render",
    "vmemplan.output.schema",
)


def _imported_after(argv: list[str], stdin: str = "") -> set[str]:
    code = (
        "import sys\n"
        "from vmemplan.cli import cli\n"
        "try:\n"
        f"    cli.main({argv!r}, prog_name='vmemplan')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, text=True, check=True
    )
    assert out.stdout.count('"schema_version":') == max(1, stdin.count("\n"))
    return set(out.stderr.split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(
        m
        for m in modules
        for banned in JSON_PATH_MUST_NOT_IMPORT
        if m == banned or m.startswith(banned + ".")
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--size", "1T", "--json"],
        ["estimate", "--size", "1T", "--align", "1G", "--map", "dev", "--json"],
    ],
)
def test_json_start_up_stays_lean(argv: list[str]) -> None:
    """`vmemplan estimate --json` imports only what that path uses."""
    assert _heavy(_imported_after(argv)) == []


def test_batch_stays_lean() -> None:
    lines = '--size 1T --align 1G\n{"size": "2T", "map": "dev"}\n'
    assert _heavy(_imported_after(["estimate", "--batch", "-"], lines)) == []


def test_the_lean_check_would_see_a_heavy_import() -> None:
    """The check above can fail: `plan --json` does use the plan and budget modules."""
    heavy = _heavy(_imported_after(["plan", "--size", "1T", "--json"]))
    assert "vmemplan.plan" in heavy
    assert "vmemplan.budget" in heavy


def test_the_entry_point_runs_the_cli_with_the_collector_back_on() -> None:
    """__main__.main() imports with gc off (start-up), then runs the command with it on,
    the import-time objects frozen out of its collections and a high young threshold."""
    code = (
        "import gc, vmemplan.cli\n"
        "vmemplan.cli.main = lambda: print(\n"
        "    gc.isenabled(), gc.get_freeze_count() > 0, gc.get_threshold()[0] >= 100_000\n"
        ")\n"
        "from vmemplan.__main__ import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "True True True\n"


def test_text_start_up_imports_rich_but_not_the_other_commands() -> None:
    """The text path needs rich; it still imports no budgets, plans, configs or emoji table."""
    code = (
        "import sys\n"
        "from vmemplan.cli import cli\n"
        "try:\n"
        "    cli.main(['estimate', '--size', '1T', '--color', 'never'], prog_name='vmemplan')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "struct pages" in out.stdout
    modules = set(out.stderr.split())
    assert "rich.console" in modules
    heavy = _heavy(modules - {m for m in modules if m == "rich" or m.startswith("rich.")})
    assert heavy == ["vmemplan.output.render"]
    assert "rich._emoji_codes" not in modules
