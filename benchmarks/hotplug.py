"""Benchmark: kmem_hotplug() with memmap_on_memory, 4 GiB to 4 PiB (python benchmarks/hotplug.py).

With memmap_on_memory every memory block is its own arch_add_memory() with its own
altmap (create_altmaps_and_memory_blocks()); kmem_hotplug() adds runs of like blocks at
once, so its time should be flat across sizes, while the per-block reference
(_kmem_hotplug_per_block(), one call per block) grows with the number of blocks. The
reference is timed once, and only up to REFERENCE_MAX_BLOCKS blocks.

x86_64-la57 (52 physical address bits) with 2 GiB blocks, arm64-4k with 128 MiB blocks
(one section), both after 64 GiB of boot RAM with the range right above it. 4 PiB on
arm64-4k (48 bits) is beyond MAX_PHYSMEM_BITS, which ``estimate --mode system-ram``
refuses; kmem_hotplug() does not check it and it is timed here as a size only.
"""

from __future__ import annotations

import time
from statistics import median

from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memory_hotplug import HotplugCost, _kmem_hotplug_per_block, kmem_hotplug
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.versions import kernel_profile
from vmemplan.system_ram import SystemRamRequest, system_ram_estimate

GiB = 1 << 30
BOOT = ((0, 64 * GiB),)
SIZES = [("4 GiB", 4 << 30), ("4 TiB", 4 << 40), ("4 PiB", 4 << 50)]
HOSTS = [("x86_64-la57", 2 * GiB), ("arm64-4k", 128 << 20)]
REFERENCE_MAX_BLOCKS = 1 << 16


def _host(arch_name: str) -> tuple[Machine, DirectMapState]:
    """The machine after boot: boot memmap populated, boot RAM in the direct map."""
    arch = ARCHES[arch_name]
    assert arch.linear_map is not None
    machine = Machine(arch, kernel_profile((6, 12)), arch.struct_page_size, BOOT)
    direct = DirectMapState(arch, arch.linear_map, gbpages=True)
    for lo, hi in BOOT:
        direct.add_range(lo, hi)
    return machine, direct


def time_hotplug(arch_name: str, block: int, size: int, *, reference: bool, repeat: int) -> float:
    """Median wall time of one call on a fresh copy of the host, in milliseconds."""
    machine, direct = _host(arch_name)
    ranges = ((64 * GiB, 64 * GiB + size),)
    fn = _kmem_hotplug_per_block if reference else kmem_hotplug
    samples = []
    results: list[HotplugCost] = []
    for _ in range(repeat):
        m, d = machine.copy(), direct.copy()
        t0 = time.perf_counter()
        results.append(fn(m, ranges, block, "on", d))
        samples.append(time.perf_counter() - t0)
    assert all(r == results[0] for r in results)
    return median(samples) * 1e3


def time_system_ram(arch_name: str, size: int, repeat: int = 20) -> float:
    """Median wall time of system_ram_estimate() (what ``estimate --mode system-ram`` runs)."""
    req = SystemRamRequest(
        arch=ARCHES[arch_name],
        kernel=kernel_profile((6, 12)),
        ranges=((64 * GiB, 64 * GiB + size),),
        system_ram=BOOT,
        memmap_on_memory="on",
    )
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        system_ram_estimate(req)
        samples.append(time.perf_counter() - t0)
    return median(samples) * 1e3


def main() -> None:
    """Print kmem_hotplug() times, fast path and per-block reference, per size."""
    print(
        f"{'arch':>12} {'block':>7} {'size':>6} {'blocks':>10} {'fast ms':>9} {'per-block ms':>13}"
    )
    for arch_name, block in HOSTS:
        for name, size in SIZES:
            nr_blocks = size // block
            fast = time_hotplug(arch_name, block, size, reference=False, repeat=20)
            if nr_blocks <= REFERENCE_MAX_BLOCKS:
                ref = time_hotplug(arch_name, block, size, reference=True, repeat=1)
                ref_text = f"{ref:13.1f}"
            else:
                ref_text = f"{'skipped':>13}"
            blk = f"{block >> 20}M"
            print(f"{arch_name:>12} {blk:>7} {name:>6} {nr_blocks:>10,} {fast:9.3f} {ref_text}")
    for arch_name, size, label in (
        ("x86_64", 32 << 40, "32 TiB"),
        ("arm64-4k", 128 << 40, "128 TiB"),
    ):
        ms = time_system_ram(arch_name, size)
        print(f"system_ram_estimate() {arch_name} {label} memmap_on_memory=on: {ms:7.3f} ms")


if __name__ == "__main__":
    main()
