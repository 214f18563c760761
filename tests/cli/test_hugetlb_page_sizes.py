"""HugeTLB page sizes: each arch profile takes the sizes its kernel has, everywhere a size is taken.

The tables follow arch_hugetlb_valid_size() (vmemplan/kernel/hugetlbpage.py). On arm64 they are
CONT_PTE_SIZE = CONT_PTES * PAGE_SIZE, PMD_SIZE, CONT_PMD_SIZE = CONT_PMDS * PMD_SIZE, and PUD_SIZE
only with 4K pages (pud_sect_supported()); CONT_PTES / CONT_PMDS are 1 << ARM64_CONT_PTE_SHIFT /
1 << ARM64_CONT_PMD_SHIFT (arch/arm64/Kconfig): 16/16 (4K), 128/32 (16K), 32/32 (64K):
  4K:  16 * 4K = 64K,   2M,   16 * 2M = 32M,    1G
  16K: 128 * 16K = 2M,  32M,  32 * 32M = 1G
  64K: 32 * 64K = 2M,   512M, 32 * 512M = 16G
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.hugetlbpage import HUGETLB_PAGE_SIZES, arch_hugetlb_valid_size

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

X86_SIZES = "(its sizes: 2M, 1G; 1G needs the CPU's gbpages flag (pdpe1gb))"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_arch_profile_has_its_table() -> None:
    """A profile added to arch.py without a HugeTLB table would accept no size at all."""
    assert set(HUGETLB_PAGE_SIZES) == set(ARCHES)
    for sizes in HUGETLB_PAGE_SIZES.values():
        got = [s.size_bytes for s in sizes]
        assert got == sorted(got)
        assert len(set(got)) == len(got)


@pytest.mark.parametrize(
    ("arch", "sizes"),
    [
        ("x86_64", (2 * MiB, GiB)),
        ("x86_64-la57", (2 * MiB, GiB)),
        ("arm64-4k", (64 * KiB, 2 * MiB, 32 * MiB, GiB)),
        ("arm64-16k", (2 * MiB, 32 * MiB, GiB)),
        ("arm64-64k", (2 * MiB, 512 * MiB, 16 * GiB)),
        ("ppc64-radix-4k", (2 * MiB, GiB)),
        ("ppc64-radix-64k", (2 * MiB, GiB)),
        ("riscv64", (64 * KiB, 2 * MiB, GiB)),
    ],
)
def test_sizes_per_arch(arch: str, sizes: tuple[int, ...]) -> None:
    """The module docstring's table; every other power of two from 4K to 64G is refused."""
    assert tuple(s.size_bytes for s in HUGETLB_PAGE_SIZES[arch]) == sizes
    for shift in range(12, 37):
        assert arch_hugetlb_valid_size(arch, 1 << shift) == ((1 << shift) in sizes)


@pytest.mark.parametrize("size", ["4M", "512M", "4K", "2G"])
def test_x86_pages_refuses_sizes_it_has_not(size: str) -> None:
    """x86_64 has PMD (2M) and PUD (1G) pages only; 4M and 512M used to be costed."""
    r = run("hugetlb", "--hugetlb", f"{size}:10")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == (
        f"vmemplan: error: --hugetlb: {size}: not a HugeTLB page size of x86_64 {X86_SIZES}\n"
    )


def test_x86_hugepagesz_on_the_command_line_is_refused() -> None:
    r = run("hugetlb", "--cmdline", "hugepagesz=4M hugepages=3")
    assert r.exit_code == 2
    assert r.stderr == (
        "vmemplan: error: --cmdline hugepagesz: 4M: not a HugeTLB page size of x86_64 "
        f"{X86_SIZES}\n"
    )


def test_default_hugepagesz_is_checked_too() -> None:
    """arm64 with 64K pages has no 1G page (CONT_PMD is 16G there)."""
    r = run("hugetlb", "--arch", "arm64-64k", "--cmdline", "default_hugepagesz=1G hugepages=3")
    assert r.exit_code == 2
    assert r.stderr == (
        "vmemplan: error: --cmdline default_hugepagesz: 1G: not a HugeTLB page size of "
        "arm64-64k (its sizes: 2M, 512M, 16G)\n"
    )


def test_host_hugetlb_is_checked() -> None:
    r = run("host", "--system-ram", "64G", "--hugetlb", "4M:10")
    assert r.exit_code == 2
    assert r.stderr == (
        f"vmemplan: error: --hugetlb: 4M: not a HugeTLB page size of x86_64 {X86_SIZES}\n"
    )


def test_check_locates_a_page_size_the_arch_has_not(tmp_path: Path) -> None:
    """A config pool of 4M pages is a located problem on its page_size line, exit 2."""
    path = tmp_path / "pools.toml"
    path.write_text('[host]\nsystem_ram = ["0+64G"]\n\n[[hugetlb]]\npage_size = "4M"\ncount = 10\n')
    r = run("check", str(path))
    assert r.exit_code == 2
    assert f"{path}:5: hugetlb[0].page_size: 4M: not a HugeTLB page size of x86_64" in r.stdout


@pytest.mark.parametrize(
    ("arch", "pages"),
    [("arm64-4k", "64K:16"), ("arm64-16k", "1G:1"), ("arm64-64k", "16G:1"), ("riscv64", "64K:1")],
)
def test_granule_sizes_are_taken(arch: str, pages: str) -> None:
    """The contiguous-bit sizes each granule adds (and riscv's Svnapot 64K) are costed."""
    r = run("hugetlb", "--arch", arch, "--hugetlb", pages, "--json")
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize(
    ("arch", "size", "listed"),
    [
        ("arm64-16k", "64G", "2M, 32M, 1G"),  # PUD_SIZE with 16K pages: no pud_sect_supported()
        ("arm64-64k", "1G", "2M, 512M, 16G"),
        ("arm64-4k", "16G", "64K, 2M, 32M, 1G"),
        ("ppc64-radix-64k", "16M", "2M, 1G"),  # 16M and 16G are the hash MMU's sizes
    ],
)
def test_granule_refusals_list_the_arch_sizes(arch: str, size: str, listed: str) -> None:
    r = run("hugetlb", "--arch", arch, "--hugetlb", f"{size}:1")
    assert r.exit_code == 2
    assert f"{size}: not a HugeTLB page size of {arch} (its sizes: {listed})" in r.stderr


def test_a_pool_of_folios_with_less_than_a_page_of_vmemmap_still_costs_its_struct_pages() -> None:
    """arm64-4k 64K folios: 16 struct pages of 64 B, 1 KiB of vmemmap each (VH = 0 whole
    pages): 10 folios are 10 KiB of struct pages, 3 vmemmap pages of a contiguous pool.
    Not optimizable (hugetlb_vmemmap_optimizable_size() is 0), so no HVO saving; the pool
    once showed 0 B without HVO. arm64-64k 2M folios: 32 x 64 B = 2 KiB, 1,000 of them
    2,000 KiB, 32 pages of 64 KiB."""
    doc = json.loads(run("hugetlb", "--arch", "arm64-4k", "--pages", "64K:10", "--json").stdout)
    assert doc["devices"][0]["detail"]["vmemmap_pages_unoptimized"] == 3
    assert doc["total"]["dram_bytes_unoptimized"] == doc["total"]["dram_bytes"] == 3 * 4096
    assert doc["total"]["saved_bytes"] == 0
    doc = json.loads(run("hugetlb", "--arch", "arm64-64k", "--pages", "2M:1000", "--json").stdout)
    assert doc["devices"][0]["detail"]["vmemmap_pages_unoptimized"] == 32
    assert doc["total"]["dram_bytes"] == 32 * 65536
