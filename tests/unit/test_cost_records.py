"""The schema_version 2 cost record (vmemplan/output/cost.py): every device entry and the
total carry the same keys, the identities between them hold, the total is the plain sum
of the devices, and the records agree with the accounting's own figures."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.property.strategies import OneDevice, one_device
from vmemplan.cost import COST_KEYS, KINDS, SUMMABLE_KEYS, total_record
from vmemplan.host.accounting import account
from vmemplan.host.summary import host_devices as host_costs
from vmemplan.output.cost_schema import CostDoc, CostTotalDoc
from vmemplan.sources.config.host import config_file_host


def _config(dev: OneDevice, tmp_path: Path) -> Path:
    pool = ""
    if dev.pool is not None:
        size, count = dev.pool.split(":")
        on = '\non = "d"' if dev.on_device else ""
        pool = f'\n[[hugetlb]]\npage_size = "{size}"\ncount = {count}{on}\n'
    config = tmp_path / "host.toml"
    config.write_text(f'[host]\nkernel = "6.12"\n\n[[namespaces]]\nname = "d"\n{dev.toml}\n{pool}')
    return config


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dev=one_device())
def test_cost_records_of_a_host(dev: OneDevice, tmp_path: Path) -> None:
    conv = config_file_host(str(_config(dev, tmp_path)))
    acc = account(conv.host, prepared=conv.prepared, checked=conv.checked)
    page_size = acc.host.machine.arch.page_size
    devices = host_costs(acc)
    total = total_record(devices)
    for rec in [*devices, total]:
        assert tuple(rec) == COST_KEYS  # the same keys, in the same order, everywhere
        assert rec["lost_bytes"] == rec["capacity_bytes"] - rec["usable_bytes"]
        assert rec["saved_bytes"] == rec["dram_bytes_unoptimized"] - rec["dram_bytes"]
        assert rec["dram_bytes"] == (
            rec["memmap_dram_pages"] * page_size + rec["page_table_bytes"] + rec["direct_map_bytes"]
        )
        assert all(isinstance(rec[k], int) and rec[k] >= 0 for k in SUMMABLE_KEYS), rec
        assert rec["init_ns_low"] <= rec["init_ns_high"]
    for rec in devices:
        assert CostDoc.model_validate(rec).model_dump() == rec
    assert CostTotalDoc.model_validate(total).model_dump() == total
    for key in SUMMABLE_KEYS:
        assert total[key] == sum(d[key] for d in devices), key
    assert total["kind"] == "total"
    assert total["name"] is None
    assert {d["kind"] for d in devices} <= set(KINDS)
    # the records say what the accounting says
    assert total["dram_bytes"] == acc.dram_bytes
    (boot,) = [d for d in devices if d["kind"] == "boot-ram"]
    assert boot["dram_bytes"] == acc.boot.dram_bytes
    # a pool's bytes are its own entry's, not boot RAM's or the device's it is carved from
    assert boot["capacity_bytes"] == acc.boot.capacity_bytes - acc.boot.pool_bytes
    for (_, e), rec in zip(
        acc.pgmaps, [d for d in devices if d["kind"] in ("devdax", "fsdax", "dax")], strict=True
    ):
        assert rec["dram_bytes"] == e.figures.dram_bytes
        assert rec["lost_bytes"] == e.figures.device_bytes
        assert rec["dram_bytes_unoptimized"] == e.baseline.dram_bytes
        if e.layout is not None:
            assert rec["usable_bytes"] == e.layout.usable
    for (_, sr), rec in zip(
        acc.hot_added, [d for d in devices if d["kind"] == "system-ram"], strict=True
    ):
        assert rec["dram_bytes"] == sr.dram_bytes
        assert rec["usable_bytes"] == sr.usable_bytes - sr.pool_bytes
        assert rec["capacity_bytes"] == sr.device_bytes - sr.pool_bytes
    for pa, rec in zip(acc.pools, [d for d in devices if d["kind"] == "hugetlb"], strict=True):
        assert rec["dram_bytes"] == pa.dram_bytes
        assert rec["dram_bytes_unoptimized"] == pa.dram_bytes_unoptimized
        assert rec["lost_bytes"] == 0


def test_total_of_nothing_is_zero() -> None:
    total = total_record([])
    assert tuple(total) == COST_KEYS
    assert all(total[k] == 0 for k in SUMMABLE_KEYS)
    assert total["detail"] == {"devices": dict.fromkeys(KINDS, 0)}
