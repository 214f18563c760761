"""``host --device``: a device is spelled as ``estimate`` takes one, and costs in ``host``
what ``estimate`` says it costs on the same machine (one spelling, one accounting).

Every device below is given a --start (or a --dax-range) above 512 GiB of boot RAM, so the
estimate of the same options on ``--system-ram 0+512G`` describes the same machine; the
host's other devices sit in their own 1 GiB slots, so they share no page-table page with
the one compared.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import run_cli, run_json
from vmemplan.cost import SUMMABLE_KEYS

RAM = "512G"
COST_KEYS = SUMMABLE_KEYS


def _host_rows(*devices: str) -> list[dict[str, Any]]:
    args = [a for d in devices for a in ("--device", d)]
    doc = run_json("host", "--system-ram", RAM, *args)
    return [row for row in doc["devices"] if row["kind"] != "boot-ram"]


@pytest.mark.parametrize(
    "device",
    [
        "--size 1T --align 1G --start 1T",
        "--size 1T --align 1G --map dev --start 1T",
        "--size 256G --mode fsdax --start 1T",
        "--size 64G --align 4K --start 1T",
        "--dax-range 0x10000000000+64G --align 1G",
        "--size 64G --mode system-ram --start 1T --memmap-on-memory on",
        "--size 64G --mode system-ram --start 1T",
        "--size 64G --mode system-ram --map dev --start 1T",
    ],
)
def test_a_device_costs_in_host_what_estimate_says(device: str) -> None:
    """Each kind: devdax (map=mem/dev, 4K: no compound pages), fsdax, a dax range, a kmem
    device with memmap_on_memory on and off, a pmem namespace reconfigured to system-ram."""
    est = run_json("estimate", *device.split(), "--system-ram", f"0+{RAM}")
    (row,) = _host_rows(device)
    (expected,) = est["devices"]
    for key in COST_KEYS:
        assert row[key] == expected[key], key
    assert row["dram_bytes"] > 0


def test_flags_and_json_object_spell_the_same_device() -> None:
    flags = _host_rows("--size 512G --align 1G --map dev")
    obj = _host_rows('{"size": "512G", "align": "1G", "map": "dev"}')
    assert [r["dram_bytes"] for r in flags] == [r["dram_bytes"] for r in obj]
    assert flags[0]["memmap_device_pages"] > 0


def test_the_first_spellings_are_the_same_devices() -> None:
    """--devdax 512G:1G and --kmem 2T:on are --device '--size 512G --align 1G' and
    --device '--size 2T --mode system-ram --memmap-on-memory on', placed alike."""
    old = run_json("host", "--system-ram", RAM, "--devdax", "512G:1G", "--kmem", "2T:on")
    new = run_json(
        "host",
        "--system-ram",
        RAM,
        "--device",
        "--size 512G --align 1G",
        "--device",
        "--size 2T --mode system-ram --memmap-on-memory on",
    )
    assert [d["name"] for d in new["devices"][1:]] == ["--device #1", "--device #2"]
    assert old["total"] == new["total"]
    for o, n in zip(old["devices"], new["devices"], strict=True):
        assert {k: o[k] for k in COST_KEYS} == {k: n[k] for k in COST_KEYS}


def test_devices_without_a_start_are_placed_one_after_another() -> None:
    """Two 512 GiB devices with no start: [512G, 1T) and [1T, 1.5T), no overlap refused."""
    rows = _host_rows("--size 512G --align 1G", "--size 512G --align 1G")
    assert len(rows) == 2
    assert rows[0]["dram_bytes"] == rows[1]["dram_bytes"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--device", "--kernel 6.1 --size 1T"), "--device #1: --kernel describes the machine"),
        (("--device", "--size 1X"), "--device #1: --size: '1X': unknown suffix"),
        (("--device", "--align 1G"), "--device #1: --size missing"),
        (
            ("--device", "--size 1T --memmap-on-memory on"),
            "--device #1: --memmap-on-memory: only with --mode system-ram",
        ),
        (("--device", '{"size": 5'), "--device #1: not a JSON object"),
        (("--device", "--size 1T", "--device", "--bogus 1"), "--device #2"),
        (("--device", "--size 1T", "--config", "x.toml"), "--device: not with --config"),
    ],
)
def test_bad_device_is_one_line_naming_it(args: tuple[str, ...], expected: str) -> None:
    result = run_cli("host", "--system-ram", RAM, *args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
