"""Dumps as the kernel and ndctl/daxctl really print them, and as users paste them.

Each fixture is written from the kernel's resource tree or the tools' JSON printers; its
README (tests/data/iomem/README.md, tests/data/ndctl/README.md) says which kernel or tool
version prints that shape.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import GiB, MiB, flat_kmems, flat_pgmaps, machine_json
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.pfn_devs import nd_pfn_init

DATA = Path(__file__).resolve().parents[1] / "data"
IOMEM = DATA / "iomem"
NDCTL = DATA / "ndctl"
X86 = ARCHES["x86_64"]


def _dataoff(start: int, size: int, map_: str) -> int:
    layout = nd_pfn_init(X86, start=start, size=size, align=2 * MiB, map_=map_, struct_page_size=64)  # type: ignore[arg-type]
    return layout.dataoff


# -- 1: the namespace head beside its dax device -------------------------------------------


def test_pmem_devdax_namespace_head_is_a_sibling_of_its_dax_device() -> None:
    """__dax_pmem_probe() (drivers/dax/pmem.c) reserves only the first dataoff bytes of the
    namespace under its name; device_dax reserves the data under daxX.Y, beside it. The
    namespace is both, devdax, with the map and align that give that dataoff."""
    doc = machine_json("--iomem", str(IOMEM / "pmem_devdax_head_siblings.iomem"))
    (ns,) = flat_pgmaps(doc)
    start = 0x240000000
    assert ns["input"]["label"] == "namespace0.0"
    assert ns["namespace"]["size_bytes"] == 8 * GiB
    assert ns["input"]["start_bytes"] == start
    assert ns["namespace"]["dataoff_bytes"] == 0x248200000 - start
    assert (ns["input"]["mode"], ns["input"]["map"]) == ("devdax", "dev")
    # the head line ends where dax0.0 starts: the map=dev dataoff of an 8 GiB namespace
    assert _dataoff(start, 8 * GiB, "dev") == 0x248200000 - start
    # map=dev: the memmap is on the device, DRAM pays page tables only
    assert ns["dram_bytes"] < MiB
    (kmem,) = flat_kmems(doc)
    assert kmem["name"] == "dax1.0"
    assert any("namespace1.0" in line and "stranded" in line for line in doc["source"]["inferred"])
    found = {f["label"]: f["kind"] for f in doc["source"]["found"]}
    assert found.get("dax0.0") == "devdax"
    assert "namespace0.0" not in found  # no phantom namespace of the head alone


# -- 2: CXL pmem, namespaces below the region -----------------------------------------------


def test_cxl_pmem_region_namespaces_are_read() -> None:
    """cxl_pmem_region_probe() (drivers/cxl/pmem.c) inserts a Persistent Memory resource over
    the region, so namespaces sit below regionN, not directly below Persistent Memory."""
    doc = machine_json("--iomem", str(IOMEM / "cxl_pmem_region_namespaces.iomem"))
    pgmaps = flat_pgmaps(doc)
    assert [p["input"]["label"] for p in pgmaps] == ["namespace0.0", "namespace0.1"]
    assert [p["namespace"]["size_bytes"] for p in pgmaps] == [32 * GiB, 32 * GiB]
    assert pgmaps[1]["input"]["mode"] == "devdax"
    assert pgmaps[1]["input"]["map"] == "mem"  # dataoff 2 MiB: map=mem at align 2M
    assert _dataoff(0x2880000000, 32 * GiB, "mem") == 2 * MiB
