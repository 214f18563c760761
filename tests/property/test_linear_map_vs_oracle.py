"""Law: the linear-map table model equals the brute-force page-table oracle.

``vmemplan.kernel.linear_map.direct_map_table_pages()`` works on runs per level;
``tests/oracle/directmap.py`` (written independently) allocates every table entry by entry.
Both count the new PTE/PMD/PUD/P4D table pages that adding ``added`` (after boot RAM)
allocates for the kernel's direct map.
"""

from __future__ import annotations

from typing import Any, Literal

from hypothesis import given, reject
from hypothesis import strategies as st

from tests.oracle.directmap import direct_map_tables
from vmemplan.errors import GeometryError
from vmemplan.estimate import EstimateRequest, estimate_many
from vmemplan.kernel.arch import ARCHES, SUBSECTION_SIZE
from vmemplan.kernel.linear_map import direct_map_table_pages
from vmemplan.kernel.versions import kernel_profile

MiB, GiB = 1 << 20, 1 << 30
Mode = Literal["pages", "blocks"]
Case = tuple[str, list[tuple[int, int]], list[tuple[int, int]], Mode, bool]


@st.composite
def linear_map_cases(draw: st.DrawFn) -> Case:
    arches = ["x86_64", "x86_64-la57", "arm64-4k", "arm64-16k", "arm64-64k", "riscv64"]
    arch = draw(st.sampled_from(arches))
    step = 2 * MiB if arch != "arm64-64k" else 64 * MiB
    hi = 8 * GiB // step

    def ranges(n: int, lo: int) -> list[tuple[int, int]]:
        cuts = sorted(draw(st.lists(st.integers(lo, hi), max_size=2 * n, unique=True)))
        return [(cuts[i] * step, cuts[i + 1] * step) for i in range(0, len(cuts) - 1, 2)]

    boot = ranges(2, 0)
    boot_end = max((e for _, e in boot), default=0) // step
    added = ranges(2, boot_end)
    mode: Literal["pages", "blocks"] = draw(st.sampled_from(["pages", "blocks"]))
    return arch, added, boot, mode, draw(st.booleans())


@given(linear_map_cases())
def test_direct_map_tables_equal_oracle(case: Case) -> None:
    """kernel_physical_mapping_init() (x86) / __create_pgd_mapping() (arm64): the same
    table pages per level, counted once whoever owns them first."""
    arch, added, boot, mode, gbpages = case
    fast = direct_map_table_pages(ARCHES[arch], added, boot, mode, gbpages)
    assert fast == direct_map_tables(arch, added, boot, mode, gbpages)


# -- the same law through estimate_many(): every arch, every kind, the machine shared ------

MODELLED = [name for name, arch in sorted(ARCHES.items()) if arch.linear_map is not None]
NOT_MODELLED = [name for name, arch in sorted(ARCHES.items()) if arch.linear_map is None]


@st.composite
def machines(draw: st.DrawFn) -> tuple[str, list[EstimateRequest], Mode, bool | None]:
    """Boot RAM below 256 MiB, then 1-3 namespaces or dax devices near a table boundary."""
    arch_name = draw(st.sampled_from(sorted(ARCHES)))
    arch = ARCHES[arch_name]
    p = arch.page_size
    cuts = sorted(draw(st.lists(st.integers(0, 256 * MiB // p), max_size=4, unique=True)))
    boot = tuple((cuts[i] * p, cuts[i + 1] * p) for i in range(0, len(cuts) - 1, 2))
    mode: Mode = draw(st.sampled_from(["pages", "blocks"]))
    gbpages = draw(st.sampled_from([None, False])) if arch.populate == "x86" else None
    if mode == "pages" and gbpages is False:
        gbpages = None  # refused: no effect without blocks
    linear: Mode | None = mode if arch.linear_map is not None else None
    # just below the k-th boundary of one table level's span (2M, 1G, 512G, ... windows)
    limit = (1 << arch.max_physmem_bits) - 16 * GiB
    spans = [s for lvl in arch.levels if (s := max(lvl.va_bytes, GiB)) <= limit]
    span = draw(st.sampled_from(spans))
    k = draw(st.integers(1, max(1, min(2, limit // span))))
    cursor = k * span - draw(st.integers(0, 16)) * SUBSECTION_SIZE
    kernel = kernel_profile((6, 12))
    reqs = []
    for i in range(draw(st.integers(1, 3))):
        cursor += draw(st.integers(0, 4)) * SUBSECTION_SIZE
        big = mode == "blocks" and draw(st.booleans())
        kind = draw(st.sampled_from(["devdax-mem", "devdax-dev", "fsdax", "dax-range"]))
        # map=dev needs an altmap large enough for a whole vmemmap PMD block (>= 256M)
        small = (128 if kind == "devdax-dev" else 2, 256 if kind == "devdax-dev" else 24)
        size = draw(st.integers(1, 3)) * GiB if big else draw(st.integers(*small)) * SUBSECTION_SIZE
        fields: dict[str, Any] = {}
        if kind == "dax-range":
            fields["dax_ranges"] = ((cursor, cursor + size),)
        else:
            fields.update(size=size, start=cursor, map=kind[-3:] if "devdax" in kind else "mem")
            fields["mode"] = "fsdax" if kind == "fsdax" else "devdax"
        reqs.append(
            EstimateRequest(
                arch=arch,
                kernel=kernel,
                align=p,
                system_ram=boot,
                linear_map=linear,
                gbpages=gbpages,
                label=f"ns{i}",
                **fields,
            )
        )
        cursor += size
    return arch_name, reqs, mode, gbpages


@given(machines())
def test_estimates_include_the_oracle_direct_map(case: tuple[Any, ...]) -> None:
    """pagemap_range() -> arch_add_memory() for each pgmap range in turn, after boot RAM's
    map_mem()/init_mem_mapping(): each estimate's direct_map is what the brute-force walk
    adds for its ranges given the ones before; dram_bytes includes those bytes."""
    arch_name, reqs, mode, gbpages = case
    try:
        estimates = estimate_many(reqs)
    except GeometryError:
        reject()  # a geometry the kernel refuses (e.g. map=dev altmap exhausted): no law
    if arch_name in NOT_MODELLED:
        assert all(e.figures.direct_map is None for e in estimates)
        return
    boot = list(reqs[0].system_ram)
    added: list[tuple[int, int]] = []
    before = dict.fromkeys(("pte", "pmd", "pud", "p4d"), 0)
    page = ARCHES[arch_name].page_size
    for e in estimates:
        added += [(a * page, b * page) for a, b in e.pgmap.ranges]
        after = direct_map_tables(arch_name, added, boot, mode, gbpages is not False)
        assert e.figures.direct_map == {k: after[k] - before[k] for k in after}
        assert e.baseline.direct_map == e.figures.direct_map
        vmemmap = e.figures.cost.account.dram_pages * page + e.figures.page_table_bytes
        assert e.figures.dram_bytes == vmemmap + sum(after[k] - before[k] for k in after) * page
        before = after
