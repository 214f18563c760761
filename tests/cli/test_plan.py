"""``vmemplan compare`` and ``vmemplan plan``: JSON contracts and exit codes."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from tests.helpers import GiB
from vmemplan.cli import cli
from vmemplan.output.schema import CompareDoc, PlanDoc


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def doc_of(result: Result) -> dict[str, Any]:
    """The JSON document, checked against the published contract."""
    out: dict[str, Any] = json.loads(result.stdout)
    model = PlanDoc if "budgets" in out else CompareDoc
    model.model_validate(out)
    return out


def test_compare_rows_cover_every_configuration() -> None:
    result = run("compare", "--size", "1536G", "--json")
    assert result.exit_code == 0
    rows = doc_of(result)["rows"]
    assert len(rows) == 2 * 2 * 3  # fsdax/devdax x mem/dev x 4K/2M/1G
    for row in rows:
        assert set(row) >= {
            "mode",
            "map",
            "align_bytes",
            "dram_bytes",
            "lost_bytes",
            "usable_bytes",
            "struct_pages_initialised",
        }
    best = min(rows, key=lambda r: r["dram_bytes"] + r["lost_bytes"])
    assert (best["mode"], best["map"], best["align_bytes"]) == ("devdax", "mem", GiB)
    one_g = next(
        r for r in rows if (r["mode"], r["map"], r["align_bytes"]) == ("devdax", "mem", GiB)
    )
    # 1.5 TiB = 1536 compounds x 2 pages + 12288 PTE tables + 24 PMD tables, + 3 direct-map
    # PUD tables ([64G, 1600G) with 1G pages reaches [512G, 1T), [1T, 1.5T), [1.5T, 2T))
    assert one_g["dram_bytes"] == (1536 * 2 + 12288 + 24 + 3) * 4096
    assert one_g["struct_pages_initialised"] == 1536 * 128


def test_compare_two_kernels_side_by_side() -> None:
    rows = doc_of(run("compare", "--size", "1T", "--kernel", "5.18", "--kernel", "6.12", "--json"))[
        "rows"
    ]
    by = {(r["kernel"], r["mode"], r["map"], r["align_bytes"]): r for r in rows}
    assert by[("5.18", "devdax", "mem", GiB)]["dram_bytes"] > 16 * GiB
    assert by[("6.12", "devdax", "mem", GiB)]["dram_bytes"] == (10_256 + 2) * 4096


def test_compare_human_has_a_bar_per_row() -> None:
    result = run("compare", "--size", "1536G", "--color", "never")
    assert result.exit_code == 0
    assert result.stdout.count("█") >= 4
    assert "devdax/mem/1G" in result.stdout


def test_plan_recommends_and_prints_the_ndctl_command() -> None:
    result = run(
        "plan",
        "--size",
        "1536G",
        "--max-dram",
        "1%",
        "--max-device-loss",
        "2%",
        "--max-init",
        "500ms",
        "--json",
    )
    assert result.exit_code == 0
    doc = doc_of(result)
    assert doc["recommended"]["mode"] == "devdax"
    assert doc["recommended"]["align_bytes"] == GiB
    assert doc["ndctl_command"] == (
        "ndctl create-namespace --mode=devdax --map=mem --align=1G --size=1536G"
    )
    rejected = [r for r in doc["rows"] if not r["fits"]]
    assert all(len(r["failures"]) >= 1 for r in rejected)
    assert any("exceeds 500.00 ms" in f for r in rejected for f in r["failures"])


def test_plan_exit_1_when_nothing_fits() -> None:
    result = run("plan", "--size", "1T", "--max-dram", "1K", "--max-device-loss", "1K")
    assert result.exit_code == 1
    assert "no configuration meets every budget" in result.stdout


def test_plan_min_align_filters() -> None:
    doc = doc_of(run("plan", "--size", "1T", "--min-align", "1G", "--json"))
    assert {r["align_bytes"] for r in doc["rows"]} == {GiB}


def test_inverse_sizing_json() -> None:
    """ecosystem.md 5.1/5.2: 1500G usable with map=dev and align 1G needs --size=1524G."""
    doc = doc_of(run("plan", "--usable", "1500G", "--align", "1G", "--map", "dev", "--json"))
    assert doc["raw_size_bytes"] == 1524 * GiB
    assert doc["usable_bytes"] == 1500 * GiB
    assert doc["recommended"]["map"] == "dev"
    assert doc["ndctl_command"].endswith("--size=1524G")


def test_inverse_sizing_with_interleave_ways() -> None:
    doc = doc_of(
        run("plan", "--usable", "100G", "--align", "1G", "--interleave-ways", "6", "--json")
    )
    assert doc["raw_size_bytes"] % (6 * GiB) == 0
    assert doc["usable_bytes"] >= 100 * GiB


def test_plan_needs_exactly_one_of_size_and_usable() -> None:
    result = run("plan", "--size", "1T", "--usable", "1T")
    assert result.exit_code == 2
    assert "exactly one of --size" in result.stderr
    result = run("plan", "--size", "1T", "--max-dram", "200%")
    assert result.exit_code == 2
    assert "--max-dram" in result.stderr
