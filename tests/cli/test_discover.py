"""``estimate --from-ndctl`` and ``--iomem``: real systems as input, one machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import GiB, flat_kmems, flat_pgmaps, machine_json, run_cli

DATA = Path(__file__).resolve().parents[1] / "data"


run, machine = run_cli, machine_json


def test_ndctl_human_size_is_inverted_to_the_raw_size() -> None:
    """pmem-csi#933 / ecosystem.md example B: -s 1500G fsdax map=dev prints 1476.56 GiB."""
    text = (DATA / "ndctl" / "example_b_create_namespace_human.json").read_text()
    doc = machine("--from-ndctl", "-", stdin=text)
    (ns,) = flat_pgmaps(doc)
    assert ns["namespace"]["size_bytes"] == 1500 * GiB
    assert ns["input"]["mode"] == "fsdax"
    assert any("inferred from usable" in line for line in doc["source"]["inferred"])


def test_ndctl_exact_sizes_invert_exactly() -> None:
    """Examples A and C (4 GiB namespaces, map=dev and map=mem) come back as 4 GiB."""
    for name in ("example_a_list_X_devdax.json", "example_c_list_devdax_map_mem.json"):
        doc = machine("--from-ndctl", str(DATA / "ndctl" / name))
        assert [n["namespace"]["size_bytes"] for n in flat_pgmaps(doc)] == [4 * GiB]


def test_total_is_the_sum_of_the_namespaces() -> None:
    doc = machine("--from-ndctl", str(DATA / "ndctl" / "list_RN_regions.json"))
    nss = flat_pgmaps(doc)
    assert len(nss) >= 2
    for key in ("dram_bytes", "lost_bytes"):
        assert doc["total"][key] == sum(n[key] for n in nss)
    assert doc["total"]["struct_pages_initialised"] == sum(
        n["struct_pages_initialised"] for n in nss
    )


def test_iomem_gives_boot_ram_and_namespaces() -> None:
    doc = machine("--iomem", str(DATA / "iomem" / "x86_pmem_cxl.iomem"), "--align", "1G")
    names = [n["input"]["label"] for n in flat_pgmaps(doc)]
    # namespace0.1 holds dax0.0 with a System RAM (kmem) child, and dax3.0 is the kmem
    # range of the CXL window: both hot-added System RAM after the two namespaces
    assert names == ["namespace0.0", "namespace1.0"]
    assert [sr["name"] for sr in flat_kmems(doc)] == ["dax0.0", "dax3.0"]
    ram = flat_pgmaps(doc)[0]["input"]["system_ram"]
    assert ram[0] == {"start_bytes": 0x1000, "end_bytes": 0xA0000}
    assert {"start_bytes": 0x100000000, "end_bytes": 0x2080000000} in ram
    # namespace0.0 is [130G, 194G): boot RAM up to 130G owns the PMD table of the
    # [128G, 192G) window, only the [192G, 256G) one is new.
    assert flat_pgmaps(doc)[0]["page_tables"]["pmd"] == 1


def test_shared_page_tables_are_counted_once() -> None:
    """With 4G of boot RAM: namespace0.0 [130G, 194G) allocates the vmemmap PMD tables of
    the physical windows [128G, 192G) and [192G, 256G) (one table maps 1G of vmemmap, the
    memmap of 64G); namespace1.0 [258G, 274G) that of [256G, 320G). The kmem System RAM of
    dax0.0, [0x30c8000000, 258G), comes after the namespaces and lies in windows they
    allocated: no new table; dax3.0 [274G, 338G) adds the one of [320G, 384G)."""
    doc = machine("--iomem", str(DATA / "iomem" / "x86_pmem_cxl.iomem"), "--system-ram", "0+4G")
    first, second = flat_pgmaps(doc)
    assert first["page_tables"]["pmd"] == 2
    assert second["page_tables"]["pmd"] == 1
    dax0, dax3 = flat_kmems(doc)
    assert dax0["page_tables"]["pmd"] == 0
    assert dax3["page_tables"]["pmd"] == 1
    assert doc["total"]["page_table_bytes"] == sum(
        n["page_table_bytes"] for n in flat_pgmaps(doc)
    ) + sum(sr["page_table_bytes"] for sr in flat_kmems(doc))


@pytest.mark.parametrize(
    ("option", "path", "fragment"),
    [
        ("--from-ndctl", "ndctl/bad_truncated.json", "bad_truncated.json"),
        ("--from-ndctl", "ndctl/bad_empty_array.json", "no namespaces or dax devices"),
        ("--iomem", "iomem/nonroot_zeros.iomem", "root"),
        ("--iomem", "iomem/bad_child_outside.iomem", "line"),
        ("--from-ndctl", "ndctl/does-not-exist.json", "No such file"),
    ],
)
def test_bad_dumps_exit_2_with_one_line(option: str, path: str, fragment: str) -> None:
    result = run("estimate", option, str(DATA / path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr


def test_human_output_says_what_was_inferred() -> None:
    text = (DATA / "ndctl" / "example_b_create_namespace_human.json").read_text()
    result = run("estimate", "--from-ndctl", "-", "--color", "never", stdin=text)
    assert result.exit_code == 0
    assert "inferred: namespace0.0" in result.stdout
    assert "total (1)" in result.stdout


def test_ndctl_namespaces_are_placed_in_the_iomem_pmem_range() -> None:
    """With both dumps, boot RAM comes from /proc/iomem and the ndctl namespaces are
    packed from the first Persistent Memory range."""
    doc = machine(
        "--iomem",
        str(DATA / "iomem" / "x86_pmem_cxl.iomem"),
        "--from-ndctl",
        str(DATA / "ndctl" / "example_a_list_X_devdax.json"),
    )
    (ns,) = flat_pgmaps(doc)
    assert ns["input"]["start_bytes"] == 0x2080000000
    assert doc["source"]["kind"] == "ndctl"
