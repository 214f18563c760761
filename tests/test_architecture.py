"""The pure core imports neither click nor rich, even indirectly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import vmemplan

EDGES = {"cli", "render", "__main__"}  # the only modules allowed to import click or rich


def core_modules() -> list[str]:
    pkg = Path(vmemplan.__file__).parent
    return sorted(f"vmemplan.{p.stem}" for p in pkg.glob("*.py") if p.stem not in EDGES)


def test_core_is_ui_free() -> None:
    modules = core_modules()
    assert "vmemplan.estimate" in modules
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_json_start_up_stays_lean() -> None:
    """`vmemplan estimate --json` imports neither rich (human output), pydantic (schemas)
    nor PyYAML (config files): each costs tens of milliseconds of start-up."""
    code = (
        "import sys\n"
        "from vmemplan.cli import cli\n"
        "try:\n"
        "    cli.main(['estimate', '--size', '1T', '--json'], prog_name='vmemplan')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'pydantic', 'yaml'})\n"
        "sys.stderr.write(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr == ""
    assert '"schema_version": 1' in out.stdout
