"""``vmemplan explain``: its inputs, exit codes, JSON document and terminal handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.explain_golden import CASES
from tests.helpers import run_cli
from vmemplan.output.explain_schema import ExplainDoc

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "80", **env}
    for name in ("NO_COLOR", "FORCE_COLOR"):
        if name not in env:
            environ.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "vmemplan", "explain", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "kind", "drawings"),
    [
        (["--size", "1T"], "device", {"dedup", "page_tables"}),
        (["--size", "1T", "--map", "dev"], "device", {"dedup", "altmap", "page_tables"}),
        (["--mode", "system-ram", "--size", "256G", "--start", "1T"], "system-ram", None),
        (["--hugetlb", "1G:16"], "hugetlb", {"hvo"}),
    ],
)
def test_json_is_one_fixed_shape_document(
    args: list[str], kind: str, drawings: set[str] | None
) -> None:
    out = run_cli("explain", *args, "--json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    ExplainDoc.model_validate(doc)
    assert doc["kind"] == kind
    assert set(doc["drawings"]) == {"dedup", "altmap", "kmem", "hvo", "page_tables"}
    present = {k for k, v in doc["drawings"].items() if v is not None}
    assert present == (drawings or {"kmem", "page_tables"})


def test_runs_partition_the_pgmap_ranges() -> None:
    """The runs of chunks are sorted, disjoint and cover every range: a dax device of two
    ranges, the second starting a new compound page at its own first pfn."""
    args = ["--dax-range", "64G+1G", "--dax-range", "80G+2G", "--align", "1G"]
    doc = json.loads(run_cli("explain", *args, "--json").stdout)
    ranges = [
        (r["start_bytes"] // 4096, r["end_bytes"] // 4096)
        for r in doc["devices"][0]["detail"]["pgmap"]["ranges"]
    ]
    runs = doc["drawings"]["dedup"]["runs"]
    pieces = [(r["start_pfn"], r["end_pfn"]) for r in runs]
    assert pieces == sorted(pieces)
    merged: list[list[int]] = []
    for lo, hi in pieces:
        if merged and merged[-1][1] == lo:
            merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    assert [tuple(m) for m in merged] == ranges
    # 1 GiB = 8 sections: one compound page per range, 7 sections of each reuse its tail
    assert sum(r["compound_heads"] for r in runs) == 1 + 2
    assert sum(r["reuse_chunks"] for r in runs) == (8 - 1) + (16 - 2)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], "--size"),
        (["--size", "1T", "--drawing", "altmap"], "--drawing"),
        (["--size", "1T", "--drawing", "hvo"], "--drawing"),
        (["--hugetlb", "1G:4", "--drawing", "kmem"], "--drawing"),
        (["--size", "1T", "--hvo"], "--hvo"),
        (["--hugetlb", "1G:4", "--size", "1T"], "--size"),
        (["--hugetlb", "1G:4", "--map", "dev"], "--map"),
        (["--hugetlb", "3M:4"], "--hugetlb"),
        (["--hugetlb", "1G:4", "--memmap-on-memory", "on"], "--memmap-on-memory"),
        (["--size", "1T", "--memmap-on-memory", "on"], "--memmap-on-memory"),
        (["--size", "lots"], "--size"),
        (["--size", "1T", "--drawing", "everything"], "--drawing"),
    ],
)
def test_bad_input_is_one_line_naming_the_option_and_exit_2(args: list[str], named: str) -> None:
    out = run(args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("vmemplan: error: ")
    assert named in lines[0]


def test_drawing_selects_what_is_drawn() -> None:
    both = run(["--size", "1T", "--map", "dev"]).stdout
    only = run(["--size", "1T", "--map", "dev", "--drawing", "altmap"]).stdout
    assert "map=dev: the memmap on the namespace" in both
    assert "page tables (init_mm)" in both
    assert "map=dev: the memmap on the namespace" in only
    assert "page tables (init_mm)" not in only
    assert "vmemmap deduplication of compound pages" not in only


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("name", list(CASES))
def test_ascii_when_the_encoding_has_no_box_drawing(name: str, encoding: str) -> None:
    utf8 = run(CASES[name]).stdout
    plain = run(CASES[name], PYTHONIOENCODING=encoding)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.isascii()
    assert not utf8.isascii()  # every drawing has a bar, an arrow or a scale
    assert len(plain.stdout.splitlines()) == len(utf8.splitlines())


def test_the_c_locale_without_utf8_coercion_gets_ascii() -> None:
    c_locale = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    out = run(CASES["altmap"], **c_locale)
    assert out.returncode == 0, out.stderr
    assert out.stdout.isascii()
    assert "+ memmap (altmap)" in out.stdout


def test_no_color_is_respected_on_a_terminal() -> None:
    coloured = run(["--size", "1G"], FORCE_COLOR="1").stdout
    assert "\x1b[" in coloured
    assert "\x1b[" not in run(["--size", "1G"], FORCE_COLOR="1", NO_COLOR="1").stdout
    assert "\x1b[" not in run(["--size", "1G", "--color", "never"], FORCE_COLOR="1").stdout


@pytest.mark.parametrize("columns", ["0", "1", "10", "25"])
def test_any_width_prints_the_drawing(columns: str) -> None:
    out = run(CASES["dedup"], COLUMNS=columns)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert "vmemmap deduplication of compound pages" in " ".join(out.stdout.split())


def test_a_closed_pipe_is_exit_0() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m vmemplan explain --size 1T | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout.startswith("vmemmap deduplication")


COST_KEYS = (
    "capacity_bytes",
    "usable_bytes",
    "lost_bytes",
    "struct_pages",
    "memmap_dram_pages",
    "memmap_device_pages",
    "page_table_bytes",
    "direct_map_bytes",
    "dram_bytes",
    "struct_pages_initialised",
)


@pytest.mark.parametrize("name", ["pmem0", "cxl0"])
def test_a_device_of_a_config_has_its_host_figures(name: str) -> None:
    """A config's device is drawn after the devices the accounting adds before it: its
    figures are its entry of `host --config --json` (tables shared with pmem0 not again)."""
    config = "examples/kmem-hugetlb-host.toml"
    host = json.loads(run_cli("host", "--config", config, "--json").stdout)
    (entry,) = [d for d in host["devices"] if d["name"] == name]
    out = run_cli("explain", "--config", config, "--name", name, "--json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    ExplainDoc.model_validate(doc)
    (mine,) = doc["devices"]
    assert {k: mine[k] for k in COST_KEYS} == {k: entry[k] for k in COST_KEYS}
    tables = doc["drawings"]["page_tables"]["levels"]
    new = sum(lvl["new_tables"] for lvl in tables) * 4096
    assert new == entry["page_table_bytes"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--name", "pmem0"], "--name"),
        (["--config", "examples/kmem-hugetlb-host.toml"], "--name"),
        (["--config", "examples/kmem-hugetlb-host.toml", "--name", "nvme0"], "--name"),
        (
            ["--config", "examples/kmem-hugetlb-host.toml", "--name", "pmem0", "--size", "1T"],
            "--size",
        ),
        (
            ["--config", "examples/kmem-hugetlb-host.toml", "--name", "pmem0", "--kernel", "6.1"],
            "--kernel",
        ),
        (["--config", "examples/no-such-file.toml", "--name", "pmem0"], "--config"),
    ],
)
def test_config_input_errors(args: list[str], named: str) -> None:
    out = run(args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.splitlines()) == 1
    assert named in out.stderr


IOMEM = "tests/data/iomem/x86_pmem_cxl.iomem"
CXL = "tests/data/cxl/single_ram_region_vvv.json"


def test_every_device_of_a_dump_has_its_machine_figures() -> None:
    """Each device of a /proc/iomem dump, drawn by name, has its entry of `estimate
    --iomem --json` (the machine document: each entry after the ones before it)."""
    machine = json.loads(run_cli("estimate", "--iomem", IOMEM, "--json").stdout)
    assert len(machine["devices"]) == 4
    for entry in machine["devices"]:
        out = run_cli("explain", "--iomem", IOMEM, "--name", entry["name"], "--json")
        assert out.exit_code == 0, out.stderr
        (mine,) = json.loads(out.stdout)["devices"]
        assert mine["name"] == entry["name"]
        assert {k: mine[k] for k in COST_KEYS} == {k: entry[k] for k in COST_KEYS}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--iomem", IOMEM], "--name"),
        (["--iomem", IOMEM, "--name", "dax9.9"], "--name"),
        (["--iomem", IOMEM, "--name", "dax0.0", "--size", "1T"], "--size"),
        (["--iomem", IOMEM, "--name", "dax0.0", "--map", "dev"], "--map"),
        (["--from-ndctl", "tests/data/ndctl/list_NX_devdax_kmem.json"], "--name"),
        (["--from-cxl", CXL, "--config", "examples/kmem-hugetlb-host.toml"], "--from-cxl"),
        (["--from-cxl", CXL, "--hugetlb", "1G:4"], "--hugetlb"),
        (["--iomem", IOMEM, "--config", "examples/kmem-hugetlb-host.toml"], "--iomem"),
    ],
)
def test_dump_input_errors(args: list[str], named: str) -> None:
    out = run(args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.splitlines()) == 1
    assert named in out.stderr


def test_a_folio_smaller_than_a_vmemmap_page_has_no_rows() -> None:
    """arm64 4K, 64K HugeTLB pages: 16 struct pages (1 KiB) per folio share a vmemmap page."""
    out = run(["--hugetlb", "64K:100", "--arch", "arm64-4k"])
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "16 struct pages fill less than one vmemmap page" in text
    assert "page PTE page frame" not in text


def test_a_device_of_a_cxl_dump_has_its_machine_figures() -> None:
    """The dax device of a `cxl list` region, drawn by name, has its entry of `estimate
    --from-cxl --json` (the region's memory blocks as that kernel sizes them)."""
    args = ["--from-cxl", CXL, "--kernel", "6.16"]
    machine = json.loads(run_cli("estimate", *args, "--json").stdout)
    (entry,) = machine["devices"]
    out = run_cli("explain", *args, "--name", entry["name"], "--json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    ExplainDoc.model_validate(doc)
    (mine,) = doc["devices"]
    assert {k: mine[k] for k in COST_KEYS} == {k: entry[k] for k in COST_KEYS}
    assert doc["drawings"]["kmem"] is not None


@pytest.mark.parametrize(
    "tree", ["devdax-map-dev", "devdax-map-mem", "fsdax", "kmem-memmap-on-memory", "cxl-kmem"]
)
def test_a_device_of_an_inspected_host_has_its_inspect_figures(tree: str) -> None:
    """`explain --root DIR --name NAME` draws a device of the host `inspect --root DIR`
    reads: its figures are that device's entry of `inspect --json`."""
    root = f"tests/data/live/{tree}"
    inspected = json.loads(run_cli("inspect", "--root", root, "--json").stdout)
    entries = [d for d in inspected["devices"] if d["kind"] not in ("boot-ram", "hugetlb")]
    assert entries
    for entry in entries:
        out = run_cli("explain", "--root", root, "--name", entry["name"], "--json")
        assert out.exit_code == 0, out.stderr
        doc = json.loads(out.stdout)
        ExplainDoc.model_validate(doc)
        (mine,) = doc["devices"]
        assert {k: mine[k] for k in COST_KEYS} == {k: entry[k] for k in COST_KEYS}
