"""Issue 6 items 5 and 6: what /proc/iomem says (CXL windows, Soft Reserved, dax devices,
kmem System RAM), placement that must fit, and --align/--map/--mode over an ndctl dump.

Expected figures are worked out by hand from nd_pfn_init() (drivers/nvdimm/pfn_devs.c):
map=dev dataoff = ALIGN(8K + 64 * npfns, align) with npfns = (size - 8K) / 4K; map=mem
dataoff = ALIGN(8K, align); usable = size - dataoff - end_trunc.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import GiB, MiB
from vmemplan.cli import cli
from vmemplan.output.schema import MachineDoc

DATA = Path(__file__).resolve().parents[1] / "data"
CXL = str(DATA / "iomem" / "cxl_kmem_window.iomem")
HMEM = str(DATA / "iomem" / "hmem_soft_reserved.iomem")
X86 = str(DATA / "iomem" / "x86_pmem_cxl.iomem")
BUSES = str(DATA / "ndctl" / "list_BN_buses.json")
SYSRAM = str(DATA / "ndctl" / "daxctl_list_cxl_system_ram.json")


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def machine(*args: str, stdin: str | None = None) -> dict[str, Any]:
    result = run("estimate", *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    MachineDoc.model_validate(doc)
    return doc


def by_label(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["input"]["label"]: n for n in doc["namespaces"]}


def found(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for f in doc["source"]["found"]}


def refused(*args: str, stdin: str | None = None) -> str:
    result = run("estimate", *args, stdin=stdin)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


# -- item 5: /proc/iomem ------------------------------------------------------------------


def test_cxl_window_kmem_child_is_system_ram() -> None:
    doc = machine("--iomem", CXL)
    (ns,) = doc["namespaces"]
    assert ns["input"]["label"] == "dax0.0"
    # the kmem range, 258G..322G, without compound pages: one 64-byte struct page per 4K
    assert ns["pgmap"]["ranges"] == [{"start_bytes": 258 * GiB, "end_bytes": 322 * GiB}]
    assert ns["input"]["align_bytes"] == 4096
    assert ns["struct_pages"] == 64 * GiB // 4096
    assert ns["memmap"]["dram_pages"] == 64 * GiB // 4096 * 64 // 4096
    assert ns["memmap"]["device_pages"] == 0
    f = found(doc)
    assert f["dax0.0"]["kind"] == "system-ram"
    assert f["dax0.0"]["location"] == "line 23"
    assert f["CXL Window 1"]["kind"] == "unclaimed"
    assert f["CXL Window 1"]["estimated"] is False
    notes = doc["source"]["inferred"]
    assert any(
        n.startswith("dax0.0 (line 23, in CXL Window 0 > region0): system-ram") for n in notes
    )
    assert any("CXL Window 1 6080000000-807fffffff (line 25)" in n for n in notes)


def test_system_ram_inside_a_cxl_window_is_boot_ram() -> None:
    """CXL Window 2 holds firmware-onlined System RAM: boot RAM, not a device."""
    ram = machine("--iomem", CXL)["namespaces"][0]["input"]["system_ram"]
    assert {"start_bytes": 0x8080000000, "end_bytes": 0x9080000000} in ram
    assert {"start_bytes": 4 * GiB, "end_bytes": 258 * GiB} in ram


def test_soft_reserved_dax_children() -> None:
    doc = machine("--iomem", HMEM)
    nss = by_label(doc)
    assert list(nss) == ["dax1.0", "dax2.0", "namespace0.0", "namespace0.1"]
    # dax1.0: device-dax [66G, 130G) at the default 2M align, 32768 compound pages
    dax1 = nss["dax1.0"]
    assert dax1["input"]["dax_ranges"] == [{"start_bytes": 66 * GiB, "end_bytes": 130 * GiB}]
    assert dax1["input"]["map"] is None
    assert dax1["pgmap"]["compound_pages"] == 64 * GiB // (2 * MiB)
    # dax2.0: kmem System RAM, no compound pages
    assert nss["dax2.0"]["input"]["align_bytes"] == 4096
    assert nss["dax2.0"]["pgmap"]["compound_pages"] == 64 * GiB // 4096
    f = found(doc)
    assert [f[k]["kind"] for k in ("dax1.0", "dax2.0", "namespace0.0", "dax0.1")] == [
        "devdax",
        "system-ram",
        "pmem",
        "devdax",
    ]
    assert f["Soft Reserved"]["ranges"] == [
        {"start_bytes": 0x3080000000, "end_bytes": 0x3480000000}
    ]
    assert f["Soft Reserved"]["estimated"] is False


def test_pmem_dax_start_gives_map_and_align() -> None:
    """dax0.1 starts 0x40200000 (1026M) into the 64G namespace0.1: map=dev at 2M align gives
    npfns = (64G - 8K) / 4K = 16,777,214, dataoff = ALIGN(8K + 64 * npfns, 2M) = 1G + 2M;
    map=mem would give 2M."""
    ns = by_label(machine("--iomem", HMEM))["namespace0.1"]
    assert ns["input"]["map"] == "dev"
    assert ns["input"]["mode"] == "devdax"
    assert ns["namespace"]["dataoff_bytes"] == 1026 * MiB
    # typed --map mem wins, with a note that /proc/iomem disagrees
    doc = machine("--iomem", HMEM, "--map", "mem")
    assert by_label(doc)["namespace0.1"]["namespace"]["dataoff_bytes"] == 2 * MiB
    assert any("disagree" in n for n in doc["source"]["inferred"])


def test_kmem_under_a_pmem_namespace_is_system_ram() -> None:
    doc = machine("--iomem", X86)
    nss = by_label(doc)
    assert list(nss) == ["namespace0.0", "dax0.0", "namespace1.0", "dax3.0"]
    assert nss["dax0.0"]["pgmap"]["ranges"] == [
        {"start_bytes": 0x30C8000000, "end_bytes": 0x4080000000}
    ]
    assert found(doc)["dax0.0"]["kind"] == "system-ram"


def test_ndctl_namespace_overrunning_its_iomem_range_is_refused() -> None:
    """namespace0.0 of list_BN_buses.json is 128G raw; /proc/iomem's namespace0.0 is 64G."""
    err = refused("--iomem", X86, "--from-ndctl", BUSES)
    assert "--from-ndctl: namespace0.0: raw size 128G at 0x2080000000 does not fit" in err
    assert "2080000000-307fffffff 'namespace0.0' (line 28" in err


def test_packed_namespace_overrunning_the_pmem_range_is_refused() -> None:
    """namespace5.0 is not in /proc/iomem: packed into the 128G Persistent Memory range of
    hmem_soft_reserved.iomem, 130G of usable space cannot fit."""
    dump = json.dumps([{"dev": "namespace5.0", "mode": "fsdax", "map": "mem", "size": 130 * GiB}])
    err = refused("--iomem", HMEM, "--from-ndctl", "-", stdin=dump)
    assert "namespace5.0: raw size" in err
    assert "does not fit its Persistent Memory range 3480000000-547fffffff" in err


def test_packed_namespace_that_fits_is_placed_in_the_pmem_range() -> None:
    dump = json.dumps([{"dev": "namespace5.0", "mode": "fsdax", "map": "mem", "size": 1022 * MiB}])
    doc = machine("--iomem", HMEM, "--from-ndctl", "-", stdin=dump)
    (ns,) = doc["namespaces"]
    assert ns["input"]["start_bytes"] == 0x3480000000
    # map=mem, 2M align: raw 1G gives 1G - 2M = 1022M exactly
    assert ns["namespace"]["size_bytes"] == GiB


def test_start_is_refused_with_iomem_alone() -> None:
    assert "--start: 1T: not with --iomem" in refused("--iomem", X86, "--start", "1T")


# -- item 6: the command line wins over an ndctl dump -------------------------------------


def test_align_override_wins_and_is_noted() -> None:
    """namespace0.0: usable 135,289,372,672 = 128G - (2G + 2M), map=dev at the dump's 2M: raw
    128G. With --align 1G the same 128G namespace has dataoff ALIGN(8K + 2G - 128, 1G) = 3G."""
    doc = machine("--from-ndctl", BUSES, "--align", "1G")
    ns = by_label(doc)["namespace0.0"]
    assert ns["namespace"]["size_bytes"] == 128 * GiB
    assert ns["input"]["align_bytes"] == GiB
    assert ns["namespace"]["dataoff_bytes"] == 3 * GiB
    f = found(doc)
    assert f["namespace0.0"]["overridden"] == ["align"]
    assert (
        "namespace0.0 ([0].namespaces[0]): --align 1G overrides the dump's align 2M"
        in (doc["source"]["inferred"])
    )
    # namespace2.0 has no align in the dump: nothing overridden, and 1G is now its align
    assert f["namespace2.0"]["overridden"] == []
    assert f["namespace2.0"]["inferred_raw_bytes"] == 17 * GiB
    assert f["namespace2.0"]["usable_matches"] is True


def test_map_and_mode_overrides() -> None:
    doc = machine("--from-ndctl", BUSES, "--map", "mem", "--mode", "devdax")
    ns = by_label(doc)["namespace0.0"]
    assert ns["namespace"]["size_bytes"] == 128 * GiB  # inferred under the dump's map=dev
    assert (ns["input"]["map"], ns["input"]["mode"]) == ("mem", "devdax")
    assert ns["namespace"]["dataoff_bytes"] == 2 * MiB
    f = found(doc)
    assert f["namespace0.0"]["overridden"] == ["map", "mode"]
    assert f["namespace1.0"]["overridden"] == ["map"]  # already devdax
    assert f["namespace2.0"]["overridden"] == ["mode"]  # already map=mem
    notes = " ".join(doc["source"]["inferred"])
    assert "--map mem overrides the dump's map dev" in notes
    assert "--mode devdax overrides the dump's mode fsdax" in notes


def test_defaults_do_not_override_the_dump() -> None:
    doc = machine("--from-ndctl", BUSES)
    assert by_label(doc)["namespace0.0"]["input"]["map"] == "dev"  # the dump's, not mem
    assert all(f["overridden"] == [] for f in doc["source"]["found"])


def test_usable_size_mismatch_is_flagged() -> None:
    """namespace2.0: fsdax map=mem, no align (2M assumed), usable 16G. Raw sizes step by 16M
    and map=mem at 2M takes dataoff 2M, so usable is 14M mod 16M: the nearest raw, 16400M,
    gives 16G + 14M. At 1G align, dataoff is 1G and raw 17G gives exactly 16G."""
    doc = machine("--from-ndctl", BUSES)
    f = found(doc)["namespace2.0"]
    assert f["dump_size_bytes"] == 16 * GiB
    assert f["inferred_raw_bytes"] == 16400 * MiB
    assert f["inferred_usable_bytes"] == 16 * GiB + 14 * MiB
    assert f["usable_matches"] is False
    assert found(doc)["namespace0.0"]["usable_matches"] is True
    (note,) = [n for n in doc["source"]["inferred"] if "usable size mismatch" in n]
    assert "--align 1G (raw 17G) would give it exactly" in note


def test_help_says_the_command_line_wins() -> None:
    out = run("estimate", "--help").stdout
    assert "override the dump's values" in " ".join(out.split())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--align", "1G"), "--align: 1G: dax0.0 is system-ram (kmem)"),
        (("--map", "dev"), "--map: dev: dax0.0 is a dax device"),
        (("--mode", "fsdax"), "--mode: fsdax: dax0.0 is a dax device"),
        (("--vmemmap-shift", "9"), "--vmemmap-shift: not with --from-ndctl"),
    ],
)
def test_options_a_daxctl_device_cannot_take_are_refused(
    args: tuple[str, ...], fragment: str
) -> None:
    assert fragment in refused("--from-ndctl", SYSRAM, *args)


def test_mode_devdax_models_a_system_ram_device_as_device_dax() -> None:
    doc = machine("--from-ndctl", SYSRAM, "--mode", "devdax", "--align", "1G")
    (ns,) = doc["namespaces"]
    assert ns["input"]["align_bytes"] == GiB
    assert ns["pgmap"]["compound_pages"] == 64
    assert found(doc)["dax0.0"]["overridden"] == ["mode", "align"]


def test_human_table_shows_system_ram() -> None:
    result = run("estimate", "--iomem", HMEM, "--color", "never")
    assert result.exit_code == 0
    rows = {}
    table = result.stdout.split("\ninferred:")[0]
    for line in table.splitlines():
        words = line.split()
        if words and re.fullmatch(r"(dax|namespace)[0-9]+\.[0-9]+", words[0]):
            rows[words[0]] = next(w for w in words if "/" in w)
    assert rows == {
        "dax1.0": "devdax/-/2M",
        "dax2.0": "system-ram/-/4K",
        "namespace0.0": "devdax/mem/2M",
        "namespace0.1": "devdax/dev/2M",
    }


def test_a_refused_device_is_named_with_its_line(tmp_path: Path) -> None:
    """dax1.0 covers [66.25G, 130G): not 1G-aligned at its start, so --align 1G is refused for
    it, and the message says which device of which file line."""
    dump = tmp_path / "iomem"
    dump.write_text(
        "100000000-107fffffff : System RAM\n"
        "1080000000-207fffffff : Soft Reserved\n"
        "  1090000000-207fffffff : dax1.0\n"
    )
    err = refused("--iomem", str(dump), "--align", "1G")
    assert err.startswith("vmemplan: error: --iomem: dax1.0 (line 3, in Soft Reserved): ")
    assert "is not aligned to 1G" in err


def test_ndctl_namespace_with_no_pmem_in_iomem_is_refused() -> None:
    err = refused(
        "--iomem", CXL, "--from-ndctl", str(DATA / "ndctl" / "example_a_list_X_devdax.json")
    )
    assert "namespace0.0: no Persistent Memory range of the /proc/iomem dump holds it" in err
