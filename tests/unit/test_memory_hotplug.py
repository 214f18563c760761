"""hotplug-hvo-model.md A.6 worked examples (x86_64, 512 GiB boot RAM => 2 GiB blocks)."""

from __future__ import annotations

from dataclasses import replace

from vmemplan.kernel.arch import get_arch
from vmemplan.kernel.memory_hotplug import hotplug_memmap, memory_block_size_bytes
from vmemplan.kernel.versions import kernel_profile

X86 = get_arch("x86_64")
K612 = kernel_profile((6, 12))
GiB, MiB, TiB = 1 << 30, 1 << 20, 1 << 40


def test_block_size_from_boot_ram() -> None:
    assert memory_block_size_bytes(X86, 512 * GiB) == 2 * GiB
    assert memory_block_size_bytes(X86, 48 * GiB) == 128 * MiB


def test_a1_cxl_memmap_on_memory() -> None:
    r = hotplug_memmap(X86, K612, TiB, 256 * GiB, 2 * GiB, memmap_on_memory=True)
    assert r["memmap_pages_self_hosted"] == 1048576
    assert r["memmap_pages_dram"] == 0
    assert r["blocks_self_hosted"] == 128
    assert r["usable_bytes"] == 66060288 * 4096  # 252 GiB


def test_a2_memmap_in_dram_and_before_6_8() -> None:
    for k, mom in ((K612, False), (kernel_profile((6, 6)), True)):
        r = hotplug_memmap(X86, k, TiB, 256 * GiB, 2 * GiB, memmap_on_memory=mom)
        assert r["memmap_pages_dram"] == 1048576
        assert r["blocks_dram"] == 128
        assert r["usable_bytes"] == 256 * GiB


def test_a3_hmem_trimmed_to_blocks() -> None:
    start, end = 64 * GiB + 512 * MiB, 96 * GiB + 256 * MiB
    r = hotplug_memmap(X86, K612, start, end - start, 2 * GiB, memmap_on_memory=False)
    assert r["usable_bytes"] == 30 * GiB
    assert r["memmap_pages_dram"] == 122880
    assert r["blocks_dram"] == 15


def test_a4_vm_128m_blocks() -> None:
    r = hotplug_memmap(X86, K612, 48 * GiB, 16 * GiB, 128 * MiB, memmap_on_memory=True)
    assert r["memmap_pages_self_hosted"] == 65536
    assert r["usable_bytes"] == 4128768 * 4096


def test_a5_struct_page_72_falls_back() -> None:
    a = replace(X86, struct_page_size=72)
    r = hotplug_memmap(a, K612, 48 * GiB, 16 * GiB, 128 * MiB, memmap_on_memory=True)
    assert r["blocks_self_hosted"] == 0
    assert r["memmap_pages_dram"] == 128 * 576
