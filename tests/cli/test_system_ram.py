"""``estimate --mode system-ram``: the spec's worked examples (hotplug-hvo-model.md A.6).

Expected figures are derived by hand from the spec (x86_64, 4K pages, 64-byte struct page,
4-level paging): a 2 GiB memory block has BLK = 524,288 pfns and a self-hosted memmap of
M = 524,288 * 64 / 4096 = 8192 pages; a 128 MiB section needs 32,768 * 64 / 4096 = 512
memmap pages; one PMD table maps 1 GiB of vmemmap = 64 GiB of physical memory.

``dram_bytes`` also counts the direct map arch_add_memory() builds for every range it is
called for (x86: init_memory_mapping(); 1G pages for whole aligned GiBs by default): one
PUD table maps 512 GiB of physical memory, one PMD table 1 GiB, one PTE table 2 MiB, and
boot RAM's tables are not counted again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.schema import CompareDoc, HostCompareDoc, HostPlanDoc
from vmemplan.output.system_ram_schema import SystemRamDoc

GiB, MiB, TiB = 1 << 30, 1 << 20, 1 << 40
BOOT_512G = ("--system-ram", "0+512G")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["estimate", "--mode", "system-ram", *args])


def doc(*args: str) -> dict[str, Any]:
    r = run(*args, "--json")
    assert r.exit_code == 0, r.output
    d: dict[str, Any] = json.loads(r.stdout)
    SystemRamDoc.model_validate(d)
    (dev,) = d["devices"]
    # the device's cost keys and detail side by side (``figures`` of schema_version 1)
    return {"input": d["input"], "notes": d["notes"], **dev, **dev["detail"]}


def test_a1_cxl_256g_memmap_on_memory() -> None:
    """A-1: 128 blocks x 8192 pages on the device; 4 new PMD tables; 252 GiB managed.
    Direct map: the 128 blocks are added one by one, each 2 GiB aligned = two 1G pages,
    all under the PUD table of [1T, 1.5T), which boot RAM 0+512G did not allocate: 1."""
    d = doc("--size", "256G", "--start", "1T", "--memmap-on-memory", "on", *BOOT_512G)
    f, pl = d, d["placement"]
    assert d["input"]["memory_block_size_bytes"] == 2 * GiB
    assert (pl["blocks_self_hosted"], pl["blocks_dram"], pl["reason"]) == (128, 0, None)
    assert pl["altmap_pages_per_block"] == 8192
    assert (f["memmap_device_pages"], f["memmap_dram_pages"]) == (1048576, 0)
    assert f["page_tables"] == {"pte": 0, "pmd": 4, "pud": 0, "p4d": 0}
    assert f["direct_map_tables"] == {"pte": 0, "pmd": 0, "pud": 1, "p4d": 0}
    assert f["direct_map_bytes"] == 4096
    assert f["dram_bytes"] == (4 + 1) * 4096  # only the vmemmap PMD and direct-map PUD tables
    assert f["managed_pages"] == 66060288
    assert f["usable_bytes"] == 252 * GiB
    assert f["struct_pages_initialised"] == 67108864
    assert f["counters"]["nr_memmap_pages"] == 1048576
    assert f["counters"]["nr_memmap_boot_pages"] == 0


def test_a2_same_device_memmap_in_dram() -> None:
    """A-2: 2048 sections x 512 pages from DRAM; DRAM spent 4 GiB + 16 KiB of vmemmap PMD
    tables + 4 KiB for the direct map's PUD table of [1T, 1.5T) (as A-1: the whole range
    at once maps the same 256 x 1G pages)."""
    d = doc("--size", "256G", "--start", "1T", *BOOT_512G)
    f, pl = d, d["placement"]
    assert (pl["blocks_self_hosted"], pl["blocks_dram"]) == (0, 128)
    assert "off" in pl["reason"]
    assert (f["memmap_dram_pages"], f["memmap_device_pages"]) == (1048576, 0)
    assert f["dram_bytes"] == 4 * GiB + 16 * 1024 + 4096
    assert f["usable_bytes"] == 256 * GiB
    assert f["counters"]["nr_memmap_pages"] == 1048576


def test_a2_before_6_8_kmem_never_asks() -> None:
    """A.2.2: before v6.8 dax kmem does not pass MHP_MEMMAP_ON_MEMORY: DRAM, and says why."""
    d = doc("--size", "256G", "--start", "1T", "--memmap-on-memory", "on", "--kernel", "6.6")
    assert d["placement"]["blocks_dram"] == 128
    assert "v6.8" in d["placement"]["reason"]
    assert d["memmap_dram_pages"] == 1048576
    assert d["counters"]["nr_memmap_pages"] is None  # no counter before v6.11
    assert any("falls back to DRAM" in n for n in d["notes"])


def test_a3_hmem_range_trimmed_to_blocks() -> None:
    """A-3: [64G+512M, 96G+256M) keeps [66G, 96G): 15 blocks, 240 sections x 512 pages;
    head 1536 MiB and tail 256 MiB lost; boot RAM 0+64G owns the first PMD window only,
    so the [64G, 128G) window needs 1 new PMD table."""
    d = doc("--dax-range", "0x1020000000-0x180fffffff", "--dax-range", "0x2000000000+2G")
    r = d["ranges"][0]
    assert (r["added_start"], r["added_bytes"], r["blocks"]) == (66 * GiB, 30 * GiB, 15)
    assert (r["head_trimmed_bytes"], r["tail_trimmed_bytes"]) == (1536 * MiB, 256 * MiB)
    # second range [128G, 130G): exactly one block, its own PMD window
    assert d["ranges"][1]["blocks"] == 1
    f = d
    assert f["memmap_dram_pages"] == 122880 + 16 * 512
    assert f["page_tables"]["pmd"] == 2
    assert f["trimmed_bytes"] == 1792 * MiB


def test_a4_vm_128m_blocks_self_hosted() -> None:
    """A-4: < 64 GiB of boot RAM => 128 MiB blocks; M = 512; 128 blocks; no new vmemmap
    PMD table (boot RAM 0+48G already owns the [0, 64G) window). Direct map: each 128 MiB
    block is its own arch_add_memory(), which covers no whole GiB, so GiB 48-63 get a PMD
    table each (2M pages): 16 pages, the only DRAM this device costs."""
    d = doc("--system-ram", "0+48G", "--start", "48G", "--size", "16G", "--memmap-on-memory", "on")
    f = d
    assert d["input"]["memory_block_size_bytes"] == 128 * MiB
    assert d["placement"]["altmap_pages_per_block"] == 512
    assert f["memmap_device_pages"] == 65536
    assert f["managed_pages"] == 4128768
    assert f["page_tables"] == {"pte": 0, "pmd": 0, "pud": 0, "p4d": 0}
    assert f["direct_map_tables"]["pmd"] == 16
    assert f["dram_bytes"] == 16 * 4096


def test_a5_struct_page_72_refused_in_every_mode() -> None:
    """A-5: a 72-byte struct page makes the 128 MiB block's memmap 576 pages: not
    pageblock aligned (on), not a PMD_SIZE multiple (force): DRAM, 288 MiB of PMD blocks."""
    for mode in ("on", "force"):
        d = doc(
            "--system-ram", "0+48G", "--start", "48G", "--size", "16G",
            "--memmap-on-memory", mode, "--struct-page-size", "72",
        )  # fmt: skip
        assert d["placement"]["blocks_self_hosted"] == 0
        assert d["memmap_dram_pages"] == 144 * 512
    assert "pageblock" in doc(
        "--system-ram", "0+48G", "--start", "48G", "--size", "16G",
        "--memmap-on-memory", "on", "--struct-page-size", "72",
    )["placement"]["reason"]  # fmt: skip


def test_force_changes_nothing_with_64_byte_struct_page() -> None:
    """A-5 first line: M is already pageblock aligned, so force pads nothing."""
    on = doc("--size", "64G", "--start", "1T", "--memmap-on-memory", "on")
    force = doc("--size", "64G", "--start", "1T", "--memmap-on-memory", "force")
    # the same figures: every cost key and detail but the input, which names the switch
    assert {**on, "input": None} == {**force, "input": None}


def test_memory_block_size_override_and_nothing_added() -> None:
    """A 1G device at a 1G boundary with 2G blocks adds nothing; with 1G blocks, all."""
    d = doc("--size", "1G", "--start", "65G")
    assert d["ranges"][0]["blocks"] == 0
    assert d["usable_bytes"] == 0
    assert d["ranges"][0]["memmap"] == "none"
    assert any("-ENOSPC" in n for n in d["notes"])
    d = doc("--size", "1G", "--start", "65G", "--memory-block-size", "1G")
    assert d["usable_bytes"] == GiB
    assert d["input"]["memory_block_size_source"] == "option"


def test_human_output_names_the_placement() -> None:
    r = run("--size", "2T", "--start", "1T", "--memmap-on-memory", "on")
    assert r.exit_code == 0
    assert "memmap on device     8,388,608 (32.00 GiB)" in r.stdout
    assert "1,024 blocks, memmap device" in r.stdout


def test_bad_values_exit_2_with_one_line() -> None:
    cases = [
        (("--size", "1T", "--memmap-on-memory", "maybe"), "--memmap-on-memory: 'maybe'"),
        (("--size", "1T", "--memory-block-size", "3G"), "--memory-block-size: 3G"),
        (("--size", "1T", "--memory-block-size", "64M"), "--memory-block-size: 64M"),
        (("--size", "1T", "--start", "32G"), "overlaps boot System RAM"),
        (("--size", "1T", "--vmemmap-shift", "9"), "--vmemmap-shift: not with --mode"),
        (("--dax-range", "1T+2G", "--map", "dev"), "--map: not with --dax-range"),
        (("--size", "1T", "--map", "sideways"), "--map: 'sideways'"),
        (("--size", "1T", "--align", "3M"), "--align: 3M"),
        (("--size", "1T", "--memmap-on-memory", "force", "--kernel", "6.1"), "force"),
        ((), "--size: missing"),
    ]
    for args, expected in cases:
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert expected in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
        assert "Traceback" not in r.output


def test_system_ram_options_refused_for_devdax() -> None:
    for args in (("--memmap-on-memory", "on"), ("--memory-block-size", "2G")):
        r = CliRunner().invoke(cli, ["estimate", "--size", "1T", *args])
        assert r.exit_code == 2
        assert "only with --mode system-ram" in r.stderr


def test_pmem_namespace_reconfigured_loses_a_block_to_its_info_block() -> None:
    """A 256 GiB pmem namespace at 64G (--map given: a namespace, not a CXL range).
    map=mem: dataoff = ALIGN(64G + 8K, 2M) - 64G = 2 MiB, so the dax device is
    [64G + 2M, 320G) and kmem keeps [66G, 320G): 127 blocks, 2 GiB - 2 MiB trimmed.
    map=dev: dataoff = ALIGN(64G + 8K + 64 * (256G - 8K) / 4K, 2M) - 64G = 4098 MiB
    stranded; the device is [68G + 2M, 320G), kmem keeps [70G, 320G): 125 blocks."""
    d = doc("--size", "256G", "--map", "mem")
    assert d["input"]["namespace"]["dataoff_bytes"] == 2 * MiB
    r = d["ranges"][0]
    assert (r["start"], r["added_start"], r["blocks"]) == (64 * GiB + 2 * MiB, 66 * GiB, 127)
    assert r["head_trimmed_bytes"] == 2 * GiB - 2 * MiB
    assert d["stranded_bytes"] == 2 * MiB
    assert d["capacity_bytes"] == 256 * GiB
    assert d["usable_bytes"] == 254 * GiB
    d = doc("--size", "256G", "--map", "dev")
    assert d["stranded_bytes"] == 4098 * MiB
    assert (d["ranges"][0]["added_start"], d["ranges"][0]["blocks"]) == (70 * GiB, 125)
    assert d["usable_bytes"] == 250 * GiB
    # without --map/--align the same numbers are a CXL/hmem range: nothing stranded
    d = doc("--size", "256G")
    assert d["input"]["namespace"] is None
    assert d["usable_bytes"] == 256 * GiB


def compare_doc(*args: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["compare", *args, "--json"])
    assert r.exit_code == 0, r.output
    d: dict[str, Any] = json.loads(r.stdout)
    CompareDoc.model_validate(d)
    return d


def test_compare_devdax_and_system_ram_side_by_side() -> None:
    """The A-1/A-2 device in compare: system-ram rows off/on per kernel next to devdax."""
    d = compare_doc(
        "--size", "256G", "--start", "1T", "--mode", "devdax", "--mode", "system-ram",
        "--align", "2M", "--kernel", "6.6", "--kernel", "6.12",
    )  # fmt: skip
    assert {r["mode"] for r in d["rows"]} == {"devdax"}
    sr = {(r["kernel"], r["memmap_on_memory"]): r for r in d["system_ram_rows"]}
    assert sorted(sr) == [("6.12", "off"), ("6.12", "on"), ("6.6", "off"), ("6.6", "on")]
    # A-2 (off, and on before v6.8): 4 GiB of memmap + 4 PMD tables in DRAM, nothing lost;
    # + the direct map's PUD table of [1T, 1.5T) (1G pages, boot RAM 0+64G owns [0, 512G))
    for key in (("6.12", "off"), ("6.6", "on"), ("6.6", "off")):
        assert sr[key]["dram_bytes"] == 4 * GiB + 4 * 4096 + 4096
        assert sr[key]["direct_map_bytes"] == 4096
        assert sr[key]["lost_bytes"] == 0
    # A-1 (on, v6.8+): 4 GiB of the device hosts the memmap; only the vmemmap PMD tables
    # and the same direct-map PUD table in DRAM (2 GiB blocks one by one: still 1G pages)
    on = sr[("6.12", "on")]
    assert (on["dram_bytes"], on["lost_bytes"]) == (5 * 4096, 4 * GiB)
    assert on["usable_bytes"] == 252 * GiB
    assert on["blocks_self_hosted"] == 128


def test_compare_without_system_ram_has_no_new_key() -> None:
    """The compare document only grows when --mode system-ram asks for it."""
    d = compare_doc("--size", "64G", "--mode", "devdax", "--align", "2M")
    assert "system_ram_rows" not in d


def test_compare_only_system_ram() -> None:
    d = compare_doc("--size", "256G", "--start", "1T", "--mode", "system-ram")
    assert d["rows"] == []
    assert len(d["system_ram_rows"]) == 2
    r = CliRunner().invoke(cli, ["compare", "--size", "1T", "--mode", "system-ram", "--map", "dev"])
    assert r.exit_code == 2
    assert "--map: not with only --mode system-ram" in r.stderr


def test_plan_refuses_system_ram() -> None:
    r = CliRunner().invoke(cli, ["plan", "--size", "1T", "--mode", "system-ram"])
    assert r.exit_code == 2
    assert "--mode" in r.stderr


def test_range_is_echoed_as_typed() -> None:
    """A hex --start/--size (as /proc/iomem gives them) is printed as typed, and what kmem
    adds of it in hex too: 0x30c8000000 is not on a 2G block, so kmem starts at 0x3100000000."""
    args = ("--start", "0x30c8000000", "--size", "0xfb8000000", "--system-ram", "0+64G")
    (r,) = doc(*args)["ranges"]
    assert r["as_given"] == "0x30c8000000+0xfb8000000"
    assert (r["added_start"], r["blocks"]) == (0x3100000000, 31)
    out = run(*args).stdout
    assert "range 0x30c8000000+0xfb8000000: adds 0x3100000000+0xf80000000 (31 blocks" in out
    (typed,) = doc("--dax-range", "1T..3T", *BOOT_512G)["ranges"]
    assert typed["as_given"] == "1T..3T"


# -- compare/plan of a host whose config or dump has System RAM -------------------------

KMEM_HOST = "examples/kmem-hugetlb-host.toml"  # pmem0 1T at 512G, cxl0 256G system-ram, on


def host_doc(*args: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    d: dict[str, Any] = json.loads(r.stdout)
    model = HostPlanDoc if args[0] == "plan" else HostCompareDoc
    model.model_validate(d)
    return d


def test_compare_config_shows_a_system_ram_namespace_as_system_ram() -> None:
    """cxl0 goes after pmem0 [512G, 1.5T), on the next 2 GiB block (512G of boot RAM: 2G
    blocks): [1.5T, 1.75T), as check places it. Alone on the machine, memmap_on_memory off:
    256G / 64 = 4 GiB of memmap in DRAM; its vmemmap [24G, 28G) needs 4 new PMD tables (boot
    RAM's memmap ends at 8G); the direct map of [1.5T, 1.75T) in 1G pages needs the PUD
    table of [1.5T, 2T): 4 GiB + 5 * 4096 = 4,294,987,776 bytes. On (v6.8+): the 128
    blocks host their 8192 pages each, 4 GiB of the device; DRAM 5 * 4096 = 20,480."""
    d = host_doc("compare", "--config", KMEM_HOST)
    assert [ns["label"] for ns in d["namespaces"]] == ["pmem0", "cxl0"]
    pmem0, cxl0 = d["namespaces"]
    assert "system_ram_rows" not in pmem0
    assert (cxl0["device"], cxl0["current"]) == (None, None)
    assert cxl0["input"]["dax_ranges"] == [{"start_bytes": 1536 * GiB, "end_bytes": 1792 * GiB}]
    assert {(r["mode"], r["map"]) for r in cxl0["rows"]} == {("devdax", "mem")}
    off, on = cxl0["system_ram_rows"]
    assert (off["memmap_on_memory"], off["dram_bytes"], off["lost_bytes"]) == (
        "off",
        4 * GiB + 5 * 4096,
        0,
    )
    assert (on["memmap_on_memory"], on["dram_bytes"], on["lost_bytes"]) == (
        "on",
        20_480,
        4 * GiB,
    )
    assert on["memory_block_size_bytes"] == 2 * GiB
    assert any(
        n.startswith("cxl0 (namespaces[1]): system-ram: shown as System RAM")
        for n in d["source"]["inferred"]
    )
    text = CliRunner().invoke(cli, ["compare", "--config", KMEM_HOST, "--color", "never"])
    assert "256.00 GiB as System RAM (dax kmem), what it is today" in text.stdout


def test_plan_config_leaves_a_system_ram_namespace_out() -> None:
    d = host_doc("plan", "--config", KMEM_HOST)
    assert [ns["label"] for ns in d["namespaces"]] == ["pmem0"]
    assert any(
        n.startswith("cxl0 (namespaces[1]): system-ram: not planned")
        for n in d["source"]["inferred"]
    )


def test_plan_config_of_system_ram_only_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "kmem.toml"
    cfg.write_text('[[namespaces]]\nname = "cxl0"\nmode = "system-ram"\nsize = "256G"\n')
    r = CliRunner().invoke(cli, ["plan", "--config", str(cfg)])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vmemplan: error: --config: {cfg}: no namespace to plan (system-ram ones only: "
        "vmemplan check)\n"
    )
    ok = host_doc("compare", "--config", str(cfg))
    assert len(ok["namespaces"][0]["system_ram_rows"]) == 2


def test_compare_dump_shows_a_kmem_device_in_its_memory_blocks() -> None:
    """daxctl_list_cxl_system_ram.json: 512 blocks of 64G, so 128M blocks (the dump's)."""
    d = host_doc("compare", "--from-ndctl", "tests/data/ndctl/daxctl_list_cxl_system_ram.json")
    (ns,) = d["namespaces"]
    assert ns["device"] == {"name": "dax0.0", "kind": "dax", "system_ram": True}
    off, on = ns["system_ram_rows"]
    assert off["memory_block_size_bytes"] == on["memory_block_size_bytes"] == 128 * MiB
    assert off["memmap_dram_pages"] == 64 * GiB // 4096 * 64 // 4096
    # 128M blocks: 32,768 * 64 / 4096 = 512 memmap pages each, a 2M PMD: self-hosted
    assert (on["blocks_self_hosted"], on["memmap_device_pages"]) == (512, 512 * 512)
