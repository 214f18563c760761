"""``compare`` and ``plan`` take what ``estimate`` takes and a whole host: a dax range,
several kernels, an ndctl/daxctl dump, /proc/iomem, a config file, one namespace of it;
options that cannot apply are refused (issue 6 item 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.helpers import GiB, MiB, config_of, grid_json
from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
NDCTL = ROOT / "tests" / "data" / "ndctl"
DEVDAX = str(NDCTL / "example_a_list_X_devdax.json")  # namespace0.0, devdax, no map, 2M
IOMEM = str(ROOT / "tests" / "data" / "iomem" / "x86_pmem_cxl.iomem")
HOST = str(ROOT / "examples" / "two-socket-vm-host.toml")
DAX_RANGE = "0x1000000000+64G"
P = 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["compare", "plan"])
def test_dax_range_compares_the_aligns_of_a_dax_device(command: str) -> None:
    doc = grid_json(command, "--dax-range", DAX_RANGE)
    rows = doc["rows"]
    assert [config_of(r) for r in rows] == [("devdax", "mem", a) for a in (4096, 2 * MiB, GiB)]
    one_g = rows[2]
    # 64 GiB at 1 GiB: 64 compounds x 2 kept vmemmap pages; 1 GiB of vmemmap needs 512 PTE
    # tables (2 MiB each) and one PMD table. No altmap: nothing lost, all of it usable.
    assert one_g["dram_bytes"] == (64 * 2 + 512 + 1) * P
    assert (one_g["lost_bytes"], one_g["usable_bytes"]) == (0, 64 * GiB)
    est = json.loads(run("estimate", "--dax-range", DAX_RANGE, "--align", "1G", "--json").stdout)
    assert one_g["dram_bytes"] == est["total"]["dram_bytes"]
    assert doc["input"]["dax_ranges"] == [
        {"start_bytes": 64 * GiB, "end_bytes": 128 * GiB, "as_given": DAX_RANGE}
    ]


def test_plan_of_a_dax_range_prints_no_ndctl_create() -> None:
    doc = grid_json("plan", "--dax-range", DAX_RANGE)
    assert doc["ndctl_command"] is None  # ndctl creates namespaces, not dax ranges
    assert config_of(doc["recommended"]) == ("devdax", "mem", GiB)
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
    doc = grid_json("plan", "--size", "1T", "--kernel", "5.18", "--kernel", "6.12")
    assert doc["input"]["kernels"] == ["5.18", "6.12"]
    assert len(doc["rows"]) == 2 * 2 * 2 * 3
    by = {(r["kernel"], *config_of(r)): r for r in doc["rows"]}
    # 5.18 has no vmemmap deduplication for device-dax (v5.19): 1 TiB of struct pages
    assert by[("5.18", "devdax", "mem", GiB)]["dram_bytes"] > 16 * GiB
    assert doc["recommended"]["kernel"] == "6.12"
    assert (
        "on Linux 6.12"
        in run("plan", "--size", "1T", "--kernel", "5.18", "--kernel", "6.12").stdout
    )


def test_compare_from_ndctl_is_a_host_document() -> None:
    doc = grid_json("compare", "--from-ndctl", DEVDAX)
    assert doc["source"]["kind"] == "ndctl"
    (ns,) = doc["namespaces"]
    assert ns["label"] == "namespace0.0"
    assert ns["device"] == {"name": "namespace0.0", "kind": "namespace", "system_ram": False}
    # the dump: devdax, no "map" (ndctl's default dev), daxregion align 2097152
    cur = ns["current"]
    assert (cur["mode"], cur["map"], cur["align_bytes"]) == ("devdax", "dev", 2 * MiB)
    assert len(ns["rows"]) == 12


def test_compare_from_iomem_takes_its_namespaces() -> None:
    doc = grid_json("compare", "--iomem", IOMEM, "--align", "2M")
    labels = [ns["label"] for ns in doc["namespaces"]]
    # namespace0.1 holds dax0.0, hot-added as System RAM by kmem: /proc/iomem names the device
    assert labels[:2] == ["namespace0.0", "dax0.0"]
    assert all(ns["current"] is None for ns in doc["namespaces"])  # iomem has no modes
    first = doc["namespaces"][0]
    assert first["input"]["start_bytes"] == 0x2080000000
    assert first["input"]["size_bytes"] == 0x307FFFFFFF + 1 - 0x2080000000


def test_namespace_picks_from_a_host() -> None:
    doc = grid_json("plan", "--config", HOST, "--namespace", "pmem1")
    assert [ns["label"] for ns in doc["namespaces"]] == ["pmem1"]
    result = run("plan", "--config", HOST, "--namespace", "pmem9")
    assert result.exit_code == 2
    assert "pmem9" in result.stderr
    assert "pmem0, pmem1" in result.stderr


def test_plan_config_plans_each_namespace_on_its_host() -> None:
    doc = grid_json("plan", "--config", HOST)
    assert [ns["label"] for ns in doc["namespaces"]] == ["pmem0", "pmem1"]
    for ns in doc["namespaces"]:
        assert ns["input"]["size_bytes"] == 3 << 40
        # [namespaces.budgets] dram = "0.01%": 100 parts per million
        assert ns["budgets"]["dram"] == {"bytes": None, "ppm": 100}
        cur = ns["current"]
        assert (cur["mode"], cur["map"], cur["align_bytes"]) == ("devdax", "mem", GiB)
        # what the host runs is the best fit: nothing to change, every delta zero
        assert config_of(ns["recommended"]) == ("devdax", "mem", GiB)
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


def test_a_dump_on_stdin_is_read_once() -> None:
    text = Path(DEVDAX).read_text()
    result = CliRunner().invoke(cli, ["compare", "--from-ndctl", "-", "--json"], input=text)
    assert result.exit_code == 0, result.stderr
    (ns,) = json.loads(result.stdout)["namespaces"]
    assert ns["device"]["name"] == "namespace0.0"
    assert ns["current"]["map"] == "dev"


def test_namespace_keeps_only_its_own_notes() -> None:
    doc = grid_json("compare", "--iomem", IOMEM, "--namespace", "dax0.0")
    assert [ns["label"] for ns in doc["namespaces"]] == ["dax0.0"]
    notes = doc["source"]["inferred"]
    assert notes
    assert all(line.startswith("dax0.0 ") for line in notes)


def test_compare_config_places_and_refuses_as_check_does(tmp_path: Path) -> None:
    """compare --config reads the host check builds (sources/config/host.py): two
    namespaces that overlap are refused, naming the entry, as check refuses them."""
    cfg = tmp_path / "overlap.toml"
    cfg.write_text(
        '[[namespaces]]\nname = "pmem0"\nsize = "16G"\nstart = "64G"\n\n'
        '[[namespaces]]\nname = "pmem1"\nsize = "2G"\nstart = "70G"\n'
    )
    r = CliRunner().invoke(cli, ["compare", "--config", str(cfg)])
    assert r.exit_code == 2, r.output
    (line,) = r.stderr.strip().splitlines()
    assert line == (
        f"vmemplan: error: {cfg}: namespaces[1] (pmem1): 70G+2G overlaps namespaces[0] "
        "(pmem0) at 64G+16G"
    )
