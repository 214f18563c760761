"""Issue 6 items 18 and 19: compare and plan take what estimate takes, a whole host, and
say how each configuration differs from what the host runs today."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import GiB, MiB
from vmemplan.cli import cli
from vmemplan.output.schema import CompareDoc, HostCompareDoc, HostPlanDoc, PlanDoc

ROOT = Path(__file__).resolve().parents[2]
NDCTL = ROOT / "tests" / "data" / "ndctl"
DEVDAX = str(NDCTL / "example_a_list_X_devdax.json")  # namespace0.0, devdax, no map, 2M
SYSTEM_RAM = str(NDCTL / "daxctl_list_cxl_system_ram.json")  # dax0.0 in system-ram mode
IOMEM = str(ROOT / "tests" / "data" / "iomem" / "x86_pmem_cxl.iomem")
HOST = str(ROOT / "examples" / "two-socket-vm-host.toml")
DAX_RANGE = "0x1000000000+64G"
P = 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def doc_of(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    host = "namespaces" in doc
    plan = "budgets" in (doc["namespaces"][0] if host else doc)
    model = {(True, True): HostPlanDoc, (True, False): HostCompareDoc}.get(
        (host, plan), PlanDoc if plan else CompareDoc
    )
    model.model_validate(doc)
    return doc


def config(row: dict[str, Any]) -> tuple[str, str, int]:
    return row["mode"], row["map"], row["align_bytes"]


# Item 18: --dax-range, --kernel repeated, --from-ndctl, --iomem, --config.
@pytest.mark.parametrize("command", ["compare", "plan"])
def test_dax_range_compares_the_aligns_of_a_dax_device(command: str) -> None:
    doc = doc_of(command, "--dax-range", DAX_RANGE)
    rows = doc["rows"]
    assert [config(r) for r in rows] == [("devdax", "mem", a) for a in (4096, 2 * MiB, GiB)]
    one_g = rows[2]
    # 64 GiB at 1 GiB: 64 compounds x 2 kept vmemmap pages; 1 GiB of vmemmap needs 512 PTE
    # tables (2 MiB each) and one PMD table. No altmap: nothing lost, all of it usable.
    assert one_g["dram_bytes"] == (64 * 2 + 512 + 1) * P
    assert (one_g["device_bytes"], one_g["usable_bytes"]) == (0, 64 * GiB)
    est = json.loads(run("estimate", "--dax-range", DAX_RANGE, "--align", "1G", "--json").stdout)
    assert one_g["dram_bytes"] == est["dram_bytes"]
    assert doc["input"]["dax_ranges"] == [
        {"start_bytes": 64 * GiB, "end_bytes": 128 * GiB, "as_given": DAX_RANGE}
    ]


def test_plan_of_a_dax_range_prints_no_ndctl_create() -> None:
    doc = doc_of("plan", "--dax-range", DAX_RANGE)
    assert doc["ndctl_command"] is None  # ndctl creates namespaces, not dax ranges
    assert config(doc["recommended"]) == ("devdax", "mem", GiB)
    assert "recommended: devdax/mem/1G" in run("plan", "--dax-range", DAX_RANGE).stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--mode", "fsdax"), "--mode"),
        (("--map", "dev"), "--map"),
        (("--size", "1T"), "--dax-range"),
    ],
)
def test_dax_range_refuses_what_a_dax_device_cannot_be(args: tuple[str, ...], option: str) -> None:
    result = run("compare", "--dax-range", DAX_RANGE, *args)
    assert result.exit_code == 2
    assert "No such option" not in result.stderr  # refused by vmemplan, not unknown to click
    assert len(result.stderr.strip().splitlines()) == 1
    assert option in result.stderr


def test_plan_takes_several_kernels() -> None:
    doc = doc_of("plan", "--size", "1T", "--kernel", "5.18", "--kernel", "6.12")
    assert doc["input"]["kernels"] == ["5.18", "6.12"]
    assert len(doc["rows"]) == 2 * 2 * 2 * 3
    by = {(r["kernel"], *config(r)): r for r in doc["rows"]}
    # 5.18 has no vmemmap deduplication for device-dax (v5.19): 1 TiB of struct pages
    assert by[("5.18", "devdax", "mem", GiB)]["dram_bytes"] > 16 * GiB
    assert doc["recommended"]["kernel"] == "6.12"
    assert (
        "on Linux 6.12"
        in run("plan", "--size", "1T", "--kernel", "5.18", "--kernel", "6.12").stdout
    )


def test_compare_from_ndctl_is_a_host_document() -> None:
    doc = doc_of("compare", "--from-ndctl", DEVDAX)
    assert doc["source"]["kind"] == "ndctl"
    (ns,) = doc["namespaces"]
    assert ns["label"] == "namespace0.0"
    assert ns["device"] == {"name": "namespace0.0", "kind": "namespace", "system_ram": False}
    # the dump: devdax, no "map" (ndctl's default dev), daxregion align 2097152
    cur = ns["current"]
    assert (cur["mode"], cur["map"], cur["align_bytes"]) == ("devdax", "dev", 2 * MiB)
    assert len(ns["rows"]) == 12


def test_compare_from_iomem_takes_its_namespaces() -> None:
    doc = doc_of("compare", "--iomem", IOMEM, "--align", "2M")
    labels = [ns["label"] for ns in doc["namespaces"]]
    # namespace0.1 holds dax0.0, hot-added as System RAM by kmem: /proc/iomem names the device
    assert labels[:2] == ["namespace0.0", "dax0.0"]
    assert all(ns["current"] is None for ns in doc["namespaces"])  # iomem has no modes
    first = doc["namespaces"][0]
    assert first["input"]["start_bytes"] == 0x2080000000
    assert first["input"]["size_bytes"] == 0x307FFFFFFF + 1 - 0x2080000000


def test_namespace_picks_from_a_host() -> None:
    doc = doc_of("plan", "--config", HOST, "--namespace", "pmem1")
    assert [ns["label"] for ns in doc["namespaces"]] == ["pmem1"]
    result = run("plan", "--config", HOST, "--namespace", "pmem9")
    assert result.exit_code == 2
    assert "pmem9" in result.stderr
    assert "pmem0, pmem1" in result.stderr


def test_plan_config_plans_each_namespace_on_its_host() -> None:
    doc = doc_of("plan", "--config", HOST)
    assert [ns["label"] for ns in doc["namespaces"]] == ["pmem0", "pmem1"]
    for ns in doc["namespaces"]:
        assert ns["input"]["size_bytes"] == 3 << 40
        # [namespaces.budgets] dram = "0.01%": 100 parts per million
        assert ns["budgets"]["dram"] == {"bytes": None, "ppm": 100}
        cur = ns["current"]
        assert (cur["mode"], cur["map"], cur["align_bytes"]) == ("devdax", "mem", GiB)
        # what the host runs is the best fit: nothing to change, every delta zero
        assert config(ns["recommended"]) == ("devdax", "mem", GiB)
        assert set(ns["recommended"]["delta"].values()) == {0}
    # [host] system_ram of the file, not vmemplan's default 0+64G
    assert len(doc["namespaces"][0]["input"]["system_ram"]) == 3
    assert any("[budgets] totals" in line for line in doc["source"]["inferred"])
    assert "[budgets] totals" in run("plan", "--config", HOST).stdout


def test_cli_budgets_override_a_configs_budgets() -> None:
    result = run("plan", "--config", HOST, "--max-dram", "100K", "--json")
    assert result.exit_code == 1  # no configuration of 3 TiB keeps its DRAM under 100 KiB
    doc = json.loads(result.stdout)
    assert doc["namespaces"][0]["budgets"]["dram"] == {"bytes": 100 << 10, "ppm": None}


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("compare", "--config", HOST, "--arch", "arm64-4k"), "--arch"),
        (("compare", "--config", HOST, "--kernel", "6.1"), "--kernel"),
        (("compare", "--config", HOST, "--size", "1T"), "--size"),
        (("compare", "--from-ndctl", DEVDAX, "--size", "1T"), "--size"),
        (("compare", "--from-ndctl", DEVDAX, "--current", "fsdax/dev/2M"), "--current"),
        (("compare", "--size", "1T", "--namespace", "namespace0.0"), "--namespace"),
        (("plan", "--usable", "1T", "--from-ndctl", DEVDAX), "--from-ndctl"),
        (("plan", "--usable", "1T", "--dax-range", DAX_RANGE), "--dax-range"),
        (("plan", "--usable", "1T", "--kernel", "6.1", "--kernel", "6.12"), "--kernel"),
        (("compare", "--size", "1T", "--current", "fsdax/2M"), "--current"),
        (("compare", "--size", "1T", "--current", "fsdax/dev/3M"), "--current"),
        (("compare", "--config", str(ROOT / "tests/data/config/bad/bad_size.toml")), "--config"),
    ],
)
def test_options_that_cannot_apply_are_refused(args: tuple[str, ...], option: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"error: {option}" in result.stderr
    assert "No such option" not in result.stderr  # refused by vmemplan, not unknown to click


# Item 19: current vs proposed.
def test_each_row_has_its_delta_against_today() -> None:
    (ns,) = doc_of("compare", "--from-ndctl", DEVDAX)["namespaces"]
    (now,) = ns["current"]["rows"]
    for row in ns["rows"]:
        for key in ("dram_bytes", "device_bytes", "usable_bytes", "time_ns_high"):
            assert row["delta"][key] == row[key] - now[key]
    same = next(r for r in ns["rows"] if config(r) == ("devdax", "dev", 2 * MiB))
    assert {k: v for k, v in same.items() if k != "delta"} == now
    assert set(same["delta"].values()) == {0}


def test_current_agrees_with_estimate_of_the_dump() -> None:
    (ns,) = doc_of("compare", "--from-ndctl", DEVDAX)["namespaces"]
    machine = json.loads(run("estimate", "--from-ndctl", DEVDAX, "--json").stdout)
    (est,) = machine["namespaces"]
    (now,) = ns["current"]["rows"]
    assert (now["dram_bytes"], now["device_bytes"]) == (est["dram_bytes"], est["device_bytes"])
    assert now["usable_bytes"] == est["namespace"]["usable_bytes"]


def test_current_option_gives_every_kernel_its_delta() -> None:
    doc = doc_of("compare", "--size", "1T", "--current", "fsdax/dev/2M", "--kernel", "6.1",
                 "--kernel", "6.12")  # fmt: skip
    assert [r["kernel"] for r in doc["current"]["rows"]] == ["6.1", "6.12"]
    now = {r["kernel"]: r for r in doc["current"]["rows"]}
    for row in doc["rows"]:
        assert row["delta"]["dram_bytes"] == row["dram_bytes"] - now[row["kernel"]]["dram_bytes"]
    # fsdax map=dev: the struct pages live on the device; 1 TiB / 4 KiB x 64 B = 16 GiB,
    # so moving them to DRAM (devdax/mem/4K, no dedup at 4K) adds about 16 GiB of DRAM
    mem4k = next(
        r for r in doc["rows"] if (r["kernel"], *config(r)) == ("6.12", "devdax", "mem", 4096)
    )
    assert 16 * GiB <= mem4k["delta"]["dram_bytes"] < 16 * GiB + 64 * MiB


def test_without_a_current_configuration_there_is_no_delta() -> None:
    doc = doc_of("compare", "--size", "1T")
    assert doc["current"] is None
    assert {r["delta"] is None for r in doc["rows"]} == {True}
    assert "ΔDRAM" not in run("compare", "--size", "1T").stdout


def test_text_shows_today_and_the_deltas() -> None:
    out = run("compare", "--size", "1T", "--current", "fsdax/dev/2M").stdout
    assert "now: fsdax/dev/2M: DRAM" in out
    assert "ΔDRAM" in out


def test_plan_prints_reconfigure_for_an_existing_namespace() -> None:
    args = ("plan", "--from-ndctl", DEVDAX, "--max-dram", "1%")
    (ns,) = doc_of(*args)["namespaces"]
    rec = ns["recommended"]
    # 1% of 4 GiB is 40.96 MiB: map=mem at 4K (64 MiB of struct pages) fails; of the
    # rest, devdax/mem/2M loses least (16 MiB of memmap, 2 MiB info block/align)
    assert config(rec) == ("devdax", "mem", 2 * MiB)
    assert ns["reconfigure_commands"] == [
        "ndctl create-namespace -f -e namespace0.0 --mode=devdax --map=mem --align=2M"
    ]
    assert ns["ndctl_command"].startswith("ndctl create-namespace --mode=devdax --map=mem")
    out = run(*args).stdout
    assert "reconfigure namespace0.0 in place" in out
    assert "  ndctl create-namespace -f -e namespace0.0 --mode=devdax --map=mem --align=2M" in out
    assert "recommended: ndctl create-namespace --mode=devdax" in out


def test_plan_of_what_already_runs_needs_no_reconfigure() -> None:
    args = ("plan", "--from-ndctl", DEVDAX, "--mode", "devdax", "--map", "dev", "--align", "2M")
    (ns,) = doc_of(*args)["namespaces"]
    assert ns["reconfigure_commands"] == []
    assert "namespace0.0 already runs devdax/dev/2M" in run(*args).stdout


def test_plan_reconfigures_a_system_ram_dax_device_with_daxctl() -> None:
    (ns,) = doc_of("plan", "--from-ndctl", SYSTEM_RAM)["namespaces"]
    assert ns["device"] == {"name": "dax0.0", "kind": "dax", "system_ram": True}
    assert ns["current"] is None  # system-ram is not a devdax configuration
    assert config(ns["recommended"]) == ("devdax", "mem", GiB)
    assert ns["reconfigure_commands"] == [
        "daxctl reconfigure-device --mode=devdax --force dax0.0",
        "daxctl disable-device dax0.0",
        "daxctl reconfigure-device --align=1G dax0.0",
        "daxctl enable-device dax0.0",
    ]


def test_a_dump_on_stdin_is_read_once() -> None:
    text = Path(DEVDAX).read_text()
    result = CliRunner().invoke(cli, ["compare", "--from-ndctl", "-", "--json"], input=text)
    assert result.exit_code == 0, result.stderr
    (ns,) = json.loads(result.stdout)["namespaces"]
    assert ns["device"]["name"] == "namespace0.0"
    assert ns["current"]["map"] == "dev"


def test_namespace_keeps_only_its_own_notes() -> None:
    doc = doc_of("compare", "--iomem", IOMEM, "--namespace", "dax0.0")
    assert [ns["label"] for ns in doc["namespaces"]] == ["dax0.0"]
    notes = doc["source"]["inferred"]
    assert notes
    assert all(line.startswith("dax0.0 ") for line in notes)
