"""hotplug-hvo-model.md A.6 worked examples (x86_64, 512 GiB boot RAM => 2 GiB blocks)."""

from __future__ import annotations

from vmemplan.kernel.arch import get_arch
from vmemplan.kernel.memory_hotplug import (
    hotplug_memmap,
    kmem_memmap_on_memory_refusal,
    memory_block_memmap_on_memory_pages,
    memory_block_size_bytes,
    mhp_supports_memmap_on_memory,
)
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
    a = X86._replace(struct_page_size=72)
    r = hotplug_memmap(a, K612, 48 * GiB, 16 * GiB, 128 * MiB, memmap_on_memory=True)
    assert r["blocks_self_hosted"] == 0
    assert r["memmap_pages_dram"] == 128 * 576


def test_force_pads_to_a_pageblock_but_the_pmd_rule_stays() -> None:
    """A.3.1: a 72-byte struct page gives a 128 MiB block PFN_UP(32,768 * 72 / 4096) = 576
    memmap pages; force pads them to 1024 (two 512-page pageblocks), but 2,359,296 bytes
    of memmap is still not a PMD_SIZE multiple, so the block is refused either way."""
    assert memory_block_memmap_on_memory_pages(X86, 128 * MiB, 72) == 576
    assert memory_block_memmap_on_memory_pages(X86, 128 * MiB, 72, force=True) == 1024
    assert "pageblock" in (mhp_supports_memmap_on_memory(X86, 128 * MiB, 72) or "")
    assert "PMD_SIZE" in (mhp_supports_memmap_on_memory(X86, 128 * MiB, 72, force=True) or "")
    assert mhp_supports_memmap_on_memory(X86, 128 * MiB, 64, force=True) is None


def test_kmem_refusal_by_version() -> None:
    """A.5: the parameter from v5.12; dax kmem asks for it only from v6.8."""
    assert "off" in (kmem_memmap_on_memory_refusal(X86, K612, 2 * GiB, 64, "off") or "")
    k511, k67 = kernel_profile((5, 11)), kernel_profile((6, 7))
    assert "v5.12" in (kmem_memmap_on_memory_refusal(X86, k511, 2 * GiB, 64, "on") or "")
    assert "v6.8" in (kmem_memmap_on_memory_refusal(X86, k67, 2 * GiB, 64, "on") or "")
    assert kmem_memmap_on_memory_refusal(X86, K612, 2 * GiB, 64, "on") is None
