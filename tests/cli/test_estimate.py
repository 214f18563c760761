"""``vmemplan estimate``: JSON contract, human table, every exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import dev
from vmemplan.cli import cli
from vmemplan.output.schema import EstimateDoc


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    result = run("estimate", *args, "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_json_has_the_contract_keys() -> None:
    """The keys scripts read (schema_version 2, docs/json.md); additions are fine, renames
    are not: the cost keys in ``total`` and in the one ``devices`` entry, the rest of the
    pgmap in its ``detail``."""
    doc = run_json("--size", "1T", "--align", "2M", "--map", "mem")
    assert doc["schema_version"] == 2
    assert list(doc) == [
        "schema_version",
        "vmemplan_version",
        "status",
        "input",
        "total",
        "devices",
        "notes",
    ]
    (one,) = doc["devices"]
    cost_keys = [
        "kind",
        "name",
        "capacity_bytes",
        "usable_bytes",
        "lost_bytes",
        "struct_pages",
        "memmap_dram_pages",
        "memmap_device_pages",
        "page_table_bytes",
        "direct_map_bytes",
        "dram_bytes",
        "dram_bytes_unoptimized",
        "saved_bytes",
        "struct_pages_initialised",
        "init_ns_low",
        "init_ns_high",
        "detail",
    ]
    assert list(one) == list(doc["total"]) == cost_keys
    detail = one["detail"]
    assert set(detail) >= {"namespace", "pgmap", "memmap", "page_tables", "counters", "baseline"}
    assert set(detail["namespace"]) >= {
        "size_bytes",
        "dataoff_bytes",
        "end_trunc_bytes",
        "usable_bytes",
        "npfns",
    }
    assert set(detail["memmap"]) >= {"nominal_pages", "saved_pages"}
    assert set(detail["page_tables"]) == {"pte", "pmd", "pud", "p4d"}
    assert set(detail["counters"]) >= {"nr_memmap_pages", "nr_memmap_boot_pages"}
    assert set(detail["baseline"]) >= {
        "memmap_dram_pages",
        "page_tables",
        "dram_bytes",
        "lost_bytes",
        "struct_pages_initialised",
        "counters",
    }
    # The seed's "4G instead of 16G" per TiB at 2M, as exact integers.
    assert one["memmap_dram_pages"] * 4096 == 4 << 30
    assert detail["baseline"]["memmap_dram_pages"] * 4096 == 16 << 30
    assert detail["memmap"]["saved_pages"] == 3_145_728
    assert one["dram_bytes_unoptimized"] == detail["baseline"]["dram_bytes"]
    assert one["lost_bytes"] == one["capacity_bytes"] - one["usable_bytes"] == 2 << 20


def test_json_round_trips_through_the_model() -> None:
    out = run("estimate", "--size", "1T", "--align", "1G", "--json").stdout
    assert EstimateDoc.model_validate_json(out).model_dump(mode="json") == json.loads(out)


def test_json_states_every_default_that_changes_a_count() -> None:
    inp = run_json("--size", "1T")["input"]
    assert inp["start_bytes"] == 64 << 30
    assert inp["system_ram"] == [{"start_bytes": 0, "end_bytes": 64 << 30}]
    assert inp["paging_levels"] == 4
    assert inp["map"] == "mem"
    assert inp["align_bytes"] == 2 << 20
    assert inp["kernel"]["version"] == "6.12"
    assert inp["struct_page_size"] == 64


def test_a_namespace_between_boot_ram_and_an_arm64_altmap() -> None:
    """Command lines of issue #2: a namespace between boot RAM ranges reuses their early
    sections; an arm64 map=dev namespace keeps its memmap on the device, not deduplicated."""
    doc = run_json(
        "--size",
        "1G",
        "--start",
        "4160M",
        "--align",
        "2M",
        "--system-ram",
        "0+3G",
        "--system-ram",
        "4096M+64M",
        "--system-ram",
        "5184M+6G",
    )
    # [4160M, 5184M) sits between boot RAM: its first and last sections are early.
    assert dev(doc)["detail"]["sections"]["early_reused"] == 2
    assert dev(doc)["detail"]["page_tables"]["pmd"] == 0
    doc = run_json(
        "--size", "128G", "--align", "2M", "--map", "dev", "--arch", "arm64-4k", "--kernel", "6.6"
    )
    assert dev(doc)["memmap_dram_pages"] == 0
    assert dev(doc)["memmap_device_pages"] == 524_288
    assert dev(doc)["detail"]["pgmap"]["optimized"] is False


def test_dax_ranges_start_their_own_compounds() -> None:
    doc = run_json("--dax-range", "128G+1G", "--dax-range", "130G+1G", "--align", "1G")
    assert dev(doc)["detail"]["namespace"] is None
    assert dev(doc)["detail"]["pgmap"]["compound_pages"] == 2
    assert dev(doc)["memmap_dram_pages"] == 4
    assert dev(doc)["lost_bytes"] == 0


def test_human_table_shows_the_figures() -> None:
    result = run("estimate", "--size", "1T", "--align", "1G", "--color", "never")
    assert result.exit_code == 0
    out = result.stdout
    # the seed's "40MB per TiB" with PTE tables, + 2 direct-map PUD tables (8 KiB)
    assert "40.07 MiB" in out
    assert "16.00 GiB" in out
    assert "131,072" in out
    assert "keeps 2 of 4096" in out


def test_help_states_the_defaults() -> None:
    out = " ".join(run("estimate", "--help").stdout.split())
    for text in ("64G", "0+64G", "ndctl's default is dev", "4-level", "6.12", "Exit codes"):
        assert text in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--size", "3X"], "--size: '3X': unknown suffix"),
        (["--size", "-1G"], "--size: '-1G'"),
        (["--size", "0"], "--size: '0': must not be zero"),
        (["--size", "1T", "--align", "3M"], "--align: 3M is not a power of two"),
        (["--size", "1T", "--align", "16M"], "--align: 16M is not supported on x86_64"),
        (["--size", "1T", "--arch", "sparc"], "--arch: unknown architecture 'sparc'"),
        (["--size", "1T", "--kernel", "3.2"], "--kernel: '3.2': unknown kernel version"),
        (["--size", "1T", "--kernel", "banana"], "--kernel: 'banana': not a kernel version"),
        (["--size", "64T"], "--size: 64G+64T ends above 2^46"),
        (["--size", "1T", "--start", "1M"], "--start: 1M is not aligned to 2M"),
        (["--size", "1025M"], "--size: 1025M is not a multiple of the 2M subsection"),
        (["--size", "1G", "--align", "1G"], "smallest valid: --size="),
        (["--size", "1T", "--start", "0"], "overlaps System RAM"),
        (["--dax-range", "1G+1G", "--dax-range", "1536M+1G", "--system-ram", "none"], "overlap"),
        (["--size", "1T", "--mode", "raw"], "--mode: raw: raw namespaces have no struct pages"),
        (["--size", "1T", "--map", "both"], "--map: 'both': expected mem or dev"),
        (["--size", "1T", "--ns-per-page", "fast"], "--ns-per-page"),
        (["--size", "1T", "--bogus"], "No such option"),
        (
            [
                "--size",
                "4M",
                "--map",
                "dev",
                "--arch",
                "arm64-4k",
                "--kernel",
                "5.19",
                "--start",
                "512M",
                "--system-ram",
                "none",
            ],
            "altmap is exhausted",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    result = run("estimate", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vmemplan: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_unaligned_compound_start_is_refused_with_the_nearest_values() -> None:
    """Spec (f) 4: a 1G-compound namespace starting inside a section aliases heads."""
    result = run("estimate", "--size", "4G", "--start", "66624M", "--align", "1G")
    assert result.exit_code == 2
    assert "--start: 66624M is not aligned to 128M" in result.stderr
    assert "nearest valid start: 65G or 66688M" in result.stderr


def test_success_exit_0_and_version() -> None:
    assert run("estimate", "--size", "1G").exit_code == 0
    result = run("--version")
    assert result.exit_code == 0
    assert "vmemplan" in result.stdout


def test_console_script_has_no_traceback_on_bad_input() -> None:
    """The installed entry point (not CliRunner) also exits 2 with one line."""
    proc = subprocess.run(
        [sys.executable, "-m", "vmemplan", "estimate", "--size", "1Q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "--size: '1Q': unknown suffix" in proc.stderr


def test_notes_warn_about_kernel_quirks() -> None:
    """The human and JSON output say when a count hides a known kernel bug."""
    # Spec C3: 1 GiB at 64G + 2M, boot RAM ending at 64G + 2M (an early section).
    args = ["--size", "1G", "--start", "65538M", "--system-ram", "0+65538M"]
    unfixed = run_json(*args)["notes"]
    assert any("stay uninitialised" in n for n in unfixed)
    assert any("nominal memmap" in n for n in unfixed)
    fixed = run_json(*args, "--early-init-fix", "--counters", "exact")["notes"]
    assert not any("stay uninitialised" in n for n in fixed)
    assert not any("nominal memmap" in n for n in fixed)


def test_internal_error_exits_3_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (an unexpected exception) is exit 3 and one line, not exit 1 and a traceback."""

    def boom(_host: object) -> None:
        raise ZeroDivisionError("integer division or modulo by zero")

    monkeypatch.setattr("vmemplan.cli.estimate.account", boom)
    monkeypatch.delenv("VMEMPLAN_DEBUG", raising=False)
    result = run("estimate", "--size", "1T")
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "internal error: ZeroDivisionError" in result.stderr
    assert "Traceback" not in result.stderr


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_host: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("vmemplan.cli.estimate.account", interrupted)
    result = run("estimate", "--size", "1T")
    assert result.exit_code == 130
    assert result.stderr.strip() == "vmemplan: error: interrupted"


@pytest.mark.parametrize(
    "args",
    [
        ("--size", "1T"),
        ("--dax-range", "0x10000000000+64G"),
        ("--size", "64G", "--mode", "system-ram"),
    ],
)
def test_the_one_device_of_estimate_has_no_name(args: tuple[str, ...]) -> None:
    """Nothing names the device of a plain estimate: ``name`` is null, never ``""``."""
    result = run("estimate", *args, "--json")
    assert result.exit_code == 0, result.stderr
    (device,) = json.loads(result.stdout)["devices"]
    assert device["name"] is None
