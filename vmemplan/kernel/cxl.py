"""CXL memory: the kernel rules that decide what a CXL region costs, by version.

A CXL RAM region reaches the page allocator through a chain (spec cxl.md section 1):
CFMWS window (root decoder) -> region -> ``cxl_dax_region`` -> one dax device -> kmem.
Which link exists, which driver binds the dax device, whether kmem asks for a
self-hosted memmap and how big the memory blocks are that kmem trims the range to
changed between kernels; each change is a named rule below (a ``Backport`` with its commit
and first release), and every decision returns the rule that made it, so the output can
say which rule decided each figure. Ranges are half-open ``[start, end)`` in bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

from vmemplan.kernel.arch import ArchProfile
from vmemplan.kernel.memory_hotplug import (
    MAX_BLOCK_SIZE,
    MEM_SIZE_FOR_LARGE_BLOCK,
    MIN_MEMORY_BLOCK_SIZE_X86,
)
from vmemplan.kernel.versions import Backport, KernelProfile, KernelRelease, carries
from vmemplan.units import MiB, format_size_exact

# Linux kernel commit 09d09e04d2fc ("cxl/dax: Create dax devices for CXL RAM regions")
# (in v6.3): cxl_region_probe() hands a RAM region to devm_cxl_add_dax_region(), and
# drivers/dax/cxl.c makes its one dax device (dax<region id>.0, the region's whole range).
CXL_RAM_REGION_DAX = Backport(
    change='09d09e04d2fc ("cxl/dax: Create dax devices for CXL RAM regions")', mainline=(6, 3)
)
# Linux kernel commit e9ee9fe3a9d4 ("dax: Assign RAM regions to memory-hotplug by default")
# (in v6.3): a dax region flagged IORESOURCE_DAX_KMEM (CXL RAM regions, hmem ranges) matches
# the kmem driver first (dax_match_type() in drivers/dax/bus.c); pmem stays device_dax.
DAX_KMEM_DEFAULT = Backport(
    change='e9ee9fe3a9d4 ("dax: Assign RAM regions to memory-hotplug by default")',
    mainline=(6, 3),
)
# Linux kernel commit 4eca0ef49af9 ("dax/kmem: allow kmem to add memory with
# memmap_on_memory") (in v6.8): dev_dax->memmap_on_memory, set by cxl_dax_region_probe()
# (``.memmap_on_memory = true``) and by nothing else; dev_dax_kmem_probe() then passes
# MHP_MEMMAP_ON_MEMORY, which takes effect only with memory_hotplug.memmap_on_memory.
CXL_KMEM_MEMMAP_ON_MEMORY = Backport(
    change='4eca0ef49af9 ("dax/kmem: allow kmem to add memory with memmap_on_memory")',
    mainline=(6, 8),
)
# Linux kernel commit 73954d379efd ("dax: add a sysfs knob to control memmap_on_memory
# behavior") (in v6.9; its ABI file says v6.8, but it reached mainline in the 6.9 merge
# window: spec corrections.md item 8): daxX.Y/memmap_on_memory, writable while no driver
# is bound (-EBUSY under kmem).
DAX_MEMMAP_ON_MEMORY_ATTR = Backport(
    change='73954d379efd ("dax: add a sysfs knob to control memmap_on_memory behavior")',
    mainline=(6, 9),
)
# Gregory Price's series "memory,x86,acpi: hotplug memory alignment advisement" (in v6.16,
# "[GIT PULL] MM updates for 6.16-rc1"; mainline commit ids not resolved): acpi_parse_cfmws()
# in drivers/acpi/numa/srat.c advises the memory block size from each CFMWS window's
# alignment (memory_block_advise_max_size() in drivers/base/memory.c), and x86
# probe_memory_block_size() follows the advice even on bare metal (spec corrections.md
# item 7: not ~6.14 as hotplug-hvo-model.md A.1 believed).
CFMWS_BLOCK_ADVICE = Backport(
    change='Gregory Price\'s "memory,x86,acpi: hotplug memory alignment advisement"',
    mainline=(6, 16),
)

# drivers/acpi/numa/srat.c: the CXL spec requires CFMWS base and size aligned to 256 MiB.
CFMWS_MIN_ALIGN = 256 * MiB

DaxKind = Literal["cxl", "hmem", "pmem"]


class Rule(NamedTuple):
    """One decision and the kernel rule that made it (the text the output shows)."""

    value: bool | int | str
    rule: str


def has(kernel: KernelProfile, change: Backport) -> bool:
    """Whether ``kernel`` carries ``change`` (stable releases resolved as the table does)."""
    rel = kernel.release or KernelRelease(*kernel.version)
    return carries(change, rel)[0]


# Follows cxl_region_probe() in drivers/cxl/core/region.c (the CXL_DECODER_RAM case).
def cxl_ram_region_dax(kernel: KernelProfile, overlaps_system_ram: bool) -> Rule:
    """Whether a committed RAM region gets a dax device (value: True/False)."""
    if overlaps_system_ram:
        return Rule(
            False,
            "cxl_region_probe(): part of the region is already System RAM (firmware onlined "
            "it), so no dax region is created: it is boot RAM, counted with the boot memmap",
        )
    if not has(kernel, CXL_RAM_REGION_DAX):
        return Rule(
            False,
            f"Linux {kernel.label}: RAM regions get no dax device before v6.3 "
            f"({CXL_RAM_REGION_DAX.change})",
        )
    return Rule(
        True, f"a RAM region gets one dax device, its whole range ({CXL_RAM_REGION_DAX.change})"
    )


# Follows dax_match_type() in drivers/dax/bus.c.
def default_dax_driver(kernel: KernelProfile, kind: DaxKind) -> Rule:
    """The driver that binds a new dax device by default: ``kmem`` or ``device_dax``."""
    if kind == "pmem":
        return Rule("device_dax", "a pmem dax device binds device_dax (dax_match_type())")
    if has(kernel, DAX_KMEM_DEFAULT):
        return Rule(
            "kmem",
            f"kmem binds {kind} dax devices by default from v6.3 ({DAX_KMEM_DEFAULT.change})",
        )
    return Rule(
        "device_dax",
        f"Linux {kernel.label}: device_dax binds {kind} dax devices (kmem by default only "
        f"from v6.3, {DAX_KMEM_DEFAULT.change})",
    )


# Follows cxl_dax_region_probe() in drivers/dax/cxl.c and dev_dax_kmem_probe() in
# drivers/dax/kmem.c.
def dax_memmap_on_memory(kernel: KernelProfile, kind: DaxKind) -> Rule:
    """dev_dax->memmap_on_memory of a new dax device (value: True/False): whether kmem asks
    add_memory_driver_managed() for MHP_MEMMAP_ON_MEMORY."""
    attr = (
        "; from v6.9 (73954d379efd) daxX.Y/memmap_on_memory changes it while no driver is bound"
        if has(kernel, DAX_MEMMAP_ON_MEMORY_ATTR)
        else ""
    )
    if not has(kernel, CXL_KMEM_MEMMAP_ON_MEMORY):
        return Rule(
            False,
            f"Linux {kernel.label}: kmem adds memory without MHP_MEMMAP_ON_MEMORY before "
            f"v6.8 ({CXL_KMEM_MEMMAP_ON_MEMORY.change}): the memmap is in DRAM",
        )
    if kind == "cxl":
        return Rule(
            True,
            "a CXL region's dax device asks for memmap_on_memory from v6.8 (drivers/dax/cxl.c, "
            f"{CXL_KMEM_MEMMAP_ON_MEMORY.change}), which takes effect only with "
            f"memory_hotplug.memmap_on_memory{attr}",
        )
    return Rule(False, f"a {kind} dax device does not ask for memmap_on_memory{attr}")


def _lowest_set_bit(value: int) -> int:
    return value & -value


# Follows acpi_parse_cfmws() in drivers/acpi/numa/srat.c and memory_block_advise_max_size()
# in drivers/base/memory.c (v6.16).
def cfmws_block_advice(windows: Iterable[tuple[int, int]]) -> tuple[int, list[str]]:
    """The memory block size the CFMWS windows ``[start, end)`` advise (0: none), and a
    note per window the kernel rejects ("[BIOS BUG] base/size alignment violates spec")."""
    advice = 0
    notes = []
    for start, end in windows:
        align = _lowest_set_bit(start | end)
        if align < CFMWS_MIN_ALIGN:
            notes.append(
                f"CFMWS window {start:#x}-{end - 1:#x}: base/size alignment "
                f"{format_size_exact(align)} is below 256M, no advice (the kernel logs a "
                "BIOS bug)"
            )
            continue
        advice = align if advice == 0 else min(advice, align)
    return advice, notes


# Follows probe_memory_block_size() in arch/x86/mm/init_64.c.
def probe_memory_block_size(
    arch: ArchProfile, kernel: KernelProfile, boot_mem_end: int, advice: int
) -> Rule:
    """memory_block_size_bytes() on a bare-metal host whose CFMWS windows advise
    ``advice`` bytes (0: no window): the value and the rule that picked it."""
    if arch.populate != "x86":
        section = 1 << arch.section_size_bits
        return Rule(
            section, f"one section ({format_size_exact(section)}) on {arch.name}: no CFMWS advice"
        )
    end = format_size_exact(boot_mem_end)
    if boot_mem_end < MEM_SIZE_FOR_LARGE_BLOCK:
        return Rule(
            MIN_MEMORY_BLOCK_SIZE_X86,
            f"x86: boot RAM ends at {end}, below 64G: 128M blocks (CFMWS advice ignored)",
        )
    if not advice:
        return Rule(MAX_BLOCK_SIZE, f"x86 bare metal, boot RAM ending at {end}: 2G blocks")
    if not has(kernel, CFMWS_BLOCK_ADVICE):
        return Rule(
            MAX_BLOCK_SIZE,
            f"x86 bare metal: 2G blocks; Linux {kernel.label} ignores the CFMWS windows' "
            f"{format_size_exact(advice)} alignment (advice from v6.16, "
            f"{CFMWS_BLOCK_ADVICE.change})",
        )
    bz = max(min(advice, MAX_BLOCK_SIZE), MIN_MEMORY_BLOCK_SIZE_X86)
    while bz > MIN_MEMORY_BLOCK_SIZE_X86 and boot_mem_end % bz:
        bz >>= 1
    return Rule(
        bz,
        f"x86 from v6.16: the CFMWS windows advise {format_size_exact(advice)}, boot RAM ends "
        f"at {end}: {format_size_exact(bz)} blocks, for all memory, overriding the bare-metal "
        f"2G ({CFMWS_BLOCK_ADVICE.change})",
    )
