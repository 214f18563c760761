"""The layout is the architecture: the wings import in one direction only.

- ``vmemplan.kernel``: the model of Linux; imports nothing of vmemplan but itself, ``errors``
  and ``units``, and no third-party package.
- ``vmemplan.sources``: what a host is read from (config files, ndctl/daxctl JSON, /proc/iomem).
- ``vmemplan.output``: JSON documents, schemas and the rich rendering.
- ``vmemplan.*``: the questions (estimate, plan, sizing, budget, check) and ``cli`` on top.

No import cycle at any depth: kernel < the model < the questions < output < cli.

Only the ``cli`` and ``output.render`` packages and ``__main__`` may import click or rich.
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


def _is_edge(module: str) -> bool:
    return any(module == e or module.startswith(e + ".") for e in EDGES)


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> list[str]:
    return sorted(module_name(p) for p in PKG.rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    """Every absolute module name an import statement in the file names, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def vmemplan_imports(module: str, source: str, modules: set[str], *, is_package: bool) -> set[str]:
    """The vmemplan modules that importing ``module`` (whose text is ``source``) runs.

    Every ``import`` and ``from ... import`` counts wherever it stands: at module level,
    inside a function, under ``if TYPE_CHECKING:``. Relative imports are resolved; ``from
    pkg import name`` names the submodule ``pkg.name`` where there is one, else ``pkg``; and
    importing ``a.b.c`` also runs the packages ``a`` and ``a.b`` unless ``module`` lives in
    them (their ``__init__`` is already running then).
    """
    package = module if is_package else module.rpartition(".")[0]
    named: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = ".".join(p for p in (base, node.module) if p)
            else:
                assert node.module is not None
                base = node.module
            named.append(base)
            named.extend(f"{base}.{alias.name}" for alias in node.names)
    own = {*_ancestors(module), module}
    found: set[str] = set()
    for name in named:
        if target := _module_of(name, modules):
            found.update(m for m in (*_ancestors(target), target) if m not in own)
    return found


def _module_of(name: str, modules: set[str]) -> str:
    """The module a dotted name lives in (``pkg.function`` is in ``pkg``); "" if not ours."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    paths = {module_name(p): p for p in PKG.rglob("*.py")}
    modules = set(paths)
    return {
        m: vmemplan_imports(
            m, p.read_text(encoding="utf-8"), modules, is_package=p.name == "__init__.py"
        )
        for m, p in sorted(paths.items())
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle ``[a, b, ..., a]`` of the graph, or None if it has none (DFS)."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


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
    for module, imports in import_graph().items():
        if module == "vmemplan.kernel" or module.startswith("vmemplan.kernel."):
            offenders += [
                f"{module} imports {name}"
                for name in imports
                if not name.startswith(KERNEL_MAY_IMPORT)
            ]
    for path in sorted((PKG / "kernel").rglob("*.py")):
        for name in imported_names(path):
            root = name.split(".")[0]
            if root not in stdlib and root not in ("__future__", "vmemplan"):
                offenders.append(f"{module_name(path)} imports third-party {name}")
    assert offenders == []


def test_the_kernel_check_would_see_an_import_of_the_core() -> None:
    """The check above can fail: a relative import from the kernel wing of a core module."""
    modules = set(all_modules())
    source = "def f():\n    from ..estimate import Estimate\n"
    found = vmemplan_imports("vmemplan.kernel.sparse", source, modules, is_package=False)
    assert found == {"vmemplan.estimate"}
    assert not all(name.startswith(KERNEL_MAY_IMPORT) for name in found)


def test_no_import_cycle_at_any_depth() -> None:
    """kernel < the model (estimate, system_ram, hugetlb, ...) < the questions (check, plan,
    host) < output < cli: counting imports inside functions and under TYPE_CHECKING too, no
    module imports, however indirectly, one that imports it."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_graph_holds_every_kind_of_import() -> None:
    """Function-level, TYPE_CHECKING-only and relative imports are edges of the graph, and
    importing a submodule runs its package."""
    modules = set(all_modules())
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from vmemplan.check import CheckResult\n"
        "def f():\n"
        "    from .. import units\n"
        "    import vmemplan.sources.config.model\n"
        "    from vmemplan.output import report\n"
    )
    assert vmemplan_imports("vmemplan.output.x", source, modules, is_package=False) == {
        "vmemplan.check",
        "vmemplan.units",
        "vmemplan.sources",
        "vmemplan.sources.config",
        "vmemplan.sources.config.model",
        "vmemplan.output.report",
    }


def test_the_cycle_check_would_see_a_cycle() -> None:
    """The check above can fail: it finds a cycle three modules long and prints it."""
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({**graph, "c": {"d"}}) is None


def test_output_and_cli_are_edges() -> None:
    """Nothing below the output wing imports it, and only ``__main__`` imports the CLI: the
        model and the questions return data that the edges render (the ``cli`` package's modules
    import one another)."""
    offenders = [
        f"{module} imports {name}"
        for module, imports in import_graph().items()
        for name in imports
        if (
            name.startswith("vmemplan.output")
            and not module.startswith(("vmemplan.output", "vmemplan.cli"))
        )
        or (
            name.startswith("vmemplan.cli")
            and module != "vmemplan.__main__"
            and not module.startswith("vmemplan.cli")
        )
    ]
    assert offenders == []


MAX_MODULE_LINES = 600


def test_no_module_over_600_lines() -> None:
    lines = {
        module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PKG.rglob("*.py")
    }
    assert {m: n for m, n in lines.items() if n > MAX_MODULE_LINES} == {}


def test_core_is_ui_free() -> None:
    modules = [m for m in all_modules() if not _is_edge(m)]
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
    assert heavy
    assert all(
        m == "vmemplan.output.render" or m.startswith("vmemplan.output.render.") for m in heavy
    )
    assert "rich._emoji_codes" not in modules


def test_no_benchmark_shadows_a_standard_module() -> None:
    """`python benchmarks/X.py` puts benchmarks/ first on sys.path: a benchmarks/inspect.py
    would be imported by dataclasses instead of the standard inspect, breaking every
    other benchmark."""
    names = {p.stem for p in (Path(__file__).parent.parent / "benchmarks").glob("*.py")}
    assert names
    assert not names & set(sys.stdlib_module_names)
