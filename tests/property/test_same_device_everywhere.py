"""The same device costs the same in every command: ``estimate``, a ``--batch`` line,
``check`` (a config of that one device), ``host --config`` (the same file), ``host
--device`` (the same options) and ``compare`` (the one configuration that matches) give it
the same DRAM bytes and lost bytes, and the commands that show them the same usable bytes
and struct pages initialised. All of them are views of one
accounting (vmemplan/host/accounting.py)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from tests.property.strategies import OneDevice, one_device
from vmemplan.cli import cli


def _run(*args: str, stdin: str | None = None) -> dict[str, Any]:
    r = CliRunner().invoke(cli, list(args), input=stdin)
    assert r.exit_code == 0, (args, r.output)
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _figures(entry: dict[str, Any]) -> tuple[int, int, int, int]:
    """(DRAM, lost, usable, struct pages initialised) of a device entry or a row: the
    same cost keys in every document (schema_version 2)."""
    return (
        entry["dram_bytes"],
        entry["lost_bytes"],
        entry["usable_bytes"],
        entry["struct_pages_initialised"],
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dev=one_device())
def test_same_device_same_figures(dev: OneDevice, tmp_path: Path) -> None:
    mom = () if dev.memmap_on_memory is None else ("--memmap-on-memory", dev.memmap_on_memory)
    (one_device,) = _run("estimate", *dev.options, *mom, "--json")["devices"]
    alone = _figures(one_device)
    line = shlex.join((*dev.options, *mom))
    batch = CliRunner().invoke(cli, ["estimate", "--batch", "-"], input=line + "\n")
    assert batch.exit_code == 0, batch.output
    assert json.loads(batch.stdout)["devices"] == [one_device]
    # estimate's boot RAM is 0+64G by default: host's --system-ram 64G
    (boot_row, flags_row) = _run("host", "--system-ram", "64G", "--device", line, "--json")[
        "devices"
    ]
    assert boot_row["kind"] == "boot-ram"
    assert _figures(flags_row) == alone
    config = tmp_path / "host.toml"
    pool = ""
    if dev.pool is not None:
        size, count = dev.pool.split(":")
        on = '\non = "d"' if dev.on_device else ""
        pool = f'\n[[hugetlb]]\npage_size = "{size}"\ncount = {count}{on}\n'
    config.write_text(f'[host]\nkernel = "6.12"\n\n[[namespaces]]\nname = "d"\n{dev.toml}\n{pool}')
    r = CliRunner().invoke(cli, ["check", str(config), "--format", "json"])
    assert r.exit_code == 0, r.output
    (f,) = json.loads(r.stdout)["files"]
    # a pool carved from the device: its vmemmap and its bytes are the pool's entry, the
    # device's entry the rest of its memmap and of its usable memory
    pools = [d for d in f["devices"] if d["kind"] == "hugetlb"]
    carved = pools[0]["dram_bytes_unoptimized"] if dev.on_device else 0
    carved_bytes = pools[0]["capacity_bytes"] if dev.on_device else 0
    expected = (alone[0] - carved, alone[1], alone[2] - carved_bytes, alone[3])
    (entry,) = [d for d in f["devices"] if d["kind"] != "hugetlb"]
    assert _figures(entry) == expected
    hosted = _run("host", "--config", str(config), "--json")
    rows = hosted["devices"]
    row = rows[-1]  # boot RAM, the pool (if any), the device
    assert _figures(row) == expected
    assert hosted["total"]["dram_bytes"] == sum(x["dram_bytes"] for x in rows)
    assert hosted["total"]["dram_bytes"] == rows[0]["dram_bytes"] + f["total"]["dram_bytes"]
    if dev.pool is not None:
        # the pool's entry is the same in host, check and hugetlb, and never negative
        (pool_row,) = [x for x in rows if x["kind"] == "hugetlb"]
        (pool_entry,) = pools
        assert pool_row["dram_bytes"] == pool_entry["dram_bytes"] >= 0
        self_hosted = dev.on_device and dev.memmap_on_memory == "on"
        hot = ("--memmap-on-memory",) if self_hosted else ()
        (one,) = _run("hugetlb", "--hugetlb", dev.pool, *hot, "--json")["devices"]
        assert pool_row["dram_bytes"] == one["dram_bytes"]
    compared = _run("compare", *dev.options, "--kernel", "6.12", "--json")
    rows = compared["rows"]
    if dev.memmap_on_memory is not None:  # compare shows memmap_on_memory off and on
        rows = compared["system_ram_rows"]
        rows = [x for x in rows if x["memmap_on_memory"] == dev.memmap_on_memory]
    (c,) = rows
    assert (c["dram_bytes"], c["lost_bytes"], c["usable_bytes"]) == alone[:3]
    assert c["struct_pages_initialised"] == alone[3]
