"""The schema_version 2 cost contract (docs/json.md): every document that costs something
has ``total`` and ``devices``, every device entry and the total carry the same cost keys,
``.total`` is the plain sum of ``.devices`` for every figure, and a ``--batch`` line is
the ``estimate --json`` document of the same geometry, byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import run_cli
from vmemplan.cost import COST_KEYS, SUMMABLE_KEYS

KMEM = "tests/data/ndctl/list_NX_devdax_kmem.json"

COMMANDS = {
    "estimate devdax": ["estimate", "--size", "1T", "--align", "2M", "--json"],
    "estimate fsdax map=dev": [
        "estimate", "--size", "256G", "--mode", "fsdax", "--map", "dev", "--json",
    ],
    "estimate dax ranges": ["estimate", "--dax-range", "0x2000000000+64G", "--json"],
    "estimate system-ram": [
        "estimate", "--mode", "system-ram", "--size", "64G", "--start", "1T",
        "--memmap-on-memory", "on", "--json",
    ],
    "machine (ndctl)": ["estimate", "--from-ndctl", KMEM, "--json"],
    "machine (iomem)": ["estimate", "--iomem", "tests/data/iomem/x86_pmem_cxl.iomem", "--json"],
    "check": [
        "check", "examples/two-socket-vm-host.toml", "examples/kmem-hugetlb-host.toml",
        "--format", "json",
    ],
    "check --from-ndctl": ["check", "--from-ndctl", KMEM, "--format", "json"],
    "hugetlb": ["hugetlb", "--hugetlb", "1G:16", "--hugetlb", "2M:4096", "--json"],
    "host": [
        "host", "--system-ram", "512G", "--hugetlb", "1G:64", "--devdax", "256G:1G",
        "--kmem", "64G:on", "--json",
    ],
    "host (config)": ["host", "--config", "tests/data/config/kinds/hugetlb-on-kmem.toml", "--json"],
}  # fmt: skip


def _doc(args: list[str]) -> dict[str, Any]:
    result = run_cli(*args)
    assert result.exit_code in (0, 1), result.output  # check: 1 when a budget fails
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _assert_sum(doc: dict[str, Any]) -> None:
    devices, total = doc["devices"], doc["total"]
    assert devices, "a document that costs something lists what it costs"
    for entry in [*devices, total]:
        assert list(entry) == list(COST_KEYS)
    for key in SUMMABLE_KEYS:
        assert total[key] == sum(d[key] for d in devices), key
    if "files" in doc:  # check: the run's entries are its files, each its file's total
        assert [d["kind"] for d in devices] == ["file"] * len(doc["files"])
        assert [d["name"] for d in devices] == [f["file"] for f in doc["files"]]
        for d, f in zip(devices, doc["files"], strict=True):
            assert {k: d[k] for k in SUMMABLE_KEYS} == {k: f["total"][k] for k in SUMMABLE_KEYS}
        return
    kinds = {d["kind"] for d in devices}
    assert {k for k, n in total["detail"]["devices"].items() if n} == kinds
    for d in devices:
        assert d["lost_bytes"] == d["capacity_bytes"] - d["usable_bytes"]
        assert d["saved_bytes"] == d["dram_bytes_unoptimized"] - d["dram_bytes"]


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_total_is_the_sum_of_the_devices(args: list[str]) -> None:
    doc = _doc(args)
    assert doc["schema_version"] == 2
    _assert_sum(doc)
    for file in doc.get("files", []):  # check: each file's total too
        _assert_sum(file)
    if "files" in doc:
        assert doc["total"]["dram_bytes"] == sum(f["total"]["dram_bytes"] for f in doc["files"])


def test_check_totals_the_whole_run_across_files() -> None:
    """Two files: ``.total.dram_bytes`` is the DRAM of both (v1 had no total across files)."""
    doc = _doc(COMMANDS["check"])
    one, two = doc["files"]
    assert doc["total"]["dram_bytes"] == one["total"]["dram_bytes"] + two["total"]["dram_bytes"]
    assert one["total"]["dram_bytes"] > 0
    assert two["total"]["dram_bytes"] > 0


@pytest.mark.parametrize("command", ["compare", "plan"])
def test_compare_rows_carry_the_cost_keys(command: str) -> None:
    """A row means what a device entry means: the row of the configuration the host runs
    today is that device's estimate, key for key."""
    doc = _doc([command, "--size", "64G", "--current", "devdax/mem/2M", "--json"])
    (now,) = doc["current"]["rows"]
    (alone,) = _doc(["estimate", "--size", "64G", "--align", "2M", "--json"])["devices"]
    assert {k: now[k] for k in SUMMABLE_KEYS} == {k: alone[k] for k in SUMMABLE_KEYS}
    (subject,) = doc["devices"]
    assert {k: subject[k] for k in SUMMABLE_KEYS} == {k: alone[k] for k in SUMMABLE_KEYS}
    assert doc["total"]["dram_bytes"] == alone["dram_bytes"]
    for row in doc["rows"]:
        assert set(SUMMABLE_KEYS) <= set(row)


def test_compare_total_is_null_without_a_current_configuration() -> None:
    doc = _doc(["compare", "--size", "64G", "--json"])
    assert doc["total"]["dram_bytes"] is None
    assert doc["devices"][0]["dram_bytes"] is None


@pytest.mark.parametrize(
    "geometry",
    [
        ["--size", "1T", "--align", "2M"],
        ["--size", "256G", "--mode", "fsdax", "--map", "dev"],
        ["--dax-range", "0x2000000000+64G", "--align", "1G"],
        ["--mode", "system-ram", "--size", "64G", "--start", "1T", "--memmap-on-memory", "on"],
    ],
)
def test_a_batch_line_is_the_estimate_document(geometry: list[str]) -> None:
    """Byte for byte, once both are parsed: the line is compact JSON, estimate --json
    indented."""
    alone = run_cli("estimate", *geometry, "--json")
    assert alone.exit_code == 0, alone.output
    batch = run_cli("estimate", "--batch", "-", stdin=" ".join(geometry) + "\n")
    assert batch.exit_code == 0, batch.output
    (line,) = batch.stdout.splitlines()
    assert json.loads(line) == json.loads(alone.stdout)
    compact = json.dumps(json.loads(alone.stdout), separators=(",", ":"))
    assert line == compact
