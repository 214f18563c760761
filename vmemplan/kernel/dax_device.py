"""The dev_pagemap a namespace or dax device hands to memremap_pages().

Follows dev_dax_probe() in drivers/dax/device.c (vmemmap_shift from the device align),
__nvdimm_setup_pfn() in drivers/nvdimm/pfn_devs.c (static namespaces: one range, the
whole namespace, optional altmap) and vmemmap_can_optimize() in include/linux/mm.h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import is_power_of_2

Mode = Literal["devdax", "fsdax"]


@dataclass(frozen=True)
class DevPagemap:
    """``struct dev_pagemap``: PFN ranges ``[start_pfn, end_pfn)``, compound order, altmap."""

    ranges: tuple[tuple[int, int], ...]
    vmemmap_shift: int
    altmap: Altmap | None
    mode: Mode

    def pgmap_vmemmap_nr(self) -> int:
        """``pgmap_vmemmap_nr()``: pfns per compound page."""
        return 1 << self.vmemmap_shift

    @property
    def nr_pages(self) -> int:
        """Pfns covered by all ranges (= struct pages of the pgmap)."""
        return sum(hi - lo for lo, hi in self.ranges)


def order_base_2(n: int) -> int:
    """``order_base_2()`` from include/linux/log2.h."""
    return (n - 1).bit_length()


def dev_dax_vmemmap_shift(arch: ArchProfile, kernel: KernelProfile, mode: Mode, align: int) -> int:
    """vmemmap_shift as dev_dax_probe() sets it; fsdax (MEMORY_DEVICE_FS_DAX) never sets it."""
    if mode != "devdax" or not kernel.compound_devmap or align <= arch.page_size:
        return 0
    return order_base_2(align >> arch.page_shift)


def nr_vmemmap_pages_per_compound(arch: ArchProfile, struct_page_size: int, shift: int) -> int:
    """``(pgmap_vmemmap_nr(pgmap) * sizeof(struct page)) >> PAGE_SHIFT``, truncating."""
    return ((1 << shift) * struct_page_size) >> arch.page_shift


def vmemmap_can_optimize(
    arch: ArchProfile, kernel: KernelProfile, struct_page_size: int, pgmap: DevPagemap
) -> bool:
    """Whether __populate_section_memmap() takes the deduplicated compound path.

    Follows vmemmap_can_optimize() in include/linux/mm.h (and powerpc's override, which
    only adds the radix condition that the ppc64-radix profiles already imply), in the
    form the kernel's ``optimize_rule`` switch selects.
    """
    if not kernel.arch_can_dedup(arch) or pgmap.altmap is not None:
        return False
    if not is_power_of_2(struct_page_size) or pgmap.vmemmap_shift == 0:
        return False
    if kernel.optimize_rule == "reserve_dax_gated":
        return (
            nr_vmemmap_pages_per_compound(arch, struct_page_size, pgmap.vmemmap_shift)
            > kernel.dedup_keep
        )
    return True
