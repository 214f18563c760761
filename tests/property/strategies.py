"""Hypothesis strategies: small geometries the kernel accepts, on every arch profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from vmemplan.kernel.arch import ARCHES, SUBSECTION_SIZE

MiB, GiB = 1 << 20, 1 << 30

KERNELS = [(5, 19), (6, 3), (6, 6), (6, 12), (7, 2)]


@dataclass(frozen=True)
class Case:
    """Keyword arguments for tests.helpers.est() plus a label for failure reports."""

    kwargs: dict[str, Any]


@st.composite
def boot_ram(draw: st.DrawFn, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
    """Up to three disjoint, unaligned boot RAM ranges inside ``[lo, hi)``."""
    cuts = sorted(draw(st.lists(st.integers(lo, hi), min_size=0, max_size=6, unique=True)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2) if cuts[i] < cuts[i + 1]]
    return tuple(pairs)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A namespace (or dynamic dax ranges) with boot RAM around it, small enough to walk."""
    arch_name = draw(st.sampled_from(sorted(ARCHES)))
    arch = ARCHES[arch_name]
    kernel = draw(st.sampled_from(KERNELS))
    align = draw(st.sampled_from(arch.dax_alignments))
    section = 1 << arch.section_size_bits
    a = max(align, SUBSECTION_SIZE)
    # Keep the walk small: a few sections, or a few compounds for large aligns.
    unit = max(a, section)
    base = draw(st.integers(1, 8)) * unit * 4  # leave room for boot RAM below
    kwargs: dict[str, Any] = {
        "arch": arch_name,
        "kernel": kernel,
        "align": align,
        "counters": draw(st.sampled_from([None, "none", "nominal", "exact"])),
        "early_init_fix": draw(st.sampled_from([None, True, False])),
        "dedup_keep": draw(st.sampled_from([None, None, 1])),
        "struct_page_size": draw(st.sampled_from([None, None, None, 56, 72, 80, 128])),
    }
    max_span = 4 * max(a, 8 * section) if a <= 2 * MiB else 3 * a
    if arch.page_size > 4096:
        max_span = min(max_span, 4 * GiB) if a < GiB else 3 * a
    if draw(st.booleans()):
        # static namespace: subsection (or compound) aligned start, 2 MiB multiple size
        start_align = a if a > section else SUBSECTION_SIZE
        start = base + draw(st.integers(0, max(0, max_span // start_align - 1))) * start_align
        size = draw(st.integers(1, max(1, max_span // SUBSECTION_SIZE))) * SUBSECTION_SIZE
        if a > 2 * MiB:
            size = draw(st.integers(2, 4)) * a + draw(st.integers(0, 3)) * SUBSECTION_SIZE
        kwargs.update(
            start=start,
            size=size,
            map=draw(st.sampled_from(["mem", "dev"])),
            mode=draw(st.sampled_from(["devdax", "devdax", "fsdax"])),
        )
        lo_dev, hi_dev = start, start + size
    else:
        n = draw(st.integers(1, 3))
        ranges = []
        cur = base
        for _ in range(n):
            cur += draw(st.integers(0, 4)) * a
            length = draw(st.integers(1, max(1, max_span // a // n))) * a
            ranges.append((cur, cur + length))
            cur += length
        if draw(st.booleans()):
            ranges.reverse()  # ranges are populated in the order given
        kwargs["dax_ranges"] = tuple(ranges)
        lo_dev, hi_dev = min(r[0] for r in ranges), max(r[1] for r in ranges)
    # Boot RAM below the device (possibly sharing its first section or PMD window) and
    # possibly above it.
    below = draw(boot_ram(0, max(0, lo_dev - SUBSECTION_SIZE)))
    if lo_dev % section and draw(st.booleans()):
        # Boot RAM that ends inside the device's first section makes it an early section.
        sec_lo = lo_dev - lo_dev % section
        ram_end = draw(st.integers(sec_lo + 1, lo_dev))
        ram_start = draw(st.integers(max(0, sec_lo - section), ram_end - 1))
        below = (*(r for r in below if r[1] < ram_start), (ram_start, ram_end))
    above = draw(boot_ram(hi_dev + SUBSECTION_SIZE, hi_dev + 2 * section))
    kwargs["system_ram"] = below + above
    return Case(kwargs=kwargs)


@dataclass(frozen=True)
class OneDevice:
    """One device of every kind ``host`` models, on x86_64 v6.12 above the default 64 GiB
    of boot RAM: as ``estimate``/``compare`` options and as a config ``[[namespaces]]``."""

    kind: str  # devdax, fsdax, dax-range, system-ram
    options: tuple[str, ...]
    toml: str
    memmap_on_memory: str | None = None
    # a [[hugetlb]] pool, "SIZE:COUNT", carved from boot RAM or (on_device) from this
    # device's System RAM; None: no pool
    pool: str | None = None
    on_device: bool = False


@st.composite
def one_device(draw: st.DrawFn) -> OneDevice:
    """A small device of a random kind and geometry, placed at a GiB above boot RAM."""
    kind = draw(st.sampled_from(["devdax", "fsdax", "dax-range", "system-ram"]))
    start = (64 + draw(st.integers(0, 8))) * GiB
    if kind == "system-ram":  # whole 2 GiB memory blocks (64 GiB of boot RAM), or a part
        start = (64 + 2 * draw(st.integers(0, 4))) * GiB
        size = draw(st.sampled_from([128 * MiB, 2 * GiB, 4 * GiB, 6 * GiB]))
        mom = draw(st.sampled_from(["off", "on"]))
        opts = ("--mode", "system-ram", "--size", str(size), "--start", str(start))
        toml = f'mode = "system-ram"\nsize = {size}\nstart = {start}\nmemmap_on_memory = "{mom}"'
        pool = draw(st.sampled_from([None, "boot", "device", "device"]))
        if pool == "device" and size >= 2 * GiB:  # 2M pages, up to half of the device
            count = draw(st.integers(1, size // (4 * MiB)))
            return OneDevice(kind, opts, toml, mom, f"2M:{count}", on_device=True)
        return OneDevice(kind, opts, toml, mom, _boot_pool(draw) if pool else None)
    align = draw(st.sampled_from([2 * MiB, GiB] if kind == "devdax" else [2 * MiB]))
    if kind == "dax-range":
        size = draw(st.integers(1, 64)) * 2 * MiB
        rng = f"{start}+{size}"
        opts = ("--dax-range", rng, "--align", str(align))
        return OneDevice(kind, opts, f'mode = "devdax"\ndax_ranges = ["{rng}"]\nalign = {align}')
    size = draw(st.integers(2, 6)) * GiB
    map_ = draw(st.sampled_from(["mem", "dev"]))
    opts = ("--mode", kind, "--size", str(size), "--start", str(start), "--map", map_)
    opts += ("--align", str(align))
    toml = f'mode = "{kind}"\nsize = {size}\nstart = {start}\nmap = "{map_}"\nalign = {align}'
    return OneDevice(kind, opts, toml, pool=_boot_pool(draw) if draw(st.booleans()) else None)


def _boot_pool(draw: st.DrawFn) -> str:
    """A HugeTLB pool the default 64 GiB of boot RAM holds."""
    if draw(st.booleans()):
        return f"1G:{draw(st.integers(1, 32))}"
    return f"2M:{draw(st.integers(1, 4096))}"
