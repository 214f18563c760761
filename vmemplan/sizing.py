"""Inverse sizing: the raw ``ndctl create-namespace --size`` that yields a usable size.

ndctl prints, and users think in, the usable (pfn/dax device) size; the kernel lays
out the raw namespace size (nd_pfn_init(), see namespace.py). ndctl accepts a size that
is a multiple of the region's align (16 MiB by default) and of ``align x interleave
ways``. The usable size never decreases when the raw size grows by such a step, so a
binary search over steps finds the smallest raw size whose usable size is enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import lcm

from vmemplan.errors import GeometryError, InputError, InternalError
from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.pfn_devs import MapMode, PfnLayout, nd_pfn_init
from vmemplan.units import MiB, format_size_exact

# The region "align" attribute ndctl reports (default 16 MiB, the cross-arch namespace
# alignment ndctl enforces).
REGION_ALIGN = 16 * MiB


def size_step(align: int, interleave_ways: int = 1, region_align: int = REGION_ALIGN) -> int:
    """The granule ndctl accepts for ``--size``: lcm(region align, align x interleave ways)."""
    return lcm(region_align, align * interleave_ways)


@dataclass(frozen=True)
class Sizing:
    """The answer of inverse sizing."""

    requested: int
    raw_size: int
    step: int
    layout: PfnLayout

    @property
    def usable(self) -> int:
        """The usable size this raw size really gives."""
        return self.layout.usable


def raw_size_for_usable(
    arch: ArchProfile,
    *,
    usable: int,
    align: int,
    map_: MapMode,
    start: int,
    struct_page_size: int,
    interleave_ways: int = 1,
    region_align: int = REGION_ALIGN,
) -> Sizing:
    """The smallest raw size (a multiple of ``size_step()``) whose usable size >= ``usable``."""
    if usable <= 0:
        raise InputError("--usable", "must be positive")
    if interleave_ways < 1:
        raise InputError("--interleave-ways", f"{interleave_ways}: must be at least 1")
    step = size_step(align, interleave_ways, region_align)

    def usable_at(k: int) -> int | None:
        """Usable size of a raw size of ``k`` steps; None when it leaves no room for data."""
        try:
            layout = nd_pfn_init(
                arch,
                start=start,
                size=k * step,
                align=align,
                map_=map_,
                struct_page_size=struct_page_size,
            )
        except GeometryError as err:
            if "leaves no room for data" in err.message:
                return None
            raise
        return layout.usable

    # The memmap reservation is at most 1/64 of the size plus a few align blocks.
    lo, hi = 1, (usable + usable // 32 + 4 * max(align, step)) // step + 2
    top = usable_at(hi)
    if top is None or top < usable:  # pragma: no cover - the bound above always suffices
        raise InternalError(f"inverse sizing: no raw size found for {format_size_exact(usable)}")
    while lo < hi:
        mid = (lo + hi) // 2
        got = usable_at(mid)
        if got is not None and got >= usable:
            hi = mid
        else:
            lo = mid + 1
    size = lo * step
    layout = nd_pfn_init(
        arch, start=start, size=size, align=align, map_=map_, struct_page_size=struct_page_size
    )
    return Sizing(requested=usable, raw_size=size, step=step, layout=layout)
