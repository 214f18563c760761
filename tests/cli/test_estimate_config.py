"""``estimate --config FILE``: the devices of a host config file, costed by the one
accounting on the file's [host], as ``check`` and ``host --config`` cost them."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli, run_json

CONFIGS = (
    "examples/two-socket-vm-host.toml",
    "examples/cxl-expander.toml",
    "examples/database-host.yaml",
)


@pytest.mark.parametrize("path", CONFIGS)
def test_estimate_config_costs_each_device_as_check_does(path: str) -> None:
    est = run_json("estimate", "--config", path)
    (file_doc,) = run_json("check", path)["files"]
    assert est["source"]["kind"] == "config"
    assert est["total"]["dram_bytes"] > 0
    assert [d["name"] for d in est["devices"]] == [d["name"] for d in file_doc["devices"]]
    for mine, checked in zip(est["devices"], file_doc["devices"], strict=True):
        for key in ("dram_bytes", "lost_bytes", "usable_bytes", "struct_pages_initialised"):
            assert mine[key] == checked[key], (mine["name"], key)
    assert est["total"]["dram_bytes"] == file_doc["total"]["dram_bytes"]


def test_estimate_config_refuses_other_options() -> None:
    result = run_cli("estimate", "--config", CONFIGS[0], "--kernel", "6.1")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "vmemplan: error: --kernel: not with --config: the file describes the whole host\n"
    )


def test_estimate_config_with_pools_points_to_host() -> None:
    result = run_cli("estimate", "--config", "examples/kmem-hugetlb-host.toml")
    assert result.exit_code == 2
    assert "has HugeTLB pools" in result.stderr
    assert "vmemplan host --config" in result.stderr


def test_estimate_config_is_refused_in_batch() -> None:
    result = run_cli("estimate", "--batch", "-", "--config", CONFIGS[0], stdin="--size 1T\n")
    assert result.exit_code == 2
    assert "--config: not with --batch" in result.stderr
