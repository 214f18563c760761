"""``compare`` and ``plan`` against what the host runs today: each row's delta to the
current configuration, and the commands that reconfigure an existing namespace or dax
device in place (issue 6 item 19)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tests.helpers import GiB, MiB, config_of, flat_pgmaps, grid_json
from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
NDCTL = ROOT / "tests" / "data" / "ndctl"
DEVDAX = str(NDCTL / "example_a_list_X_devdax.json")  # namespace0.0, devdax, no map, 2M
SYSTEM_RAM = str(NDCTL / "daxctl_list_cxl_system_ram.json")  # dax0.0 in system-ram mode


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_each_row_has_its_delta_against_today() -> None:
    (ns,) = grid_json("compare", "--from-ndctl", DEVDAX)["namespaces"]
    (now,) = ns["current"]["rows"]
    for row in ns["rows"]:
        for key in ("dram_bytes", "lost_bytes", "usable_bytes", "init_ns_high"):
            assert row["delta"][key] == row[key] - now[key]
    same = next(r for r in ns["rows"] if config_of(r) == ("devdax", "dev", 2 * MiB))
    assert {k: v for k, v in same.items() if k != "delta"} == now
    assert set(same["delta"].values()) == {0}


def test_current_agrees_with_estimate_of_the_dump() -> None:
    (ns,) = grid_json("compare", "--from-ndctl", DEVDAX)["namespaces"]
    machine = json.loads(run("estimate", "--from-ndctl", DEVDAX, "--json").stdout)
    (est,) = flat_pgmaps(machine)
    (now,) = ns["current"]["rows"]
    assert (now["dram_bytes"], now["lost_bytes"]) == (est["dram_bytes"], est["lost_bytes"])
    assert now["usable_bytes"] == est["namespace"]["usable_bytes"]
    # what the host runs today is the compare document's device entry and total
    (subject,) = ns["devices"]
    assert subject["dram_bytes"] == now["dram_bytes"] == ns["total"]["dram_bytes"]


def test_current_option_gives_every_kernel_its_delta() -> None:
    doc = grid_json("compare", "--size", "1T", "--current", "fsdax/dev/2M", "--kernel", "6.1",
                 "--kernel", "6.12")  # fmt: skip
    assert [r["kernel"] for r in doc["current"]["rows"]] == ["6.1", "6.12"]
    now = {r["kernel"]: r for r in doc["current"]["rows"]}
    for row in doc["rows"]:
        assert row["delta"]["dram_bytes"] == row["dram_bytes"] - now[row["kernel"]]["dram_bytes"]
    # fsdax map=dev: the struct pages live on the device; 1 TiB / 4 KiB x 64 B = 16 GiB,
    # so moving them to DRAM (devdax/mem/4K, no dedup at 4K) adds about 16 GiB of DRAM
    mem4k = next(
        r for r in doc["rows"] if (r["kernel"], *config_of(r)) == ("6.12", "devdax", "mem", 4096)
    )
    assert 16 * GiB <= mem4k["delta"]["dram_bytes"] < 16 * GiB + 64 * MiB


def test_without_a_current_configuration_there_is_no_delta() -> None:
    doc = grid_json("compare", "--size", "1T")
    assert doc["current"] is None
    assert {r["delta"] is None for r in doc["rows"]} == {True}
    assert "ΔDRAM" not in run("compare", "--size", "1T").stdout


def test_text_shows_today_and_the_deltas() -> None:
    out = run("compare", "--size", "1T", "--current", "fsdax/dev/2M").stdout
    assert "now: fsdax/dev/2M: DRAM" in out
    assert "ΔDRAM" in out


def test_plan_prints_reconfigure_for_an_existing_namespace() -> None:
    args = ("plan", "--from-ndctl", DEVDAX, "--max-dram", "1%")
    (ns,) = grid_json(*args)["namespaces"]
    rec = ns["recommended"]
    # 1% of 4 GiB is 40.96 MiB: map=mem at 4K (64 MiB of struct pages) fails; of the
    # rest, devdax/mem/2M loses least (16 MiB of memmap, 2 MiB info block/align)
    assert config_of(rec) == ("devdax", "mem", 2 * MiB)
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
    (ns,) = grid_json(*args)["namespaces"]
    assert ns["reconfigure_commands"] == []
    assert "namespace0.0 already runs devdax/dev/2M" in run(*args).stdout


def test_plan_reconfigures_a_system_ram_dax_device_with_daxctl() -> None:
    (ns,) = grid_json("plan", "--from-ndctl", SYSTEM_RAM)["namespaces"]
    assert ns["device"] == {"name": "dax0.0", "kind": "dax", "system_ram": True}
    assert ns["current"] is None  # system-ram is not a devdax configuration
    assert config_of(ns["recommended"]) == ("devdax", "mem", GiB)
    assert ns["reconfigure_commands"] == [
        "daxctl reconfigure-device --mode=devdax --force dax0.0",
        "daxctl disable-device dax0.0",
        "daxctl reconfigure-device --align=1G dax0.0",
        "daxctl enable-device dax0.0",
    ]
