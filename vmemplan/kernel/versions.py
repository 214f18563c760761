"""Kernel behaviour as named switches, and the version table that sets them.

vmemplan cannot probe a running kernel, so a kernel version only chooses defaults for
the switches below; each switch can be overridden for distribution kernels that carry
backports. Every switch names the commit that introduced the behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ArchProfile

# How vmemmap_can_optimize() (or its absence) decides whether a pgmap takes the
# deduplicated compound path (__populate_section_memmap() in mm/sparse-vmemmap.c).
#   "none":              no compound path (before v5.19).
#   "nr_gt_1":           v5.19: pgmap && !altmap && vmemmap_shift > 0, every arch.
#                        Linux kernel commit 4917f55b4ef9 ("mm/sparse-vmemmap: improve memory
#                        savings for compound devmaps") (in v5.19)
#   "nr_gt_1_hvo_gated": same test, only where the arch selects the HugeTLB vmemmap Kconfig.
#                        Linux kernel commit 87a7ae75d738 ("mm/vmemmap/devdax: fix kernel crash
#                        when probing devdax devices") (in v6.3)
#   "reserve_dax_gated": nr_vmemmap_pages > VMEMMAP_RESERVE_NR, ARCH_WANT_OPTIMIZE_DAX_VMEMMAP,
#                        powerpc override (radix only). Aneesh Kumar's series (in v6.6)
OptimizeRule = Literal["none", "nr_gt_1", "nr_gt_1_hvo_gated", "reserve_dax_gated"]

# What a populated device chunk adds to /proc/vmstat nr_memmap_pages.
#   "none":    the counter does not exist (before v6.11).
#   "nominal": DIV_ROUND_UP(nr_pages * sizeof(struct page), PAGE_SIZE), deduplication ignored.
#              Linux kernel commit 15995a352474 ("mm: report per-page metadata information")
#              (in v6.11); moved to section_activate() by c3576889d87b (in v6.17), same amount.
#   "exact":   section_nr_vmemmap_pages(): the pages really allocated.
#              Muchun Song, "mm/sparse-vmemmap: Fix DAX vmemmap accounting with optimization" (2026)
CounterSemantics = Literal["none", "nominal", "exact"]

COUNTER_CHOICES: tuple[CounterSemantics, ...] = ("none", "nominal", "exact")

# The newest kernel the version table knows about.
NEWEST = (7, 4)
# Muchun Song's 2026 fixes (exact accounting, early-section init) were merged to mm-stable
# on 2026-05-29, i.e. for the v7.2 merge window [release tag unconfirmed]; stable backports
# were queued 2026-08-20, so distribution kernels may have them: see the overrides.
MUCHUN_2026_FIXES = (7, 2)
# Zhenhua Huang, "arm64: mm: Populate vmemmap at the page level if not section aligned"
# (March 2025, Cc stable) [release tag unconfirmed; assumed v6.14]: before it, arm64 4K
# mapped even a single subsection with a whole PMD block.
ARM64_SUBSECTION_BASEPAGES = (6, 14)

_KNOWN_MINORS = {4: range(5, 21), 5: range(20), 6: range(20), 7: range(NEWEST[1] + 1)}


@dataclass(frozen=True)
class KernelProfile:
    """The behaviour switches vmemplan models for one kernel."""

    version: tuple[int, int]
    # Linux kernel commit ("device-dax: compound devmap support", Joao Martins) (in v5.17):
    # dev_dax_probe() sets pgmap->vmemmap_shift from the device align.
    compound_devmap: bool
    optimize_rule: OptimizeRule
    counters: CounterSemantics
    # Muchun Song, "mm/mm_init: Fix uninitialized struct pages for ZONE_DEVICE" (2026):
    # compound_nr_pages() returns the full compound size when the head is in an early section.
    early_init_fix: bool
    # VMEMMAP_RESERVE_NR: vmemmap pages kept per deduplicated compound page; 1 with Muchun
    # Song's "mm: Generalize vmemmap optimization for DAX and HugeTLB" (2026, landing unconfirmed).
    dedup_keep: int = 2

    @property
    def arm64_subsection_basepages(self) -> bool:
        """Whether arm64 4K maps a partial section with base pages (else a whole PMD block)."""
        return self.version >= ARM64_SUBSECTION_BASEPAGES

    @property
    def label(self) -> str:
        """``6.12``."""
        return f"{self.version[0]}.{self.version[1]}"

    def arch_can_dedup(self, arch: ArchProfile) -> bool:
        """Whether the arch's Kconfig lets device-dax take the compound path on this kernel."""
        match self.optimize_rule:
            case "none":
                return False
            case "nr_gt_1":
                return True
            case "nr_gt_1_hvo_gated":
                # ARCH_WANT_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: x86_64; arm64's was disabled by
                # 060a2c92d1b6 ("arm64: mm: hugetlb: Disable HUGETLB_PAGE_OPTIMIZE_VMEMMAP");
                # powerpc and riscv did not select it then.
                return arch.dedup_gate == "x86"
            case "reserve_dax_gated":
                # ARCH_WANT_OPTIMIZE_DAX_VMEMMAP: x86_64 and powerpc radix (v6.6); riscv from
                # Björn Töpel's "riscv: Enable DAX VMEMMAP optimization" (in v6.11); never arm64.
                if arch.dedup_gate == "riscv":
                    return self.version >= (6, 11)
                return arch.dedup_gate in ("x86", "ppc64-radix")


def parse_kernel_version(text: str, option: str = "--kernel") -> tuple[int, int]:
    """Parse ``6.12``, ``6.12.7`` or ``v6.12-rc3`` into ``(6, 12)``."""
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:-rc\d+)?(?:[-+.][\w.+-]*)?", text.strip())
    if m is None:
        raise InputError(option, f"{text!r}: not a kernel version (expected e.g. 6.12)")
    version = (int(m.group(1)), int(m.group(2)))
    if version[1] not in _KNOWN_MINORS.get(version[0], range(0)):
        raise InputError(
            option,
            f"{text!r}: unknown kernel version (known: 4.5 to {NEWEST[0]}.{NEWEST[1]})",
        )
    return version


def kernel_profile(version: tuple[int, int]) -> KernelProfile:
    """The switches a mainline kernel of ``version`` has (the version table)."""
    if version >= (6, 6):
        rule: OptimizeRule = "reserve_dax_gated"
    elif version >= (6, 3):
        rule = "nr_gt_1_hvo_gated"
    elif version >= (5, 19):
        rule = "nr_gt_1"
    else:
        rule = "none"
    if version >= MUCHUN_2026_FIXES:
        counters: CounterSemantics = "exact"
    elif version >= (6, 11):
        counters = "nominal"
    else:
        counters = "none"
    return KernelProfile(
        version=version,
        compound_devmap=version >= (5, 17),
        optimize_rule=rule,
        counters=counters,
        early_init_fix=version >= MUCHUN_2026_FIXES,
    )


def with_overrides(
    profile: KernelProfile,
    *,
    counters: CounterSemantics | None = None,
    early_init_fix: bool | None = None,
    dedup_keep: int | None = None,
) -> KernelProfile:
    """Apply the overrides a distribution kernel with backports needs."""
    if counters is not None:
        profile = replace(profile, counters=counters)
    if early_init_fix is not None:
        profile = replace(profile, early_init_fix=early_init_fix)
    if dedup_keep is not None:
        profile = replace(profile, dedup_keep=dedup_keep)
    return profile


def known_versions() -> tuple[str, ...]:
    """Every ``X.Y`` the version table accepts, newest first (for shell completion)."""
    return tuple(
        f"{major}.{minor}"
        for major in sorted(_KNOWN_MINORS, reverse=True)
        for minor in reversed(_KNOWN_MINORS[major])
    )
