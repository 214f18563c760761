"""Laws of explain's layouts on random geometries (every arch, kernel, align, boot RAM).

- The runs of chunks partition the pgmap's ranges: sorted, disjoint, complete.
- What the runs allocated adds up to the estimate's account (the walk is the walk).
- A run in an early section allocates nothing ("section_activate(): reuse the boot memmap").
- The drawn compound page keeps ``VMEMMAP_RESERVE_NR``-or-fewer pages when deduplicated,
  and its kept and remapped pages are its vmemmap pages.
- Each level's new tables are at most the windows the vmemmap spans.
- The JSON document honours its schema.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import event, given, note

from tests.helpers import request
from tests.property.strategies import Case, cases
from vmemplan.errors import InputError
from vmemplan.explain.layout import explain_device
from vmemplan.output.explain_report import device_explain_doc
from vmemplan.output.explain_schema import ExplainDoc


@given(cases())
def test_layout_laws(case: Case) -> None:
    note(repr(case.kwargs))
    try:
        x = explain_device(request(**case.kwargs))
    except InputError as err:
        event(f"refused: {err.option}")  # refusals have their own tests
        return
    e = x.estimate
    event(f"{e.request.arch.name} optimized={e.figures.optimized}")
    acct = e.figures.cost.account
    pieces = [(r.start_pfn, r.end_pfn) for r in x.runs]
    covered = sorted(pieces)
    for (_, hi), (lo, _) in pairwise(covered):
        assert hi <= lo  # disjoint
    assert sum(hi - lo for lo, hi in pieces) == e.pgmap.nr_pages  # complete
    assert all(any(lo <= a and b <= hi for lo, hi in e.pgmap.ranges) for a, b in pieces)
    assert sum(r.memmap_dram_pages for r in x.runs) == acct.dram_pages
    assert sum(r.memmap_device_pages for r in x.runs) == acct.device_pages
    for lvl in x.page_tables.levels:
        assert sum(getattr(r.new_tables, lvl.name) for r in x.runs) == acct.tables[lvl.name]
        assert lvl.new_tables <= lvl.windows
    assert sum(r.path == "early" for r in x.runs) == e.figures.cost.early_chunks
    for r in x.runs:
        if r.path == "early":
            assert r.memmap_dram_pages == r.memmap_device_pages == 0
            assert r.new_tables == (0, 0, 0, 0)
    c = x.compound
    if c.optimized:
        assert c.kept_pages <= 2
        assert c.kept_pages + c.remapped_pages == c.vmemmap_pages
    ExplainDoc.model_validate(device_explain_doc(x))
