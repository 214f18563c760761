"""Any terminal width: nothing cut, no figure parted from its unit, never an empty output.

COLUMNS=0 is no width at all (rich would print nothing), COLUMNS=1..25 a tiny terminal,
60 a narrow one: tables that do not fit whole become blocks of ``label`` / ``header: value``
lines, and text wraps only between figures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vmemplan.units import format_iec, format_ns

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = [
    ["estimate", "--size", "1T"],
    ["compare", "--size", "1T", "--current", "fsdax/dev/2M"],
    ["plan", "--size", "1536G", "--max-dram", "1%"],
    ["hugetlb", "--hugetlb", "1G:512", "--hugetlb", "2M:4096"],
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
    ["estimate", "--iomem", "tests/data/iomem/x86_pmem_cxl.iomem", "--align", "1G"],
    ["estimate", "--mode", "system-ram", "--size", "2T", "--start", "1T"],
]

# A figure and its unit: "8.00 MiB", "16.00 GiB", "1.40 ms", "0 B".
FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)? (?:[KMGTPE]i)?B\b|\d[\d,]*(?:\.\d+)? (?:ns|us|ms|s)\b")


def run(args: list[str], columns: int | None, **env: str) -> str:
    environ = {**os.environ, **env}
    environ.pop("COLUMNS", None)
    if columns is not None:
        environ["COLUMNS"] = str(columns)
    proc = subprocess.run(
        [sys.executable, "-m", "vmemplan", *args, "--color", "never"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def figures(text: str) -> set[str]:
    """The figure-with-unit strings found whole on some line."""
    return {m.group() for line in text.splitlines() for m in FIGURE.finditer(line)}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_columns_0_is_no_width_given_not_an_empty_output(args: list[str]) -> None:
    out = run(args, 0)
    assert out.strip()
    assert out == run(args, 80)  # rich's width when none is known


@pytest.mark.parametrize("columns", [1, 10, 25, 60])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_figure_stays_whole_at_any_width(args: list[str], columns: int) -> None:
    """Each figure the wide output shows is on one line of the narrow output too."""
    wide = run(args, 200)
    narrow = run(args, columns)
    assert "…" not in narrow
    assert figures(wide) <= figures(narrow)


def test_the_estimate_figures_of_the_issue_are_whole_at_60_columns() -> None:
    """`1,048,576 (4.00 GiB)` and `536.87 ms - 718.06 ms` were split at 60 columns."""
    args = ["estimate", "--size", "256G", "--align", "2M"]
    doc = json.loads(run([*args, "--json"], None))
    out = run(args, 60)
    (one,) = doc["devices"]
    pages = one["detail"]["baseline"]["memmap_dram_pages"]  # the memmap without dedup
    page_size = doc["input"]["page_size"]
    assert f"{pages:,} ({format_iec(pages * page_size)})" in out
    assert f"{format_ns(one['init_ns_low'])} - {format_ns(one['init_ns_high'])}" in out
    assert max(len(line) for line in out.splitlines()) <= 60


def test_check_summary_fits_80_columns() -> None:
    path = "examples/kmem-hugetlb-host.toml"
    wide = run(["check", path], None)  # a pipe: the summary is one line
    narrow = run(["check", path], 80)
    assert len(wide.splitlines()) == 1
    assert len(wide) > 81
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert " ".join(narrow.split()) == " ".join(wide.split())
    assert narrow.splitlines()[1].startswith("  ")  # continuation lines are indented
    assert figures(wide) <= figures(narrow)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize(
    "args",
    [*COMMANDS, ["check", "examples/kmem-hugetlb-host.toml"]],
    ids=" ".join,
)
def test_a_terminal_that_is_not_utf8_gets_ascii(args: list[str], encoding: str) -> None:
    out = run(args, 120, PYTHONIOENCODING=encoding)
    assert out.isascii()
    assert figures(out) == figures(run(args, 120))


@pytest.mark.parametrize("args", [COMMANDS[1], COMMANDS[2]], ids=" ".join)
def test_the_c_locale_without_utf8_coercion_gets_ascii(args: list[str]) -> None:
    """LANG=C as Python sees it when it does not switch to UTF-8 itself: stdout is ASCII."""
    c_locale = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    out = run(args, 120, **c_locale)
    assert out.isascii()
    assert figures(out) == figures(run(args, 120))


def test_the_delta_headers_are_spelled_out_in_ascii() -> None:
    args = ["compare", "--size", "1T", "--current", "fsdax/dev/2M"]
    assert "ΔDRAM" in run(args, 200)
    out = run(args, 200, PYTHONIOENCODING="ascii")
    assert "delta DRAM" in out
    assert "delta usable" in out


def test_the_host_header_is_one_line_where_the_terminal_holds_it() -> None:
    """It was a rich table title, wrapped to the table's width (`... x86_64, Linux` /
    `6.12, 64.00 GiB boot RAM`) on a terminal of any width."""
    header = "struct pages on this host: x86_64, Linux 6.12, 64.00 GiB boot RAM"
    for columns in (80, 200):
        assert run(["host", "--boot-ram", "64G"], columns).splitlines()[0] == header
