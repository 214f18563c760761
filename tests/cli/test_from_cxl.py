"""``--from-cxl FILE``: a ``cxl list`` dump on every command that takes dumps.

Worked examples on tests/data/cxl/single_ram_region_vvv.json: region0 (one device, mem0)
is [0x1050000000, 0x2050000000) = [65.25 GiB, 129.25 GiB) in window decoder0.0 of the
same range; boot RAM is the default 0+64G. x86_64, 4 KiB pages, 64-byte struct pages:
one 4 KiB memmap page holds 64 struct pages, which describe 256 KiB: N bytes need N / 2^18
memmap pages.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import GiB, MiB, flat_kmems, grid_json, machine_json, run_cli

DATA = Path(__file__).resolve().parents[1] / "data"
SINGLE = str(DATA / "cxl" / "single_ram_region_vvv.json")
TWO_WAY = str(DATA / "cxl" / "interleaved_2way_RX.json")
PMEM = str(DATA / "cxl" / "pmem_region.json")
DECODERS = str(DATA / "cxl" / "decoders_no_region_D.json")
TRUNCATED = str(DATA / "cxl" / "bad_truncated.json")


def memmap_pages(nbytes: int) -> int:
    return nbytes // (1 << 18)


def test_6_12_trims_the_region_to_2g_blocks() -> None:
    """No CFMWS advice before v6.16: 2 GiB blocks on bare metal (boot RAM ends at 64 GiB).
    kmem adds [66 GiB, 128 GiB): 31 blocks, head 768 MiB + tail 1.25 GiB = 2 GiB lost;
    memmap in DRAM = 62 GiB / 2^18 = 253,952 pages (992 MiB)."""
    (dev,) = flat_kmems(machine_json("--from-cxl", SINGLE, "--kernel", "6.12"))
    assert dev["name"] == "dax0.0"
    assert (dev["lost_bytes"], dev["added_bytes"]) == (2 * GiB, 62 * GiB)
    assert dev["memmap_dram_pages"] == memmap_pages(62 * GiB) == 253_952
    assert dev["input"]["memory_block_size_bytes"] == 2 * GiB


def test_6_16_follows_the_cfmws_advice() -> None:
    """The window's 256 MiB alignment (0x1050000000|0x2050000000 -> lowest bit 0x10000000)
    makes 256 MiB blocks: the whole 64 GiB is added, 256 blocks, nothing lost; memmap
    64 GiB / 2^18 = 262,144 pages (1 GiB) in DRAM."""
    doc = machine_json("--from-cxl", SINGLE, "--kernel", "6.16")
    (dev,) = flat_kmems(doc)
    assert (dev["lost_bytes"], dev["added_bytes"]) == (0, 64 * GiB)
    assert dev["memmap_dram_pages"] == memmap_pages(64 * GiB) == 262_144
    assert dev["input"]["memory_block_size_bytes"] == 256 * MiB
    assert dev["input"]["memory_block_size_source"] == "cfmws_advice"
    (found,) = doc["source"]["found"]
    assert any("v6.16" in rule for rule in found["rules"])


def test_memmap_on_memory_self_hosts_each_block_from_6_8() -> None:
    """With memory_hotplug.memmap_on_memory on, the CXL dax device's own flag (v6.8) puts
    each 256 MiB block's memmap (256 MiB / 2^18 = 1,024 pages, 4 MiB) on the block:
    256 x 1,024 = 262,144 pages on the device, none in DRAM. On 6.7 kmem never asks for
    it: all in DRAM."""
    on = ("--from-cxl", SINGLE, "--memory-block-size", "256M", "--memmap-on-memory", "on")
    (dev,) = flat_kmems(machine_json(*on, "--kernel", "6.16"))
    assert (dev["memmap_dram_pages"], dev["memmap_device_pages"]) == (0, 256 * 1024)
    (old,) = flat_kmems(machine_json(*on, "--kernel", "6.7"))
    assert (old["memmap_dram_pages"], old["memmap_device_pages"]) == (262_144, 0)


def test_the_output_says_which_rule_decided_each_figure() -> None:
    result = run_cli("estimate", "--from-cxl", SINGLE)
    assert result.exit_code == 0, result.stderr
    rules = [line for line in result.stdout.splitlines() if line.startswith("rule: ")]
    text = " ".join(result.stdout.split())
    assert len(rules) == 3  # dax device + driver, block size, memmap_on_memory
    assert "09d09e04d2fc" in text
    assert "e9ee9fe3a9d4" in text
    assert "4eca0ef49af9" in text
    assert "decoders with no region in the dump cost nothing: decoder2.1" in text


def test_dump_total_memblocks_decide_the_block_size() -> None:
    """dax1.0: 128 GiB, total_memblocks 512 -> 256 MiB blocks (not 6.12's 2 GiB)."""
    (dev,) = flat_kmems(machine_json("--from-cxl", TWO_WAY))
    assert dev["input"]["memory_block_size_bytes"] == 256 * MiB
    assert dev["input"]["memory_block_size_source"] == "dump"
    assert dev["memmap_dram_pages"] == memmap_pages(128 * GiB)


def test_a_truncated_file_is_one_line_naming_the_file_and_the_key() -> None:
    result = run_cli("estimate", "--from-cxl", TRUNCATED)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "--from-cxl: " in result.stderr
    assert "bad_truncated.json: truncated after key 'devices'" in result.stderr


def test_decoders_alone_cost_nothing_and_say_why() -> None:
    result = run_cli("estimate", "--from-cxl", DECODERS)
    assert result.exit_code == 2
    assert "no CXL region to cost" in result.stderr
    assert "decoder0.0, decoder2.0" in result.stderr


def test_a_firmware_onlined_region_is_boot_ram() -> None:
    """Boot RAM that covers region0 (BIOS-onlined CXL): no dax device, only boot RAM."""
    ram = ("--system-ram", "0+64G", "--system-ram", "0x1050000000+64G")
    doc = machine_json("--from-cxl", SINGLE, *ram)
    assert doc["devices"] == []
    assert [(f["label"], f["kind"]) for f in doc["source"]["found"]] == [("region0", "boot-ram")]
    host = run_cli("host", "--from-cxl", SINGLE, *ram, "--json")
    assert host.exit_code == 0, host.stderr
    (boot,) = json.loads(host.stdout)["devices"]
    assert (boot["kind"], boot["memmap_dram_pages"]) == ("boot-ram", memmap_pages(128 * GiB))


def test_with_iomem_of_the_same_host_each_device_is_counted_once() -> None:
    iomem = str(DATA / "cxl" / "single_ram_region.iomem")
    doc = machine_json("--from-cxl", SINGLE, "--iomem", iomem, "--kernel", "6.16")
    assert [d["name"] for d in doc["devices"]] == ["dax0.0"]
    assert any("counted once" in line for line in doc["source"]["inferred"])
    alone = machine_json("--iomem", iomem, "--kernel", "6.16")
    assert [d["name"] for d in alone["devices"]] == ["dax0.0"]


def test_with_ndctl_a_pmem_region_holds_its_namespace() -> None:
    """region2 (pmem) starts at 0x4c90000000: its fsdax namespace is placed there."""
    ndctl = str(DATA / "cxl" / "ndctl_list_N_on_pmem_region.json")
    doc = machine_json("--from-cxl", PMEM, "--from-ndctl", ndctl)
    (dev,) = doc["devices"]
    assert dev["name"] == "namespace2.0"
    assert dev["detail"]["pgmap"]["ranges"][0]["start_bytes"] == 0x4C90000000
    alone = run_cli("estimate", "--from-cxl", PMEM)
    assert alone.exit_code == 2
    assert "give ndctl list -N as --from-ndctl" in alone.stderr


def test_compare_puts_devdax_and_system_ram_side_by_side() -> None:
    doc = grid_json("compare", "--from-cxl", SINGLE, "--kernel", "6.16")
    (ns,) = doc["namespaces"]
    assert ns["rows"]
    assert {r["memmap_on_memory"] for r in ns["system_ram_rows"]} == {"off", "on"}


def test_plan_host_and_check_take_the_dump() -> None:
    assert run_cli("plan", "--from-cxl", SINGLE).exit_code == 0
    host = run_cli("host", "--from-cxl", SINGLE, "--system-ram", "64G", "--json")
    assert host.exit_code == 0, host.stderr
    assert [d["name"] for d in json.loads(host.stdout)["devices"]][-1] == "dax0.0"
    over = run_cli("check", "--from-cxl", SINGLE, "--max-dram", "512M")
    assert over.exit_code == 1
    assert "DRAM 992.00 MiB exceeds 512.00 MiB" in over.stdout
    assert run_cli("check", "--from-cxl", SINGLE, "--max-dram", "1G").exit_code == 0


def test_options_that_cannot_apply_are_refused() -> None:
    size = run_cli("estimate", "--from-cxl", SINGLE, "--size", "1T")
    assert size.exit_code == 2
    assert "--size" in size.stderr
    batch = run_cli("estimate", "--from-cxl", SINGLE, "--batch", "-", stdin="--size 1T\n")
    assert batch.exit_code == 2
    assert "--from-cxl" in batch.stderr


def test_compare_gives_each_kernel_its_own_memory_blocks() -> None:
    """The block size is the kernel's rule, so each kernel's System RAM rows use its own:
    6.12 2 GiB (31 blocks, 2 GiB trimmed), 6.16 256 MiB (the whole 64 GiB). memmap_on_memory
    on with 2 GiB blocks puts 2 GiB / 2^18 = 8,192 pages (32 MiB) on each of the 31 blocks:
    lost = 2 GiB + 31 x 32 MiB."""
    doc = grid_json("compare", "--from-cxl", SINGLE, "--kernel", "6.12", "--kernel", "6.16")
    (ns,) = doc["namespaces"]
    rows = {(r["kernel"], r["memmap_on_memory"]): r for r in ns["system_ram_rows"]}
    assert rows["6.12", "off"]["memory_block_size_bytes"] == 2 * GiB
    assert rows["6.16", "off"]["memory_block_size_bytes"] == 256 * MiB
    assert rows["6.12", "on"]["lost_bytes"] == 2 * GiB + 31 * memmap_pages(2 * GiB) * 4096
    assert rows["6.16", "off"]["lost_bytes"] == 0
    assert "dax0.0: memory blocks by kernel: 6.12 2G, 6.16 256M" in " ".join(
        doc["source"]["inferred"]
    )


def test_compare_gives_the_daxctl_commands_of_each_configuration() -> None:
    """devdax, and System RAM with memmap_on_memory off/on: on needs the boot parameter
    (0444) and, from v6.9, the device attribute written while kmem is unbound; before v6.8
    kmem cannot self-host at all."""
    doc = grid_json(
        "compare", "--from-cxl", SINGLE, "--kernel", "6.7", "--kernel", "6.8", "--kernel", "6.9"
    )
    (ns,) = doc["namespaces"]
    by_kernel = {
        e["kernel"]: {c["configuration"]: c for c in e["configurations"]}
        for e in ns["dax_device_commands"]
    }
    assert by_kernel["6.7"]["devdax"]["commands"] == [
        "daxctl reconfigure-device --mode=devdax --force dax0.0"
    ]
    assert "v6.8" in by_kernel["6.7"]["system-ram memmap_on_memory=on"]["refused"]
    on68 = by_kernel["6.8"]["system-ram memmap_on_memory=on"]["commands"]
    assert on68[0] == "# kernel command line: memory_hotplug.memmap_on_memory=1"
    assert not any("echo" in c for c in on68)
    on69 = by_kernel["6.9"]["system-ram memmap_on_memory=on"]["commands"]
    assert "echo 1 > /sys/bus/dax/devices/dax0.0/memmap_on_memory" in on69
    text = run_cli("compare", "--from-cxl", SINGLE, "--kernel", "6.16").stdout
    assert "commands for dax0.0 (Linux 6.16):" in text


def test_a_namespace_beyond_the_pmem_regions_is_flagged(tmp_path: Path) -> None:
    """ndctl does not print addresses: a namespace of about twice region2's 64 GiB cannot
    be in it, and a note says the dumps may not be of one host."""
    ns = json.loads((DATA / "cxl" / "ndctl_list_N_on_pmem_region.json").read_text())
    ns[0]["size"] = 2 * ns[0]["size"]
    path = tmp_path / "ndctl.json"
    path.write_text(json.dumps(ns))
    doc = machine_json("--from-cxl", PMEM, "--from-ndctl", str(path))
    assert any("beyond the pmem regions of --from-cxl" in n for n in doc["source"]["inferred"])
    fits = machine_json(
        "--from-cxl", PMEM, "--from-ndctl", str(DATA / "cxl" / "ndctl_list_N_on_pmem_region.json")
    )
    assert not any("beyond the pmem regions" in n for n in fits["source"]["inferred"])


def test_a_resized_dax_device_is_costed_as_the_whole_region(tmp_path: Path) -> None:
    doc = json.loads(Path(TWO_WAY).read_text())
    doc[0]["daxregion"]["devices"][0]["size"] = 64 * GiB
    del doc[0]["daxregion"]["devices"][0]["total_memblocks"]
    path = tmp_path / "resized.json"
    path.write_text(json.dumps(doc))
    out = machine_json("--from-cxl", str(path))
    (dev,) = flat_kmems(out)
    assert dev["capacity_bytes"] == 128 * GiB
    assert any("costed as the whole region" in n for n in out["source"]["inferred"])


def test_host_refuses_devices_of_its_own_with_the_dump() -> None:
    result = run_cli("host", "--from-cxl", SINGLE, "--system-ram", "64G", "--device", "--size 1T")
    assert result.exit_code == 2
    assert "--device: not with --from-ndctl, --from-cxl or --iomem" in result.stderr


def test_check_takes_the_cxl_dump_with_iomem_of_the_same_host() -> None:
    """One result, the kmem device once: 1 GiB of memmap (6.16, 256M blocks) + page tables
    passes --max-dram 2G."""
    iomem = str(DATA / "cxl" / "single_ram_region.iomem")
    args = ("check", "--from-cxl", SINGLE, "--iomem", iomem, "--kernel", "6.16")
    ok = run_cli(*args, "--max-dram", "2G", "--json")
    assert ok.exit_code == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["total"]["memmap_dram_pages"] == memmap_pages(64 * GiB)
    assert run_cli(*args, "--max-dram", "512M").exit_code == 1
