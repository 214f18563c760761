"""The dev_pagemap a namespace or dax device hands to memremap_pages().

Follows dev_dax_probe() in drivers/dax/device.c (vmemmap_shift from the device align),
__nvdimm_setup_pfn() in drivers/nvdimm/pfn_devs.c (static namespaces: one range, the
whole namespace, optional altmap) and vmemmap_can_optimize() in include/linux/mm.h.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.pfn_devs import Altmap
from vmemplan.kernel.versions import KernelProfile
from vmemplan.units import format_size_exact, is_power_of_2

Mode = Literal["devdax", "fsdax"]


class DevPagemap(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
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


def vmemmap_no_optimize_reason(
    arch: ArchProfile,
    kernel: KernelProfile,
    struct_page_size: int,
    pgmap: DevPagemap,
    align: int,
) -> str | None:
    """Why vmemmap_can_optimize() says no for this pgmap (None when it says yes).

    Follows vmemmap_can_optimize() in include/linux/mm.h and dev_dax_probe() in
    drivers/dax/device.c, in the order the kernel tests them, so the note names the rule.
    """
    if pgmap.mode == "fsdax":
        return "fsdax (MEMORY_DEVICE_FS_DAX) never sets vmemmap_shift: no vmemmap deduplication"
    if not kernel.compound_devmap:
        return (
            f'kernel {kernel.label} predates compound devmaps (v5.17, "device-dax: compound '
            'devmap support"): no vmemmap deduplication'
        )
    if pgmap.vmemmap_shift == 0:
        return "align equals PAGE_SIZE: vmemmap_shift is 0, no compound pages to deduplicate"
    if kernel.optimize_rule == "none":
        return (
            f'kernel {kernel.label} predates v5.19 (4917f55b4ef9 "mm/sparse-vmemmap: improve '
            'memory savings for compound devmaps"): no vmemmap deduplication'
        )
    if not kernel.arch_can_dedup(arch):
        if kernel.optimize_rule == "reserve_dax_gated":
            kconfig = "ARCH_WANT_OPTIMIZE_DAX_VMEMMAP"
        elif kernel.version >= (6, 4):
            # 0b376f1e0ff5 renamed the gate in v6.4; the 6.3.y/6.1.y backports of
            # 87a7ae75d738 test the old name.
            kconfig = "ARCH_WANT_OPTIMIZE_VMEMMAP"
        else:
            kconfig = "ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP"
        if kernel.arch_dedup is False:
            return (
                f"kernel built without {kconfig} (--kernel-switch "
                "arch_want_optimize_dax_vmemmap=n): vmemmap_can_optimize() is false, no "
                "vmemmap deduplication"
            )
        return f"{arch.name} on {kernel.label} does not select {kconfig}: no vmemmap deduplication"
    if pgmap.altmap is not None:
        return "map=dev (altmap): no vmemmap deduplication (vmemmap_can_optimize)"
    if not is_power_of_2(struct_page_size):
        return (
            f"struct page size {struct_page_size} is not a power of two: no vmemmap "
            "deduplication (vmemmap_can_optimize)"
        )
    if kernel.optimize_rule == "reserve_dax_gated":
        nr = nr_vmemmap_pages_per_compound(arch, struct_page_size, pgmap.vmemmap_shift)
        if nr <= kernel.dedup_keep:
            return (
                f"a {format_size_exact(align)} compound has {nr} vmemmap pages, not more than "
                f"VMEMMAP_RESERVE_NR ({kernel.dedup_keep}): no vmemmap deduplication"
            )
    return None
