"""nd_pfn_init()'s refusal of a size that leaves no room for data, and the size it suggests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB, MiB
from vmemplan.errors import GeometryError
from vmemplan.kernel import pfn_devs
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.pfn_devs import nd_pfn_init
from vmemplan.units import parse_size

X86 = ARCHES["x86_64"]
SUBSECTION = 2 * MiB


def _suggested(size: int, align: int, map_: str, start: int) -> int:
    with pytest.raises(GeometryError) as err:
        nd_pfn_init(X86, start=start, size=size, align=align, map_=map_, struct_page_size=64)
    return parse_size(err.value.message.rsplit("smallest valid: --size=", 1)[1], "--size")


def _accepted(size: int, align: int, map_: str, start: int) -> bool:
    try:
        nd_pfn_init(X86, start=start, size=size, align=align, map_=map_, struct_page_size=64)
    except GeometryError:
        return False
    return True


@given(
    steps=st.integers(1, 600),
    align=st.sampled_from([4096, 2 * MiB, 64 * MiB, GiB]),
    map_=st.sampled_from(["mem", "dev"]),
    start_steps=st.integers(0, 4096),
)
def test_the_suggested_size_is_the_smallest_2m_step_that_fits(
    steps: int, align: int, map_: str, start_steps: int
) -> None:
    """Stepping 2 MiB at a time from the refused size, the suggestion is the first size
    the forward model accepts."""
    size, start = steps * SUBSECTION, start_steps * SUBSECTION
    if _accepted(size, align, map_, start):
        return
    suggestion = _suggested(size, align, map_, start)
    assert _accepted(suggestion, align, map_, start)
    scan = size + SUBSECTION
    while not _accepted(scan, align, map_, start):
        scan += SUBSECTION
    assert suggestion == scan


def test_a_refused_size_costs_a_few_steps_whatever_the_align(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: one _fits() per 2 MiB up to the suggestion, 512 for a 1G-aligned 2M namespace,
    which made compare of an /proc/iomem of 2,000 ranges take ~7 s."""
    calls = 0
    fits = pfn_devs._fits

    def counted(*args: object) -> bool:
        nonlocal calls
        calls += 1
        return fits(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pfn_devs, "_fits", counted)
    assert _suggested(2 * MiB, GiB, "mem", 64 * GiB) == 2 * GiB
    assert calls <= 4
