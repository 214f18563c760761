"""Laws of inverse sizing and planning, checked against the forward model."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB, MiB, est, request
from vmemplan.budget import Budgets, Limit
from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.pfn_devs import nd_pfn_init
from vmemplan.plan import compare, plan
from vmemplan.sizing import raw_size_for_usable, size_step

X86 = ARCHES["x86_64"]


@given(
    usable=st.integers(1, 8 * 1024 * GiB),
    align=st.sampled_from([4096, 2 * MiB, GiB]),
    map_=st.sampled_from(["mem", "dev"]),
    start_mib=st.integers(0, 4096).map(lambda x: x * 2),
    ways=st.integers(1, 6),
)
def test_inverse_sizing_is_the_smallest_that_fits(
    usable: int, align: int, map_: str, start_mib: int, ways: int
) -> None:
    """raw_size_for_usable() returns the smallest ndctl-valid raw size whose usable size,
    computed by the forward model nd_pfn_init(), is at least the request."""
    start = (64 << 30) + start_mib * MiB
    sized = raw_size_for_usable(
        X86,
        usable=usable,
        align=align,
        map_=map_,
        start=start,  # type: ignore[arg-type]
        struct_page_size=64,
        interleave_ways=ways,
    )
    step = size_step(align, ways)
    assert sized.raw_size % step == 0
    forward = nd_pfn_init(
        X86, start=start, size=sized.raw_size, align=align, map_=map_, struct_page_size=64
    )  # type: ignore[arg-type]
    assert forward.usable == sized.usable >= usable
    smaller = sized.raw_size - step
    if smaller > 0:
        try:
            below = nd_pfn_init(
                X86, start=start, size=smaller, align=align, map_=map_, struct_page_size=64
            ).usable  # type: ignore[arg-type]
        except GeometryError:  # too small to be a namespace at all
            below = 0
        assert below < usable


@given(
    size_gib=st.integers(1, 4096),
    dram_ppm=st.one_of(st.none(), st.integers(1, 30_000)),
    loss_ppm=st.one_of(st.none(), st.integers(1, 40_000)),
    init_ns=st.one_of(st.none(), st.integers(1, 10**10)),
)
def test_plan_never_recommends_a_configuration_over_budget(
    size_gib: int, dram_ppm: int | None, loss_ppm: int | None, init_ns: int | None
) -> None:
    """Every ranked row meets every budget when re-checked with a fresh estimate, and the
    recommended one is the best ranked."""
    req = request(size=size_gib * GiB)
    budgets = Budgets(
        dram=None if dram_ppm is None else Limit(ppm=dram_ppm),
        device_loss=None if loss_ppm is None else Limit(ppm=loss_ppm),
        init_ns=init_ns,
    )
    result = plan(compare(req, [req.kernel]), budgets)
    whole = size_gib * GiB
    for row in result.rows:
        if row.rank is None:
            continue
        e = est(size=whole, mode=row.choice.mode, map=row.choice.map, align=row.choice.align)
        f = e.figures
        assert dram_ppm is None or f.dram_bytes <= whole * dram_ppm // 10**6
        assert loss_ppm is None or f.device_bytes <= whole * loss_ppm // 10**6
        assert init_ns is None or f.time_ns[1] <= init_ns
    ranked = sorted((r for r in result.rows if r.rank), key=lambda r: r.rank or 0)
    if ranked:
        assert result.recommended is ranked[0]
        assert ranked[0].pareto  # the best by total bytes lost is never dominated
    else:
        assert result.recommended is None
