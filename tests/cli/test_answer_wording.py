"""Words in answers: each says what the case is, and one thing is spelled one way everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vmemplan.cli import cli
from vmemplan.output.source_notes import source_note_label

ROOT = Path(__file__).resolve().parents[2]
NDCTL = ROOT / "tests" / "data" / "ndctl"
IOMEM = ROOT / "tests" / "data" / "iomem"
CXL = ROOT / "tests" / "data" / "cxl"
LABELS = {"rule", "given", "default", "inferred", "from the dump", "note"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_a_range_inside_boot_ram_overlaps_it() -> None:
    """1 TiB at 0 lies inside the default boot RAM 0+64G: an overlap, not a shared subsection."""
    r = run("estimate", "--size", "1T", "--start", "0")
    assert r.exit_code == 2
    assert "--start: the namespace at 0 overlaps System RAM 0x0-0xfffffffff" in r.stderr
    assert "shares a subsection" not in r.stderr


def test_nearest_suggestion_is_a_valid_placement() -> None:
    """129M+64G with align 1G: the aligned ranges nearest it, 0+64G and 1G+64G, both overlap
    the default boot RAM [0, 64G); the nearest one clear of it is 64G+64G (none fits below)."""
    r = run("estimate", "--dax-range", "129M+64G", "--align", "1G")
    assert r.exit_code == 2
    assert r.stderr.endswith("; nearest valid: 64G+64G\n")
    assert "0+64G" not in r.stderr
    ok = run("estimate", "--dax-range", "64G+64G", "--align", "1G")
    assert ok.exit_code == 0, ok.stderr


def test_nearest_suggestion_offers_both_sides_when_both_are_valid() -> None:
    """[65G+1M, 65G+4M) at the 2M subsection step: 4M once aligned (65G+4M - 65G); below,
    65G+4M; above, 65G+2M+4M (66562M+4M); both clear of the boot RAM [0, 64G)."""
    r = run("estimate", "--dax-range", "0x1040100000+3M")
    assert r.exit_code == 2
    assert r.stderr.endswith("; nearest valid: 65G+4M or 66562M+4M\n")


def test_an_init_range_with_equal_ends_prints_once() -> None:
    """--ns-per-page 5 is one rate: 1 TiB devdax/mem/2M (deduplicated, 2 vmemmap pages kept
    per 2M folio on 6.12) initialises the struct pages of the kept pages, 2 * 4096 / 64 = 128
    per folio: 1T / 2M * 128 = 67,108,864, * 5 ns = 335,544,320 ns = 335.54 ms."""
    r = run("estimate", "--size", "1T", "--ns-per-page", "5", "--json")
    init = json.loads(r.stdout)["total"]
    assert init["struct_pages_initialised"] * 5 == init["init_ns_low"] == init["init_ns_high"]
    assert init["init_ns_low"] == 335_544_320
    text = run("estimate", "--size", "1T", "--ns-per-page", "5").stdout
    assert "335.54 ms" in text
    assert "335.54 ms - 335.54 ms" not in text


def test_source_notes_are_labelled_for_what_they_are() -> None:
    """--map mem over a dump's map=dev is given; a missing align is ndctl's default; the raw
    size is inferred; none of the first two is called inferred."""
    r = run("estimate", "--from-ndctl", str(NDCTL / "list_BN_buses.json"), "--map", "mem")
    assert r.exit_code == 0, r.stderr
    flat = " ".join(r.stdout.split())
    assert "given: namespace0.0 ([0].namespaces[0]): --map mem overrides the dump's map dev" in flat
    assert "inferred: namespace0.0 ([0].namespaces[0]): raw size 128G inferred" in flat
    # namespace2.0 is a legacy e820 namespace (no uuid, no align): read, not assumed
    assert "inferred: namespace2.0 ([1].namespaces[0]): no uuid and no align" in flat
    assert "default: namespace2.0 ([1].namespaces[0]): placed at 0x4000000000" in flat
    assert not re.search(r"inferred: [^:]*\): --map", flat)
    # with a uuid it is a pfn namespace whose align the dump leaves out
    dump = json.loads((NDCTL / "list_BN_buses.json").read_text())
    dump[1]["namespaces"][0]["uuid"] = "2d0e8f5a-6c1b-4f7e-9a3d-5b8c7e6f4a21"
    r = CliRunner().invoke(
        cli, ["estimate", "--from-ndctl", "-", "--map", "mem"], input=json.dumps(dump)
    )
    flat = " ".join(r.stdout.split())
    assert "default: namespace2.0 ([1].namespaces[0]): no align in the dump; assumed 2M" in flat
    assert "note: namespace2.0 ([1].namespaces[0]): usable size mismatch" in flat


def test_iomem_notes_say_given_and_read() -> None:
    r = run("estimate", "--iomem", str(IOMEM / "hmem_soft_reserved.iomem"))
    flat = " ".join(r.stdout.split())
    assert "given: dax1.0 (line 15, in Soft Reserved): device-dax, ranges from /proc/iomem" in flat
    assert "from the dump: Soft Reserved 3080000000-347fffffff (line 19): no dax device" in flat
    assert "default: dax2.0 (line 17, in Soft Reserved): system-ram (kmem)" in flat


def _notes(args: list[str]) -> list[str]:
    r = run(*args, "--json")
    if r.exit_code != 0:
        return []
    return list(json.loads(r.stdout)["source"]["inferred"])


@pytest.mark.parametrize(
    "args",
    [["estimate", "--from-ndctl", str(p)] for p in sorted(NDCTL.glob("*.json"))]
    + [["estimate", "--iomem", str(p)] for p in sorted(IOMEM.glob("*.iomem"))]
    + [["estimate", "--from-cxl", str(p)] for p in sorted(CXL.glob("*.json"))],
    ids=lambda a: Path(a[-1]).name,
)
def test_every_fixture_note_gets_a_truthful_label(args: list[str]) -> None:
    """No note about a command-line value or a default is labelled inferred."""
    for line in _notes(args):
        label = source_note_label(line)
        assert label in LABELS
        if " overrides " in line or "from the command line" in line:
            assert label == "given", line
        if label == "inferred":
            assert " inferred" in line or "(its dataoff" in line, line
        if label == "rule":
            assert "kernel rule: " in line, line


def test_cxl_notes_name_the_kernel_rule() -> None:
    """--from-cxl: the lines that say which kernel rule decided a figure are labelled rule."""
    r = run("estimate", "--from-cxl", str(CXL / "interleaved_2way_RX.json"))
    flat = " ".join(r.stdout.split())
    assert "rule: dax1.0 (region1): kernel rule: a RAM region gets one dax device" in flat
    assert "inferred: dax1.0 ([0].daxregion.devices[0]): memory blocks of 256M inferred" in flat


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (["hugetlb", "--hugetlb", "1G:4"], "HugeTLB vmemmap on x86_64, Linux 6.12 "),
        (["host", "--system-ram", "64G"], "struct pages on this host: x86_64, Linux 6.12, "),
        (
            ["estimate", "--mode", "system-ram", "--size", "2T", "--start", "1T"],
            "System RAM (dax kmem), x86_64, Linux 6.12, ",
        ),
        (["estimate", "--size", "1T"], "x86_64, Linux 6.12, devdax"),
        (["compare", "--size", "1T"], "1.00 TiB namespace on x86_64, Linux 6.12"),
    ],
)
def test_headers_spell_the_kernel_one_way(args: list[str], header: str) -> None:
    out = " ".join(run(*args).stdout.split())  # a narrow terminal may wrap the header
    assert out.startswith(header.strip())
    assert "kernel 6.12" not in out


def test_a_dax_device_is_spelled_the_same_in_estimate_and_compare() -> None:
    """dax1.0 of hmem_soft_reserved.iomem (a Soft Reserved dax device, no altmap)."""
    path = str(IOMEM / "hmem_soft_reserved.iomem")
    est = run("estimate", "--iomem", path).stdout
    (row,) = [line.split() for line in est.splitlines() if line.startswith("dax1.0 ")]
    assert row[3] == "devdax/mem/2M"
    assert "devdax/-/" not in est
    cmp = run("compare", "--iomem", path, "--namespace", "dax1.0").stdout
    assert re.search(r"^ *devdax/mem/2M ", cmp, re.M)
