"""``vmemplan check`` of system-ram namespaces and HugeTLB pools (issue 7 §3).

The expected figures are the worked examples of hotplug-hvo-model.md (x86_64, 4 KiB
pages, 64-byte struct page): A-1, A-2 and A-3 for dax kmem, B.6 for HVO.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.helpers import flat_kmems, flat_pgmaps, flat_pools, kmems
from vmemplan.cli import cli
from vmemplan.output.schema import CheckDoc

KINDS = Path(__file__).resolve().parents[1] / "data" / "config" / "kinds"
GiB, MiB, KiB = 1 << 30, 1 << 20, 1 << 10
PAGE = 4096


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


def report(path: Path | str) -> tuple[int, dict[str, Any]]:
    result = run(str(path), "--format", "json")
    doc: dict[str, Any] = json.loads(result.stdout)
    CheckDoc.model_validate(doc)
    return result.exit_code, doc


def one_file(path: Path | str) -> tuple[int, dict[str, Any]]:
    code, doc = report(path)
    (file_doc,) = doc["files"]
    return code, file_doc


def test_a1_cxl_memmap_on_memory() -> None:
    """A-1: M = 8192 pages per 2 GiB block on the device, 128 blocks: 1,048,576 pages
    (4 GiB); 4 PMD tables in DRAM; 66,060,288 pages managed (252 GiB)."""
    code, f = one_file(KINDS / "cxl-memmap-on-memory.toml")
    assert code == 0
    (sr,) = flat_kmems(f)
    assert sr["name"] == "cxl0"
    assert sr["input"]["memory_block_size_bytes"] == 2 * GiB
    fig = sr
    assert fig["memmap_device_pages"] == 1_048_576
    assert fig["memmap_dram_pages"] == 0
    assert fig["page_tables"]["pmd"] == 4
    # the direct map of [1T, 1.25T) with 1G pages: one new PUD table (the [1T, 1.5T) window;
    # boot RAM's own covers [0, 512G)), DRAM as well although the memmap is on the device
    assert fig["direct_map_tables"]["pud"] == 1
    assert fig["dram_bytes"] == (4 + 1) * PAGE
    assert fig["managed_pages"] == 66_060_288
    assert fig["usable_bytes"] == 252 * GiB
    assert fig["struct_pages_initialised"] == 67_108_864
    total = f["total"]
    counts = total["detail"]["devices"]
    assert (counts["devdax"], counts["system-ram"], counts["hugetlb"]) == (0, 1, 0)
    assert total["dram_bytes"] == 20 * KiB
    assert total["lost_bytes"] == 4 * GiB  # the self-hosted memmap is not RAM
    assert total["capacity_bytes"] == 256 * GiB


def test_a2_cxl_memmap_off() -> None:
    """A-2: 2048 sections x 512 pages = 1,048,576 pages of memmap in DRAM, PMD tables 4:
    4 GiB + 16 KiB of DRAM, 256 GiB of RAM gained."""
    code, f = one_file(KINDS / "cxl-memmap-off.toml")
    assert code == 0
    fig = flat_kmems(f)[0]
    assert fig["memmap_dram_pages"] == 1_048_576
    assert fig["memmap_device_pages"] == 0
    # + one direct-map PUD table for [1T, 1.5T), as in A-1
    assert fig["direct_map_tables"]["pud"] == 1
    assert fig["dram_bytes"] == 4 * GiB + 16 * KiB + PAGE
    assert fig["usable_bytes"] == 256 * GiB
    assert f["total"]["dram_bytes"] == 4 * GiB + 16 * KiB + PAGE
    assert f["total"]["lost_bytes"] == 0


def test_a3_hmem_trimmed_to_blocks() -> None:
    """A-3: trimmed to [66 GiB, 96 GiB): 15 blocks, head 1536 MiB and tail 256 MiB lost;
    240 sections x 512 = 122,880 memmap pages; one PMD table ([64 G, 128 G))."""
    code, f = one_file(KINDS / "hmem-trimmed.toml")
    assert code == 0
    sr = flat_kmems(f)[0]
    (r,) = sr["ranges"]
    assert (r["added_start"], r["added_bytes"], r["blocks"]) == (66 * GiB, 30 * GiB, 15)
    assert (r["head_trimmed_bytes"], r["tail_trimmed_bytes"]) == (1536 * MiB, 256 * MiB)
    fig = sr
    assert fig["memmap_dram_pages"] == 122_880
    assert fig["page_tables"]["pmd"] == 1
    assert fig["managed_pages"] == 7_864_320
    assert f["total"]["dram_bytes"] == 122_880 * PAGE + PAGE
    assert f["total"]["lost_bytes"] == 1792 * MiB


def test_a3_total_device_loss_budget_is_exact(tmp_path: Path) -> None:
    text = (KINDS / "hmem-trimmed.toml").read_text().replace('"1792M"', '"1791M"')
    path = tmp_path / "hmem.toml"
    path.write_text(text)
    result = run(str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{path}:14: budgets.device_loss: total: device capacity lost 1.75 GiB exceeds 1.75 GiB"
    )


def test_b6_hugetlb_per_tib() -> None:
    """B.6, per TiB: 2M folios keep 524,288 pages and 1G folios 1024, each with 8192 PTE
    tables; net saving 3,661,824 and 4,185,088 pages."""
    code, f = one_file(KINDS / "hugetlb-per-tib.toml")
    assert code == 0
    two_m, one_g = flat_pools(f)
    assert (two_m["folio_bytes"], two_m["node"], one_g["node"]) == (2 * MiB, None, 1)
    assert two_m["vmemmap_pages_unoptimized"] == one_g["vmemmap_pages_unoptimized"] == 4_194_304
    assert (two_m["vmemmap_pages_optimized"], one_g["vmemmap_pages_optimized"]) == (524_288, 1024)
    assert two_m["page_tables"]["pte"] == one_g["page_tables"]["pte"] == 8192
    saved = (two_m["saved_bytes"] // PAGE, one_g["saved_bytes"] // PAGE)
    assert saved == (3_661_824, 4_185_088)
    assert two_m["dram_bytes"] == (524_288 + 8192) * PAGE
    assert one_g["dram_bytes"] == (1024 + 8192) * PAGE
    (ns,) = flat_pgmaps(f)
    total = f["total"]
    assert total["dram_bytes"] == ns["dram_bytes"] + (524_288 + 1024 + 2 * 8192) * PAGE
    assert total["lost_bytes"] == ns["lost_bytes"]
    unoptimized = ns["baseline"]["dram_bytes"] + 2 * 4_194_304 * PAGE
    assert total["dram_bytes_unoptimized"] == unoptimized
    assert total["capacity_bytes"] == f["budget_capacity_bytes"] == 64 * GiB + (2 << 40)


@pytest.mark.parametrize(
    ("old", "new", "location", "line"),
    [
        ('dram = "2080M"', 'dram = "2079M"', "hugetlb[0].budgets.dram", 16),
        ('dram = "36M"', 'dram = "35M"', "hugetlb[1].budgets.dram", 24),
    ],
)
def test_b6_pool_budgets_are_exact(
    tmp_path: Path, old: str, new: str, location: str, line: int
) -> None:
    path = tmp_path / "pools.toml"
    path.write_text((KINDS / "hugetlb-per-tib.toml").read_text().replace(old, new))
    code, doc = report(path)
    assert code == 1
    (finding,) = doc["findings"]
    assert (finding["location"], finding["line"], finding["severity"]) == (location, line, "fail")
    assert finding["message"].startswith("HugeTLB ")


def test_hvo_off_keeps_the_whole_vmemmap(tmp_path: Path) -> None:
    text = (KINDS / "hugetlb-per-tib.toml").read_text().replace("hvo = true", "hvo = false")
    path = tmp_path / "pools.toml"
    path.write_text(text)
    code, doc = report(path)
    assert code == 1  # 16 GiB of vmemmap is over the 36 MiB budget
    assert [x["location"] for x in doc["findings"]] == ["hugetlb[1].budgets.dram"]
    one_g = flat_pools(doc["files"][0])[1]
    assert (one_g["optimized"], one_g["dram_bytes"]) == (False, 16 * GiB)


def test_text_summary_counts_every_kind() -> None:
    result = run(str(KINDS / "hugetlb-per-tib.toml"), "--color", "never")
    assert result.exit_code == 0
    assert result.stdout.endswith(
        "hugetlb-per-tib.toml: pass (1 namespace, 2 HugeTLB pools: DRAM 2.32 GiB, device lost "
        "2.00 MiB, init up to 44.88 ms)\n"
    )


MIXED = """
[[namespaces]]
name = "pmem0"
size = "16G"

[[namespaces]]
name = "cxl0"
mode = "system-ram"
size = "2G"

[[namespaces]]
name = "cxl1"
mode = "System-RAM"
size = "2G"
[namespaces.budgets]
dram = "32M"
"""


def test_system_ram_placed_after_the_others_and_tables_shared(tmp_path: Path) -> None:
    """Without a start, each device goes on the cursor (rounded up to the 2 GiB memory
    block). pmem0 already allocated the PMD table of the [64 G, 128 G) vmemmap window, so
    neither device pays one: only its memmap, 16 sections x 512 pages (2 MiB leaves)."""
    path = tmp_path / "mixed.toml"
    path.write_text(MIXED)
    code, f = one_file(path)
    assert code == 0
    first, second = flat_kmems(f)
    assert [s["name"] for s in flat_kmems(f)] == ["cxl0", "cxl1"]
    assert first["ranges"][0]["start"] == 80 * GiB  # pmem0 is [64 G, 80 G)
    assert second["ranges"][0]["start"] == 82 * GiB
    for sr in (first, second):
        assert sr["memmap_dram_pages"] == 8192
        assert sr["page_tables"]["pmd"] == 0
        assert sr["dram_bytes"] == 32 * MiB
    (ns,) = flat_pgmaps(f)
    assert f["total"]["dram_bytes"] == ns["dram_bytes"] + 64 * MiB


def test_system_ram_alone_pays_its_pmd_table(tmp_path: Path) -> None:
    """The same device without pmem0 before it allocates the window's PMD table."""
    path = tmp_path / "alone.toml"
    path.write_text(
        MIXED.replace('name = "pmem0"\nsize = "16G"', 'name = "pmem0"\nsize = "16G"\nstart = "1T"')
    )
    code, f = one_file(path)
    assert code == 0
    first, second = flat_kmems(f)
    assert first["ranges"][0]["start"] == 1 * (1 << 40) + 16 * GiB
    assert first["page_tables"]["pmd"] == 0  # pmem0's window [1 T, 1 T + 64 G)
    path.write_text(MIXED.replace('[[namespaces]]\nname = "pmem0"\nsize = "16G"\n', ""))
    code, f = one_file(path)
    first, second = flat_kmems(f)
    assert first["ranges"][0]["start"] == 64 * GiB
    assert (first["page_tables"]["pmd"], second["page_tables"]["pmd"]) == (
        1,
        0,
    )


def test_system_ram_overlapping_a_namespace_is_located(tmp_path: Path) -> None:
    path = tmp_path / "overlap.toml"
    path.write_text(MIXED.replace('size = "2G"\n\n', 'size = "2G"\nstart = "70G"\n\n', 1))
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == (
        f"{path}:10: namespaces[1].start: 70G+2G overlaps namespaces[0] (pmem0) at 64G+16G"
    )


def _bad(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = run(str(path))
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    *problems, summary = result.stdout.splitlines()
    assert summary.startswith(f"{path}: error (")
    return [p.removeprefix(f"{path}:") for p in problems]


SR = """[host]
kernel = "{kernel}"

[[namespaces]]
name = "cxl0"
mode = "system-ram"
size = "4G"
start = "128G"
{extra}
"""


@pytest.mark.parametrize(
    ("kernel", "extra", "problem"),
    [
        (
            "6.12",
            'memmap_on_memory = "maybe"',
            "9: namespaces[0].memmap_on_memory: 'maybe': expected off, on or force",
        ),
        (
            "6.1",
            'memmap_on_memory = "force"',
            "9: namespaces[0].memmap_on_memory: force: memory_hotplug.memmap_on_memory=force "
            "exists from v6.6 (kernel 6.1 takes only Y/N)",
        ),
        (
            "6.12",
            'align = "2M"',
            "9: namespaces[0].align: align cannot be combined with mode system-ram (kmem trims "
            "the device to memory blocks; give size+start or dax_ranges)",
        ),
        (
            "6.12",
            "vmemmap_shift = 9",
            "9: namespaces[0].vmemmap_shift: vmemmap_shift cannot be combined with mode "
            "system-ram (kmem trims the device to memory blocks; give size+start or dax_ranges)",
        ),
    ],
)
def test_bad_system_ram_values(tmp_path: Path, kernel: str, extra: str, problem: str) -> None:
    assert _bad(tmp_path, SR.format(kernel=kernel, extra=extra)) == [problem]


def test_system_ram_over_boot_ram(tmp_path: Path) -> None:
    text = SR.format(kernel="6.12", extra="").replace('"128G"', '"32G"')
    (problem,) = _bad(tmp_path, text)
    assert problem.startswith("8: namespaces[0].start: 32G+4G overlaps boot System RAM")


def test_memmap_on_memory_needs_system_ram(tmp_path: Path) -> None:
    text = SR.format(kernel="6.12", extra='memmap_on_memory = "on"').replace(
        'mode = "system-ram"\n', ""
    )
    assert _bad(tmp_path, text) == [
        '8: namespaces[0].memmap_on_memory: memmap_on_memory needs mode = "system-ram"'
    ]


def test_memory_block_size_below_a_section(tmp_path: Path) -> None:
    text = SR.format(kernel="6.12", extra="").replace(
        "[host]\n", '[host]\nmemory_block_size = "64M"\n'
    )
    assert _bad(tmp_path, text) == [
        "2: host.memory_block_size: 64M: expected a power of two of at least one section "
        "(128M on x86_64)"
    ]


POOL = """[host]
system_ram = ["0+64G"]

[[namespaces]]
name = "pmem0"
size = "16G"

[[hugetlb]]
page_size = "1G"
count = 16
{extra}
"""


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("count = 16", "count = 0", "10: hugetlb[0].count: 0: must be from 1 to 2^40 huge pages"),
        (
            'page_size = "1G"',
            'page_size = "3M"',
            "9: hugetlb[0].page_size: 3M is not a power of two",
        ),
        (
            "count = 16",
            "count = 65",
            "10: hugetlb[0].count: the pools need 65G, more than the 64G "
            "of boot RAM (host.system_ram) they are carved from",
        ),
        (
            'page_size = "1G"',
            'page_size = "4K"',
            "9: hugetlb[0].page_size: 4K: not a HugeTLB page size of x86_64 "
            "(its sizes: 2M, 1G; 1G needs the CPU's gbpages flag (pdpe1gb))",
        ),
        ("count = 16", "count = 16\nhvo = 1", "11: hugetlb[0].hvo: expected true or false, got 1"),
        (
            "count = 16",
            "count = 16\nnode = -1",
            "11: hugetlb[0].node: -1: not a NUMA node (0 to 1023)",
        ),
        (
            "count = 16",
            "count = 16\nsize = 1",
            "11: hugetlb[0].size: unknown key 'size' (did you mean 'page_size'?)",
        ),
    ],
)
def test_bad_pool_values(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert _bad(tmp_path, POOL.format(extra="").replace(old, new)) == [problem]


def test_pool_budgets_other_than_dram_are_refused(tmp_path: Path) -> None:
    text = POOL.format(extra='[hugetlb.budgets]\ninit = "1s"\ndevice_loss = "1G"')
    assert _bad(tmp_path, text) == [
        "12: hugetlb[0].budgets.init: a HugeTLB pool has no init budget (it is carved from "
        "boot RAM; only dram is checked)",
        "13: hugetlb[0].budgets.device_loss: a HugeTLB pool has no device_loss budget (it is "
        "carved from boot RAM; only dram is checked)",
    ]


def test_same_pool_twice_is_refused(tmp_path: Path) -> None:
    text = POOL.format(extra='[[hugetlb]]\npage_size = "1GiB"\ncount = 2')
    assert _bad(tmp_path, text) == [
        "11: hugetlb[1]: the same page_size, node and memory as hugetlb[0] (merge the pools)"
    ]


def test_yaml_pool_problem_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "host.yaml"
    path.write_text(
        "namespaces:\n  - name: pmem0\n    size: 16G\nhugetlb:\n  - page_size: 1G\n"
        "    count: 4\n    hvo: maybe\n"
    )
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == (
        f"{path}:7: hugetlb[0].hvo: expected true or false, got 'maybe'"
    )


def test_compare_config_refuses_a_bad_system_ram_namespace_at_its_entry(tmp_path: Path) -> None:
    """compare --config takes system-ram namespaces (tests/cli/test_system_ram.py), and
    one that check refuses (here: over boot RAM) is refused with its entry named."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[namespaces]]\nname = "cxl0"\nmode = "system-ram"\nsize = "4G"\nstart = "0"\n')
    result = CliRunner().invoke(cli, ["compare", "--config", str(cfg)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"vmemplan: error: {cfg}: namespaces[0] (cxl0): ")
    assert "overlaps boot System RAM" in result.stderr
    assert result.stderr.count("\n") == 1


POOLS_ONLY = """\
[host]
arch = "x86_64"
kernel = "6.12"
system_ram = ["0+512G"]

[[hugetlb]]
page_size = "1G"
count = 256
[hugetlb.budgets]
dram = "{budget}"
"""


@pytest.mark.parametrize(("budget", "code"), [("9437184", 0), ("9437183", 1)])
def test_a_file_of_hugetlb_pools_only_is_checked(tmp_path: Path, budget: str, code: int) -> None:
    """No [[namespaces]]: the pools are the whole file. 256 x 1 GiB with HVO (6.12, one
    vmemmap page kept per folio): 256 pages kept, and each folio's 16 MiB of vmemmap was
    8 PMD leaves, split into 8 PTE tables: 2048 tables. (256 + 2048) x 4 KiB =
    9,437,184 B, so a budget of exactly that passes and one byte less fails."""
    path = tmp_path / "pools.toml"
    path.write_text(POOLS_ONLY.format(budget=budget))
    got, f = one_file(path)
    assert got == code
    assert flat_pgmaps(f) == []
    assert flat_kmems(f) == []
    (pool,) = flat_pools(f)
    assert pool["kept_pages_per_folio"] == 1
    assert (256 + 2048) * PAGE == 9_437_184
    assert f["total"]["dram_bytes"] == 9_437_184
    text = run(str(path))
    assert text.exit_code == code
    assert "1 HugeTLB pool: DRAM 9.00 MiB" in text.stdout


def test_compare_and_plan_config_refuse_a_file_of_pools_only(tmp_path: Path) -> None:
    path = tmp_path / "pools.toml"
    path.write_text(POOLS_ONLY.format(budget="1%"))
    for command in ("compare", "plan"):
        result = CliRunner().invoke(cli, [command, "--config", str(path)])
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"vmemplan: error: --config: {path} has no namespace to compare, only 1 HugeTLB "
            f"pool: vmemplan check {path} estimates them"
        )


@pytest.mark.parametrize(
    ("text", "location", "line"),
    [
        ("[host]\narch = 'x86_64'\n", "(file)", None),
        ("namespaces = []\nhugetlb = []\n", "namespaces", 1),
    ],
)
def test_a_file_with_neither_namespaces_nor_pools(
    tmp_path: Path, text: str, location: str, line: int | None
) -> None:
    path = tmp_path / "empty.toml"
    path.write_text(text)
    result = run(str(path))
    assert result.exit_code == 2
    where = f"{path}:{line}: " if line else f"{path}: "
    assert result.stdout.splitlines()[0] == (
        f"{where}{location}: nothing to estimate: give at least one [[namespaces]] entry or "
        "[[hugetlb]] pool"
    )


def test_system_ram_entry_follows_host_gbpages_and_counts_in_the_direct_map_total(
    tmp_path: Path,
) -> None:
    """A-1 with [host] gbpages = false: [1T, 1.25T) is mapped with 2M pages, 256 PMD tables
    (one per GiB) plus the PUD table of [1T, 1.5T): 257 direct-map pages. The entry's
    document says gbpages false, and total.direct_map_bytes holds those 257 pages."""
    text = (KINDS / "cxl-memmap-on-memory.toml").read_text()
    path = tmp_path / "nogb.toml"
    path.write_text(text.replace("[host]\n", "[host]\ngbpages = false\n").replace('"20K"', '"2M"'))
    code, f = one_file(path)
    assert code == 0
    (sr,) = flat_kmems(f)
    assert sr["input"]["gbpages"] is False
    dmap = sr["direct_map_tables"]
    assert (dmap["pmd"], dmap["pud"]) == (256, 1)
    assert f["total"]["direct_map_bytes"] == 257 * PAGE == sr["direct_map_bytes"]


def test_hugetlb_pools_carved_from_system_ram_namespaces() -> None:
    """hugetlb-on-kmem.toml. cxl0: 256 GiB with its memmap in DRAM, 256G/4K x 64/4096 =
    1,048,576 pages, plus 4 PMD and 1 PUD tables. Its 128 x 1G pool has 128 x 4096 =
    524,288 of those pages; HVO keeps 128 and splits 128 x 8 = 1024 PMD leaves:
    (128 + 1024) x 4 KiB = 4,718,592 B, the pool's entry; cxl0's entry counts the rest of
    its memmap (1,048,576 - 524,288 pages), so the file's total is the plain sum of the
    entries. cxl1 hosts its own memmap: its 2M pool gets no HVO and costs no DRAM. Neither
    pool adds struct pages or capacity: they are the devices'."""
    code, f = one_file(KINDS / "hugetlb-on-kmem.toml")
    assert code == 0
    cxl0, cxl1 = flat_kmems(f)
    # its DRAM memmap pages less the pool's (the pool's entry counts those)
    assert cxl0["memmap_dram_pages"] == 1_048_576 - 524_288
    assert cxl0["dram_bytes"] == (1_048_576 - 524_288 + 5) * PAGE
    assert cxl1["dram_bytes"] == 5 * PAGE
    on0, on1 = flat_pools(f)
    assert (on0["on"], on0["optimized"], on0["dram_bytes"]) == ("cxl0", True, 4_718_592)
    assert on0["dram_bytes_unoptimized"] == 524_288 * PAGE
    assert (on1["on"], on1["optimized"], on1["vmemmap_self_hosted"]) == ("cxl1", False, True)
    assert (on1["dram_bytes"], on1["dram_bytes_unoptimized"]) == (0, 0)
    assert "PageVmemmapSelfHosted" in on1["refusal"]
    total = f["total"]
    assert total["dram_bytes"] == (1_048_576 + 5 + 5) * PAGE + 4_718_592 - 524_288 * PAGE
    entries = [*(d["dram_bytes"] for d in flat_kmems(f)), on0["dram_bytes"]]
    assert total["dram_bytes"] == sum(entries) + on1["dram_bytes"]
    assert total["memmap_dram_pages"] == 1_048_576 + 128 - 524_288
    # every struct page and byte in one entry: a pool's are its own (128 x 1G on cxl0,
    # 4096 x 2M on cxl1), the device keeps the rest; the budgets' capacity leaves the
    # pools to the device they are carved from
    pools = sum(d["struct_pages"] for d in f["devices"] if d["kind"] == "hugetlb")
    assert pools == (128 * GiB + 4096 * 2 * 1024 * 1024) // PAGE
    assert sum(d["struct_pages"] for d in kmems(f)) + pools == 2 * 256 * GiB // PAGE
    assert f["budget_capacity_bytes"] == 512 * GiB
    for key in ("struct_pages", "capacity_bytes"):
        assert total[key] == sum(d[key] for d in f["devices"])


@pytest.mark.parametrize(
    ("pool", "location", "message"),
    [
        (
            'page_size = "1G"\ncount = 1\non = "nope"',
            "hugetlb[2].on",
            "no system-ram namespace named 'nope' to carve the pool from (system-ram "
            "namespaces: 'cxl0', 'cxl1')",
        ),
        # 128G of 1G pages and 65,537 x 2M on cxl0's 256G (its memmap is in DRAM)
        (
            'page_size = "2M"\ncount = 65537\non = "cxl0"',
            "hugetlb[2].count",
            "the pools need 262146M, more than the 256G that cxl0 onlines as managed System RAM",
        ),
    ],
)
def test_a_pool_on_a_missing_or_full_device_is_located(
    tmp_path: Path, pool: str, location: str, message: str
) -> None:
    path = tmp_path / "pools.toml"
    path.write_text((KINDS / "hugetlb-on-kmem.toml").read_text() + "\n[[hugetlb]]\n" + pool + "\n")
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0].split(": ", 1)[1] == f"{location}: {message}"


def test_compare_config_says_it_leaves_the_pools_out() -> None:
    path = KINDS / "hugetlb-on-kmem.toml"
    result = CliRunner().invoke(cli, ["compare", "--config", str(path)])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert f"the 2 [[hugetlb]] pools of {path} are not compared" in text
