"""Dumps as the kernel and ndctl/daxctl really print them, and as users paste them.

Each fixture is written from the kernel's resource tree or the tools' JSON printers; its
README (tests/data/iomem/README.md, tests/data/ndctl/README.md) says which kernel or tool
version prints that shape.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import GiB, MiB, flat_kmems, flat_pgmaps, machine_json, run_cli
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.pfn_devs import nd_pfn_init

DATA = Path(__file__).resolve().parents[1] / "data"
IOMEM = DATA / "iomem"
NDCTL = DATA / "ndctl"
X86 = ARCHES["x86_64"]


def _dataoff(start: int, size: int, map_: str) -> int:
    layout = nd_pfn_init(X86, start=start, size=size, align=2 * MiB, map_=map_, struct_page_size=64)  # type: ignore[arg-type]
    return layout.dataoff


def _usable(size: int, map_: str) -> int:
    layout = nd_pfn_init(X86, start=0, size=size, align=2 * MiB, map_=map_, struct_page_size=64)  # type: ignore[arg-type]
    return layout.usable


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


# -- 3: legacy (e820, memmap=) namespaces in ndctl list -------------------------------------


def test_legacy_e820_namespace_has_no_info_block() -> None:
    """util_namespace_to_json() (ndctl/json.c) prints a namespace with no pfn device
    ("native/static" fsdax: an e820 or memmap= carve-out) with map mem, no uuid and no
    align, its size the whole namespace: the pmem driver maps it all with its memmap in
    DRAM (pmem_attach_disk(), drivers/nvdimm/pmem.c), so raw = usable, nothing is lost."""
    for name, exact in (("list_N_legacy_e820.json", True), ("list_Nu_legacy_e820.json", False)):
        doc = machine_json("--from-ndctl", str(NDCTL / name))
        (ns,) = flat_pgmaps(doc)
        assert ns["capacity_bytes"] == 32 * GiB
        assert ns["usable_bytes"] == 32 * GiB
        assert ns["lost_bytes"] == 0
        # 32 GiB of 4 KiB pages, 64-byte struct pages, all in DRAM
        assert ns["memmap_dram_pages"] == 32 * GiB // 4096 * 64 // 4096
        (found,) = doc["source"]["found"]
        assert (found["kind"], found["inferred_raw_bytes"]) == ("fsdax", 32 * GiB)
        notes = doc["source"]["inferred"]
        assert any("no pfn info block" in n for n in notes)
        assert not any("--align 1G" in n for n in notes)
        assert any("rounded in the dump" in n for n in notes) is not exact


# -- 4: "map":"none" ------------------------------------------------------------------------


def test_map_none_is_read_as_printed_and_the_map_inferred_from_the_size() -> None:
    """util_namespace_to_json() prints the pfn/dax device's location as it is, "none" too.
    16,909,336,576 bytes is what a 16 GiB namespace keeps at map=dev, align 2M (map=mem
    would keep 16 GiB - 2 MiB): the map is inferred from it, and the note says "none"."""
    assert _usable(16 * GiB, "dev") == 16909336576
    doc = machine_json("--from-ndctl", str(NDCTL / "list_N_map_none.json"))
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["map"] == "dev"
    assert ns["capacity_bytes"] == 16 * GiB
    notes = doc["source"]["inferred"]
    assert not any("no map in the dump" in n for n in notes)
    assert any("map none in the dump" in n and "map=dev inferred" in n for n in notes)
    text = run_cli("estimate", "--from-ndctl", str(NDCTL / "list_N_map_none.json")).stdout
    assert "inferred: namespace1.0 ([0]): map none in the dump" in " ".join(text.split())


# -- 5: daxctl list -RD of a pmem namespace's dax device ------------------------------------


def test_daxctl_device_in_a_pmem_region_is_its_namespace() -> None:
    """A dax region whose path is under ndbusN/regionN is a pmem namespace's static one
    (__dax_pmem_probe()): dax0.0 is namespace0.0's device, map=dev by ndctl's default,
    and 33,820,770,304 bytes is what a 32 GiB namespace keeps at map=dev, align 2M."""
    assert _usable(32 * GiB, "dev") == 33820770304
    doc = machine_json("--from-ndctl", str(NDCTL / "daxctl_list_RD_pmem_region.json"))
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["label"] == "namespace0.0"
    assert (ns["input"]["mode"], ns["input"]["map"]) == ("devdax", "dev")
    assert ns["capacity_bytes"] == 32 * GiB
    assert ns["memmap_dram_pages"] == 0  # the memmap is on the device
    assert any("is in a pmem region" in n for n in doc["source"]["inferred"])


# -- 6: daxctl list -M mappings -------------------------------------------------------------


def test_daxctl_mappings_give_the_ranges() -> None:
    """util_daxctl_mapping_to_json() prints each range's start and inclusive end."""
    doc = machine_json("--from-ndctl", str(NDCTL / "daxctl_list_M_mappings.json"))
    (dev,) = flat_pgmaps(doc)
    assert dev["input"]["dax_ranges"] == [
        {"start_bytes": 0x1080000000, "end_bytes": 0x1480000000},
        {"start_bytes": 0x1880000000, "end_bytes": 0x1C80000000},
    ]
    notes = doc["source"]["inferred"]
    assert not any("the dump has no address" in n for n in notes)
    assert any("ranges from the dump's mappings" in n for n in notes)


# -- 7: pastes ------------------------------------------------------------------------------


def test_a_pasted_iomem_is_read_and_what_was_skipped_is_said() -> None:
    """Indented as a whole, elided, one-space and parentless PCI lines, annotations: the
    memory in it is estimated, and each skip is said with its line numbers."""
    doc = machine_json("--iomem", str(IOMEM / "pasted_server_excerpt.iomem"))
    assert [p["input"]["label"] for p in flat_pgmaps(doc)] == ["namespace0.0", "namespace0.1"]
    assert flat_pgmaps(doc)[0]["capacity_bytes"] == 64 * GiB
    notes = " | ".join(doc["source"]["inferred"])
    assert "indented by 4 spaces as a whole" in notes
    assert "lines 3, 7: elided by the poster" in notes
    assert "line 10: indented by an odd number of spaces" in notes
    assert "lines 13, 15: a note after a resource name" in notes


def test_a_pasted_memory_line_that_is_ambiguous_is_still_refused(tmp_path: Path) -> None:
    """One space too many before a namespace: its parent cannot be told."""
    dump = tmp_path / "iomem"
    dump.write_text(
        "100000000-107fffffff : System RAM\n"
        "1080000000-307fffffff : Persistent Memory\n"
        "   1080000000-307fffffff : namespace0.0\n"
    )
    result = run_cli("estimate", "--iomem", str(dump))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "line 3: '   1080000000-307fffffff : namespace0.0': odd indentation" in result.stderr


# -- 8: a whole server dump with one range that cannot be a namespace -----------------------


def test_an_unaligned_pmem_range_without_namespace_is_noted_not_fatal() -> None:
    """4080000000-4080ffefff (16 MiB - 4 KiB) holds no namespace and is not on 2M
    subsections: it cannot be estimated, the namespaces of the other range are."""
    doc = machine_json("--iomem", str(IOMEM / "server_unaligned_legacy_pmem.iomem"))
    assert [p["input"]["label"] for p in flat_pgmaps(doc)] == ["namespace0.0", "namespace0.1"]
    legacy = next(f for f in doc["source"]["found"] if f["label"].startswith("Persistent"))
    assert legacy["estimated"] is False
    assert legacy["ranges"] == [{"start_bytes": 0x4080000000, "end_bytes": 0x4080FFF000}]
    (note,) = [n for n in doc["source"]["inferred"] if "holds no namespace" in n]
    assert "not a multiple of the 2M subsection" in note
    assert "--size" not in note


# -- 9: a cxl list file given to --from-ndctl -----------------------------------------------


def test_cxl_list_output_names_cxl_list_and_from_cxl() -> None:
    for name in ("cxl_list_default.json", "bad_cxl_list_regions.json"):
        result = run_cli("estimate", "--from-ndctl", str(NDCTL / name))
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert "'cxl list' output" in result.stderr
        assert "give it to --from-cxl" in result.stderr


# -- 10: another architecture's align; a dax device smaller than its namespace --------------


def test_an_align_of_another_architecture_names_arch() -> None:
    """PowerVM (papr_scm) namespaces print "align":65536, which x86_64 cannot have."""
    path = str(NDCTL / "list_N_powervm_papr_scm.json")
    result = run_cli("estimate", "--from-ndctl", path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "align 64K is not an x86_64 alignment (4K, 2M, 1G)" in result.stderr
    assert "ppc64-radix-64k" in result.stderr
    assert "--arch" in result.stderr
    doc = machine_json("--from-ndctl", path, "--arch", "ppc64-radix-64k")
    (ns,) = flat_pgmaps(doc)
    assert ns["capacity_bytes"] == 32 * GiB
    # --align replaces the dump's: estimated on x86_64, and said so
    doc = machine_json("--from-ndctl", path, "--align", "2M")
    assert any("--align replaces it" in n for n in doc["source"]["inferred"])


def test_a_dax_device_smaller_than_its_namespace_is_mentioned() -> None:
    doc = machine_json("--from-ndctl", str(NDCTL / "list_X_dax_smaller_than_namespace.json"))
    (ns,) = flat_pgmaps(doc)
    assert ns["capacity_bytes"] == 4 * GiB  # ecosystem.md example A: 4 GiB - 66 MiB usable
    (note,) = [n for n in doc["source"]["inferred"] if "its dax device dax0.0" in n]
    assert "4,223,664,128 bytes, 2.00 MiB less than the namespace's 4,225,761,280" in note


def test_a_typed_pfn_geometry_models_a_legacy_namespace_with_an_info_block() -> None:
    """--map dev asks for a memmap on the device, which needs a pfn device: the namespace
    is modelled as if reconfigured with one (raw inferred from usable), and said so."""
    doc = machine_json("--from-ndctl", str(NDCTL / "list_N_legacy_e820.json"), "--map", "dev")
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["map"] == "dev"
    assert ns["lost_bytes"] > 0
    assert any("--map dev models it with one" in n for n in doc["source"]["inferred"])


def test_an_ndctl_namespace_is_placed_at_its_head_and_dax_device() -> None:
    """With /proc/iomem too, namespace0.0 goes where its head starts, and must fit its
    Persistent Memory range (the head alone is only its first 130 MiB)."""
    dump = (
        '[{"dev":"namespace0.0","mode":"devdax","map":"dev","size":8453619712,'
        '"uuid":"0a6b4f1e-3c2d-4e5f-8a9b-1c2d3e4f5a6b","chardev":"dax0.0","align":2097152}]'
    )
    iomem = str(IOMEM / "pmem_devdax_head_siblings.iomem")
    doc = machine_json("--from-ndctl", "-", "--iomem", iomem, stdin=dump)
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["start_bytes"] == 0x240000000
    assert ns["capacity_bytes"] == 8 * GiB


def test_a_skipped_paste_line_is_echoed_short_and_escaped(tmp_path: Path) -> None:
    """A note after a name and a skipped line are quoted escaped, at most 40 characters."""
    dump = tmp_path / "iomem"
    dump.write_text(
        "100000000-107fffffff : System RAM\n"
        "1080000000-307fffffff : Persistent Memory\n"
        "  1080000000-307fffffff : namespace0.0  <- \x1b]0;TITLE\x07 " + "y" * 500 + "\n"
        " ffff-ffff : pci \x1b[31m\n"
    )
    result = run_cli("estimate", "--iomem", str(dump))
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "y" * 50 not in result.stdout
    flat = " ".join(result.stdout.split())
    assert "line 3: a note after a resource name (e.g. '<- \\x1b]0;TITLE\\x07" in flat
    assert "line 4: indented by an odd number of spaces (e.g. 'ffff-ffff : pci \\x1b[31m')" in flat
