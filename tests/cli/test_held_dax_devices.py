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

from click.testing import CliRunner, Result

from tests.helpers import GiB, MiB
from vmemplan.cli import cli
from vmemplan.output.schema import MachineDoc

DATA = Path(__file__).resolve().parents[1] / "data" / "ndctl"
FAMFS = str(DATA / "daxctl_list_famfs.json")


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def machine(*args: str, stdin: str | None = None) -> dict[str, Any]:
    result = run("estimate", *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    MachineDoc.model_validate(doc)
    return doc


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
    (ns,) = doc["namespaces"]
    assert ns["input"]["label"] == "dax0.0"
    assert (ns["input"]["mode"], ns["input"]["vmemmap_shift"]) == ("devdax", 0)
    assert ns["input"]["dax_ranges"] == [{"start_bytes": 64 * GiB, "end_bytes": 80 * GiB}]
    assert ns["memmap"]["dram_pages"] == 65_536
    assert ns["memmap"]["saved_pages"] == 0
    assert ns["page_tables"]["bytes"] == 4096
    assert ns["dram_bytes"] == 268_439_552
    assert ns["init"]["struct_pages_initialised"] == 4_194_304
    assert (ns["init"]["time_ns_low"], ns["init"]["time_ns_high"]) == (33_554_432, 44_879_053)
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
    (dd,) = devdax["namespaces"]
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
    (ns,) = doc["namespaces"]
    assert (ns["input"]["mode"], ns["input"]["map"], ns["input"]["align_bytes"]) == (
        "fsdax",
        "mem",
        2 * MiB,
    )
    assert ns["namespace"]["dataoff_bytes"] == 2 * MiB
    assert ns["memmap"]["dram_pages"] == 262_144
    assert ns["dram_bytes"] == 1_073_745_920
    assert found(doc)["namespace0.0"]["kind"] == "famfs"
    (note,) = [n for n in doc["source"]["inferred"] if "famfs" in n]
    assert note.startswith("namespace0.0 ([0]): famfs: fsdev_dax holds its dax device dax0.0; ")
    assert "estimated as fsdax (the namespace's pgmap: its map and info block are unchanged)" in (
        note
    )
    # the same figures as the namespace typed as fsdax
    typed = run("estimate", "--size", "64G", "--mode", "fsdax", "--map", "mem", "--json")
    assert json.loads(typed.stdout)["dram_bytes"] == ns["dram_bytes"]

    devdax = machine("--from-ndctl", "-", "--mode", "devdax", stdin=dump)
    (dd,) = devdax["namespaces"]
    assert dd["memmap"]["dram_pages"] == 65_536
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
