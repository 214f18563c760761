"""``check --iomem``: a /proc/iomem dump is checked against the --max-* budgets on the same
host, and costs exactly what ``estimate --iomem`` (the same accounting) says it costs.

``cxl_kmem_window.iomem``: 254 GiB of boot RAM up to 0x4080000000 and a 64 GiB CXL window
onlined by kmem as System RAM (the dax device ``dax0.0`` of the window).
"""

from __future__ import annotations

from tests.helpers import run_cli, run_json

CXL = "tests/data/iomem/cxl_kmem_window.iomem"
PMEM_CXL = "tests/data/iomem/x86_pmem_cxl.iomem"


def test_check_iomem_totals_what_estimate_iomem_totals() -> None:
    """Every key of the run's total equals estimate's for the same dump (pmem and CXL)."""
    for path in (CXL, PMEM_CXL):
        est = run_json("estimate", "--iomem", path)
        chk = run_json("check", "--iomem", path)
        assert chk["total"]["dram_bytes"] > 0
        for key, value in est["total"].items():
            if key in ("kind", "name"):
                continue
            assert chk["total"][key] == value, (path, key)


def test_check_iomem_takes_memmap_on_memory() -> None:
    """With memmap_on_memory the CXL device's 64 GiB hosts its own memmap (64 GiB / 4 KiB x
    64 B / 4 KiB = 262,144 pages on the device): the DRAM total falls from over 1 GiB to
    what is left in DRAM, as estimate says."""
    off = run_json("check", "--iomem", CXL)["total"]
    on = run_json("check", "--iomem", CXL, "--memmap-on-memory", "on")["total"]
    est = run_json("estimate", "--iomem", CXL, "--memmap-on-memory", "on")["total"]
    assert on["memmap_device_pages"] == (64 << 30) // 4096 * 64 // 4096 == 262144
    assert off["memmap_device_pages"] == 0
    assert on["dram_bytes"] == est["dram_bytes"] < off["dram_bytes"]


def test_check_iomem_budget_fails_above_and_passes_at_the_total() -> None:
    """--max-dram of exactly the total passes (exit 0); one byte less fails (exit 1)."""
    total = run_json("estimate", "--iomem", PMEM_CXL)["total"]["dram_bytes"]
    ok = run_cli("check", "--iomem", PMEM_CXL, "--max-dram", str(total))
    assert ok.exit_code == 0, ok.stderr
    over = run_cli("check", "--iomem", PMEM_CXL, "--max-dram", str(total - 1))
    assert over.exit_code == 1
    assert "--max-dram" in over.stdout


def test_check_iomem_with_from_ndctl_is_one_host() -> None:
    """A dump pair of one host is one result whose total is estimate's for the same pair."""
    ndctl = "tests/data/ndctl/example_a_list_X_devdax.json"
    est = run_json("estimate", "--from-ndctl", ndctl, "--iomem", PMEM_CXL)
    chk = run_json("check", "--from-ndctl", ndctl, "--iomem", PMEM_CXL)
    assert len(chk["devices"]) == 1
    assert chk["devices"][0]["name"] == ndctl
    assert chk["total"]["dram_bytes"] == est["total"]["dram_bytes"]


def test_check_reads_stdin_once_across_config_and_dumps() -> None:
    result = run_cli("check", "--iomem", "-", "--from-ndctl", "-", stdin="")
    assert result.exit_code == 2
    assert "'-' (stdin) can be read only once" in result.stderr


def test_check_iomem_without_budget_names_the_max_options() -> None:
    result = run_cli("check", "--iomem", CXL)
    assert result.exit_code == 0
    assert "give --max-dram, --max-device-loss or --max-init" in result.stderr
