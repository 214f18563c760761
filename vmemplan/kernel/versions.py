"""Kernel behaviour as named switches, and the version table that sets them.

vmemplan cannot probe a running kernel, so a kernel release only chooses defaults for
the switches below; each switch can be overridden for distribution kernels that carry
backports. Every switch names the commit that introduced the behaviour, the mainline
release that has it and the stable releases that carry it (``Backport``), so a stable
release such as 6.12.118 resolves to what that kernel does, not to what 6.12.0 did.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ArchProfile
from vmemplan.units import quote_value

# How vmemmap_can_optimize() (or its absence) decides whether a pgmap takes the
# deduplicated compound path (__populate_section_memmap() in mm/sparse-vmemmap.c).
#   "none":              no compound path (before v5.19).
#   "nr_gt_1":           v5.19: pgmap && !altmap && vmemmap_shift > 0, every arch.
#                        Linux kernel commit 4917f55b4ef9 ("mm/sparse-vmemmap: improve memory
#                        savings for compound devmaps") (in v5.19)
#   "nr_gt_1_hvo_gated": same test, only where the arch selects the HugeTLB vmemmap Kconfig.
#                        Linux kernel commit 87a7ae75d738 ("mm/vmemmap/devdax: fix kernel crash
#                        when probing devdax devices") (in v6.4; stable: see VMEMMAP_CAN_OPTIMIZE)
#   "reserve_dax_gated": nr_vmemmap_pages > VMEMMAP_RESERVE_NR, ARCH_WANT_OPTIMIZE_DAX_VMEMMAP,
#                        powerpc override (radix only). Aneesh Kumar's series (in v6.6)
OptimizeRule = Literal["none", "nr_gt_1", "nr_gt_1_hvo_gated", "reserve_dax_gated"]
OPTIMIZE_RULE_CHOICES: tuple[OptimizeRule, ...] = (
    "none",
    "nr_gt_1",
    "nr_gt_1_hvo_gated",
    "reserve_dax_gated",
)

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

_KNOWN_MINORS = {4: range(5, 21), 5: range(20), 6: range(20), 7: range(NEWEST[1] + 1)}

Series = tuple[int, int]
# The empty mapping a Backport's series default to (shared: it cannot be changed).
_NONE: Mapping[Any, Any] = MappingProxyType({})

# Backport and KernelRelease are NamedTuples, not dataclasses: estimate's start-up would
# otherwise compile their generated methods on every run.


class Backport(NamedTuple):
    """Where one upstream change reached: its mainline release and the stable releases.

    ``stable`` maps a stable series (``(6, 12)``) to the first sublevel that carries the
    change; ``assumed`` holds the series whose release number is inferred rather than read
    from a stable review mail; ``unknown`` maps the series where it is not knowable whether
    the change was backported to the first sublevel that could carry it and the reason.
    Every other series older than ``mainline`` is known not to carry it (the change was a
    feature, or the series was end of life before the change was queued for stable).
    """

    change: str
    mainline: Series | None
    stable: Mapping[Series, int] = _NONE
    assumed: Mapping[Series, str] = _NONE
    unknown: Mapping[Series, tuple[int, str]] = _NONE


# Linux kernel commit 87a7ae75d738 ("mm/vmemmap/devdax: fix kernel crash when probing devdax
# devices") (in v6.4-rc1: the 6.3.2 backport submitted 2023-05-19 had to carry it without
# its 6.4 dependency 9420f89db2dd, so v6.3 lacks it). Stable: queue/6.3 of linux-stable-rc
# took that backport on 2023-05-26 (first 6.3.y release after: 6.3.5); 6.2.y was end of life
# (Greg Kroah-Hartman's reply to the 6.2.16 submission, 2023-05-30); 6.1.y kept the ungated
# test until queue/6.1 took it with "mm/mm_init: fix uninitialized struct pages for
# ZONE_DEVICE" on 2026-08-21 (spec corrections.md item 1: 6.1.18x).
VMEMMAP_CAN_OPTIMIZE = Backport(
    change='87a7ae75d738 ("mm/vmemmap/devdax: fix kernel crash when probing devdax devices")',
    mainline=(6, 4),
    stable={(6, 3): 5, (6, 1): 184},
    assumed={
        (6, 3): "queued for 6.3 stable on 2023-05-26; 6.3.5 is the next release, tag unconfirmed",
        (6, 1): "queued for 6.1 stable on 2026-08-21 with the early-section init fix (6.1.184); "
        "tag unconfirmed",
    },
)

# Linux kernel commit d4234d131b0a ("arm64: mm: Populate vmemmap at the page level if not
# section aligned") (in v6.14; Cc: stable # v5.4+). Stable review mails: "[PATCH 6.13 ...]"
# in 6.13.8-rc1 (2025-03-19), "[PATCH 6.12 191/231]" in 6.12.20-rc1 (2025-03-19),
# "[PATCH 6.6 132/166]" in 6.6.84-rc1 (2025-03-19), "[PATCH 6.1 140/198]" in 6.1.132-rc1
# (2025-03-25, Sasha Levin's backport after the FAILED notice of 2025-03-16).
ARM64_SUBSECTION_BASEPAGES_CHANGE = Backport(
    change='d4234d131b0a ("arm64: mm: Populate vmemmap at the page level if not section aligned")',
    mainline=(6, 14),
    stable={(6, 13): 8, (6, 12): 20, (6, 6): 84, (6, 1): 132},
    # The sublevel a March 2025 backport could have reached is not known either: any
    # stable release of these series is flagged.
    unknown={
        (5, 15): (1, "its backport failed to apply to 5.15 on 2025-03-16; no later one found"),
        (5, 10): (1, "it was tagged for v5.4+ stable in March 2025; no 5.10 backport found"),
        (5, 4): (1, "it was tagged for v5.4+ stable in March 2025; no 5.4 backport found"),
    },
)

# Muchun Song, "mm/mm_init: fix uninitialized struct pages for ZONE_DEVICE" (v7.2-rc1):
# compound_nr_pages() returns the full compound size when the head is in an early section.
# Stable releases from the spec's corrections.md item 2 (queue push of 2026-08-21).
EARLY_INIT_FIX = Backport(
    change='Muchun Song\'s "mm/mm_init: fix uninitialized struct pages for ZONE_DEVICE"',
    mainline=(7, 2),
    stable={(7, 1): 5, (6, 18): 40, (6, 12): 97, (6, 6): 145, (6, 1): 184},
)

# Muchun Song, "mm/sparse-vmemmap: fix DAX vmemmap accounting with optimization" (v7.2-rc1).
# It was queued for stable with the init fix, but which stable release carries it was not
# found; the series that have nr_memmap_pages (6.11+) are the ones where it matters.
EXACT_COUNTERS = Backport(
    change='Muchun Song\'s "mm/sparse-vmemmap: fix DAX vmemmap accounting with optimization"',
    mainline=(7, 2),
    # Releases before the init fix's (same queue) cannot carry it; from there on, unknown.
    unknown={
        s: (
            first,
            "queued for stable with the init fix on 2026-08-20; no stable release "
            "carrying it was found",
        )
        for s, first in (((7, 1), 5), ((6, 18), 40), ((6, 12), 97))
    },
)

# Features: in no stable series before their mainline release.
COMPOUND_DEVMAP = Backport(
    change='"device-dax: compound devmap support" (Joao Martins)', mainline=(5, 17)
)
GENERIC_DEDUP = Backport(
    change='4917f55b4ef9 ("mm/sparse-vmemmap: improve memory savings for compound devmaps")',
    mainline=(5, 19),
)
RESERVE_DAX_RULE = Backport(
    change="Aneesh Kumar's ARCH_WANT_OPTIMIZE_DAX_VMEMMAP series", mainline=(6, 6)
)
NOMINAL_COUNTERS = Backport(
    change='15995a352474 ("mm: report per-page metadata information")', mainline=(6, 11)
)
# Muchun Song, "mm: Generalize vmemmap optimization for DAX and HugeTLB": VMEMMAP_RESERVE_NR
# 1 instead of 2; not in any mainline release the table knows (spec corrections item 3).
DEDUP_KEEP_ONE = Backport(
    change='Muchun Song\'s "mm: Generalize vmemmap optimization for DAX and HugeTLB"',
    mainline=None,
)

# Kept for callers that compare mainline versions.
MUCHUN_2026_FIXES = (7, 2)
ARM64_SUBSECTION_BASEPAGES = (6, 14)


class KernelRelease(NamedTuple):
    """A kernel release as ``--kernel`` or ``uname -r`` names it.

    ``6.12`` is the mainline release; ``6.12.118`` a stable release; ``5.14.0-427.el9.x86_64``
    a distribution kernel whose ``extra`` (``-427.el9.x86_64``) says it carries backports
    that the upstream rules cannot know about.
    """

    major: int
    minor: int
    sublevel: int | None = None
    rc: int | None = None
    extra: str = ""
    text: str = ""

    @property
    def version(self) -> Series:
        """``(6, 12)``: the mainline release the series started from."""
        return (self.major, self.minor)

    @property
    def label(self) -> str:
        """``6.12``, ``6.12.118`` or ``6.14-rc3``; the distribution suffix is left off."""
        base = f"{self.major}.{self.minor}"
        if self.sublevel is not None:
            base += f".{self.sublevel}"
        if self.rc is not None:
            base += f"-rc{self.rc}"
        return base

    @property
    def is_stable(self) -> bool:
        """A stable release (X.Y.Z with Z > 0)."""
        return bool(self.sublevel)


_RELEASE_RE = re.compile(
    r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-rc(\d+))?((?:[-+.][A-Za-z0-9_.+-]*)?)", re.ASCII
)


def parse_kernel_release(text: str, option: str = "--kernel") -> KernelRelease:
    """Parse ``6.12``, ``6.12.118``, ``v6.14-rc3`` or a full ``uname -r`` string."""
    stripped = text.strip()
    m = _RELEASE_RE.fullmatch(stripped)
    if m is None:
        raise InputError(
            option,
            f"{quote_value(text)}: not a kernel version (expected e.g. 6.12, 6.12.118 or uname -r)",
        )
    major, minor = int(m.group(1)), int(m.group(2))
    if minor not in _KNOWN_MINORS.get(major, range(0)) and not is_newer_than_table((major, minor)):
        raise InputError(
            option,
            f"{quote_value(text)}: unknown kernel version (known: 4.5 to {NEWEST[0]}.{NEWEST[1]})",
        )
    return KernelRelease(
        major=major,
        minor=minor,
        sublevel=None if m.group(3) is None else int(m.group(3)),
        rc=None if m.group(4) is None else int(m.group(4)),
        extra=m.group(5),
        text=stripped,
    )


# The largest major number read as a release newer than the table (not a typo).
_NEWEST_MAJOR_ACCEPTED = 99


def is_newer_than_table(version: Series) -> bool:
    """A release after ``NEWEST`` (``7.9``, ``8.0``): it has every change the table
    knows, so it takes the newest rules (with a note) instead of being refused."""
    return version > NEWEST and version[0] <= _NEWEST_MAJOR_ACCEPTED and version[1] < 1000


def parse_kernel_version(text: str, option: str = "--kernel") -> tuple[int, int]:
    """Parse ``6.12``, ``6.12.7`` or ``v6.12-rc3`` into ``(6, 12)``."""
    return parse_kernel_release(text, option).version


def _carries(change: Backport, rel: KernelRelease) -> tuple[bool, str | None]:
    """Whether ``rel`` carries ``change``, and a note when that is assumed or not knowable."""
    if change.mainline is not None and rel.version >= change.mainline:
        return True, None
    series = rel.version
    if series in change.stable:
        first = change.stable[series]
        if rel.sublevel is None or rel.sublevel < first:
            return False, None
        if series in change.assumed:
            return True, (
                f"{rel.label} is assumed to carry {change.change} from "
                f"{series[0]}.{series[1]}.{first} ({change.assumed[series]})"
            )
        return True, None
    if series in change.unknown and (rel.sublevel or 0) >= change.unknown[series][0]:
        return False, (
            f"whether {rel.label} carries {change.change} is not known "
            f"({change.unknown[series][1]}): assumed not"
        )
    return False, None


def carries(change: Backport, rel: KernelRelease) -> tuple[bool, str | None]:
    """Whether ``rel`` carries ``change`` (for rules outside the switches, e.g. kernel/cxl.py)."""
    return _carries(change, rel)


# The switches, in the order JSON lists them, and what each value may be.
SwitchValue = bool | int | str
BOOL_SWITCHES = (
    "compound_devmap",
    "early_init_fix",
    "arm64_subsection_basepages",
    "zone_device",
    "arch_want_optimize_dax_vmemmap",
)
SWITCH_NAMES = (
    "compound_devmap",
    "optimize_rule",
    "counters",
    "early_init_fix",
    "dedup_keep",
    "arm64_subsection_basepages",
    "zone_device",
    "arch_want_optimize_dax_vmemmap",
)
_TRUE, _FALSE = ("y", "yes", "true", "on", "1"), ("n", "no", "false", "off", "0")

SwitchSource = Literal["version table", "override"]

# KernelNote.switch of the distribution-kernel note, whose text notes_for() builds.
DISTRIBUTION_NOTE = "(distribution)"


class KernelNote(NamedTuple):  # a NamedTuple: defined in a tenth of a dataclass's start-up
    """A note the version resolution leaves; ``switch`` names the switch it is about."""

    text: str
    switch: str | None = None


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
    # d4234d131b0a: arm64 4K maps a partial section with base pages (else a whole PMD block).
    arm64_subsection_basepages: bool = False
    # CONFIG_ZONE_DEVICE: without it devm_memremap_pages() fails with -ENXIO (stub in
    # include/linux/memremap.h) and NVDIMM_PFN (fsdax, devdax) cannot be built
    # (drivers/nvdimm/Kconfig: depends on ZONE_DEVICE): no device memmap at all.
    zone_device: bool = True
    # ARCH_WANT_OPTIMIZE_DAX_VMEMMAP (or, before v6.6, the HugeTLB vmemmap Kconfig that gated
    # the compound path): None follows the arch's Kconfig for this version.
    arch_dedup: bool | None = None
    release: KernelRelease | None = None
    # where each switch came from: provenance only, not part of the behaviour (hash, ==)
    sources: Mapping[str, SwitchSource] = field(default_factory=dict, hash=False, compare=False)
    notes: tuple[KernelNote, ...] = ()

    @property
    def label(self) -> str:
        """``6.12`` (or the stable release, ``6.12.118``)."""
        if self.release is not None:
            return self.release.label
        return f"{self.version[0]}.{self.version[1]}"

    def source(self, name: str) -> SwitchSource:
        """Where switch ``name`` came from."""
        return self.sources.get(name, "version table")

    def arch_selects_dedup_kconfig(self, arch: ArchProfile) -> bool:
        """Whether the arch's Kconfig selects the symbol that gates the compound path."""
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
                # ARCH_WANT_OPTIMIZE_DAX_VMEMMAP (mm/Kconfig): selected by arch/x86/Kconfig
                # (if X86_64) and arch/powerpc/Kconfig (if PPC_RADIX_MMU) in v6.6; riscv from
                # Björn Töpel's "riscv: Enable DAX VMEMMAP optimization" (in v6.11); never
                # by arch/arm64/Kconfig.
                if arch.dedup_gate == "riscv":
                    return self.version >= (6, 11)
                return arch.dedup_gate in ("x86", "ppc64-radix")

    def arch_can_dedup(self, arch: ArchProfile) -> bool:
        """Whether the arch's Kconfig lets device-dax take the compound path on this kernel."""
        if self.optimize_rule == "none":
            return False
        if self.arch_dedup is not None:
            return self.arch_dedup
        return self.arch_selects_dedup_kconfig(arch)

    def switches(self, arch: ArchProfile) -> list[tuple[str, SwitchValue, SwitchSource]]:
        """Every switch in effect on ``arch``: name, value and where it came from."""
        values: dict[str, SwitchValue] = {
            "compound_devmap": self.compound_devmap,
            "optimize_rule": self.optimize_rule,
            "counters": self.counters,
            "early_init_fix": self.early_init_fix,
            "dedup_keep": self.dedup_keep,
            "arm64_subsection_basepages": self.arm64_subsection_basepages,
            "zone_device": self.zone_device,
            "arch_want_optimize_dax_vmemmap": self.arch_can_dedup(arch),
        }
        return [(name, values[name], self.source(name)) for name in SWITCH_NAMES]

    def notes_for(self, arch: ArchProfile) -> tuple[str, ...]:
        """The resolution notes that matter on ``arch``."""
        out = []
        for note in self.notes:
            if note.switch == DISTRIBUTION_NOTE:
                out.append(self._distribution_note(arch))
            elif note.switch == "arm64_subsection_basepages" and arch.populate != "arm64-4k":
                continue
            else:
                out.append(note.text)
        return tuple(out)

    def _distribution_note(self, arch: ArchProfile) -> str:
        """Which upstream rules a distribution kernel was given: those not overridden."""
        rel = self.release
        assert rel is not None
        names = [
            n
            for n in SWITCH_NAMES
            if n not in ("zone_device", "arch_want_optimize_dax_vmemmap")
            and (n != "arm64_subsection_basepages" or arch.populate == "arm64-4k")
        ]
        values = {name: value for name, value, _ in self.switches(arch)}
        assumed = [f"{n}={_format_value(values[n])}" for n in names if self.source(n) != "override"]
        extra = quote_value(rel.extra)
        head = f"{rel.text} is a distribution kernel ({extra} after the upstream version)"
        if not assumed:
            return f"{head}: every upstream rule was overridden"
        return (
            f"{head}: the upstream rules of {rel.label} were assumed ({', '.join(assumed)}); "
            "distributions backport fixes and features, so set what yours carries with "
            "--kernel-switch NAME=VALUE"
        )


@functools.lru_cache(maxsize=256)  # immutable; a batch or a config resolves the same few
def kernel_profile(version: tuple[int, int] | KernelRelease) -> KernelProfile:
    """The switches a kernel has: the version table, resolved for stable releases too."""
    rel = version if isinstance(version, KernelRelease) else KernelRelease(*version)
    notes: list[KernelNote] = []

    def carries(change: Backport, switch: str) -> bool:
        yes, note = _carries(change, rel)
        if note is not None:
            hint = f"--kernel-switch {switch}=VALUE overrides it"
            notes.append(KernelNote(f"{note}; {hint}", switch))
        return yes

    if carries(RESERVE_DAX_RULE, "optimize_rule"):
        rule: OptimizeRule = "reserve_dax_gated"
    elif carries(GENERIC_DEDUP, "optimize_rule"):
        rule = "nr_gt_1_hvo_gated" if carries(VMEMMAP_CAN_OPTIMIZE, "optimize_rule") else "nr_gt_1"
    else:
        rule = "none"
    if carries(NOMINAL_COUNTERS, "counters"):
        counters: CounterSemantics = "exact" if carries(EXACT_COUNTERS, "counters") else "nominal"
    else:
        counters = "none"
    profile = KernelProfile(
        version=rel.version,
        compound_devmap=carries(COMPOUND_DEVMAP, "compound_devmap"),
        optimize_rule=rule,
        counters=counters,
        early_init_fix=carries(EARLY_INIT_FIX, "early_init_fix"),
        arm64_subsection_basepages=carries(
            ARM64_SUBSECTION_BASEPAGES_CHANGE, "arm64_subsection_basepages"
        ),
        release=rel,
    )
    notes.extend(_release_notes(rel))
    return replace(profile, notes=tuple(notes))


def _release_notes(rel: KernelRelease) -> list[KernelNote]:
    """Notes on what the release string itself leaves open (rc, distribution suffix)."""
    out: list[KernelNote] = []
    series = f"{rel.major}.{rel.minor}"
    if is_newer_than_table(rel.version):
        out.append(
            KernelNote(
                f"{series} is newer than the version table (up to {NEWEST[0]}.{NEWEST[1]}): "
                f"the rules of {NEWEST[0]}.{NEWEST[1]} were assumed, and any later change "
                "is not modelled"
            )
        )
    if rel.rc is not None:
        out.append(
            KernelNote(f"{rel.label} is a release candidate: the rules of {series} were assumed")
        )
    if rel.extra:
        # the text names the switches left to the table: built per arch by notes_for()
        out.append(KernelNote("", DISTRIBUTION_NOTE))
        if not rel.sublevel:
            out.append(
                KernelNote(
                    f"the sublevel of {rel.text} does not name an upstream stable release "
                    "(distributions such as RHEL, Ubuntu and Debian keep .0 and count "
                    f"their own builds): no stable-release fix was assumed in {series}"
                )
            )
    return out


def _format_value(value: SwitchValue) -> str:
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def _switch_choices(name: str) -> str:
    if name in BOOL_SWITCHES:
        return "y or n"
    if name == "optimize_rule":
        return ", ".join(OPTIMIZE_RULE_CHOICES[:-1]) + " or " + OPTIMIZE_RULE_CHOICES[-1]
    if name == "counters":
        return ", ".join(COUNTER_CHOICES[:-1]) + " or " + COUNTER_CHOICES[-1]
    return "1 or 2"


NO_ZONE_DEVICE = (
    "zone_device=n: a kernel without CONFIG_ZONE_DEVICE has no device-dax or fsdax memmap "
    "(devm_memremap_pages() fails with -ENXIO and NVDIMM_PFN depends on ZONE_DEVICE): "
    "nothing to estimate"
)


def require_zone_device(profile: KernelProfile, option: str = "--kernel-switch") -> None:
    """Refuse a device memmap estimate on a kernel built without CONFIG_ZONE_DEVICE."""
    if not profile.zone_device:
        raise InputError(option, NO_ZONE_DEVICE)


def parse_kernel_switch(text: str, option: str = "--kernel-switch") -> tuple[str, SwitchValue]:
    """Parse ``NAME=VALUE`` for one behaviour switch (``counters=exact``, ``zone_device=n``)."""
    name, eq, raw = text.partition("=")
    name = name.strip().lower().replace("-", "_")
    valid = ", ".join(SWITCH_NAMES)
    if not eq:
        raise InputError(option, f"{quote_value(text)}: expected NAME=VALUE (switches: {valid})")
    if name not in SWITCH_NAMES:
        raise InputError(
            option, f"{quote_value(text)}: unknown switch {quote_value(name)} (switches: {valid})"
        )
    value = raw.strip().lower()
    parsed: SwitchValue | None = None
    if name in BOOL_SWITCHES:
        parsed = True if value in _TRUE else False if value in _FALSE else None
    elif name == "optimize_rule":
        parsed = value if value in OPTIMIZE_RULE_CHOICES else None
    elif name == "counters":
        parsed = value if value in COUNTER_CHOICES else None
    elif value in ("1", "2"):
        parsed = int(value)
    if parsed is None:
        raise InputError(option, f"{quote_value(text)}: {name} expects {_switch_choices(name)}")
    return name, parsed


def with_switches(
    profile: KernelProfile, switches: Mapping[str, SwitchValue], option: str = "--kernel-switch"
) -> KernelProfile:
    """Override switches (already parsed); the JSON then says they came from an override."""
    changes: dict[str, object] = {}
    for name, value in switches.items():
        if name not in SWITCH_NAMES:
            raise InputError(
                option, f"{quote_value(name)}: unknown switch (switches: {', '.join(SWITCH_NAMES)})"
            )
        changes["arch_dedup" if name == "arch_want_optimize_dax_vmemmap" else name] = value
    if not changes:
        return profile
    sources = dict(profile.sources)
    sources.update(dict.fromkeys(switches, "override"))
    return replace(profile, **changes, sources=sources)  # type: ignore[arg-type]


def with_overrides(
    profile: KernelProfile,
    *,
    counters: CounterSemantics | None = None,
    early_init_fix: bool | None = None,
    dedup_keep: int | None = None,
) -> KernelProfile:
    """Apply the overrides a distribution kernel with backports needs."""
    switches: dict[str, SwitchValue] = {}
    if counters is not None:
        switches["counters"] = counters
    if early_init_fix is not None:
        switches["early_init_fix"] = early_init_fix
    if dedup_keep is not None:
        switches["dedup_keep"] = dedup_keep
    return with_switches(profile, switches)


def known_versions() -> tuple[str, ...]:
    """Every ``X.Y`` the version table accepts, newest first (for shell completion)."""
    return tuple(
        f"{major}.{minor}"
        for major in sorted(_KNOWN_MINORS, reverse=True)
        for minor in reversed(_KNOWN_MINORS[major])
    )
