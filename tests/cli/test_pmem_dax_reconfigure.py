"""``plan``/``compare`` of a dax device in system-ram mode: what the kernel lets a user change.

A pmem namespace's dax device is its static dax region's one device: ``dev_dax_visible()`` in
drivers/dax/bus.c makes its align 0444, so ``daxctl reconfigure-device --align`` cannot change
it, and rebinding it to device_dax reuses the namespace's layout (with map=dev, its altmap).
Its alternatives are the namespace re-created (``ndctl create-namespace -f -e``), priced as that
namespace; ndctl refuses to disable a namespace whose dax device is active as System RAM, so
``daxctl reconfigure-device --mode=devdax`` comes first. A dynamic (hmem/CXL) dax device keeps
the daxctl commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
KMEM_IN_NAMESPACE = str(ROOT / "tests" / "data" / "ndctl" / "list_NX_devdax_kmem.json")
IOMEM = str(ROOT / "tests" / "data" / "iomem" / "x86_pmem_cxl.iomem")
GiB, MiB = 1 << 30, 1 << 20


def subjects(*args: str) -> dict[str, dict[str, Any]]:
    r = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert r.exit_code in (0, 1), r.stderr
    return {ns["label"]: ns for ns in json.loads(r.stdout)["namespaces"]}


def configs(ns: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(r["mode"], r["map"], r["align_bytes"]) for r in ns["rows"]]


def test_pmem_dax_device_is_reconfigured_through_its_namespace() -> None:
    """dax0.0 is namespace0.0's (64G raw, map=dev, align 2M) and system-ram today. 1% of
    64 GiB is 655.36 MiB: devdax/mem/4K (64 GiB / 4K * 64 B = 1 GiB of struct pages) fails;
    of the rest devdax/mem/2M loses least (2 of 8 vmemmap pages per 2M folio: 256 MiB of
    memmap, plus page tables; 2 MiB info block/align). It used to be planned as
    'daxctl reconfigure-device --align=2M dax0.0', which the kernel refuses (align 0444)."""
    ns = subjects("plan", "--from-ndctl", KMEM_IN_NAMESPACE, "--max-dram", "1%")["dax0.0"]
    assert ns["device"] == {"name": "namespace0.0", "kind": "namespace", "system_ram": True}
    assert ns["input"]["size_bytes"] == 64 * GiB  # the namespace, not the 63 GiB dax range
    assert ns["input"]["dax_ranges"] == []
    rec = ns["recommended"]
    assert (rec["mode"], rec["map"], rec["align_bytes"]) == ("devdax", "mem", 2 * MiB)
    assert ns["reconfigure_commands"] == [
        "daxctl reconfigure-device --mode=devdax --force dax0.0",
        "ndctl create-namespace -f -e namespace0.0 --mode=devdax --map=mem --align=2M",
    ]
    assert ns["ndctl_command"] == (
        "ndctl create-namespace --mode=devdax --map=mem --align=2M --size=64G"
    )
    assert not any("daxctl reconfigure-device --align" in c for c in ns["reconfigure_commands"])


def test_its_rows_are_the_namespace_in_devdax_mode_both_maps() -> None:
    """Re-created, the namespace may take map=dev again: six devdax rows, no fsdax (the
    device is used as a dax device; --mode fsdax still asks for those)."""
    ns = subjects("compare", "--from-ndctl", KMEM_IN_NAMESPACE)["dax0.0"]
    aligns = (4096, 2 * MiB, GiB)
    assert configs(ns) == [("devdax", m, a) for m in ("mem", "dev") for a in aligns]
    dev2m = next(r for r in ns["rows"] if (r["map"], r["align_bytes"]) == ("dev", 2 * MiB))
    assert dev2m["lost_bytes"] > GiB - 1  # the altmap reservation rebinding gives back
    fsdax = subjects("compare", "--from-ndctl", KMEM_IN_NAMESPACE, "--mode", "fsdax")["dax0.0"]
    assert {m for m, _, _ in configs(fsdax)} == {"fsdax"}


def test_back_to_what_rebinding_gives_needs_no_ndctl() -> None:
    """With a DRAM budget only map=dev meets (0.001% of 64 GiB is 687 KB; map=dev keeps
    4 KiB), the best is devdax/dev/2M: the namespace's own layout, which rebinding the
    device to device_dax gives without re-creating the namespace."""
    ns = subjects("plan", "--from-ndctl", KMEM_IN_NAMESPACE, "--max-dram", "0.001%")["dax0.0"]
    rec = ns["recommended"]
    assert (rec["mode"], rec["map"], rec["align_bytes"]) == ("devdax", "dev", 2 * MiB)
    assert ns["reconfigure_commands"] == ["daxctl reconfigure-device --mode=devdax --force dax0.0"]


def test_iomem_pmem_and_cxl_kmem_devices_get_their_own_commands() -> None:
    """x86_pmem_cxl.iomem: dax0.0 (kmem) is in namespace0.1 (pmem); dax3.0 (kmem) is in a CXL
    window's Soft Reserved region (dynamic: its align is writable while disabled)."""
    found = subjects("plan", "--iomem", IOMEM, "--max-dram", "1%")
    pmem, cxl = found["dax0.0"], found["dax3.0"]
    assert pmem["device"]["name"] == "namespace0.1"
    assert (
        pmem["reconfigure_commands"][0] == "daxctl reconfigure-device --mode=devdax --force dax0.0"
    )
    assert pmem["reconfigure_commands"][-1].startswith("ndctl create-namespace -f -e namespace0.1 ")
    assert cxl["device"] == {"name": "dax3.0", "kind": "dax", "system_ram": True}
    assert "daxctl reconfigure-device --align=1G dax3.0" in cxl["reconfigure_commands"]


def test_compare_titles_todays_system_ram_with_the_size_its_rows_cost() -> None:
    """The System RAM rows are dax0.0 as kmem onlines it today, costed over its namespace
    (the stranded head 0x40200000 counted as lost): usable + lost = 64 GiB on every row. The
    title says that size, from the rows, and 'what it is today' (not 'same ... no namespace
    info block', which is for a new range)."""
    args = ["compare", "--from-ndctl", KMEM_IN_NAMESPACE, "--namespace", "dax0.0"]
    (ns,) = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)["namespaces"]
    sizes = {r["capacity_bytes"] for r in ns["system_ram_rows"]}
    assert sizes == {64 * GiB}
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    assert "64.00 GiB as System RAM (dax kmem), what it is today" in r.stdout
    assert "no namespace info block" not in r.stdout
