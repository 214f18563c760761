"""``host --lsmem``: the memory blocks lsmem lists as a machine's boot RAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB, run_cli
from vmemplan.errors import InputError
from vmemplan.sources.lsmem import parse_lsmem

DATA = Path(__file__).resolve().parents[1] / "data" / "lsmem"
ZONES = str(DATA / "lsmem_o_zones.txt")
DEFAULT = str(DATA / "lsmem_default.txt")
DEFAULT_TEXT = Path(DEFAULT).read_text()


def host(*args: str) -> dict[str, Any]:
    result = run_cli("host", *args, "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_lsmem_blocks_are_the_boot_ram() -> None:
    """2G + 30G + 32G + 64G of blocks: 128 GiB, one struct page per 4 KiB page."""
    doc = host("--lsmem", ZONES)
    (boot,) = doc["devices"]
    assert boot["kind"] == "boot-ram"
    assert boot["capacity_bytes"] == 128 * GiB
    assert boot["struct_pages"] == 128 * GiB // 4096
    notes = " | ".join(doc["notes"])
    assert "ZONE_MOVABLE (line 5)" in notes
    assert "memory block size 134,217,728 bytes from its summary" in notes
    assert "does not tell boot RAM from hot-added" in notes


def test_offline_blocks_keep_their_memmap() -> None:
    doc = host("--lsmem", DEFAULT)
    assert doc["total"]["capacity_bytes"] == 17 * GiB
    assert any("1,073,741,824 bytes of blocks not online (line 4)" in n for n in doc["notes"])


def test_system_ram_option_wins() -> None:
    doc = host("--lsmem", DEFAULT, "--system-ram", "64G")
    assert doc["total"]["capacity_bytes"] == 64 * GiB
    assert any("--system-ram given" in n for n in doc["notes"])


def test_block_size_from_range_and_block_without_summary() -> None:
    text = DEFAULT_TEXT.split("\n\n")[0]
    dump = parse_lsmem(text, "x")
    assert dump.block_size == 128 << 20
    assert dump.block_size_shown is False


def test_refusals_are_one_line(tmp_path: Path) -> None:
    cases = {
        "--iomem": ("--lsmem", DEFAULT, "--iomem", DEFAULT),
        "--from-cxl": (
            "--lsmem",
            DEFAULT,
            "--from-cxl",
            "tests/data/cxl/single_ram_region_vvv.json",
        ),
        "blocks": (
            "--lsmem",
            str(tmp_path / "shifted"),
        ),
        "header": ("--lsmem", str(tmp_path / "prompt")),
    }
    (tmp_path / "shifted").write_text(DEFAULT_TEXT.replace(" 0-23", " 1-24"))
    (tmp_path / "prompt").write_text("$ lsmem\n" + DEFAULT_TEXT)
    fragments = {
        "--iomem": "--lsmem: not with --from-ndctl, --from-cxl, --iomem or --config",
        "--from-cxl": "--lsmem: not with --from-ndctl, --from-cxl, --iomem or --config",
        "blocks": "line 2: blocks 1-24 are not 0x0-0xbfffffff with blocks of 134,217,728",
        "header": "line 1: '$ lsmem': not an lsmem header",
    }
    for key, args in cases.items():
        result = run_cli("host", *args)
        assert result.exit_code == 2, key
        assert result.stderr.count("\n") == 1, result.stderr
        assert fragments[key] in result.stderr, result.stderr


@given(st.text(alphabet="0x123456789abcdef- \nRANGESIZEBLOCKonlie:M", max_size=300))
def test_fuzz_only_input_errors(text: str) -> None:
    try:
        dump = parse_lsmem(text, "fuzz")
    except InputError as e:
        message = str(e)
    else:
        assert all(a < b for a, b in dump.ranges())
        return
    assert "\n" not in message


def test_a_file_that_is_not_lsmem_is_not_echoed_whole(tmp_path: Path) -> None:
    secret = "root:$6$" + "x" * 200 + ":20228:0:99999:7:::"
    path = tmp_path / "shadow"
    path.write_text(secret + "\n")
    result = run_cli("host", "--lsmem", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "x" * 60 not in result.stderr
    assert "characters)" in result.stderr


def test_a_kmem_device_takes_lsmem_block_size() -> None:
    """A --device kmem onlines gets lsmem's 128M blocks: as if given as options."""
    device = "--size 64G --mode system-ram --memmap-on-memory on"
    from_lsmem = host("--lsmem", DEFAULT, "--device", device)
    ram = ("0x0+0xc0000000", "0x100000000+0x380000000")
    typed = host(
        *(a for r in ram for a in ("--system-ram", r)),
        "--memory-block-size",
        "128M",
        "--device",
        device,
    )
    assert from_lsmem["total"] == typed["total"]
    other = host(
        *(a for r in ram for a in ("--system-ram", r)),
        "--memory-block-size",
        "2G",
        "--device",
        device,
    )
    assert other["total"] != typed["total"]  # the block size matters to this device
