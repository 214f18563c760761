"""The layouts ``explain`` draws are the walk's own figures, run by run.

Law: tracing ``Machine.memremap_pages()`` changes nothing, and its runs add up to the
pgmap's account (data pages by origin, altmap alignment, tables per level).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from tests.helpers import GiB, MiB, TiB, request
from vmemplan.estimate import prepare
from vmemplan.explain.layout import explain_device, explain_system_ram
from vmemplan.kernel.memremap import Machine, RunTrace
from vmemplan.system_ram import SystemRamRequest

GEOMETRIES: list[dict[str, Any]] = [
    {"size": 128 * GiB},
    {"size": TiB, "align": GiB},
    {"size": TiB, "map": "dev"},
    {"size": GiB, "start": 64 * GiB + 2 * MiB, "align": 2 * MiB},
    {"size": GiB, "start": 64 * GiB + 2 * MiB, "map": "dev"},
    {"size": GiB, "start": 64 * GiB + 2 * MiB, "system_ram": ((0, 64 * GiB + 2 * MiB),)},
    {"size": 16 * GiB, "align": 4096},
    {"size": 16 * GiB, "mode": "fsdax"},
    {"size": 64 * GiB, "arch": "arm64-4k", "kernel": (6, 14)},
    {"size": 64 * GiB, "arch": "ppc64-radix-64k", "align": GiB},
    {"dax_ranges": ((64 * GiB, 65 * GiB), (80 * GiB, 82 * GiB)), "align": GiB},
    {"size": 4 * GiB, "dedup_keep": 1},
    # 32 MiB compound pages: larger than a subsection, smaller than a 128 MiB section
    {"size": 64 * GiB, "arch": "arm64-16k", "kernel": (5, 19)},
]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=repr)
def test_the_traced_walk_is_the_walk(geometry: dict[str, Any]) -> None:
    req = request(**geometry)
    p = prepare(req)
    s = p.struct_page_size

    def walk(trace: list[RunTrace] | None) -> Any:
        m = Machine(req.arch, req.kernel, s, req.system_ram)
        return m.memremap_pages(p.pgmap, optimized=p.optimized, trace=trace)

    trace: list[RunTrace] = []
    traced, plain = walk(trace), walk(None)
    assert traced == plain
    acct = plain.account
    assert sum(t.dram_pages for t in trace) == acct.dram_pages
    assert sum(t.device_pages for t in trace) == acct.device_pages
    assert sum(t.altmap_align_pfns for t in trace) == acct.altmap_align_pfns
    for level, n in acct.tables.items():
        assert sum(t.tables[level] for t in trace) == n
    assert sum(t.path == "early" for t in trace) == plain.early_chunks


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=repr)
def test_the_device_layout_is_the_estimate(geometry: dict[str, Any]) -> None:
    x = explain_device(request(**geometry))
    acct = x.estimate.figures.cost.account
    assert sum(r.memmap_dram_pages for r in x.runs) == acct.dram_pages
    assert sum(r.memmap_device_pages for r in x.runs) == acct.device_pages
    assert [lvl.new_tables for lvl in x.page_tables.levels] == [
        acct.tables[lvl.name] for lvl in x.page_tables.levels
    ]
    assert all(lvl.new_tables <= lvl.windows for lvl in x.page_tables.levels)
    # every vmemmap page of a populated run is mapped, by a PTE or under a PMD leaf
    pmd_pages = x.estimate.request.arch.pmd_size // x.estimate.request.arch.page_size
    s, page = x.compound.struct_page_size_bytes, x.estimate.request.arch.page_size
    for r in x.runs:
        if r.path != "early":
            assert r.pte_pages + r.pmd_leaves * pmd_pages >= r.nr_pfns * s // page
    c = x.compound
    assert c.kept_pages + c.remapped_pages == c.vmemmap_pages or not c.optimized
    if c.optimized and any(r.path == "compound" for r in x.runs):
        # the compound page drawn is deduplicated: its head is in a run of the compound path
        (run,) = [r for r in x.runs if r.start_pfn <= c.head_pfn < r.end_pfn]
        assert run.path == "compound"
    if x.altmap is not None:
        a = x.altmap
        assert a.alloc_pfns == acct.device_pages
        assert (
            a.reserve_pfns + a.align_pfns + a.alloc_pfns + a.unused_pfns == a.dataoff_bytes // page
        )
        segs = a.segments
        assert all(x.end_bytes == y.start_bytes for x, y in pairwise(segs))


def test_the_kmem_layout_is_the_estimate() -> None:
    base = request()
    req = SystemRamRequest(
        arch=base.arch,
        kernel=base.kernel,
        ranges=((64 * GiB + 512 * MiB, 96 * GiB + 256 * MiB),),
        system_ram=((0, 64 * GiB),),
        memmap_on_memory="on",
        memory_block_size=2 * GiB,
    )
    x = explain_system_ram(req)
    c = x.estimate.cost
    k = x.kmem
    assert k.blocks == 15
    assert k.blocks_self_hosted * k.memmap_pages_per_block == c.account.device_pages
    assert k.onlined_pages_per_block * k.blocks == c.managed_pages
    assert [s.what for s in k.segments] == ["trimmed-head", "memory-blocks", "trimmed-tail"]
    assert k.trimmed_bytes == 1536 * MiB + 256 * MiB
    # x86, sizeof(struct page) 64: every section of a block is one PMD leaf from its altmap
    assert x.page_tables.pte_pages == 0
    assert x.page_tables.pmd_leaves == 15 * k.sections_per_block
