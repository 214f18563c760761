"""No figure is ever cut: at 60, 80 and 120 columns every command prints each value whole."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

UNIT_FIRST = re.compile(r"\s*(?:[KMGTPE]i)?B\b|\s*(?:ns|us|ms|s|min|h)\b")

COMMANDS = [
    ["estimate", "--size", "1T", "--align", "1G"],
    ["compare", "--size", "1536G"],
    ["compare", "--size", "1536G", "--kernel", "6.1", "--kernel", "6.12"],
    ["plan", "--size", "1536G", "--max-dram", "1%"],
    ["hugetlb", "--hugetlb", "1G:512"],
    ["estimate", "--iomem", "tests/data/iomem/x86_pmem_cxl.iomem", "--align", "1G"],
    ["hugetlb", "--hugetlb", "1G:512", "--hugetlb", "2M:4096"],
    ["estimate", "--arch", "arm64-4k", "--size", "4G", "--start", "4G", "--system-ram", "0+4G"],
    ["compare", "--size", "1T", "--current", "fsdax/dev/2M"],
    ["plan", "--from-ndctl", "tests/data/ndctl/example_a_list_X_devdax.json", "--max-dram", "1%"],
    ["plan", "--from-ndctl", "tests/data/ndctl/daxctl_list_cxl_system_ram.json"],
    ["estimate", "--iomem", "tests/data/iomem/cxl_kmem_window.iomem"],
    ["estimate", "--from-ndctl", "tests/data/ndctl/daxctl_list_devdax_and_system_ram.json"],
    ["compare", "--size", "256G", "--start", "1T", "--mode", "devdax", "--mode", "system-ram"],
    [
        "host",
        "--system-ram",
        "512G",
        "--hugetlb",
        "1G:512",
        "--devdax",
        "512G:1G",
        "--kmem",
        "2T:on",
    ],
    [
        "estimate",
        "--mode",
        "system-ram",
        "--size",
        "2T",
        "--start",
        "1T",
        "--memmap-on-memory",
        "on",
    ],
]


def run(args: list[str], columns: int) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    proc = subprocess.run(
        [sys.executable, "-m", "vmemplan", *args, "--color", "never"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("columns", [60, 80, 120])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_nothing_is_cut(args: list[str], columns: int) -> None:
    out = run(args, columns)
    assert "…" not in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    # a wrapped line never parts a figure from its unit ("2.85" / "s - 15.46 s")
    lines = out.splitlines()
    for above, below in itertools.pairwise(lines):
        if re.search(r"\d$", above.rstrip()):
            assert not UNIT_FIRST.match(below), (above, below)


@pytest.mark.parametrize("columns", [60, 80])
def test_plan_keeps_ranks_and_configurations_when_narrow(columns: int) -> None:
    args = ["plan", "--size", "1536G", "--max-dram", "1%"]
    doc = json.loads(run([*args, "--json"], 120))
    out = run(args, columns)
    for row in doc["rows"]:
        assert f"{row['mode']}/{row['map']}/" in out
        if row["rank"] is not None:
            assert f"{row['rank']}{'*' if row['pareto'] else ''}" in out
