"""The pure core imports neither click nor rich, even indirectly."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "vmemplan.units",
    "vmemplan.intervals",
    "vmemplan.arch",
    "vmemplan.kernel",
    "vmemplan.namespace",
    "vmemplan.pgmap",
    "vmemplan.sparse",
    "vmemplan.vmemmap",
    "vmemplan.vmstat",
    "vmemplan.init_cost",
    "vmemplan.memremap",
    "vmemplan.estimate",
    "vmemplan.hugetlb_vmemmap",
    "vmemplan.report",
    "vmemplan.schema",
]


def test_core_is_ui_free() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_core_module_is_listed() -> None:
    """A new core module must be added to CORE above (render and cli are the edges)."""
    from pathlib import Path  # noqa: PLC0415

    import vmemplan  # noqa: PLC0415

    pkg = Path(vmemplan.__file__).parent
    modules = {f"vmemplan.{p.stem}" for p in pkg.glob("*.py") if not p.stem.startswith("_")}
    assert modules - set(CORE) == {"vmemplan.cli", "vmemplan.render", "vmemplan.errors"} - set(CORE)
