"""Figures from the spec's worked examples (C1-C4), its test vectors (D), ndctl's docs and
the seed cover letter. Each case names its source; every number is an exact integer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import GiB, MiB, TiB, est
from vmemplan.output.report import estimate_doc
from vmemplan.output.schema import EstimateDoc

NO_PMD_SHARING = ((0, 3 * GiB),)  # boot RAM far from the namespace's 64 GiB windows


def _get(doc: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        doc = doc[key]
    return doc


CASES: list[tuple[str, dict[str, Any], dict[str, int | None]]] = [
    # -- C1: 1 TiB devdax map=mem, section- and 64 GiB-aligned, PUD table already present.
    (
        "C1 1T align 4K",
        {"size": TiB, "align": 4096},
        {
            "memmap_dram_pages": 4_194_304,
            "detail.page_tables.pte": 0,
            "detail.page_tables.pmd": 16,
            "detail.page_tables.pud": 0,
            # direct map (x86 1G pages): [64G, 1088G) needs the PUD tables of [512G, 1T) and
            # [1T, 1.5T); boot RAM 0+64G owns the first (kernel_physical_mapping_init())
            "detail.direct_map_tables.pud": 2,
            "dram_bytes": (4_194_304 + 16 + 2) * 4096,
            "struct_pages_initialised": 268_435_456,
            "detail.counters.nr_memmap_pages": 4_194_304,
            "detail.sections.touched": 8192,
        },
    ),
    (
        "C1 1T align 2M",
        {"size": TiB, "align": 2 * MiB},
        {
            "memmap_dram_pages": 1_048_576,
            "detail.memmap.saved_pages": 3_145_728,
            "detail.page_tables.pte": 8192,
            "detail.page_tables.pmd": 16,
            "dram_bytes": (1_056_784 + 2) * 4096,  # + 2 direct-map PUD tables
            "struct_pages_initialised": 67_108_864,
            "detail.counters.nr_memmap_pages": 4_194_304,
            "detail.pgmap.saved_pages_per_compound": 6,
        },
    ),
    (
        "C1 1T align 1G",
        {"size": TiB, "align": GiB},
        {
            "memmap_dram_pages": 2048,
            "detail.memmap.saved_pages": 4_192_256,
            "detail.page_tables.pte": 8192,
            "detail.page_tables.pmd": 16,
            "dram_bytes": (10_256 + 2) * 4096,  # + 2 direct-map PUD tables
            "struct_pages_initialised": 131_072,
            "detail.pgmap.saved_pages_per_compound": 4094,
            "detail.pgmap.vmemmap_pages_per_compound": 4096,
        },
    ),
    (
        "C1 1T align 2M, exact counters (2026 fix)",
        {"size": TiB, "align": 2 * MiB, "counters": "exact"},
        {"detail.counters.nr_memmap_pages": 1_048_576},
    ),
    (
        "C1 1T align 1G, exact counters (2026 fix)",
        {"size": TiB, "align": GiB, "counters": "exact"},
        {"detail.counters.nr_memmap_pages": 2048},
    ),
    # -- C2: 128 GiB, the seed's NVDIMM size, in two 64 GiB windows.
    (
        "C2 128G align 4K",
        {"size": 128 * GiB, "align": 4096},
        {
            "memmap_dram_pages": 524_288,
            "detail.page_tables.pte": 0,
            "detail.page_tables.pmd": 2,
            "dram_bytes": 524_290 * 4096,
            "struct_pages_initialised": 33_554_432,
            "init_ns_low": 268_435_456,
        },
    ),
    (
        "C2 128G align 2M",
        {"size": 128 * GiB, "align": 2 * MiB},
        {
            "memmap_dram_pages": 131_072,
            "detail.page_tables.pte": 1024,
            "detail.page_tables.pmd": 2,
            "dram_bytes": 132_098 * 4096,
            "struct_pages_initialised": 8_388_608,
        },
    ),
    (
        "C2 128G align 1G",
        {"size": 128 * GiB, "align": GiB},
        {
            "memmap_dram_pages": 256,
            "detail.page_tables.pte": 1024,
            "detail.page_tables.pmd": 2,
            "dram_bytes": 1282 * 4096,
            "struct_pages_initialised": 16_384,
        },
    ),
    # -- C3: 1 GiB at 64 GiB + 2 MiB (not section aligned).
    (
        "C3 align 4K",
        {"size": GiB, "start": 64 * GiB + 2 * MiB, "align": 4096, "system_ram": NO_PMD_SHARING},
        {
            "memmap_dram_pages": 4096,
            "detail.page_tables.pte": 2,
            "detail.page_tables.pmd": 1,
            "detail.counters.nr_memmap_pages": 4096,
            "struct_pages_initialised": 262_144,
            "detail.sections.touched": 9,
            "detail.namespace.dataoff_bytes": 2 * MiB,
        },
    ),
    (
        "C3 align 2M",
        {"size": GiB, "start": 64 * GiB + 2 * MiB, "align": 2 * MiB, "system_ram": NO_PMD_SHARING},
        {
            "memmap_dram_pages": 1024,
            "detail.page_tables.pte": 9,
            "detail.page_tables.pmd": 1,
            "detail.counters.nr_memmap_pages": 4096,
            "struct_pages_initialised": 65_536,
            "detail.namespace.usable_bytes": 1022 * MiB,
        },
    ),
    (
        "C3 align 2M, exact counters",
        {
            "size": GiB,
            "start": 64 * GiB + 2 * MiB,
            "align": 2 * MiB,
            "system_ram": NO_PMD_SHARING,
            "counters": "exact",
        },
        {"detail.counters.nr_memmap_pages": 1024},
    ),
    (
        "C3 early section, align 4K",
        {
            "size": GiB,
            "start": 64 * GiB + 2 * MiB,
            "align": 4096,
            "system_ram": ((0, 64 * GiB + 2 * MiB),),
        },
        {
            "memmap_dram_pages": 3592,
            "detail.page_tables.pte": 1,
            "detail.page_tables.pmd": 0,
            "detail.sections.early_reused": 1,
        },
    ),
    (
        "C3 early section, align 2M, unfixed kernel (128 per compound: the bug)",
        {
            "size": GiB,
            "start": 64 * GiB + 2 * MiB,
            "align": 2 * MiB,
            "system_ram": ((0, 64 * GiB + 2 * MiB),),
            "early_init_fix": False,
        },
        {
            "memmap_dram_pages": 898,
            "detail.page_tables.pte": 8,
            "struct_pages_initialised": 65_536,
        },
    ),
    (
        "C3 early section, align 2M, fixed kernel (512 per head-chunk compound)",
        {
            "size": GiB,
            "start": 64 * GiB + 2 * MiB,
            "align": 2 * MiB,
            "system_ram": ((0, 64 * GiB + 2 * MiB),),
            "early_init_fix": True,
        },
        {"memmap_dram_pages": 898, "struct_pages_initialised": 63 * 512 + 449 * 128},
    ),
    # -- C4: map=dev (altmap).
    (
        "C4 1T map=dev align 2M",
        {"size": TiB, "align": 2 * MiB, "map": "dev"},
        {
            "detail.namespace.dataoff_bytes": 17_181_966_336,
            "detail.namespace.npfns": 264_240_640,
            "detail.pgmap.altmap.reserve": 2,
            "detail.pgmap.altmap.free": 4_194_814,
            "detail.pgmap.altmap.alloc": 4_194_304,
            "detail.pgmap.altmap.align": 510,
            "memmap_dram_pages": 0,
            "memmap_device_pages": 4_194_304,
            "detail.page_tables.pmd": 16,
            "lost_bytes": 16 * GiB + 2 * MiB,
            "detail.counters.nr_memmap_pages": 4_194_304,
            "struct_pages_initialised": 268_435_454,
            "detail.altmap_area_struct_pages": 4_194_814,
        },
    ),
    (
        "C4 1T map=dev align 1G (261,632 altmap pfns never used)",
        {"size": TiB, "align": GiB, "map": "dev"},
        {
            "detail.namespace.dataoff_bytes": 17 * GiB,
            "detail.pgmap.altmap.free": 4_456_446,
            "detail.pgmap.altmap.alloc": 4_456_446 - 261_632 - 510,
            "detail.pgmap.optimized": False,
        },
    ),
    (
        "C4 1G at 64G+2M map=dev",
        {
            "size": GiB,
            "start": 64 * GiB + 2 * MiB,
            "align": 2 * MiB,
            "map": "dev",
            "system_ram": NO_PMD_SHARING,
        },
        {
            "detail.namespace.dataoff_bytes": 18 * MiB,
            "detail.pgmap.altmap.free": 4606,
            "memmap_dram_pages": 512,
            "memmap_device_pages": 3584,
            "detail.page_tables.pte": 2,
            "detail.page_tables.pmd": 1,
            "detail.counters.nr_memmap_pages": 4096,
        },
    ),
    # -- ecosystem.md 2.3: 128 GiB namespace layouts.
    (
        "eco 2.3 128G dev 2M",
        {"size": 128 * GiB, "map": "dev"},
        {
            "detail.namespace.dataoff_bytes": 2_149_580_800,
            "detail.namespace.usable_bytes": 135_289_372_672,
        },
    ),
    (
        "eco 2.3 128G dev 1G",
        {"size": 128 * GiB, "map": "dev", "align": GiB},
        {
            "detail.namespace.dataoff_bytes": 3_221_225_472,
            "detail.namespace.usable_bytes": 134_217_728_000,
        },
    ),
    (
        "eco 2.3 128G mem 2M",
        {"size": 128 * GiB},
        {
            "detail.namespace.dataoff_bytes": 2_097_152,
            "detail.namespace.usable_bytes": 137_436_856_320,
        },
    ),
    (
        "eco 2.3 128G mem 1G",
        {"size": 128 * GiB, "align": GiB},
        {"detail.namespace.dataoff_bytes": GiB, "detail.namespace.usable_bytes": 136_365_211_648},
    ),
    # -- ndctl docs (ecosystem.md 1.5): ndctl-list.txt example A and pmem/ndctl#115 example C.
    (
        "ndctl-list.txt 4G devdax map=dev",
        {"size": 4 * GiB, "map": "dev"},
        {
            "detail.namespace.usable_bytes": 4_225_761_280,
            "detail.namespace.dataoff_bytes": 69_206_016,
            "detail.namespace.npfns": 1_031_680,
        },
    ),
    (
        "pmem/ndctl#115 4G devdax map=mem",
        {"size": 4 * GiB},
        {"detail.namespace.usable_bytes": 4_292_870_144},
    ),
    # -- spec D3: Documentation/arch/powerpc/vmemmap_dedup.rst
    (
        "D3 ppc64 radix 64K, 1G: 16 vmemmap pages, 2 kept",
        {"arch": "ppc64-radix-64k", "size": 4 * GiB, "align": GiB, "system_ram": ((0, GiB),)},
        {
            "detail.pgmap.vmemmap_pages_per_compound": 16,
            "detail.pgmap.kept_pages_per_compound": 2,
            "detail.pgmap.saved_pages_per_compound": 14,
            "detail.pgmap.optimized": True,
        },
    ),
    (
        "D3 ppc64 radix 64K, 2M: 32 struct pages fit in one page, no dedup",
        {"arch": "ppc64-radix-64k", "size": 4 * GiB, "align": 2 * MiB, "system_ram": ((0, GiB),)},
        {"detail.pgmap.vmemmap_pages_per_compound": 0, "detail.pgmap.optimized": False},
    ),
    (
        "D3 ppc64 radix 4K, 2M: 8 vmemmap pages; 1G: 4096",
        {"arch": "ppc64-radix-4k", "size": 4 * GiB, "align": 2 * MiB, "system_ram": ((0, GiB),)},
        {"detail.pgmap.vmemmap_pages_per_compound": 8, "detail.pgmap.saved_pages_per_compound": 6},
    ),
    (
        "D3 ppc64 radix 4K, 1G: 262,144 struct pages in 4096 pages, 2 kept",
        {
            "arch": "ppc64-radix-4k",
            "size": 4 * GiB,
            "align": GiB,
            "start": 4 * GiB,
            "system_ram": ((0, GiB),),
        },
        {
            "detail.pgmap.vmemmap_pages_per_compound": 4096,
            "detail.pgmap.saved_pages_per_compound": 4094,
            "memmap_dram_pages": 4 * 2,  # 4 GiB pgmap: 4 compounds
        },
    ),
    # -- D7: compound_nr_pages() = 2 * PAGE_SIZE / sizeof(struct page) = 128 when optimized.
    (
        "D7 compound_nr_pages 128 per 2M compound",
        {"size": 2 * MiB * 64, "align": 2 * MiB},
        {"struct_pages_initialised": 64 * 128},
    ),
    # -- kernel versions: no dedup before 5.19; 5.17-5.18 compound pages without dedup.
    (
        "5.18: compound pages, no dedup",
        {"size": TiB, "kernel": (5, 18)},
        {
            "memmap_dram_pages": 4_194_304,
            "detail.pgmap.vmemmap_shift": 9,
            "detail.pgmap.optimized": False,
            "struct_pages_initialised": 268_435_456,
            "detail.counters.nr_memmap_pages": None,
        },
    ),
    (
        "5.16: no compound pages",
        {"size": TiB, "kernel": (5, 16)},
        {"detail.pgmap.vmemmap_shift": 0},
    ),
    (
        "arm64 4K on 5.19: ungated generic dedup",
        {"arch": "arm64-4k", "size": 128 * GiB, "kernel": (5, 19)},
        {"detail.pgmap.optimized": True, "memmap_dram_pages": 131_072},
    ),
    (
        "arm64 4K on 6.4: dedup gated off (87a7ae75d738, v6.4-rc1)",
        {"arch": "arm64-4k", "size": 128 * GiB, "kernel": (6, 4)},
        {"detail.pgmap.optimized": False, "memmap_dram_pages": 524_288},
    ),
    (
        "arm64 4K on 6.3.0: still the ungated v5.19 test (87a7ae75d738 is not in v6.3)",
        {"arch": "arm64-4k", "size": 128 * GiB, "kernel": (6, 3)},
        {"detail.pgmap.optimized": True, "memmap_dram_pages": 131_072},
    ),
    (
        "riscv64 on 6.10: not yet",
        {"arch": "riscv64", "size": 128 * GiB, "kernel": (6, 10)},
        {"detail.pgmap.optimized": False},
    ),
    (
        "riscv64 on 6.11: DAX dedup",
        {"arch": "riscv64", "size": 128 * GiB, "kernel": (6, 11)},
        {"detail.pgmap.optimized": True, "memmap_dram_pages": 131_072},
    ),
    (
        "fsdax never dedups",
        {"size": TiB, "mode": "fsdax"},
        {"detail.pgmap.vmemmap_shift": 0, "memmap_dram_pages": 4_194_304},
    ),
    # -- spec (f) 1: the 2026 generalisation keeps 1 page per compound (+1 shared tail page).
    (
        "dedup-keep 1: 2M halves",
        {"size": TiB, "align": 2 * MiB, "dedup_keep": 1},
        {"memmap_dram_pages": 524_288 + 1},
    ),
    (
        "dedup-keep 1: 1G",
        {"size": TiB, "align": GiB, "dedup_keep": 1},
        {"memmap_dram_pages": 1024 + 1},
    ),
]


@pytest.mark.parametrize(("source", "request_fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_vector(
    source: str, request_fields: dict[str, Any], expected: dict[str, int | None]
) -> None:
    """Each figure the spec, the kernel docs or ndctl's docs state for this geometry."""
    doc = estimate_doc(est(**request_fields))
    EstimateDoc.model_validate(doc)  # the document honours the published contract
    device = doc["devices"][0]  # the paths are of the one device's cost record
    got = {path: _get(device, path) for path in expected}
    assert got == expected, source
