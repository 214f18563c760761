"""``vmemplan inspect --root`` on the snapshot fixtures of tests/data/live/ (written from
live-inspect.md §5 by ``python -m tests.live_trees``): the figures each must give, and the
verdict of each counter beside its prediction.

Every fixture is x86_64 (4 KiB pages, 64-byte struct page, 128 MiB sections: a section's
memmap is 32768 x 64 / 4096 = 512 pages), Linux 6.12.0 (nr_memmap_pages counts the nominal
memmap), with 4 GiB of boot RAM at 0 on node 0 unless it says otherwise: 32 sections, so
nr_memmap_boot_pages is 32 x 512 = 16384 before HVO. A 16 GiB device describes
16 GiB / 4 KiB = 4194304 pages, 65536 memmap pages nominally. A 2 MiB HugeTLB page has
512 x 64 / 4096 = 8 vmemmap pages, a 1 GiB one 4096; HVO keeps 1 per folio (the copied
head page, which joins nr_memmap_pages).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.inspect_schema import InspectDoc

LIVE = Path(__file__).resolve().parents[1] / "data" / "live"
MiB, GiB, PAGE = 1 << 20, 1 << 30, 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["inspect", *args], catch_exceptions=False)


def inspect(name: str) -> dict[str, Any]:
    result = run("--root", str(LIVE / name), "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    InspectDoc.model_validate(doc)
    return doc


def counters(doc: dict[str, Any]) -> dict[str, tuple[int | None, int | None, str]]:
    return {c["name"]: (c["predicted"], c["kernel"], c["verdict"]) for c in doc["counters"]}


def entry(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    (one,) = [d for d in doc["devices"] if d["kind"] == kind]
    return one  # type: ignore[no-any-return]


BOOT = (16384, 16384, "equal")
# boot RAM's memmap (16384 pages) and its vmemmap PMD/PUD tables: 2 table pages
BOOT_DRAM = 16384 * PAGE + 2 * PAGE


def test_devdax_map_mem() -> None:
    """namespace0.0, 16 GiB at 8 GiB, map=mem, align 2M: 8192 compound pages of 2 MiB,
    deduplicated to 2 vmemmap pages each = 16384 DRAM pages, plus the vmemmap page tables
    (which the deduplicated path maps with PTEs); the info block is 2 MiB lost.
    nr_memmap_pages counts the nominal 65536 (dedup ignored before v7.2)."""
    doc = inspect("devdax-map-mem")
    dev = entry(doc, "devdax")
    assert dev["memmap_dram_pages"] == 8192 * 2
    assert dev["lost_bytes"] == 2 * MiB
    assert dev["dram_bytes"] == 16384 * PAGE + dev["page_table_bytes"]
    assert counters(doc) == {
        "nr_memmap_boot_pages": BOOT,
        "nr_memmap_pages": (65536, 65536, "equal"),
        "MemTotal": (None, 3_900_000 * 1024 // PAGE, "not comparable"),
    }


@pytest.mark.parametrize(("name", "kind"), [("devdax-map-dev", "devdax"), ("fsdax", "fsdax")])
def test_map_dev_puts_the_memmap_on_the_device(name: str, kind: str) -> None:
    """map=dev: the 65536 memmap pages live in the namespace's altmap reservation (256 MiB
    on the device, no DRAM, no deduplication: an altmap never deduplicates);
    nr_memmap_pages counts them all the same."""
    doc = inspect(name)
    dev = entry(doc, kind)
    assert dev["memmap_dram_pages"] == 0
    assert dev["memmap_device_pages"] == 65536
    assert counters(doc)["nr_memmap_pages"] == (65536, 65536, "equal")


def test_kmem_with_its_memmap_in_dram() -> None:
    """dax0.0 (hmem, 16 GiB at 8 GiB) onlined by kmem into CPU-less node 1 with
    memmap_on_memory N: 128 blocks of 128 MiB, each block's 512 memmap pages from DRAM =
    65536 pages (256 MiB); node 1's present - managed is 0 and its MemTotal all
    4194304 pages."""
    doc = inspect("kmem-memmap-in-dram")
    dev = entry(doc, "system-ram")
    assert dev["memmap_dram_pages"] == 65536
    assert counters(doc) == {
        "nr_memmap_boot_pages": BOOT,
        "nr_memmap_pages": (65536, 65536, "equal"),
        "node 1 present - managed": (0, 0, "equal"),
        "node 1 MemTotal": (4194304, 4194304, "equal"),
        "MemTotal": (None, 3_900_000 * 1024 // PAGE, "not comparable"),
    }


def test_kmem_with_memmap_on_memory() -> None:
    """The same device with memory_hotplug.memmap_on_memory=Y and the device's attribute
    1: each block hosts its 512 memmap pages (memory_block_memmap_on_memory_pages()), so
    no DRAM memmap; node 1 has 128 x 512 = 65536 pages present but not managed
    (memory_block_online()), MemTotal 4194304 - 65536 = 4128768 pages; nr_memmap_pages
    still counts the 65536 wherever they live."""
    doc = inspect("kmem-memmap-on-memory")
    dev = entry(doc, "system-ram")
    assert dev["memmap_dram_pages"] == 0
    assert dev["memmap_device_pages"] == 65536
    c = counters(doc)
    assert c["node 1 present - managed"] == (65536, 65536, "equal")
    assert c["node 1 MemTotal"] == (4128768, 4128768, "equal")
    assert c["nr_memmap_pages"] == (65536, 65536, "equal")


def test_hugetlb_pool_carved_from_kmem_memory() -> None:
    """4 x 1 GiB pages on node 1, which holds only dax0.0's memory (memmap in DRAM), HVO
    on: the pool is carved from dax0.0. HVO frees 4 x 4096 vmemmap pages that came from
    the page allocator at hot-add: they leave nr_memmap_pages (free_vmemmap_page()), and
    the 4 copied head pages join it: 65536 - 16384 + 4 = 49156; the boot counter stays
    16384."""
    doc = inspect("hugetlb-on-kmem")
    pool = entry(doc, "hugetlb")
    assert pool["detail"]["label"] == "HugeTLB 1G x 4 on dax0.0"
    assert pool["memmap_dram_pages"] == 4
    c = counters(doc)
    assert c["nr_memmap_pages"] == (49156, 49156, "equal")
    assert c["nr_memmap_boot_pages"] == BOOT


@pytest.mark.parametrize(
    ("name", "boot", "after", "verdicts"),
    [
        # HVO on: 512 folios x 8 vmemmap pages leave the boot counter, 512 copies join
        ("hugetlb-hvo-on", 16384 - 512 * 8, 512, ("equal", "equal")),
        ("hugetlb-hvo-off", 16384, 0, ("equal", "equal")),
    ],
)
def test_hugetlb_pools_with_and_without_hvo(
    name: str, boot: int, after: int, verdicts: tuple[str, str]
) -> None:
    doc = inspect(name)
    c = counters(doc)
    assert c["nr_memmap_boot_pages"] == (boot, boot, verdicts[0])
    assert c["nr_memmap_pages"] == (after, after, verdicts[1])
    pool = entry(doc, "hugetlb")
    assert pool["detail"]["optimization"] == ("hvo" if name.endswith("on") else "none")


def test_a_pool_built_before_hvo_was_turned_on_is_a_finding_not_an_error() -> None:
    """The sysctl reads 1 but the pool was grown while it was 0: the kernel freed nothing
    (16384 boot pages, no copies) while the prediction assumes every folio optimised
    (12288, 512). The verdict says by how much; the exit code stays 0."""
    doc = inspect("hugetlb-hvo-toggled")
    c = {x["name"]: x for x in doc["counters"]}
    assert (c["nr_memmap_boot_pages"]["verdict"], c["nr_memmap_boot_pages"]["difference"]) == (
        "differs",
        512 * 8,
    )
    assert c["nr_memmap_pages"]["difference"] == -512
    human = run("--root", str(LIVE / "hugetlb-hvo-toggled"))
    assert human.exit_code == 0
    assert "differs by +4,096 pages" in human.stdout


def test_cxl_region_onlined_by_kmem_without_root() -> None:
    """region0 (16 GiB at 64 GiB) holds dax0.0, bound to kmem with memmap_on_memory (CXL's
    default 1, parameter Y), captured without root: mappingN is root only, so the range
    is the region's 0444 resource (and a note says so). 128 self-hosted blocks: node 1
    present - managed = 65536."""
    doc = inspect("cxl-kmem")
    dev = entry(doc, "system-ram")
    assert dev["capacity_bytes"] == 16 * GiB
    assert dev["memmap_dram_pages"] == 0
    assert counters(doc)["node 1 present - managed"] == (65536, 65536, "equal")
    assert any("range taken from region0/resource" in n for n in doc["notes"])
    assert doc["source"]["euid"] == 1000


def test_two_numa_nodes() -> None:
    """4 GiB of boot RAM on each of nodes 0 and 1 (64 sections, 32768 memmap pages), 256
    x 2 MiB pages per node with HVO: 512 x 8 = 4096 boot pages freed, 512 copies."""
    doc = inspect("two-nodes")
    assert doc["input"]["boot_ram"] == [[0, 4 * GiB], [4 * GiB, 8 * GiB]]
    assert sorted(p["detail"]["node"] for p in doc["devices"] if p["kind"] == "hugetlb") == [0, 1]
    c = counters(doc)
    assert c["nr_memmap_boot_pages"] == (32768 - 4096, 32768 - 4096, "equal")
    assert c["nr_memmap_pages"] == (512, 512, "equal")


def test_a_capture_without_root_says_what_it_could_not_read_and_what_it_assumed() -> None:
    """The devdax namespace of devdax-map-mem, captured as uid 1000: no resource files,
    /proc/iomem all zero. Boot RAM comes from /sys/firmware/memmap (0444); the namespace
    is placed on the first GiB above boot RAM (4 GiB, section aligned), which gives the
    same figures as its real address (8 GiB)."""
    doc = inspect("no-root")
    notes = "\n".join(doc["notes"])
    assert "captured without root and could not read: sys/bus/nd/devices/namespace0.0/resource" in (
        notes
    )
    assert "namespace addresses unreadable without root (namespace0.0)" in notes
    assert doc["source"]["boot_ram_source"] == "sys/firmware/memmap"
    rooted = inspect("devdax-map-mem")
    assert doc["total"] == rooted["total"]
    assert entry(doc, "devdax")["detail"]["label"] == entry(rooted, "devdax")["detail"]["label"]
