"""The /proc/vmstat counters HVO moves for a HugeTLB pool carved from kmem memory.

free_vmemmap_page() (mm/hugetlb_vmemmap.c) takes a freed vmemmap page off
``nr_memmap_boot_pages`` only when it is PG_reserved (memblock, at boot); the memmap of
memory hot-added after boot comes from the page allocator, so HVO of a pool carved from a
kmem device takes its pages off ``nr_memmap_pages``, and the copied head page joins
``nr_memmap_pages`` either way (vmemmap_remap_free()).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.helpers import flat_pools
from vmemplan.cli import cli

KINDS = Path(__file__).resolve().parents[1] / "data" / "config" / "kinds"


def test_a_pool_on_kmem_memory_leaves_nr_memmap_pages_not_the_boot_counter() -> None:
    """cxl0 (memmap in DRAM): 128 folios of 1 GiB, VH = 262144 pages x 64 B / 4096 = 4096
    vmemmap pages each, 524288 in all; HVO keeps 1 per folio (the copied head page, 128).
    So nr_memmap_pages moves by 128 - 524288 = -524160 and nr_memmap_boot_pages by 0.
    cxl1 hosts its memmap (memmap_on_memory): HVO skips its folios, nothing moves."""
    result = CliRunner().invoke(
        cli,
        ["check", str(KINDS / "hugetlb-on-kmem.toml"), "--format", "json"],
        catch_exceptions=False,
    )
    doc: dict[str, Any] = json.loads(result.stdout)
    pools = {p["name"]: p["detail"]["counters"] for p in flat_pools(doc["files"][0])}
    assert pools["HugeTLB 1G x 128 on cxl0"] == {
        "nr_memmap_pages": 128 - 128 * (262144 * 64 // 4096),
        "nr_memmap_boot_pages": 0,
    }
    assert pools["HugeTLB 2M x 4,096 on cxl1"] == {
        "nr_memmap_pages": 0,
        "nr_memmap_boot_pages": 0,
    }
