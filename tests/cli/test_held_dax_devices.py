"""Dax devices another driver than device_dax holds, in ndctl/daxctl dumps.

daxctl names the driver in ``mode`` (util_daxctl_dev_to_json(), daxctl/json.c): kmem is
``system-ram``, fsdev_dax is ``famfs`` (newer daxctl), device_dax is ``devdax``. ``ndctl
list -N -X`` nests the same device objects in a devdax namespace's ``daxregion``.

Expected figures are worked out by hand on the default machine (x86_64, 4K pages, 64-byte
struct page, kernel 6.12, boot RAM 0+64G, namespaces placed from 64G): the vmemmap of a
physical byte is at its address / 64; a PMD table maps 1 GiB of vmemmap (boot RAM owns
[0, 1G)), vmemmap in 2 MiB PMD leaves needs no PTE table; the direct map of the added
ranges is 1G pages in the PUD table boot RAM owns (no new table). Init time is struct
pages x 8.0-10.7 ns (DRAM memmap), rounded down / up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import GiB, MiB, flat_kmems, flat_pgmaps, kmems, machine_json, pgmaps, run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "ndctl"
FAMFS = str(DATA / "daxctl_list_famfs.json")


run, machine = run_cli, machine_json


def refused(*args: str, stdin: str | None = None) -> str:
    result = run("estimate", *args, stdin=stdin)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def found(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["label"]: f for f in doc["source"]["found"]}


# -- famfs: fsdev_dax ---------------------------------------------------------------------


def test_famfs_dax_device_is_a_pgmap_without_compound_pages() -> None:
    """daxctl_list_famfs.json: dax0.0, 16G, align 2M, bound to fsdev_dax.

    fsdev_dax_probe() (drivers/dax/fsdev.c) memremaps the device's ranges as
    MEMORY_DEVICE_FS_DAX with vmemmap_shift 0: a pgmap with a struct page per 4K pfn and
    no compound pages, so nothing is deduplicated whatever the 2M align. Placed at 64G:
    [64G, 80G), 4,194,304 struct pages * 64 B = 256 MiB = 65,536 memmap pages in DRAM;
    its vmemmap [1G, 1.25G) needs the PMD table of [1G, 2G): 4096 B. DRAM: 65,536 * 4096
    + 4096 = 268,439,552 bytes. Init: 4,194,304 * 8.0 ns = 33,554,432 ns to * 10.7 ns =
    44,879,052.8, so 44,879,053 ns.

    Bound to device_dax (--mode devdax) the same range has 2M compound pages and keeps 2
    vmemmap pages of 8 per page: 8192 * 2 = 16,384 pages, plus a PTE table per 2 MiB of
    its 256 MiB of vmemmap VA (128) and the PMD table: 16,384 * 4096 + 129 * 4096 =
    67,637,248 bytes.
    """
    doc = machine("--from-ndctl", FAMFS)
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["label"] == "dax0.0"
    assert (ns["input"]["mode"], ns["input"]["vmemmap_shift"]) == ("devdax", 0)
    assert ns["input"]["dax_ranges"] == [{"start_bytes": 64 * GiB, "end_bytes": 80 * GiB}]
    assert ns["memmap_dram_pages"] == 65_536
    assert ns["memmap"]["saved_pages"] == 0
    assert ns["page_table_bytes"] == 4096
    assert ns["dram_bytes"] == 268_439_552
    assert ns["struct_pages_initialised"] == 4_194_304
    assert (ns["init_ns_low"], ns["init_ns_high"]) == (33_554_432, 44_879_053)
    f = found(doc)["dax0.0"]
    assert (f["kind"], f["estimated"], f["overridden"]) == ("famfs", True, [])
    assert (
        "dax0.0 ([0]): famfs: fsdev_dax holds the device; fsdev_dax_probe() "
        "(drivers/dax/fsdev.c) maps it as MEMORY_DEVICE_FS_DAX with vmemmap_shift 0, so its "
        "struct pages are order-0 whatever the align 2M, with no vmemmap deduplication: "
        "estimated as device-dax without compound pages; --mode devdax models it bound to "
        "device_dax"
    ) in doc["source"]["inferred"]

    devdax = machine("--from-ndctl", FAMFS, "--mode", "devdax")
    (dd,) = flat_pgmaps(devdax)
    assert dd["input"]["align_bytes"] == 2 * MiB
    assert dd["dram_bytes"] == 67_637_248
    assert found(devdax)["dax0.0"]["overridden"] == ["mode"]
    notes = devdax["source"]["inferred"]
    assert "dax0.0 ([0]): --mode devdax overrides the dump's mode famfs" in notes


def _namespace_with(device: dict[str, Any], **ns: Any) -> str:
    """A devdax namespace of ndctl list -N -X holding ``device``: 64G raw, map=mem, 2M
    (usable 64G - 2M: dataoff = ALIGN(8K, 2M))."""
    usable = 64 * GiB - 2 * MiB
    return json.dumps(
        [
            {
                "dev": "namespace0.0",
                "mode": "devdax",
                "map": "mem",
                "size": usable,
                "uuid": "0c9c4e1a-58b2-4d7e-9f36-1b2a3c4d5e6f",
                "daxregion": {
                    "id": 0,
                    "size": usable,
                    "align": 2 * MiB,
                    "devices": [{"chardev": "dax0.0", "size": usable, "align": 2 * MiB, **device}],
                },
                "align": 2 * MiB,
                **ns,
            }
        ]
    )


def test_famfs_namespace_is_its_pgmap_as_fsdax() -> None:
    """namespace0.0 (64G raw, map=mem, align 2M) whose dax0.0 fsdev_dax holds.

    For a pmem dax device fsdev_dax takes the namespace's static pgmap (whole namespace,
    no altmap with map=mem) and sets vmemmap_shift 0: what fsdax builds. [64G, 128G):
    16,777,216 struct pages * 64 B = 1 GiB = 262,144 memmap pages in DRAM, vmemmap [1G,
    2G) in one new PMD table: 1,073,741,824 + 4096 = 1,073,745,920 bytes; the same
    namespace as device_dax (--mode devdax) deduplicates its 32,768 2M pages to 2 pages
    each, 65,536 pages (256 MiB) plus 512 PTE tables and the PMD table.
    """
    dump = _namespace_with({"mode": "famfs"})
    doc = machine("--from-ndctl", "-", stdin=dump)
    (ns,) = flat_pgmaps(doc)
    assert (ns["input"]["mode"], ns["input"]["map"], ns["input"]["align_bytes"]) == (
        "fsdax",
        "mem",
        2 * MiB,
    )
    assert ns["namespace"]["dataoff_bytes"] == 2 * MiB
    assert ns["memmap_dram_pages"] == 262_144
    assert ns["dram_bytes"] == 1_073_745_920
    assert found(doc)["namespace0.0"]["kind"] == "famfs"
    (note,) = [n for n in doc["source"]["inferred"] if "famfs" in n]
    assert note.startswith("namespace0.0 ([0]): famfs: fsdev_dax holds its dax device dax0.0; ")
    assert "estimated as fsdax (the namespace's pgmap: its map and info block are unchanged)" in (
        note
    )
    # the same figures as the namespace typed as fsdax
    typed = run("estimate", "--size", "64G", "--mode", "fsdax", "--map", "mem", "--json")
    assert json.loads(typed.stdout)["total"]["dram_bytes"] == ns["dram_bytes"]

    devdax = machine("--from-ndctl", "-", "--mode", "devdax", stdin=dump)
    (dd,) = flat_pgmaps(devdax)
    assert dd["memmap_dram_pages"] == 65_536
    assert dd["dram_bytes"] == (65_536 + 512 + 1) * 4096
    assert found(devdax)["namespace0.0"]["overridden"] == ["mode"]
    assert (
        "namespace0.0 ([0]): --mode devdax overrides its dax device dax0.0's mode famfs"
        in devdax["source"]["inferred"]
    )


def test_align_for_a_famfs_device_is_refused() -> None:
    err = refused("--from-ndctl", FAMFS, "--align", "1G")
    assert err == (
        "vmemplan: error: --align: 1G: dax0.0 is famfs (fsdev_dax), which has no compound "
        "pages; add --mode devdax to model it as device-dax\n"
    )
    err = refused("--from-ndctl", "-", "--align", "1G", stdin=_namespace_with({"mode": "famfs"}))
    assert "--align: 1G: dax0.0 of namespace0.0 is famfs (fsdev_dax), which has no" in err


def test_a_held_dax_device_must_be_its_namespace_only_one() -> None:
    """A pmem dax region has one static dax device (__dax_pmem_probe()); an fsdax
    namespace has none."""
    two = json.loads(_namespace_with({"mode": "famfs"}))
    two[0]["daxregion"]["devices"].append({"chardev": "dax0.1", "size": 2 * MiB})
    err = refused("--from-ndctl", "-", stdin=json.dumps(two))
    assert err == (
        "vmemplan: error: --from-ndctl: namespace0.0 ([0]): its daxregion lists 2 dax "
        "devices; a pmem namespace has one (__dax_pmem_probe() in drivers/dax/pmem.c)\n"
    )
    err = refused("--from-ndctl", "-", stdin=_namespace_with({"mode": "famfs"}, mode="fsdax"))
    assert err == (
        "vmemplan: error: --from-ndctl: namespace0.0 ([0]): mode fsdax, but its daxregion "
        "holds dax0.0 in famfs mode: only a devdax namespace has a dax device\n"
    )


# -- system-ram: kmem on a pmem devdax namespace (ndctl list -N -X) ------------------------

LIST_NX = str(DATA / "list_NX_devdax_kmem.json")
X86_IOMEM = str(DATA.parent / "iomem" / "x86_pmem_cxl.iomem")


def test_kmem_namespace_of_list_nx_is_hot_added_system_ram() -> None:
    """list_NX_devdax_kmem.json: namespace0.0 devdax map=dev align 2M, its dax0.0 in
    system-ram mode (31 of 31 memory blocks online); namespace1.0 devdax map=mem 1G.

    namespace0.0: usable 67,643,637,760 = 64G - 1026M is a raw 64G: npfns = (64G - 8K) /
    4K = 16,777,214, dataoff = ALIGN(8K + 64 * 16,777,214, 2M) = ALIGN(1,073,749,888, 2M)
    = 1,075,838,976 (1026M). The info block and map=dev reservation stay (nd_dax is
    unchanged); device_dax's pgmap went with the unbind. Placed at 64G, on a memory block
    boundary: boot RAM ends at 64G, so probe_memory_block_size() picks 2G, which gives
    daxctl's total_memblocks 31. dax0.0 is [64G + 1026M, 128G); kmem adds [66G, 128G),
    31 blocks = 62G, and trims 1022M (1,071,644,672) at the head. Of the 64G namespace
    1026M is stranded and 62G becomes RAM: 2G lost.

    Memmap in DRAM (memmap_on_memory off): 62G / 4K = 16,252,928 struct pages * 64 / 4096
    = 253,952 pages. Its vmemmap [66G / 64, 128G / 64) = [1G + 32M, 2G) needs the PMD
    table of [1G, 2G), which neither boot RAM (vmemmap [0, 1G)) nor namespace1.0 (placed
    at 128G, vmemmap [2G, 2.5G)) has: 4096 B; the direct map of [66G, 128G) is 1G pages
    in boot RAM's PUD table. DRAM: 253,952 * 4096 + 4096 = 1,040,191,488 bytes. Init at
    online: 16,252,928 * 8.0 ns = 130,023,424 ns to * 10.7 ns = 173,906,329.6, so
    173,906,330 ns.

    namespace1.0: usable 31G = 32G - ALIGN(8K, 1G): raw 32G at 128G, still a devdax pgmap.
    """
    doc = machine("--from-ndctl", LIST_NX)
    (ns1,) = flat_pgmaps(doc)
    assert ns1["input"]["label"] == "namespace1.0"
    assert (ns1["input"]["start_bytes"], ns1["input"]["size_bytes"]) == (128 * GiB, 32 * GiB)
    (sr,) = flat_kmems(doc)
    assert sr["name"] == "dax0.0"
    assert sr["input"]["namespace"] == {
        "start": 64 * GiB,
        "size_bytes": 64 * GiB,
        "map": "dev",
        "align_bytes": 2 * MiB,
        "dataoff_bytes": 1026 * MiB,
        "end_trunc_bytes": 0,
    }
    assert sr["input"]["memory_block_size_bytes"] == 2 * GiB
    assert sr["input"]["memory_block_size_source"] == "probe_memory_block_size"
    assert sr["ranges"] == [
        {
            "start": 64 * GiB + 1026 * MiB,
            "size_bytes": 67_643_637_760,
            "added_start": 66 * GiB,
            "added_bytes": 62 * GiB,
            "head_trimmed_bytes": 1_071_644_672,
            "tail_trimmed_bytes": 0,
            "blocks": 31,
            "memmap": "dram",
            "as_given": None,
        }
    ]
    fig = sr
    assert (fig["capacity_bytes"], fig["stranded_bytes"]) == (64 * GiB, 1_075_838_976)
    assert (fig["trimmed_bytes"], fig["usable_bytes"]) == (1_071_644_672, 62 * GiB)
    assert (fig["memmap_dram_pages"], fig["memmap_device_pages"]) == (253_952, 0)
    assert fig["page_tables"] == {"pte": 0, "pmd": 1, "pud": 0, "p4d": 0}
    assert fig["direct_map_bytes"] == 0
    assert fig["dram_bytes"] == 1_040_191_488
    assert fig["struct_pages_initialised"] == 16_252_928
    assert [fig["init_ns_low"], fig["init_ns_high"]] == [130_023_424, 173_906_330]
    t = doc["total"]
    assert (len(pgmaps(doc)), len(kmems(doc))) == (1, 1)
    assert t["dram_bytes"] == ns1["dram_bytes"] + 1_040_191_488
    assert t["lost_bytes"] == ns1["lost_bytes"] + 2 * GiB
    assert t["struct_pages"] == 32 * GiB // 4096 + 16_252_928
    f = found(doc)
    assert (f["namespace0.0"]["kind"], f["namespace1.0"]["kind"]) == ("system-ram", "devdax")
    assert f["namespace0.0"]["ranges"] == [{"start_bytes": 64 * GiB, "end_bytes": 128 * GiB}]
    assert f["namespace0.0"]["inferred_raw_bytes"] == 64 * GiB
    assert f["namespace0.0"]["usable_matches"] is True
    notes = doc["source"]["inferred"]
    assert (
        "namespace0.0 ([0]): raw size 64G inferred from usable 67,643,637,760 bytes; placed "
        "at 0x1000000000 (on a 2G memory block boundary)"
    ) in notes
    kmem = "dax0.0 ([0].daxregion.devices[0], in namespace0.0): "
    assert any(n.startswith(kmem + "system-ram (kmem): no pgmap; hot-added") for n in notes)
    assert (
        kmem + "the dax device starts 0x40200000 into namespace0.0 (its dataoff, map=dev, align "
        "2M): 1.00 GiB of the namespace is stranded (neither dax device nor RAM)"
    ) in notes
    assert (
        "pmem namespace map=dev: 1026M before the dax device (info block and the memmap "
        "reservation) is neither dax device nor RAM"
    ) in sr["notes"]


def test_kmem_namespace_text_row() -> None:
    result = run("estimate", "--from-ndctl", LIST_NX)
    assert result.exit_code == 0, result.stderr
    (row,) = [line for line in result.stdout.splitlines() if line.lstrip().startswith("dax0.0")]
    assert "system-ram/2G blocks" in row
    assert "62.00 GiB" in row
    assert "namespace0.0" not in [line.split()[0] for line in result.stdout.splitlines() if line]


def _kmem_namespace(**device: Any) -> dict[str, Any]:
    """namespace0.1 of x86_pmem_cxl.iomem as ndctl list -N -X prints it: 64G raw, map=dev,
    2M (usable 64G - 1026M), its dax0.0 in system-ram mode."""
    usable = 64 * GiB - 1026 * MiB
    dev = {"chardev": "dax0.0", "size": usable, "align": 2 * MiB, "mode": "system-ram"}
    return {
        "dev": "namespace0.1",
        "mode": "devdax",
        "map": "dev",
        "size": usable,
        "daxregion": {"id": 0, "size": usable, "align": 2 * MiB, "devices": [{**dev, **device}]},
        "align": 2 * MiB,
    }


def test_kmem_namespace_total_memblocks_gives_the_block_size() -> None:
    """total_memblocks 503: placed on a block boundary, the dax device starts 1026M into
    its block; 2G blocks would give 31, 128M blocks ALIGN(1026M, 128M) = 1152M to 64G:
    (64G - 1152M) / 128M = 503. Memmap: 503 * 128M / 64 = 1006M = 257,536 pages."""
    dump = json.dumps([_kmem_namespace(total_memblocks=503)])
    doc = machine("--from-ndctl", "-", stdin=dump)
    (sr,) = flat_kmems(doc)
    assert sr["input"]["memory_block_size_bytes"] == 128 * MiB
    assert sr["input"]["memory_block_size_source"] == "dump"
    assert sr["ranges"][0]["blocks"] == 503
    assert sr["memmap_dram_pages"] == 257_536
    assert doc["source"]["inferred"][0] == (
        "dax0.0 ([0].daxregion.devices[0], in namespace0.1): memory blocks of 128M inferred "
        "from its total_memblocks 503 (64510M), which blocks of 2G (probe_memory_block_size() "
        "with boot RAM ending at 64G) would not give (--memory-block-size to choose)"
    )


def test_kmem_namespace_with_iomem_matches_the_iomem_model() -> None:
    """With x86_pmem_cxl.iomem the namespace is at its range [194G, 258G), and dax0.0 at
    194G + 1026M, where /proc/iomem has it: the figures of /proc/iomem alone (tests/cli/
    test_sources.py): 128M blocks from its System RAM (kmem) child, 503 blocks, 126M
    trimmed, 1026M stranded, 257,536 memmap pages."""
    dump = json.dumps([_kmem_namespace(total_memblocks=503)])
    doc = machine("--iomem", X86_IOMEM, "--from-ndctl", "-", stdin=dump)
    alone = machine("--iomem", X86_IOMEM)
    assert flat_pgmaps(doc) == []
    (sr,) = flat_kmems(doc)
    (ref,) = [s for s in flat_kmems(alone) if s["name"] == "dax0.0"]
    assert sr["input"]["namespace"] == ref["input"]["namespace"]
    assert sr["ranges"] == ref["ranges"]
    assert sr["memmap_dram_pages"] == ref["memmap_dram_pages"] == 257_536
    assert sr["stranded_bytes"] == 1026 * MiB
    assert sr["ranges"][0]["head_trimmed_bytes"] == 126 * MiB
    # map=mem would put the dax device 2M into the namespace, not where /proc/iomem has it
    mem = _kmem_namespace()
    mem.update(map="mem", size=64 * GiB - 2 * MiB)
    err = refused("--iomem", X86_IOMEM, "--from-ndctl", "-", stdin=json.dumps([mem]))
    assert err == (
        "vmemplan: error: --from-ndctl: dax0.0 ([0].daxregion.devices[0], in namespace0.1): "
        "/proc/iomem puts it at 30c0200000-407fffffff (line 30), its namespace's layout at "
        "3080200000-407fffffff: the dumps disagree\n"
    )


def test_kmem_namespace_options() -> None:
    """--mode devdax models the namespace as device_dax holds it (a map=dev pgmap again);
    --align is refused (kmem has no compound pages); --memmap-on-memory applies to it: 31
    blocks of 2G each host 2G / 64 = 32M = 8192 memmap pages, 253,952 on the device."""
    devdax = machine("--from-ndctl", LIST_NX, "--mode", "devdax")
    assert flat_kmems(devdax) == []
    assert [n["input"]["label"] for n in flat_pgmaps(devdax)] == ["namespace0.0", "namespace1.0"]
    assert found(devdax)["namespace0.0"]["overridden"] == ["mode"]
    assert (
        "namespace0.0 ([0]): --mode devdax overrides its dax device dax0.0's mode system-ram"
        in devdax["source"]["inferred"]
    )
    err = refused("--from-ndctl", LIST_NX, "--align", "1G")
    assert err == (
        "vmemplan: error: --align: 1G: dax0.0 of namespace0.0 is system-ram (kmem), which has "
        "no compound pages; add --mode devdax to model it as device-dax\n"
    )
    on = machine("--from-ndctl", LIST_NX, "--memmap-on-memory", "on")
    fig = flat_kmems(on)[0]
    assert (fig["memmap_dram_pages"], fig["memmap_device_pages"]) == (0, 253_952)


def test_check_counts_a_kmem_namespace() -> None:
    """check --from-ndctl: dax0.0's 1,040,191,488 bytes of DRAM are in the total."""
    result = run("check", "--from-ndctl", LIST_NX, "--max-dram", "512M", "--format", "json")
    assert result.exit_code == 1, result.stderr
    (file,) = json.loads(result.stdout)["files"]
    assert [sr["name"] for sr in flat_kmems(file)] == ["dax0.0"]
    assert file["total"]["dram_bytes"] > 1_040_191_488


@pytest.mark.parametrize("memblocks", [{"total_memblocks": 31}, {}])
def test_kmem_namespace_with_an_align_no_namespace_has_is_refused(
    memblocks: dict[str, int],
) -> None:
    """align 16M: no x86_64 namespace has it (nd_pfn_supported_alignments()); refused
    whether the memory blocks are read from the dump or not (without them, by the check
    of the dump's aligns, which also says no modelled architecture has it)."""
    dump = _kmem_namespace(**memblocks)
    dump["align"] = 16 * MiB
    err = refused("--from-ndctl", "-", stdin=json.dumps([dump]))
    assert err.startswith("vmemplan: error: --from-ndctl: namespace0.1 ([0]): align 16M is not")
    assert "x86_64 (supported: 4K, 2M, 1G)" in err or "x86_64 alignment (4K, 2M, 1G)" in err
    assert err.count("\n") == 1
