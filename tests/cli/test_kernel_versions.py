"""``--kernel`` X.Y.Z and uname -r, the distribution note, and ``--kernel-switch``.

Expected figures are derived by hand in the comments (arm64 4K: a 128 MiB section has
32768 pfns, 2 MiB of struct pages = 512 pages; 64 MiB of a section is 256 pages).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import dev
from vmemplan.cli import cli
from vmemplan.output.schema import CompareDoc, EstimateDoc

# 64 MiB into a section (65600M = 64G + 64M) and 192 MiB long: a partial first section of
# 64 MiB, then one full section.
PARTIAL = ("--arch", "arm64-4k", "--start", "65600M", "--size", "192M", "--align", "4K")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.mark.parametrize(
    ("kernel", "dram_pages", "pte_pages"),
    [
        # before d4234d131b0a: the partial section gets a whole 2 MiB PMD block: 512 + 512
        ("6.12.19", 1024, 0),
        # with it (6.12.20): 256 base pages in one new PTE table, plus the full section's 512
        ("6.12.20", 768, 1),
        # the Debian arm64 kernel
        ("6.12.118-1-arm64", 768, 1),
        ("6.14", 768, 1),
        ("6.13.7", 1024, 0),
    ],
)
def test_stable_release_resolves_the_arm64_partial_section_rule(
    kernel: str, dram_pages: int, pte_pages: int
) -> None:
    doc = run_json("estimate", *PARTIAL, "--kernel", kernel)
    EstimateDoc.model_validate(doc)
    assert dev(doc)["memmap_dram_pages"] == dram_pages
    assert dev(doc)["detail"]["page_tables"]["pte"] == pte_pages
    switch = doc["input"]["kernel"]["switches"]["arm64_subsection_basepages"]
    assert switch == {"value": dram_pages == 768, "source": "version table"}


def test_uname_string_is_accepted_and_recorded() -> None:
    doc = run_json("estimate", "--size", "64G", "--kernel", "5.14.0-427.el9.x86_64")
    EstimateDoc.model_validate(doc)
    k = doc["input"]["kernel"]
    assert (k["version"], k["release"], k["sublevel"], k["distribution_suffix"]) == (
        "5.14.0",
        "5.14.0-427.el9.x86_64",
        0,
        "-427.el9.x86_64",
    )
    # upstream 5.14 has no compound devmaps: no dedup, and the notes say which rules
    assert dev(doc)["detail"]["pgmap"]["optimized"] is False
    assert any("distribution kernel" in n and "optimize_rule=none" in n for n in doc["notes"])
    assert any("does not name an upstream stable release" in n for n in doc["notes"])


@pytest.mark.parametrize("kernel", ["6.8.0-49-generic", "6.12.118-1-arm64", "6.12.48+deb13-amd64"])
def test_distribution_note_in_text_output(kernel: str) -> None:
    result = run("estimate", "--size", "64G", "--kernel", kernel, "--color", "never")
    assert result.exit_code == 0, result.stderr
    assert f"note: {kernel} is a distribution kernel" in " ".join(result.stdout.split())


def test_plain_versions_have_no_kernel_notes() -> None:
    doc = run_json("estimate", "--size", "64G", "--kernel", "6.12.20")
    plain = run_json("estimate", "--size", "64G", "--kernel", "6.12")
    assert doc["notes"] == plain["notes"]  # nothing about the release string itself
    assert doc["input"]["kernel"]["distribution_suffix"] is None


def test_kernel_switch_overrides_and_json_says_so() -> None:
    # RHEL 9 backports compound devmaps and the v6.6 rule: with both switches the x86_64
    # 64 GiB / 2M namespace dedups like upstream 6.6+ (32768 sections' worth of compounds:
    # 64 GiB / 2 MiB = 32768 compounds x 2 kept pages = 65536 pages).
    doc = run_json(
        "estimate",
        "--size",
        "64G",
        "--kernel",
        "5.14.0-427.el9.x86_64",
        "--kernel-switch",
        "compound_devmap=y",
        "--kernel-switch",
        "optimize_rule=reserve_dax_gated",
    )
    sw = doc["input"]["kernel"]["switches"]
    assert sw["compound_devmap"] == {"value": True, "source": "override"}
    assert sw["optimize_rule"] == {"value": "reserve_dax_gated", "source": "override"}
    assert sw["counters"] == {"value": "none", "source": "version table"}
    assert dev(doc)["detail"]["pgmap"]["optimized"] is True
    assert dev(doc)["memmap_dram_pages"] == 65536


def test_specific_overrides_still_work_and_are_recorded() -> None:
    doc = run_json("estimate", "--size", "64G", "--counters", "exact", "--dedup-keep", "1")
    sw = doc["input"]["kernel"]["switches"]
    assert sw["counters"] == {"value": "exact", "source": "override"}
    assert sw["dedup_keep"] == {"value": 1, "source": "override"}
    assert doc["input"]["kernel"]["counters"] == "exact"


def test_same_switch_twice_with_different_values_is_refused() -> None:
    result = run(
        "estimate", "--size", "64G", "--counters", "exact", "--kernel-switch", "counters=nominal"
    )
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "conflicts with --counters exact" in result.stderr


@pytest.mark.parametrize(
    ("switch", "needle"),
    [
        ("nosuch=1", "unknown switch 'nosuch'"),
        ("counters=precise", "counters expects none, nominal or exact"),
        ("dedup_keep", "expected NAME=VALUE"),
    ],
)
def test_bad_kernel_switch_exits_2_with_one_line(switch: str, needle: str) -> None:
    result = run("estimate", "--size", "64G", "--kernel-switch", switch)
    assert result.exit_code == 2
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert needle in line
    assert line.startswith("vmemplan: error: ")
    if "unknown" in needle:
        assert "zone_device" in line
        assert "arch_want_optimize_dax_vmemmap" in line


@pytest.mark.parametrize(
    "command",
    [("estimate", "--size", "64G"), ("compare", "--size", "64G"), ("plan", "--size", "64G")],
)
def test_no_zone_device_refuses_device_memmap(command: tuple[str, ...]) -> None:
    result = run(*command, "--kernel-switch", "zone_device=n")
    assert result.exit_code == 2
    assert "CONFIG_ZONE_DEVICE" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_dax_kconfig_switches_dedup_off_with_a_note_naming_the_rule() -> None:
    on = run_json("estimate", "--size", "64G")
    off = run_json(
        "estimate", "--size", "64G", "--kernel-switch", "arch_want_optimize_dax_vmemmap=n"
    )
    assert dev(on)["detail"]["pgmap"]["optimized"] is True
    assert dev(off)["detail"]["pgmap"]["optimized"] is False
    # without dedup a 64 GiB namespace is 512 full sections' memmap: 512 x 512 pages
    assert dev(off)["memmap_dram_pages"] == 512 * 512
    assert any("ARCH_WANT_OPTIMIZE_DAX_VMEMMAP" in n for n in off["notes"]), off["notes"]
    assert off["input"]["kernel"]["switches"]["arch_want_optimize_dax_vmemmap"] == {
        "value": False,
        "source": "override",
    }


def test_compare_labels_stable_kernels_side_by_side() -> None:
    doc = run_json(
        "compare",
        "--size",
        "64G",
        "--arch",
        "arm64-4k",
        "--kernel",
        "6.12.19",
        "--kernel",
        "6.12.20",
    )
    CompareDoc.model_validate(doc)
    assert doc["input"]["kernels"] == ["6.12.19", "6.12.20"]


def test_compare_and_plan_carry_kernel_notes_and_switches() -> None:
    args = ("--size", "64G", "--kernel", "5.14.0-427.el9.x86_64")
    for command in ("compare", "plan"):
        doc = run_json(command, *args, "--kernel-switch", "compound_devmap=y")
        details = doc["input"]["kernel_details"]
        assert [d["release"] for d in details] == ["5.14.0-427.el9.x86_64"]
        assert details[0]["switches"]["compound_devmap"] == {"value": True, "source": "override"}
        assert any("distribution kernel" in n for n in doc["input"]["kernel_notes"])
        text = run(command, *args, "--color", "never")
        assert text.exit_code == 0, text.stderr
        assert "note: 5.14.0-427.el9.x86_64 is a distribution kernel" in " ".join(
            text.stdout.split()
        )


def test_hugetlb_notes_a_distribution_kernel() -> None:
    doc = run_json("hugetlb", "--hugetlb", "1G:4", "--kernel", "5.14.0-427.el9.x86_64")
    assert doc["input"]["kernel"] == "5.14.0"
    assert any("distribution kernel" in n and "5.14.0" in n for n in doc["notes"])
    plain = run_json("hugetlb", "--hugetlb", "1G:4", "--kernel", "5.14")
    assert not any("distribution" in n for n in plain["notes"])
