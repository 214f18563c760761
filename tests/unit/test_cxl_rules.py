"""The kernel's CXL rules by version (vmemplan/kernel/cxl.py), one worked example each.

Figures are x86_64, 4 KiB pages, 64-byte struct pages unless a test says otherwise.
"""

from __future__ import annotations

from tests.helpers import GiB, MiB
from vmemplan.kernel import cxl
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import kernel_profile, parse_kernel_release

X86 = ARCHES["x86_64"]


def test_kmem_binds_cxl_and_hmem_dax_devices_by_default_from_6_3() -> None:
    """e9ee9fe3a9d4 (v6.3): a dax region flagged IORESOURCE_DAX_KMEM matches kmem first;
    pmem dax devices stay device_dax on every kernel."""
    for kind in ("cxl", "hmem"):
        assert cxl.default_dax_driver(kernel_profile((6, 2)), kind).value == "device_dax"
        after = cxl.default_dax_driver(kernel_profile((6, 3)), kind)
        assert after.value == "kmem"
        assert "e9ee9fe3a9d4" in after.rule
    assert cxl.default_dax_driver(kernel_profile((6, 12)), "pmem").value == "device_dax"


def test_a_ram_region_gets_a_dax_device_from_6_3_unless_it_is_already_system_ram() -> None:
    """09d09e04d2fc (v6.3) creates the dax region; cxl_region_probe() skips it when any
    part of the region is System RAM (firmware onlined it): boot RAM."""
    assert cxl.cxl_ram_region_dax(kernel_profile((6, 2)), overlaps_system_ram=False).value is False
    assert cxl.cxl_ram_region_dax(kernel_profile((6, 3)), overlaps_system_ram=False).value is True
    onlined = cxl.cxl_ram_region_dax(kernel_profile((6, 12)), overlaps_system_ram=True)
    assert onlined.value is False
    assert "boot RAM" in onlined.rule


def test_a_cxl_dax_device_asks_for_memmap_on_memory_from_6_8_with_the_knob_from_6_9() -> None:
    """4eca0ef49af9 (v6.8) sets dev_dax->memmap_on_memory for CXL regions only; the sysfs
    attribute 73954d379efd is v6.9 (spec corrections.md item 8, not the ABI file's 6.8)."""
    assert cxl.dax_memmap_on_memory(kernel_profile((6, 7)), "cxl").value is False
    v68 = cxl.dax_memmap_on_memory(kernel_profile((6, 8)), "cxl")
    assert v68.value is True
    assert "73954d379efd" not in v68.rule
    v69 = cxl.dax_memmap_on_memory(kernel_profile((6, 9)), "cxl")
    assert v69.value is True
    assert "73954d379efd" in v69.rule
    assert cxl.dax_memmap_on_memory(kernel_profile((6, 12)), "hmem").value is False


def test_cfmws_advice_of_the_two_256g_windows_of_the_soft_reserved_thread() -> None:
    """Spec cxl.md section 5 worked example: windows 0x2070000000-0x606fffffff and
    0x6070000000-0xa06fffffff. start|end of window 0 = 0x2070000000|0x6070000000 =
    0x6070000000, whose lowest set bit is 0x10000000 = 256 MiB; window 1 likewise
    (0x6070000000|0xa070000000 = 0xe070000000): advice = min = 256 MiB."""
    windows = [(0x2070000000, 0x6070000000), (0x6070000000, 0xA070000000)]
    assert cxl.cfmws_block_advice(windows) == (256 * MiB, [])


def test_a_window_aligned_below_256m_gives_no_advice_and_a_note() -> None:
    """acpi_parse_cfmws(): align < 256 MiB is a "[BIOS BUG]" and advises nothing:
    0x1008000000 has its lowest set bit at 0x8000000 = 128 MiB."""
    advice, notes = cxl.cfmws_block_advice([(0x1008000000, 0x1008000000 + 64 * GiB)])
    assert advice == 0
    assert len(notes) == 1
    assert "128M" in notes[0]


def test_the_advice_overrides_the_bare_metal_2g_from_6_16_only() -> None:
    """probe_memory_block_size(): boot RAM ending at 64 GiB (not below
    MEM_SIZE_FOR_LARGE_BLOCK) on bare metal picks 2 GiB up to v6.15 whatever the windows;
    from v6.16 the 256 MiB advice wins (64 GiB is a multiple of 256 MiB)."""
    old = cxl.probe_memory_block_size(X86, kernel_profile((6, 15)), 64 * GiB, 256 * MiB)
    new = cxl.probe_memory_block_size(X86, kernel_profile((6, 16)), 64 * GiB, 256 * MiB)
    assert old.value == 2 * GiB
    assert new.value == 256 * MiB
    assert "v6.16" in new.rule


def test_small_hosts_keep_128m_blocks_and_the_advice_is_clamped() -> None:
    """Below 64 GiB of boot RAM: 128 MiB whatever the advice. Advice above 2 GiB is clamped
    to MAX_BLOCK_SIZE, then halved until boot_mem_end is aligned: 64 GiB + 128 MiB is
    aligned to 128 MiB only, so an advice of 1 GiB ends at 128 MiB."""
    v616 = kernel_profile((6, 16))
    assert cxl.probe_memory_block_size(X86, v616, 32 * GiB, 256 * MiB).value == 128 * MiB
    assert cxl.probe_memory_block_size(X86, v616, 128 * GiB, 8 * GiB).value == 2 * GiB
    odd_end = 64 * GiB + 128 * MiB
    assert cxl.probe_memory_block_size(X86, v616, odd_end, 1 * GiB).value == 128 * MiB


def test_other_arches_use_one_section() -> None:
    """No CFMWS consumer outside x86: the generic memory_block_size_bytes() (one section,
    128 MiB on arm64 with 4K pages)."""
    arm = ARCHES["arm64-4k"]
    rule = cxl.probe_memory_block_size(arm, kernel_profile((6, 16)), 64 * GiB, 256 * MiB)
    assert rule.value == 128 * MiB == 1 << arm.section_size_bits


def test_stable_releases_resolve_by_their_series() -> None:
    """The rules are features: 6.15.9 (a stable release of 6.15) still has no advice."""
    rel = kernel_profile(parse_kernel_release("6.15.9"))
    assert cxl.probe_memory_block_size(X86, rel, 64 * GiB, 256 * MiB).value == 2 * GiB
