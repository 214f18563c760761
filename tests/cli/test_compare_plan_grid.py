"""The grid of ``compare`` and ``plan``: --mode/--map/--align (repeatable) restrict it, plan
recommends inside it, options that do not apply and sizes no configuration takes are input
errors (issue 6 items 1 and 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# --mode/--map/--align (repeatable) restrict the grid of plan and compare.
@pytest.mark.parametrize("command", ["plan", "compare"])
def test_mode_map_align_restrict_the_grid(command: str) -> None:
    doc = run_json(command, "--size", "1536G", "--mode", "fsdax", "--map", "dev", "--align", "4K")
    assert [(r["mode"], r["map"], r["align_bytes"]) for r in doc["rows"]] == [
        ("fsdax", "dev", 4096)
    ]


def test_repeated_align_keeps_each_given_align() -> None:
    doc = run_json("compare", "--size", "1T", "--align", "2M", "--align", "1G", "--map", "mem")
    assert {r["align_bytes"] for r in doc["rows"]} == {2 << 20, 1 << 30}
    assert {r["map"] for r in doc["rows"]} == {"mem"}
    assert {r["mode"] for r in doc["rows"]} == {"fsdax", "devdax"}


def test_plan_recommends_only_inside_the_restricted_grid() -> None:
    doc = run_json("plan", "--size", "1536G", "--mode", "fsdax", "--map", "dev", "--align", "4K")
    rec = doc["recommended"]
    assert (rec["mode"], rec["map"], rec["align_bytes"]) == ("fsdax", "dev", 4096)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("plan", "--size", "1T", "--interleave-ways", "2"), "--interleave-ways"),
        (("plan", "--usable", "1T", "--min-align", "2M"), "--min-align"),
        (("plan", "--usable", "1T", "--align", "2M", "--align", "1G"), "--align"),
        (("compare", "--size", "1T", "--align", "8K"), "--align"),
    ],
)
def test_an_option_the_command_does_not_use_is_refused(args: tuple[str, ...], option: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert option in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# A size no configuration can take is an input error, as estimate reports it.
@pytest.mark.parametrize("command", ["plan", "compare"])
def test_a_size_no_configuration_takes_is_an_input_error(command: str) -> None:
    result = run(command, "--size", "1K")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "--size" in line
    assert "1K" in line
