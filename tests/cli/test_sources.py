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

from tests.helpers import GiB, MiB, flat_kmems, flat_pgmaps, kmems, machine_json, pgmaps, run_cli

DATA = Path(__file__).resolve().parents[1] / "data"
CXL = str(DATA / "iomem" / "cxl_kmem_window.iomem")
HMEM = str(DATA / "iomem" / "hmem_soft_reserved.iomem")
X86 = str(DATA / "iomem" / "x86_pmem_cxl.iomem")
BUSES = str(DATA / "ndctl" / "list_BN_buses.json")
UUID = "2d0e8f5a-6c1b-4f7e-9a3d-5b8c7e6f4a21"  # a pfn namespace has one (util_namespace_to_json())
SYSRAM = str(DATA / "ndctl" / "daxctl_list_cxl_system_ram.json")
MIXED = str(DATA / "ndctl" / "daxctl_list_devdax_and_system_ram.json")


run, machine = run_cli, machine_json


def by_label(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["input"]["label"]: n for n in flat_pgmaps(doc)}


def found(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for f in doc["source"]["found"]}


def refused(*args: str, stdin: str | None = None) -> str:
    result = run("estimate", *args, stdin=stdin)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


# -- item 5: /proc/iomem ------------------------------------------------------------------


def test_cxl_window_kmem_device_is_hot_added_system_ram() -> None:
    """dax0.0 is [258G, 322G) in CXL Window 0, with a System RAM (kmem) child of the same
    range: kmem hot-added it, there is no pgmap. Boot RAM ends at 578G (CXL Window 2 holds
    firmware-onlined RAM), so x86 picks 2G memory blocks (probe_memory_block_size(): boot
    RAM >= 64G, bare metal); 258G and 322G are multiples of 2G: 32 blocks, nothing trimmed.

    By hand, memmap_on_memory off: the memmap is in DRAM, 64G / 4K = 16,777,216 struct
    pages of 64 bytes = 16,777,216 * 64 / 4096 = 262,144 pages (1 GiB). The vmemmap of a
    physical byte is at its address / 64, so [258G, 322G) has its memmap at vmemmap
    [4G + 32M, 5G + 32M); a PMD table maps 1G of vmemmap: boot RAM [4G, 258G) owns the
    [4G, 5G) one, [5G, 6G) is new: 1 PMD table (4096 B). The direct map of the blocks is
    1G pages in the PUD table of [0, 512G), which boot RAM owns: no new table. DRAM:
    262,144 * 4096 + 4096 = 1,073,745,920 bytes. Init at online: 16,777,216 struct pages
    at 8.0-10.7 ns = 134,217,728 - 179,516,212 ns (179,516,211.2 rounded up).
    """
    doc = machine("--iomem", CXL)
    assert flat_pgmaps(doc) == []
    (sr,) = flat_kmems(doc)
    assert sr["name"] == "dax0.0"
    assert sr["input"]["memory_block_size_bytes"] == 2 * GiB
    assert sr["input"]["memory_block_size_source"] == "probe_memory_block_size"
    assert sr["input"]["memmap_on_memory"] == "off"
    assert sr["ranges"] == [
        {
            "start": 258 * GiB,
            "size_bytes": 64 * GiB,
            "added_start": 258 * GiB,
            "added_bytes": 64 * GiB,
            "head_trimmed_bytes": 0,
            "tail_trimmed_bytes": 0,
            "blocks": 32,
            "memmap": "dram",
            "as_given": None,
        }
    ]
    fig = sr
    assert fig["memmap_dram_pages"] == 262_144
    assert fig["memmap_device_pages"] == 0
    assert fig["page_tables"] == {"pte": 0, "pmd": 1, "pud": 0, "p4d": 0}
    assert fig["direct_map_bytes"] == 0
    assert fig["dram_bytes"] == 1_073_745_920
    assert fig["usable_bytes"] == 64 * GiB
    assert fig["struct_pages_initialised"] == 16_777_216
    assert [fig["init_ns_low"], fig["init_ns_high"]] == [134_217_728, 179_516_212]
    t = doc["total"]
    assert (len(pgmaps(doc)), len(kmems(doc))) == (0, 1)
    assert t["dram_bytes"] == 1_073_745_920
    assert t["memmap_dram_pages"] == 262_144
    assert t["page_table_bytes"] == 4096
    assert t["lost_bytes"] == 0
    assert t["struct_pages"] == t["struct_pages_initialised"] == 16_777_216
    assert (t["init_ns_low"], t["init_ns_high"]) == (134_217_728, 179_516_212)
    f = found(doc)
    assert f["dax0.0"]["kind"] == "system-ram"
    assert f["dax0.0"]["location"] == "line 23"
    assert f["CXL Window 1"]["kind"] == "unclaimed"
    assert f["CXL Window 1"]["estimated"] is False
    notes = doc["source"]["inferred"]
    (kmem,) = [n for n in notes if n.startswith("dax0.0 (line 23, in CXL Window 0 > region0): ")]
    assert (
        "system-ram (kmem): no pgmap; hot-added as System RAM in whole memory blocks of 2G" in kmem
    )
    assert "memmap_on_memory assumed off" in kmem
    assert "a CXL region's dax device sets the attribute" in kmem
    assert any("CXL Window 1 6080000000-807fffffff (line 25)" in n for n in notes)


def test_memmap_on_memory_on_self_hosts_each_kmem_block() -> None:
    """The same 32 blocks with --memmap-on-memory on (kernel 6.12: kmem passes
    MHP_MEMMAP_ON_MEMORY from v6.8): each 2G block keeps its own memmap at its start,
    2G / 4K * 64 / 4096 = 8192 pages (32 MiB, a PMD multiple: allowed), 32 * 8192 =
    262,144 pages on the device and none in DRAM; the PMD table is still DRAM. RAM gained:
    16,777,216 - 262,144 = 16,515,072 pages (63G); the 1G of memmap is lost capacity."""
    doc = machine("--iomem", CXL, "--memmap-on-memory", "on")
    (sr,) = flat_kmems(doc)
    fig = sr
    assert sr["placement"]["blocks_self_hosted"] == 32
    assert sr["placement"]["altmap_pages_per_block"] == 8192
    assert (fig["memmap_dram_pages"], fig["memmap_device_pages"]) == (0, 262_144)
    assert fig["dram_bytes"] == 4096
    assert fig["managed_pages"] == 16_515_072
    assert doc["total"]["lost_bytes"] == GiB
    assert doc["total"]["memmap_device_pages"] == 262_144
    assert any(
        "memmap_on_memory on (from --memmap-on-memory)" in n for n in doc["source"]["inferred"]
    )


def test_system_ram_inside_a_cxl_window_is_boot_ram() -> None:
    """CXL Window 2 holds firmware-onlined System RAM: boot RAM, not a device."""
    ram = flat_kmems(machine("--iomem", CXL))[0]["input"]["system_ram"]
    assert [0x8080000000, 0x9080000000] in ram
    assert [4 * GiB, 258 * GiB] in ram


def test_soft_reserved_dax_children() -> None:
    doc = machine("--iomem", HMEM)
    nss = by_label(doc)
    assert list(nss) == ["dax1.0", "namespace0.0", "namespace0.1"]
    # dax1.0: device-dax [66G, 130G) at the default 2M align, 32768 compound pages
    dax1 = nss["dax1.0"]
    assert dax1["input"]["dax_ranges"] == [{"start_bytes": 66 * GiB, "end_bytes": 130 * GiB}]
    assert dax1["input"]["map"] is None
    assert dax1["pgmap"]["compound_pages"] == 64 * GiB // (2 * MiB)
    # dax2.0: kmem System RAM [130G, 194G): boot RAM ends at 66G, so 2G blocks, 32 of them
    (dax2,) = flat_kmems(doc)
    assert dax2["name"] == "dax2.0"
    assert [(r["start"], r["added_bytes"], r["blocks"]) for r in dax2["ranges"]] == [
        (130 * GiB, 64 * GiB, 32)
    ]
    assert dax2["memmap_dram_pages"] == 64 * GiB // 4096 * 64 // 4096
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
    """dax0.0 was the devdax device of namespace0.1 [194G, 258G) and is System RAM now.

    It starts 0x40200000 = 1026M into the namespace: map=dev at 2M (npfns = (64G - 8K)
    / 4K, dataoff = ALIGN(8K + 64 * npfns, 2M) = 1G + 2M), so that 1026M is stranded.
    /proc/iomem's System RAM (kmem) child starts at 0x30c8000000 = 195G + 128M: kmem
    rounded the dax start 195G + 2M up to a 128M block, which 2G blocks (boot RAM ends at
    130G) would not give, so the blocks are 128M: [195G + 128M, 258G) = 62G + 896M = 503
    blocks, 126M trimmed at the head. Memmap in DRAM: 503 * 128M / 64 = 1006M = 257,536
    pages. The device is the 64G namespace; 64G - (62G + 896M) = 1152M does not become RAM.
    """
    doc = machine("--iomem", X86)
    assert list(by_label(doc)) == ["namespace0.0", "namespace1.0"]
    dax0, dax3 = flat_kmems(doc)
    assert (dax0["name"], dax3["name"]) == ("dax0.0", "dax3.0")
    assert dax0["input"]["memory_block_size_bytes"] == 128 * MiB
    assert dax0["input"]["memory_block_size_source"] == "dump"
    ns = dax0["input"]["namespace"]
    assert (ns["start"], ns["size_bytes"], ns["map"], ns["align_bytes"]) == (
        194 * GiB,
        64 * GiB,
        "dev",
        2 * MiB,
    )
    assert ns["dataoff_bytes"] == 1026 * MiB
    (r,) = dax0["ranges"]
    assert (r["start"], r["added_start"], r["blocks"]) == (0x30C0200000, 0x30C8000000, 503)
    assert r["head_trimmed_bytes"] == 126 * MiB
    fig = dax0
    assert fig["memmap_dram_pages"] == 257_536
    assert (fig["capacity_bytes"], fig["stranded_bytes"]) == (64 * GiB, 1026 * MiB)
    assert fig["usable_bytes"] == 62 * GiB + 896 * MiB
    assert found(doc)["dax0.0"]["kind"] == "system-ram"
    notes = doc["source"]["inferred"]
    assert (
        "dax0.0 (line 30, in Persistent Memory > namespace0.1): the dax device starts "
        "0x40200000 into namespace0.1 (its dataoff), as map=dev, align 2M give: 1.00 GiB of "
        "the namespace is stranded (neither dax device nor RAM)"
    ) in notes
    assert notes[0].startswith(
        "dax0.0 (line 30, in Persistent Memory > namespace0.1): memory blocks of 128M "
        "inferred from its System RAM (kmem) 30c8000000-407fffffff in 30c0200000-407fffffff, "
        "which blocks of 2G (probe_memory_block_size() with boot RAM ending at 130G) would not "
        "give"
    )


def test_a_typed_memory_block_size_wins_over_the_dump_with_a_note() -> None:
    """--memory-block-size 2G: dax0.0's start 195G + 2M rounds up to 196G, so 62G (31
    blocks) are added where /proc/iomem shows 62G + 896M."""
    doc = machine("--iomem", X86, "--memory-block-size", "2G")
    dax0 = flat_kmems(doc)[0]
    assert dax0["input"]["memory_block_size_source"] == "option"
    assert [(r["added_start"], r["blocks"]) for r in dax0["ranges"]] == [(196 * GiB, 31)]
    assert any(
        "dax0.0 (line 30, in Persistent Memory > namespace0.1): --memory-block-size 2G does "
        "not give its System RAM (kmem) 30c8000000-407fffffff"
        in n
        and n.endswith("the dump and the option disagree")
        for n in doc["source"]["inferred"]
    )


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
    dump = json.dumps(
        [{"dev": "namespace5.0", "mode": "fsdax", "map": "mem", "size": 1022 * MiB, "uuid": UUID}]
    )
    doc = machine("--iomem", HMEM, "--from-ndctl", "-", stdin=dump)
    (ns,) = flat_pgmaps(doc)
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
    """namespace2.0: an fsdax pfn namespace (it has a uuid) map=mem, no align (2M assumed),
    usable 16G. Raw sizes step by 16M and map=mem at 2M takes dataoff 2M, so usable is 14M
    mod 16M: the nearest raw, 16400M, gives 16G + 14M. At 1G align, dataoff is 1G and raw
    17G gives exactly 16G. (Without a uuid it would be a legacy namespace, raw = usable.)"""
    dump = json.loads(Path(BUSES).read_text())
    dump[1]["namespaces"][0]["uuid"] = UUID
    doc = machine("--from-ndctl", "-", stdin=json.dumps(dump))
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
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["align_bytes"] == GiB
    assert ns["pgmap"]["compound_pages"] == 64
    assert found(doc)["dax0.0"]["overridden"] == ["mode", "align"]


def test_human_table_shows_system_ram() -> None:
    result = run("estimate", "--iomem", HMEM, "--color", "never")
    assert result.exit_code == 0
    rows = {}
    table = result.stdout.split("\ngiven:")[0]  # the first source note: dax1.0's align
    assert table.startswith("namespaces and kmem System RAM as one machine (shared page")
    for line in table.splitlines():
        words = line.split()
        if words and re.fullmatch(r"(dax|namespace)[0-9]+\.[0-9]+", words[0]):
            rows[words[0]] = " ".join(words[3:5] if "blocks" in words else words[3:4])
    assert rows == {
        "dax1.0": "devdax/mem/2M",
        "namespace0.0": "devdax/mem/2M",
        "namespace0.1": "devdax/dev/2M",
        "dax2.0": "system-ram/2G blocks",
    }
    assert "total (4)" in table


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


# -- daxctl devices in system-ram mode: hot-added System RAM, not pgmaps -------------------


def test_daxctl_system_ram_device_is_hot_added_after_the_devdax_one() -> None:
    """daxctl_list_devdax_and_system_ram.json: dax0.0 devdax 16G, dax1.0 system-ram 32G
    with 16 memory blocks. The default machine: 64G of boot RAM, x86_64, kernel 6.12.

    By hand: boot RAM ends at 64G, so probe_memory_block_size() picks 2G blocks, and 32G /
    2G = 16 blocks, as daxctl's total_memblocks says. dax0.0 is placed at 64G, [64G, 80G);
    dax1.0 after it on a block boundary, at 80G: [80G, 112G), nothing to trim.
    memmap_on_memory off (the dump does not say): the memmap is in DRAM, 32G / 4K =
    8,388,608 struct pages * 64 / 4096 = 131,072 pages = 536,870,912 bytes. Its vmemmap,
    [80G / 64, 112G / 64) = [1.25G, 1.75G), lies in the PMD table of vmemmap [1G, 2G),
    which dax0.0 (vmemmap [1G, 1.25G)) allocated first: no new page table; 2M leaves need
    no PTE table. The direct map of [80G, 112G) is 1G pages in the boot RAM's PUD table:
    no new table. DRAM: 536,870,912 bytes, no device byte lost, 32G usable; init at
    online: 8,388,608 * 8.0 ns = 67,108,864 ns to 8,388,608 * 10.7 ns = 89,758,105.6, so
    89,758,106 ns.
    """
    doc = machine("--from-ndctl", MIXED)
    (dax0,) = flat_pgmaps(doc)
    assert dax0["input"]["label"] == "dax0.0"
    assert dax0["pgmap"]["ranges"] == [{"start_bytes": 64 * GiB, "end_bytes": 80 * GiB}]
    (dax1,) = flat_kmems(doc)
    assert dax1["name"] == "dax1.0"
    assert dax1["input"]["memory_block_size_bytes"] == 2 * GiB
    assert [(r["start"], r["added_bytes"], r["blocks"]) for r in dax1["ranges"]] == [
        (80 * GiB, 32 * GiB, 16)
    ]
    fig = dax1
    assert (fig["memmap_dram_pages"], fig["memmap_device_pages"]) == (131_072, 0)
    assert fig["page_table_bytes"] == 0
    assert fig["direct_map_bytes"] == 0
    assert fig["dram_bytes"] == 536_870_912
    assert (fig["capacity_bytes"], fig["usable_bytes"]) == (32 * GiB, 32 * GiB)
    assert [fig["init_ns_low"], fig["init_ns_high"]] == [67_108_864, 89_758_106]
    t = doc["total"]
    assert (len(pgmaps(doc)), len(kmems(doc))) == (1, 1)
    assert t["dram_bytes"] == dax0["dram_bytes"] + 536_870_912
    assert t["memmap_dram_pages"] == dax0["memmap_dram_pages"] + 131_072
    assert t["struct_pages"] == 16 * GiB // 4096 + 8_388_608
    assert t["init_ns_high"] == dax0["init_ns_high"] + 89_758_106
    f = found(doc)["dax1.0"]
    assert (f["kind"], f["estimated"]) == ("system-ram", True)
    assert f["ranges"] == [{"start_bytes": 80 * GiB, "end_bytes": 112 * GiB}]
    notes = doc["source"]["inferred"]
    assert (
        "dax1.0 ([1]): system-ram (kmem): no pgmap; hot-added as System RAM in whole memory "
        "blocks of 2G after the namespaces, memmap_on_memory assumed off"
    ) in " ".join(notes)


def test_daxctl_system_ram_device_with_memmap_on_memory() -> None:
    """--memmap-on-memory on, kernel 6.12: 16 blocks of 2G each host their memmap, 2G / 4K
    * 64 / 4096 = 8192 pages (32 MiB, a PMD multiple), 16 * 8192 = 131,072 pages on the
    device; DRAM: nothing (no new table either). RAM gained: 8,388,608 - 131,072 =
    8,257,536 pages, 512 MiB of the device is lost to the memmap. On 6.6 kmem does not
    pass MHP_MEMMAP_ON_MEMORY: the memmap stays in DRAM."""
    doc = machine("--from-ndctl", MIXED, "--memmap-on-memory", "on")
    fig = flat_kmems(doc)[0]
    assert (fig["memmap_dram_pages"], fig["memmap_device_pages"]) == (0, 131_072)
    assert fig["dram_bytes"] == 0
    assert fig["managed_pages"] == 8_257_536
    assert doc["total"]["lost_bytes"] == flat_pgmaps(doc)[0]["lost_bytes"] + 512 * MiB
    old = machine("--from-ndctl", MIXED, "--memmap-on-memory", "on", "--kernel", "6.6")
    sr = flat_kmems(old)[0]
    assert sr["memmap_dram_pages"] == 131_072
    assert "only from v6.8" in sr["placement"]["reason"]


def test_total_memblocks_gives_the_memory_block_size() -> None:
    """pmem/ndctl#256: 64G with total_memblocks 512 is 128M blocks, which 2G (the rule for
    the default 64G of boot RAM) would not give (32 blocks). The memmap is the same
    262,144 pages either way (64G / 4K * 64 / 4096); 8 of the 512 blocks are offline."""
    doc = machine("--from-ndctl", SYSRAM)
    (sr,) = flat_kmems(doc)
    assert sr["input"]["memory_block_size_bytes"] == 128 * MiB
    assert sr["input"]["memory_block_size_source"] == "dump"
    assert sr["ranges"][0]["blocks"] == 512
    assert sr["memmap_dram_pages"] == 262_144
    notes = doc["source"]["inferred"]
    assert notes[0] == (
        "dax0.0 ([0]): memory blocks of 128M inferred from its total_memblocks 512 (64G), "
        "which blocks of 2G (probe_memory_block_size() with boot RAM ending at 64G) would not "
        "give (--memory-block-size to choose)"
    )
    assert (
        "dax0.0 ([0]): online_memblocks 504 of 512: struct pages are written when a block "
        "is onlined; the figures count every block onlined"
    ) in notes
    typed = machine("--from-ndctl", SYSRAM, "--memory-block-size", "2G")
    assert flat_kmems(typed)[0]["ranges"][0]["blocks"] == 32
    assert (
        "dax0.0 ([0]): --memory-block-size 2G does not give its total_memblocks 512 (64G): "
        "the dump and the option disagree"
    ) in typed["source"]["inferred"]


def test_no_block_size_gives_the_dump_total_memblocks() -> None:
    dump = json.dumps(
        [{"chardev": "dax0.0", "size": 64 * GiB, "mode": "system-ram", "total_memblocks": 500}]
    )
    doc = machine("--from-ndctl", "-", stdin=dump)
    assert flat_kmems(doc)[0]["input"]["memory_block_size_bytes"] == 2 * GiB
    assert doc["source"]["inferred"][0] == (
        "dax0.0 ([0]): no memory block size of 128M to 2G gives its total_memblocks 500 "
        "(64G); 2G assumed (probe_memory_block_size() with boot RAM ending at 64G)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "--from-ndctl",
                str(DATA / "ndctl" / "example_c_daxctl_list.json"),
                "--memmap-on-memory",
                "on",
            ),
            "--memmap-on-memory: on: the ndctl/daxctl dump has no dax device in system-ram "
            "mode (kmem) to apply it to",
        ),
        (
            ("--from-ndctl", SYSRAM, "--mode", "devdax", "--memory-block-size", "1G"),
            "--memory-block-size: 1G: the ndctl/daxctl dump has no dax device in system-ram "
            "mode (kmem) to apply it to",
        ),
        (
            ("--iomem", X86, "--from-ndctl", BUSES, "--memmap-on-memory", "on"),
            "--memmap-on-memory: on: the ndctl/daxctl dump has no dax device",
        ),
        (
            ("--from-ndctl", SYSRAM, "--memory-block-size", "3G"),
            "--memory-block-size: 3G: expected a power of two of at least one section",
        ),
        (
            ("--from-ndctl", SYSRAM, "--memmap-on-memory", "sometimes"),
            "--memmap-on-memory: 'sometimes': expected off, on or force",
        ),
        (
            ("--from-ndctl", MIXED, "--memmap-on-memory", "force", "--kernel", "6.1"),
            "--memmap-on-memory: dax1.0 ([1]): force: memory_hotplug.memmap_on_memory=force "
            "exists from v6.6",
        ),
        (("--iomem", CXL, "--align", "1G"), "--align: 1G: the /proc/iomem dump has no pmem"),
    ],
)
def test_kmem_options_that_change_nothing_are_refused(args: tuple[str, ...], message: str) -> None:
    assert f"vmemplan: error: {message}" in refused(*args)


def test_kmem_device_without_an_address_goes_above_the_boot_ram() -> None:
    """daxctl gives no address: dax0.0 is placed at the default start, which is the first
    GiB above --system-ram when that ends above 64G (here 128G), not over boot RAM."""
    result = run("estimate", "--from-ndctl", SYSRAM, "--system-ram", "0+128G", "--json")
    assert result.exit_code == 0, result.stderr
    (sr,) = flat_kmems(json.loads(result.stdout))
    (r,) = sr["ranges"]
    assert (r["start"], r["size_bytes"]) == (128 * GiB, 64 * GiB)


def test_kmem_range_over_boot_ram_is_refused() -> None:
    """--start 64G with --system-ram 0+128G puts dax0.0 over boot RAM [64G, 128G)."""
    err = refused("--from-ndctl", SYSRAM, "--system-ram", "0+128G", "--start", "64G")
    assert err.startswith("vmemplan: error: --from-ndctl: dax0.0 ([0]): ")
    assert "overlaps boot System RAM 0x0-0x1fffffffff" in err


def test_check_counts_kmem_devices_of_a_dump() -> None:
    """check --from-ndctl: dax1.0's 512 MiB of memmap in DRAM is in the total."""
    result = run("check", "--from-ndctl", MIXED, "--max-dram", "512M", "--format", "json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    (file,) = doc["files"]
    assert [sr["name"] for sr in kmems(file)] == ["dax1.0"]
    assert file["total"]["detail"]["devices"]["system-ram"] == 1
    assert file["total"]["dram_bytes"] > 512 * MiB
    (finding,) = doc["findings"]
    assert finding["location"] == "--max-dram"


def test_a_daxctl_kmem_device_named_in_iomem_takes_its_ranges() -> None:
    """dax3.0 of x86_pmem_cxl.iomem is [274G, 338G) with a System RAM (kmem) child of the
    same range; daxctl says 64G. With both dumps the device is hot-added at its /proc/iomem
    range, and its kmem child agrees with the boot RAM's 2G blocks (274G, 338G even)."""
    dump = json.dumps([{"chardev": "dax3.0", "size": 64 * GiB, "mode": "system-ram"}])
    doc = machine("--iomem", X86, "--from-ndctl", "-", stdin=dump)
    (sr,) = flat_kmems(doc)
    assert sr["input"]["memory_block_size_bytes"] == 2 * GiB
    assert [(r["start"], r["blocks"]) for r in sr["ranges"]] == [(274 * GiB, 32)]
    assert any(n.endswith("ranges from /proc/iomem (line 37)") for n in doc["source"]["inferred"])


def test_a_kmem_device_over_a_namespace_is_refused() -> None:
    """namespace5.0 (fsdax, 70G) is not in /proc/iomem: it is packed at the start of the
    first Persistent Memory range, 0x2080000000, and runs past 0x30c0200000, where
    /proc/iomem puts dax0.0, kmem System RAM."""
    dump = json.dumps(
        [
            {"dev": "namespace5.0", "mode": "fsdax", "map": "mem", "size": 70 * GiB},
            {"chardev": "dax0.0", "size": 0x4080000000 - 0x30C0200000, "mode": "system-ram"},
        ]
    )
    err = refused("--iomem", X86, "--from-ndctl", "-", stdin=dump)
    assert err.startswith("vmemplan: error: --from-ndctl: dax0.0 ([1]): ")
    assert "0x30c0200000-0x407fffffff overlaps namespace5.0 at 0x2080000000-" in err


def test_a_kmem_device_whose_start_no_layout_gives(tmp_path: Path) -> None:
    """dax0.0 starts 16M into namespace0.0: no map (mem: 4K, 2M or 1G; dev: about 1/64 of
    the namespace) and align gives that dataoff, so the namespace is left out and only the
    dax range counts (device bytes 64G - 16M)."""
    dump = tmp_path / "iomem"
    dump.write_text(
        "100000000-107fffffff : System RAM\n"
        "1080000000-207fffffff : Persistent Memory\n"
        "  1080000000-207fffffff : namespace0.0\n"
        "    1081000000-207fffffff : dax0.0\n"
        "      1100000000-207fffffff : System RAM (kmem)\n"
    )
    doc = machine("--iomem", str(dump))
    (sr,) = flat_kmems(doc)
    assert sr["input"]["namespace"] is None
    assert sr["capacity_bytes"] == 64 * GiB - 16 * MiB
    assert (
        "dax0.0 (line 4, in Persistent Memory > namespace0.0): the dax device starts 0x1000000 "
        "into namespace0.0, which no map and align give: the namespace's info block is left out"
    ) in doc["source"]["inferred"]
