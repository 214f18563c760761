"""Every rule that switches vmemmap deduplication off leaves a note naming it in
``estimate --json`` (issue 6 item 7)."""

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


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("--struct-page-size", "80"), "not a power of two"),
        (("--map", "dev"), "altmap"),
        (("--arch", "arm64-4k"), "ARCH_WANT_OPTIMIZE_DAX_VMEMMAP"),
        (("--kernel", "6.3.5", "--arch", "arm64-4k"), "ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP"),
        (("--kernel", "6.4", "--arch", "arm64-4k"), "ARCH_WANT_OPTIMIZE_VMEMMAP"),
        (("--kernel", "5.18"), "v5.19"),
        (("--kernel", "5.15"), "compound devmaps"),
        (("--mode", "fsdax"), "fsdax"),
        (("--align", "4K"), "vmemmap_shift is 0"),
    ],
)
def test_dedup_off_leaves_a_note_naming_the_rule(args: tuple[str, ...], rule: str) -> None:
    doc = run_json("estimate", "--size", "64G", *args)
    assert any(rule in n for n in doc["notes"]), doc["notes"]


def test_dedup_on_has_no_dedup_off_note() -> None:
    doc = run_json("estimate", "--size", "64G")
    assert not any("no vmemmap deduplication" in n for n in doc["notes"])
