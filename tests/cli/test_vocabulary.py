"""One formatting vocabulary in every command's text output (issue 6 item 12).

Sizes: two decimals in IEC units (``24.00 GiB``), never ``1024.00 GiB`` (that is
``1.00 TiB``); below 1 KiB exact bytes. Times: two decimals in ns/us/ms/s/min/h; a range
is ``LOW UNIT - HIGH UNIT`` (``8.59 s - 11.49 s``). Counts: grouped by thousands with
commas, never abbreviated. No line ends in blanks, at any width, with or without colour.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from vmemplan.cli import cli
from vmemplan.units import format_iec, format_ns, format_ns_range

ROOT = Path(__file__).resolve().parents[2]
NDCTL = "tests/data/ndctl/list_RN_regions.json"
IOMEM = "tests/data/iomem/x86_pmem_cxl.iomem"

COMMANDS: list[list[str]] = [
    ["estimate", "--size", "1T", "--align", "1G"],
    ["estimate", "--size", "100G", "--map", "dev", "--mode", "fsdax"],
    ["estimate", "--size", "1G", "--start", "0x1004000000", "--system-ram", "0+0x1004000000"],
    ["estimate", "--dax-range", "0x2000000000+64G"],
    ["estimate", "--size", "16T", "--map", "dev", "--mode", "fsdax"],
    ["estimate", "--from-ndctl", NDCTL],
    ["estimate", "--iomem", IOMEM, "--align", "1G"],
    ["compare", "--size", "1T"],
    ["compare", "--size", "1536G", "--kernel", "5.15", "--kernel", "6.12"],
    ["plan", "--size", "1536G", "--max-dram", "1%"],
    ["plan", "--size", "1536G", "--max-init", "1ms"],  # nothing fits: exit 1
    ["plan", "--usable", "1500G", "--align", "1G", "--map", "dev"],
    ["check", "examples/two-socket-vm-host.toml", "examples/database-host.yaml"],
    ["check", "examples/database-host.yaml", "--format", "github"],
    ["check", "--from-ndctl", NDCTL, "--max-dram", "1G"],
    ["hugetlb", "--hugetlb", "1G:512", "--hugetlb", "2M:0:1024,1:2048"],
    ["--help"],
    ["estimate", "--help"],
    ["plan", "--help"],
]
IDS = [" ".join(c) for c in COMMANDS]
SGR = re.compile(r"\x1b\[[0-9;]*m")


def run(args: list[str], columns: int, color: str = "never") -> str:
    extra = ["--color", color] if args[0] in ("estimate", "compare", "plan", "hugetlb") else []
    if "--help" in args:
        extra = []
    result = CliRunner().invoke(
        cli,
        [*args, *extra],
        env={"COLUMNS": str(columns), "NO_COLOR": None},
        terminal_width=columns,
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    return result.stdout + result.stderr


@pytest.mark.parametrize("columns", [60, 80, 120])
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_no_line_ends_in_blanks(args: list[str], columns: int) -> None:
    out = run(args, columns)
    assert out.strip()
    bad = [line for line in out.splitlines() if line != line.rstrip()]
    assert bad == []


@pytest.mark.parametrize("args", COMMANDS[:3] + COMMANDS[7:10], ids=IDS[:3] + IDS[7:10])
def test_no_line_ends_in_blanks_with_colour(args: list[str]) -> None:
    out = run(args, 100, color="always")
    assert SGR.search(out)  # the colour really is on
    bad = [line for line in out.splitlines() if SGR.sub("", line) != SGR.sub("", line).rstrip()]
    assert bad == []


# An old compact range ("3.22-4.31 s", "66-88 us"), a size without two decimals ("24 GiB"),
# a size that should have gone up a unit, and abbreviated counts ("403M", "197k").
OLD_RANGE = re.compile(r"\d(?:\.\d+)?-\d+(?:\.\d+)? ?(?:ns|us|ms|s|min|h)\b")
SHORT_SIZE = re.compile(r"(?<![\d.,])\d+(?:\.\d)? [KMGTPE]iB")
UNROUNDED = re.compile(r"\b1024\.\d\d [KMGTPE]iB|\b1000\.\d\d (?:us|ms)\b|\b60\.\d\d (?:s|min)\b")
SHORT_COUNT = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[kM](?![\w])")
# a START-END address range echoed from /proc/iomem is an address, not a count
UNGROUPED = re.compile(r"(?<![\w.,#:=x+-])\d{5,}(?![\w.,]|-[0-9a-f])")
TIME = r"\d+\.\d\d (?:us|ms|s|min|h)|\d+ ns"
RANGE = re.compile(rf"(?:{TIME}) - (?:{TIME})")


@pytest.mark.parametrize("columns", [60, 120])
@pytest.mark.parametrize("args", [c for c in COMMANDS if "--help" not in c], ids=str)
def test_one_style_for_sizes_times_and_counts(args: list[str], columns: int) -> None:
    out = run(args, columns)
    # sizes spelled as ndctl takes them (--size=1536G, align 2M, a 2M pool) are not figures
    figures = re.sub(
        r"(?m)(?:--\w[\w-]*[= ]|/|align |of |^)[0-9]+[KMGTPE]\b|\b[0-9]+[KMGTPE](?= node| +total)",
        "",
        out,
    )
    assert OLD_RANGE.findall(figures) == []
    assert SHORT_SIZE.findall(figures) == []
    assert UNROUNDED.findall(figures) == []
    assert SHORT_COUNT.findall(figures) == []
    assert UNGROUPED.findall(figures) == []


@pytest.mark.parametrize("args", [COMMANDS[0], COMMANDS[7], COMMANDS[5]], ids=str)
def test_time_ranges_are_low_unit_dash_high_unit(args: list[str]) -> None:
    out = " ".join(run(args, 120).split())  # a range may be split over two lines
    assert RANGE.search(out), out


def test_long_times_are_minutes() -> None:
    out = run(COMMANDS[4], 120)
    # 4,294,967,294 struct pages x 57.6 ns = 247.39 s = 4.12 min
    assert "45.53 s - 4.12 min" in out


def test_a_1t_namespace_is_one_tib_everywhere() -> None:
    """1 TiB - 2 MiB usable (fsdax map=mem) is 1.00 TiB, as the namespace is."""
    out = run(["compare", "--size", "1T", "--mode", "fsdax", "--map", "mem", "--align", "4K"], 120)
    assert "1.00 TiB namespace" in out
    assert "1024" not in out.replace("1,024", "")


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0 ns"),
        (999, "999 ns"),
        (1000, "1.00 us"),
        (999_994, "999.99 us"),
        (999_995, "1.00 ms"),
        (8_590_000_000, "8.59 s"),
        (59_994_000_000, "59.99 s"),
        (59_995_000_000, "1.00 min"),
        (90 * 10**9, "1.50 min"),
        (3600 * 10**9 * 5 // 2, "2.50 h"),
    ],
)
def test_format_ns(ns: int, text: str) -> None:
    assert format_ns(ns) == text


def test_format_ns_range() -> None:
    assert format_ns_range(8_590_000_000, 11_490_000_000) == "8.59 s - 11.49 s"
    assert format_ns_range(805_306_368, 1_077_097_267) == "805.31 ms - 1.08 s"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB"),
        ((1 << 20) - 6, "1023.99 KiB"),
        ((1 << 20) - 5, "1.00 MiB"),
        (1023 << 30, "1023.00 GiB"),
        ((1 << 40) - (2 << 20), "1.00 TiB"),
        (1536 << 30, "1.50 TiB"),
    ],
)
def test_format_iec(value: int, text: str) -> None:
    assert format_iec(value) == text
