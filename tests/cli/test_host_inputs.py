"""``vmemplan host --config``: the host a config file describes, every kind of entry,
costed by the same accounting as ``check``; each row is the figure ``check`` gives the
same entry, and the total is boot RAM's memmap plus ``check``'s total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import flat_kmems, flat_pgmaps, flat_pools, flat_rows
from vmemplan.cli import cli

DATA = Path(__file__).resolve().parents[1] / "data" / "config"


def _json(*args: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, [*args, "--json"] if args[0] == "host" else list(args))
    assert r.exit_code in (0, 1), r.output
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def _check(path: Path) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["check", str(path), "--format", "json"])
    assert r.exit_code in (0, 1), r.output
    (f,) = json.loads(r.stdout)["files"]
    return dict(f)


EVERY_KIND = """
[host]
system_ram = ["0+64G"]

[[namespaces]]
name = "pmem0"
size = "256G"
mode = "devdax"
align = "1G"

[[namespaces]]
name = "pmem1"
size = "128G"
mode = "fsdax"
map = "dev"

[[namespaces]]
name = "dax1.0"
mode = "devdax"
dax_ranges = ["1T+16G", "1040G+16G"]

[[namespaces]]
name = "cxl0"
mode = "system-ram"
size = "64G"
"""


def test_every_kind_of_a_config_costs_what_check_says(tmp_path: Path) -> None:
    """devdax map=mem, fsdax map=dev, a dax device of two ranges and a kmem device: the
    rows after boot RAM are check's entries in order, figure for figure."""
    path = tmp_path / "host.toml"
    path.write_text(EVERY_KIND)
    rows = flat_rows(_json("host", "--config", str(path)))
    f = _check(path)
    # a dax device of ranges is kind "dax" (a devdax namespace "devdax")
    assert [r["kind"] for r in rows[1:]] == ["devdax", "fsdax", "dax", "system-ram"]
    for row, ns in zip(rows[1:4], flat_pgmaps(f), strict=True):
        assert row["dram_bytes"] == ns["dram_bytes"]
        assert row["lost_bytes"] == ns["lost_bytes"]
    (sr,) = flat_kmems(f)
    assert rows[4]["dram_bytes"] == sr["dram_bytes"]
    assert [r["label"].split(":")[0] for r in rows[1:]] == ["pmem0", "pmem1", "dax1.0", "cxl0"]


def test_pools_on_kmem_devices_cost_what_check_says() -> None:
    path = DATA / "kinds" / "hugetlb-on-kmem.toml"
    d = _json("host", "--config", str(path))
    f = _check(path)
    boot, on0, on1, cxl0, cxl1 = flat_rows(d)
    assert (on0["label"], on1["label"]) == (
        "HugeTLB 1G x 128 on cxl0",
        "HugeTLB 2M x 4,096 on cxl1",
    )
    assert [on0["dram_bytes"], on1["dram_bytes"]] == [p["dram_bytes"] for p in flat_pools(f)]
    assert [cxl0["dram_bytes"], cxl1["dram_bytes"]] == [s["dram_bytes"] for s in flat_kmems(f)]
    assert d["total"]["dram_bytes"] == boot["dram_bytes"] + f["total"]["dram_bytes"]
    # the pools are carved from the devices, not from boot RAM: its row is whole
    assert "carved" not in boot["note"]


def test_config_and_device_options_do_not_mix() -> None:
    r = CliRunner().invoke(
        cli, ["host", "--config", str(DATA / "good" / "host.toml"), "--devdax", "64G"]
    )
    assert r.exit_code == 2
    assert (
        r.stderr.strip()
        == "vmemplan: error: --devdax: not with --config: the file describes the whole host"
    )


def test_a_config_problem_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = DATA / "kinds" / "hugetlb-on-kmem.toml"
    text = bad.read_text().replace('on = "cxl0"', 'on = "nope"')
    (tmp_path / "h.toml").write_text(text)
    r = CliRunner().invoke(cli, ["host", "--config", str(tmp_path / "h.toml")])
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert "h.toml: hugetlb[0].on" in line
    assert "no system-ram namespace named 'nope'" in line


NDCTL = Path(__file__).resolve().parents[1] / "data" / "ndctl"
IOMEM = Path(__file__).resolve().parents[1] / "data" / "iomem"


@pytest.mark.parametrize("mom", ["off", "on"])
def test_a_dump_costs_what_estimate_from_ndctl_says(mom: str) -> None:
    """list_NX_devdax_kmem.json: a devdax namespace and a pmem namespace whose dax device
    kmem onlines; each row is estimate --from-ndctl's figure for that device (the kmem
    one's lost bytes include the 1 GiB stranded at the namespace's head)."""
    dump = str(NDCTL / "list_NX_devdax_kmem.json")
    d = _json("host", "--system-ram", "64G", "--from-ndctl", dump, "--memmap-on-memory", mom)
    e = _json(
        "estimate",
        "--from-ndctl",
        dump,
        "--memmap-on-memory",
        mom,
        "--system-ram",
        "0+64G",
        "--json",
    )
    boot, ns, kmem = flat_rows(d)
    (one,) = flat_pgmaps(e)
    (sr,) = flat_kmems(e)
    assert (ns["dram_bytes"], ns["lost_bytes"]) == (one["dram_bytes"], one["lost_bytes"])
    assert (kmem["dram_bytes"], kmem["lost_bytes"]) == (sr["dram_bytes"], sr["lost_bytes"])
    assert kmem["label"].startswith("dax0.0: System RAM 64G")
    assert d["total"]["dram_bytes"] == boot["dram_bytes"] + e["total"]["dram_bytes"]
    assert any("stranded" in n for n in d["notes"])  # what reading the dump inferred


def test_iomem_gives_boot_ram_and_devices() -> None:
    d = _json("host", "--iomem", str(IOMEM / "x86_pmem_cxl.iomem"))
    kinds = [r["kind"] for r in flat_rows(d)]
    assert kinds[0] == "boot-ram"
    assert "system-ram" in kinds
    assert "devdax" in kinds
    assert d["input"]["boot_ram_bytes"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--memmap-on-memory", "on", "--system-ram", "64G"), "--memmap-on-memory: only with"),
        (
            ("--from-ndctl", str(NDCTL / "list_NX_devdax_kmem.json"), "--devdax", "1G"),
            "--devdax: not with --from-ndctl",
        ),
    ],
)
def test_dump_options_misused_exit_2(args: tuple[str, ...], message: str) -> None:
    r = CliRunner().invoke(cli, ["host", *args])
    assert r.exit_code == 2, r.output
    (line,) = r.stderr.strip().splitlines()
    assert message in line


def test_the_pmem_backed_kmem_device_costs_the_same_in_host_and_compare() -> None:
    """The issue's finding: dax0.0 of list_NX_devdax_kmem.json (a 64 GiB pmem namespace's
    dax device, onlined by kmem) loses the same bytes, the 1 GiB stranded at the head of
    its namespace included, in ``host`` and ``compare --from-ndctl``."""
    dump = str(NDCTL / "list_NX_devdax_kmem.json")
    compared = _json(
        "compare", "--from-ndctl", dump, "--system-ram", "0+64G", "--kernel", "6.12", "--json"
    )
    (dax,) = [s for s in compared["namespaces"] if s["label"] == "dax0.0"]
    for row in dax["system_ram_rows"]:
        mom = row["memmap_on_memory"]
        d = _json("host", "--system-ram", "64G", "--from-ndctl", dump, "--memmap-on-memory", mom)
        (kmem,) = [r for r in flat_rows(d) if r["label"].startswith("dax0.0:")]
        assert (kmem["dram_bytes"], kmem["lost_bytes"]) == (
            row["dram_bytes"],
            row["lost_bytes"],
        )
        # dataoff 0x40200000: the 1 GiB map=dev memmap reservation and the 2M info block
        assert kmem["lost_bytes"] >= row["stranded_bytes"] == 0x40200000
