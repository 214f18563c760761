"""The nvdimm pfn layer: where a pmem namespace puts its info block, memmap and data.

Follows nd_pfn_init() and __nvdimm_setup_pfn() in drivers/nvdimm/pfn_devs.c, with the
constants of drivers/nvdimm/nd.h (MAX_STRUCT_PAGE_SIZE, nd_info_block_reserve()).
All values are bytes unless the name says pfns or pages.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from vmemplan.errors import GeometryError
from vmemplan.kernel.arch import SUBSECTION_SIZE, ArchProfile
from vmemplan.units import (
    align_down,
    align_up,
    format_as_given,
    format_like,
    format_size_exact,
)

# MAX_STRUCT_PAGE_SIZE in drivers/nvdimm/nd.h: map=dev reserves 64 bytes per pfn whatever
# the running kernel's sizeof(struct page) is.
MAX_STRUCT_PAGE_SIZE = 64
# SZ_8K info block (nd_info_block_reserve() rounds it up to PAGE_SIZE).
INFO_BLOCK_SIZE = 8 * 1024

MapMode = Literal["mem", "dev"]


class Altmap(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """``struct vmem_altmap``: the part of the namespace that holds its own memmap (map=dev)."""

    base_pfn: int
    reserve: int  # pfns before the memmap area (info block + start misalignment)
    free: int  # pfns available for the memmap
    end_pfn: int  # first pfn after the device range

    @property
    def offset(self) -> int:
        """``vmem_altmap_offset()``: pfns at the start of the range that are not data."""
        return self.reserve + self.free


class PfnLayout(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """The on-media layout of one fsdax/devdax namespace (``struct nd_pfn_sb`` fields)."""

    start: int
    size: int
    align: int  # nd_pfn->align as requested
    map: MapMode
    dataoff: int
    end_trunc: int
    npfns: int
    altmap: Altmap | None

    @property
    def usable(self) -> int:
        """The pfn/dax device size ndctl prints as ``size`` (``size - end_trunc - dataoff``)."""
        return self.size - self.end_trunc - self.dataoff

    @property
    def pgmap_range(self) -> tuple[int, int]:
        """The pgmap range ``[start, start + size - end_trunc)``: the whole namespace (B1)."""
        return self.start, self.start + self.size - self.end_trunc


def nd_info_block_reserve(arch: ArchProfile) -> int:
    """``nd_info_block_reserve()`` in drivers/nvdimm/nd.h: ALIGN(SZ_8K, PAGE_SIZE)."""
    return align_up(INFO_BLOCK_SIZE, arch.page_size)


def memremap_compat_align(arch: ArchProfile) -> int:
    """``memremap_compat_align()`` in mm/memremap.c: SUBSECTION_SIZE (ppc64 hash not modelled)."""
    del arch
    return SUBSECTION_SIZE


def _dataoff(arch: ArchProfile, start: int, size: int, align: int, map_: MapMode) -> int:
    """The data offset nd_pfn_init() computes, relative to ``start``."""
    a = max(align, memremap_compat_align(arch))
    reserve = nd_info_block_reserve(arch)
    if map_ == "dev":
        npfns = (size - reserve) // arch.page_size
        return align_up(start + reserve + MAX_STRUCT_PAGE_SIZE * npfns, a) - start
    return align_up(start + reserve, a) - start


def _fits(arch: ArchProfile, start: int, size: int, align: int, map_: MapMode) -> bool:
    a = max(align, memremap_compat_align(arch))
    end_trunc = (start + size) - align_down(start + size, a)
    return _dataoff(arch, start, size, align, map_) < size - end_trunc


def _smallest_fitting_size(
    arch: ArchProfile, start: int, size: int, align: int, map_: MapMode
) -> int:
    """The smallest size above ``size``, in 2 MiB steps (at most 2^20 of them), that leaves
    room for data: what a scan of every step finds, in a few steps.

    Sizes whose end rounds down to the same multiple of the align share the data's end,
    and a larger one has no smaller dataoff (map=dev: more struct pages on the device); so
    where the first size of such a run does not fit, none of the run does, and the scan
    moves on to the next run. Its cost no longer grows with the align (a refused 1G-aligned
    row of compare was 512 steps).
    """
    a = max(align, memremap_compat_align(arch))
    base = align_up(size, SUBSECTION_SIZE)
    limit = base + (1 << 20) * SUBSECTION_SIZE
    candidate = base + SUBSECTION_SIZE
    while candidate <= limit:
        if _fits(arch, start, candidate, align, map_):
            return candidate
        candidate = align_down(start + candidate, a) + a - start
    return limit


def nd_pfn_init(
    arch: ArchProfile, *, start: int, size: int, align: int, map_: MapMode, struct_page_size: int
) -> PfnLayout:
    """Compute the layout of a new fsdax/devdax namespace, refusing what the kernel refuses.

    Follows nd_pfn_init() (layout) and __nvdimm_setup_pfn() (altmap) in
    drivers/nvdimm/pfn_devs.c.
    """
    compat = memremap_compat_align(arch)
    if start % compat:
        lo, hi = align_down(start, compat), align_up(start, compat)
        raise GeometryError(
            "--start",
            f"{format_as_given(start)} is not aligned to {format_size_exact(compat)} "
            f"(memremap_compat_align); nearest valid: {format_like(lo, start)} or "
            f"{format_like(hi, start)}",
        )
    if size % SUBSECTION_SIZE:
        raise GeometryError(
            "--size",
            f"{format_as_given(size)} is not a multiple of the 2M subsection; "
            f"did you intend --size={format_like(align_up(size, SUBSECTION_SIZE), size)}?",
        )
    if map_ == "dev" and struct_page_size > MAX_STRUCT_PAGE_SIZE:
        raise GeometryError(
            "--map",
            f"dev with a {struct_page_size}-byte struct page: the kernel refuses it "
            f'("Memory debug options prevent using pmem for the page map"); use --map mem',
        )
    if not _fits(arch, start, size, align, map_):
        suggestion = _smallest_fitting_size(arch, start, size, align, map_)
        raise GeometryError(
            "--size",
            f"{format_as_given(size)} leaves no room for data at align "
            f'{format_size_exact(align)} with map={map_} (dataoff >= size: "unable to satisfy '
            f'requested alignment"); smallest valid: --size={format_size_exact(suggestion)}',
        )
    a = max(align, compat)
    end_trunc = (start + size) - align_down(start + size, a)
    dataoff = _dataoff(arch, start, size, align, map_)
    npfns = (size - dataoff - end_trunc) // arch.page_size
    altmap = None
    if map_ == "dev":
        reserve = nd_info_block_reserve(arch)
        start_pfn = start // arch.page_size
        base_pfn = align_down(start_pfn, arch.pages_per_subsection)
        altmap = Altmap(
            base_pfn=base_pfn,
            reserve=reserve // arch.page_size + (start_pfn - base_pfn),
            free=(dataoff - reserve) // arch.page_size,
            end_pfn=(start + size - end_trunc) // arch.page_size,
        )
    return PfnLayout(
        start=start,
        size=size,
        align=align,
        map=map_,
        dataoff=dataoff,
        end_trunc=end_trunc,
        npfns=npfns,
        altmap=altmap,
    )
