"""``--json`` on every command (``check --json`` is ``--format json``) and ``-u/--human``,
JSON with sizes as ndctl -u prints them (issue 6 item 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import dev
from vmemplan.cli import cli
from vmemplan.output.human import humanize, ndctl_size
from vmemplan.output.schema import CheckDoc

ROOT = Path(__file__).resolve().parents[2]
BUDGETED = str(ROOT / "examples" / "two-socket-vm-host.toml")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


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
        ["hugetlb", "--hugetlb", "1G:4"],
        ["check", BUDGETED],
    ],
    ids=lambda a: a[0],
)
def test_every_command_prints_json_with_json(args: list[str]) -> None:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 2
    # every command that costs something: the whole answer's DRAM at one path
    if args[0] != "schema":
        # (compare/plan: null where a subject's current configuration is not known)
        values = [d["dram_bytes"] for d in doc["devices"]]
        assert doc["total"]["dram_bytes"] == (None if None in values else sum(values))


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
    assert dev(human)["detail"]["namespace"]["size_bytes"] == "1024.00 GiB (1099.51 GB)"
    assert human["input"]["start_bytes"] == "0x1000000000"  # the default --start 64G
    assert dev(human)["struct_pages"] == dev(exact)["struct_pages"]  # counts stay integers
    assert (
        dev(exact)["detail"]["namespace"]["size_bytes"] == 1 << 40
    )  # the default JSON keeps exact integers


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
