"""The fast interval walker equals the brute-force PTE walker on random geometries."""

from __future__ import annotations

import pytest
from hypothesis import event, given, note

from tests.helpers import est, request
from tests.oracle.ptewalk import (
    AltmapExhausted,
    OracleAltmap,
    OracleInput,
    OracleMachine,
    OracleResult,
    TableLevel,
    walk,
)
from tests.property.strategies import Case, cases
from vmemplan.errors import InputError
from vmemplan.estimate import Estimate, EstimateRequest, Figures, prepare
from vmemplan.kernel.dax_device import DevPagemap
from vmemplan.output.report import estimate_doc
from vmemplan.output.schema import EstimateDoc


def _oracle_machine(req: EstimateRequest, s: int) -> OracleMachine:
    arch = req.arch
    strategy = arch.populate
    if strategy == "arm64-4k" and not req.kernel.arm64_subsection_basepages:
        strategy = "hugepages"  # before v6.14 arm64 mapped partial sections with a block
    return OracleMachine(
        page_size=arch.page_size,
        struct_page_size=s,
        section_pfns=arch.pages_per_section,
        subsection_pfns=arch.pages_per_subsection,
        pmd_size=arch.pmd_size,
        levels=tuple(TableLevel(lvl.name, lvl.va_bytes, lvl.table_bytes) for lvl in arch.levels),
        strategy=strategy,
        compound_algo=arch.compound_algo,
        altmap_fallback_to_dram=arch.altmap_fallback_to_dram,
    )


def _oracle_prepared(case: Case) -> OracleResult:
    """The oracle on the pgmap prepare() builds, for requests whose estimate fails."""
    req = request(**case.kwargs)
    p = prepare(req)
    return _walk_oracle(req, p.pgmap, p.struct_page_size, optimize=p.optimized)


def _oracle(e: Estimate, *, optimize: bool) -> OracleResult:
    return _walk_oracle(e.request, e.pgmap, e.struct_page_size, optimize=optimize)


def _walk_oracle(
    req: EstimateRequest, pgmap: DevPagemap, s: int, *, optimize: bool
) -> OracleResult:
    p = req.arch.page_size
    altmap = pgmap.altmap
    return walk(
        OracleInput(
            machine=_oracle_machine(req, s),
            ranges=pgmap.ranges,
            altmap=None
            if altmap is None
            else OracleAltmap(altmap.base_pfn, altmap.reserve, altmap.free),
            vmemmap_shift=pgmap.vmemmap_shift,
            optimize=optimize,
            keep=req.kernel.dedup_keep,
            early_pfn_ranges=tuple((lo // p, -(-hi // p)) for lo, hi in req.system_ram),
            counter_semantics=req.kernel.counters,
            early_init_fix=req.kernel.early_init_fix,
        )
    )


def _same(fig: Figures, ref: OracleResult) -> None:
    acct = fig.cost.account
    assert acct.dram_pages == ref.dram_data_pages
    assert acct.device_pages == ref.device_data_pages
    assert acct.altmap_align_pfns == ref.altmap_align_pfns
    assert acct.tables == ref.tables
    assert fig.cost.nr_memmap_pages == ref.nr_memmap_pages
    assert fig.cost.struct_pages_initialised == ref.struct_pages_initialised


@given(cases())
def test_fast_path_equals_pte_walk(case: Case) -> None:
    """Every count of the fast path equals a walk over every PTE, with and without dedup."""
    note(repr(case.kwargs))
    try:
        e = est(**case.kwargs)
    except InputError as err:
        if "altmap is exhausted" in str(err):
            # The fast path says population fails for lack of altmap space: so must the oracle.
            event("altmap exhausted")
            with pytest.raises(AltmapExhausted):
                _oracle_prepared(case)
        else:
            event(f"refused: {err.option}")  # refusals have their own tests
        return
    event(
        f"{e.request.arch.name} optimized={e.figures.optimized} altmap={e.pgmap.altmap is not None}"
    )
    EstimateDoc.model_validate(estimate_doc(e))  # every geometry honours the JSON contract
    _same(e.figures, _oracle(e, optimize=e.figures.optimized))
    _same(e.baseline, _oracle(e, optimize=False))
    # Laws that hold for every geometry.
    assert e.saved_pages == e.baseline.memmap_pages - e.figures.memmap_pages
    if e.pgmap.altmap is not None:
        assert not e.figures.optimized
    if not e.figures.optimized:
        assert e.saved_pages == 0
