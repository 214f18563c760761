"""Law: the dax kmem hot-add model equals the brute-force oracle on random geometries.

``vmemplan.kernel.memory_hotplug.hotplug_memmap()`` counts with closed forms per memory
block; ``tests/oracle/hotplug.py`` (written independently, from the spec and the kernel
source) visits every pfn and collects the vmemmap pages that hold its struct page.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.oracle.hotplug import hotplug_memmap as oracle_hotplug_memmap
from tests.oracle.hotplug import vmemmap_pmd_tables as oracle_vmemmap_pmd_tables
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.memory_hotplug import hotplug_memmap, kmem_hotplug
from vmemplan.kernel.memremap import Machine
from vmemplan.kernel.versions import kernel_profile

MiB = 1 << 20
KERNELS = {"6.1": (6, 1), "6.6": (6, 6), "6.12": (6, 12), "7.2": (7, 2)}


@st.composite
def kmem_ranges(draw: st.DrawFn) -> tuple[str, str, int, int, int, bool]:
    arch = draw(st.sampled_from(["x86_64", "arm64-4k", "arm64-16k", "arm64-64k"]))
    kernel = draw(st.sampled_from(sorted(KERNELS)))
    section = 1 << ARCHES[arch].section_size_bits
    block = section << draw(st.integers(0, 2))
    # a dax range starts and ends on 2 MiB (the device's align); keep it to a few blocks
    start = 2 * MiB * draw(st.integers(0, (4 * block) // (2 * MiB)))
    size = 2 * MiB * draw(st.integers(1, (3 * block) // (2 * MiB)))
    return arch, kernel, start, size, block, draw(st.booleans())


@given(kmem_ranges())
def test_hotplug_memmap_equals_oracle(case: tuple[str, str, int, int, int, bool]) -> None:
    """Trim to memory blocks (dax_kmem_range()), then per block a self-hosted memmap
    where mhp_supports_memmap_on_memory() allows it, else DRAM: the same counts."""
    arch, kernel, start, size, block, memmap_on_memory = case
    fast = hotplug_memmap(
        ARCHES[arch], kernel_profile(KERNELS[kernel]), start, size, block, memmap_on_memory
    )
    slow = oracle_hotplug_memmap(arch, kernel, start, size, block, memmap_on_memory)
    assert fast == slow


@given(kmem_ranges())
def test_kmem_hotplug_walk_equals_oracle(case: tuple[str, str, int, int, int, bool]) -> None:
    """The walker path ``estimate --mode system-ram`` uses (kmem_hotplug() on a Machine,
    one altmap per self-hosted block) gives the oracle's data pages, blocks, usable
    bytes and PMD tables, with memmap_on_memory on and off."""
    arch, kernel, start, size, block, memmap_on_memory = case
    machine = Machine(ARCHES[arch], kernel_profile(KERNELS[kernel]), 64)
    cost = kmem_hotplug(
        machine, ((start, start + size),), block, "on" if memmap_on_memory else "off"
    )
    slow = oracle_hotplug_memmap(arch, kernel, start, size, block, memmap_on_memory)
    assert cost.account.dram_pages == slow["memmap_pages_dram"]
    assert cost.account.device_pages == slow["memmap_pages_self_hosted"]
    assert cost.blocks_self_hosted == slow["blocks_self_hosted"]
    assert cost.blocks_dram == slow["blocks_dram"]
    assert cost.managed_pages * ARCHES[arch].page_size == slow["usable_bytes"]
    assert cost.account.tables["pmd"] == oracle_vmemmap_pmd_tables(
        arch, kernel, start, size, block, memmap_on_memory
    )
