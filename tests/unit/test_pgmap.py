"""vmemmap_can_optimize() and dev_dax_probe()'s vmemmap_shift (spec B1, B6, D6)."""

from __future__ import annotations

import pytest

from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.dax_device import DevPagemap, dev_dax_vmemmap_shift, vmemmap_can_optimize
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.versions import kernel_profile, with_overrides

X86 = ARCHES["x86_64"]


def _pgmap(shift: int, altmap: Altmap | None = None) -> DevPagemap:
    return DevPagemap(ranges=((0, 1 << 20),), vmemmap_shift=shift, altmap=altmap, mode="devdax")


@pytest.mark.parametrize(("shift", "expected"), [(6, False), (7, False), (8, True), (9, True)])
def test_d6_optimize_iff_more_than_reserve_pages(shift: int, expected: bool) -> None:
    """D6: VMEMMAP_RESERVE_NR = 2, optimise iff nr_vmemmap_pages > 2 (include/linux/mm.h):
    order 7 = 128 struct pages = 2 vmemmap pages, not optimised; order 8 = 4 pages."""
    assert vmemmap_can_optimize(X86, kernel_profile((6, 12)), 64, _pgmap(shift)) is expected


def test_before_6_6_any_compound_optimises() -> None:
    """v5.19 - v6.5 tested only vmemmap_shift > 0 (pgmap_vmemmap_nr() > 1)."""
    assert vmemmap_can_optimize(X86, kernel_profile((6, 5)), 64, _pgmap(1))


def test_altmap_or_odd_struct_page_never_optimises() -> None:
    k = kernel_profile((6, 12))
    altmap = Altmap(base_pfn=0, reserve=2, free=100, end_pfn=1 << 20)
    assert not vmemmap_can_optimize(X86, k, 64, _pgmap(9, altmap))
    assert not vmemmap_can_optimize(X86, k, 72, _pgmap(9))
    assert vmemmap_can_optimize(X86, k, 128, _pgmap(9))


def test_dedup_keep_one_lowers_the_threshold() -> None:
    k = with_overrides(kernel_profile((6, 12)), dedup_keep=1)
    assert vmemmap_can_optimize(X86, k, 64, _pgmap(7))  # 2 vmemmap pages > 1


@pytest.mark.parametrize(
    ("align", "mode", "version", "shift"),
    [
        (4096, "devdax", (6, 12), 0),
        (2 << 20, "devdax", (6, 12), 9),
        (1 << 30, "devdax", (6, 12), 18),
        (2 << 20, "fsdax", (6, 12), 0),
        (2 << 20, "devdax", (5, 16), 0),
    ],
)
def test_dev_dax_probe_vmemmap_shift(
    align: int, mode: str, version: tuple[int, int], shift: int
) -> None:
    """B1.3: vmemmap_shift = order_base_2(align / PAGE_SIZE) for devdax since v5.17."""
    assert dev_dax_vmemmap_shift(X86, kernel_profile(version), mode, align) == shift  # type: ignore[arg-type]
