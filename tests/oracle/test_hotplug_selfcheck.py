"""Pin the dax kmem hot-add oracle (tests/oracle/hotplug.py) to hotplug-hvo-model.md A.6.

The A.6 examples are scaled down (fewer blocks) so the per-pfn walk stays fast; the
per-block figures (M = BLK * 64 / 4096, sections * 512 DRAM pages) are the spec's.
"""

from __future__ import annotations

import pytest

from tests.oracle.hotplug import GiB, MiB, TiB, hotplug_memmap

MB2G = 2 * GiB  # x86 bare metal with >= 64 GiB boot RAM (A.1)


def test_a1_scaled_cxl_memmap_on_memory() -> None:
    """A-1 with 2 blocks instead of 128: M = 524,288 * 64 / 4096 = 8192 per block.

    Self-hosted 2 * 8192 = 16,384 pages; usable 4 GiB - 16,384 * 4 KiB = 4032 MiB.
    """
    got = hotplug_memmap("x86_64", "6.12", 1 * TiB, 4 * GiB, MB2G, memmap_on_memory=True)
    assert got == {
        "memmap_pages_dram": 0,
        "memmap_pages_self_hosted": 16384,
        "blocks_self_hosted": 2,
        "blocks_dram": 0,
        "usable_bytes": 4 * GiB - 16384 * 4096,
    }


@pytest.mark.parametrize(("kernel", "mom"), [("6.1", True), ("6.6", True), ("7.2", False)])
def test_a2_scaled_memmap_in_dram(kernel: str, mom: bool) -> None:
    """A-2: memmap_on_memory off, or kernel < 6.8 (kmem never passed the flag).

    2 blocks = 32 sections * 512 = 16,384 DRAM pages; all 4 GiB usable.
    """
    got = hotplug_memmap("x86_64", kernel, 1 * TiB, 4 * GiB, MB2G, memmap_on_memory=mom)
    assert got["memmap_pages_dram"] == 16384
    assert got["memmap_pages_self_hosted"] == 0
    assert (got["blocks_dram"], got["blocks_self_hosted"]) == (2, 0)
    assert got["usable_bytes"] == 4 * GiB


def test_a3_scaled_trim_to_block_boundaries() -> None:
    """A-3 scaled: [64 GiB + 512 MiB, 70 GiB + 256 MiB) trims to [66 GiB, 70 GiB).

    2 blocks, 32 sections * 512 = 16,384 DRAM pages (hmem default off); head 1536 MiB
    and tail 256 MiB are lost.
    """
    start = 64 * GiB + 512 * MiB
    end = 70 * GiB + 256 * MiB
    got = hotplug_memmap("x86_64", "7.2", start, end - start, MB2G, memmap_on_memory=False)
    assert got["blocks_dram"] == 2
    assert got["memmap_pages_dram"] == 16384
    assert got["usable_bytes"] == 4 * GiB


def test_a4_scaled_vm_128mib_blocks() -> None:
    """A-4 scaled: 128 MiB blocks, 1 GiB instead of 16: M = 32,768 * 64 / 4096 = 512.

    8 blocks * 512 = 4096 self-hosted pages; usable 1 GiB - 16 MiB.
    """
    got = hotplug_memmap("x86_64", "6.12", 64 * GiB, 1 * GiB, 128 * MiB, memmap_on_memory=True)
    assert got["memmap_pages_self_hosted"] == 4096
    assert got["blocks_self_hosted"] == 8
    assert got["usable_bytes"] == 1 * GiB - 16 * MiB


def test_range_smaller_than_a_block_adds_nothing() -> None:
    """[1 GiB + 4 KiB, 3 GiB) holds no whole 2 GiB block: -ENOSPC, nothing added."""
    got = hotplug_memmap("x86_64", "7.2", 1 * GiB + 4096, 2 * GiB - 4096, MB2G, True)
    assert set(got.values()) == {0}


def test_arm64_64k_never_self_hosts() -> None:
    """arm64 64K, 512 MiB block: memmap = 8192 * 64 B = 512 KiB = 8 pages of 64 KiB.

    8 is not a multiple of pageblock_nr_pages (8192), so mhp_supports_memmap_on_memory()
    refuses: 2 blocks keep 2 * 8 = 16 DRAM pages, all 1 GiB usable.
    """
    got = hotplug_memmap("arm64-64k", "7.2", 4 * GiB, 1 * GiB, 512 * MiB, True)
    assert got["blocks_dram"] == 2
    assert got["memmap_pages_dram"] == 16
    assert got["usable_bytes"] == 1 * GiB


def test_arm64_4k_self_hosts_like_x86() -> None:
    """arm64 4K, 128 MiB block: memmap 2 MiB = 512 pages = one PMD, pageblock aligned."""
    got = hotplug_memmap("arm64-4k", "6.12", 4 * GiB, 256 * MiB, 128 * MiB, True)
    assert got["memmap_pages_self_hosted"] == 1024
    assert got["usable_bytes"] == 256 * MiB - 1024 * 4096


def test_adjacent_block_aligned_ranges_add_up() -> None:
    """Two adjacent block-aligned devices give the sum of their figures."""
    a = hotplug_memmap("x86_64", "7.2", 64 * GiB, 256 * MiB, 128 * MiB, True)
    b = hotplug_memmap("x86_64", "7.2", 64 * GiB + 256 * MiB, 384 * MiB, 128 * MiB, True)
    both = hotplug_memmap("x86_64", "7.2", 64 * GiB, 640 * MiB, 128 * MiB, True)
    assert both == {k: a[k] + b[k] for k in a}


def test_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="sparc"):
        hotplug_memmap("sparc", "7.2", 0, 1 * GiB, 128 * MiB, True)
    with pytest.raises(ValueError, match=r"5\.4"):
        hotplug_memmap("x86_64", "5.4", 0, 1 * GiB, 128 * MiB, True)
    with pytest.raises(ValueError, match="100"):
        hotplug_memmap("x86_64", "7.2", 0, 1 * GiB, 100, True)
