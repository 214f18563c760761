"""Reading ``cxl list`` JSON (sources/cxl.py) and costing it (sources/cxl_machine.py).

Fixtures in tests/data/cxl/ follow cxl-cli's JSON as spec cxl.md section 8 describes it
(cxl/json.c field names, cxl/filter.c nesting).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import GiB, MiB, request
from vmemplan.errors import InputError
from vmemplan.sources.cxl import CxlListing, parse_cxl_list
from vmemplan.sources.cxl_machine import from_cxl
from vmemplan.sources.discover import Kmem

DATA = Path(__file__).resolve().parents[1] / "data" / "cxl"


def listing(name: str) -> CxlListing:
    return parse_cxl_list((DATA / name).read_text(), name)


def test_vvv_nesting_finds_the_region_its_window_decoders_and_memdev() -> None:
    """-vvv nests the region under its root decoder ("regions:decoder0.0"), the memdev
    under its endpoint (a single object under "memdev"), endpoint decoders under
    "decoders:endpoint2"; mappings (with "position") are not decoders."""
    got = listing("single_ram_region_vvv.json")
    (region,) = got.regions
    assert (region.name, region.type, region.window) == ("region0", "ram", "decoder0.0")
    assert (region.start, region.size_bytes) == (0x1050000000, 64 * GiB)
    assert [d.name for d in region.dax_devices] == ["dax0.0"]
    assert [(d.name, d.role) for d in got.decoders] == [
        ("decoder0.0", "root"),
        ("decoder2.0", "endpoint"),
        ("decoder2.1", "endpoint"),
        ("decoder1.0", "switch"),
    ]
    assert [(m.name, m.ram_size_bytes) for m in got.memdevs] == [("mem0", 64 * GiB)]


def test_the_flat_and_wrapped_shapes_read_the_same_objects() -> None:
    """-RX is a flat array of regions; the default listing wraps "memdevs" and "regions"
    in one-key objects; cxl create-region prints one bare region object."""
    rx = listing("interleaved_2way_RX.json")
    assert [(r.name, r.interleave_ways, r.window) for r in rx.regions] == [("region1", 2, None)]
    wrapped = listing("pmem_region.json")
    assert [(r.name, r.type) for r in wrapped.regions] == [("region2", "pmem")]
    assert [m.name for m in wrapped.memdevs] == ["mem1", "mem2"]
    bare = json.loads((DATA / "interleaved_2way_RX.json").read_text())[0]
    one = parse_cxl_list(json.dumps(bare), "x").regions[0]
    assert (one.name, one.start, one.location) == ("region1", 0x2070000000, "$")


def test_human_sizes_and_hex_addresses_of_cxl_list_u() -> None:
    """-u prints "0xf010000000" and "512.00 MiB (536.87 MB)" (Documentation/cxl/cxl-list.txt):
    the size is read back to whole 256 MiB and flagged."""
    text = (
        '{"region":"region4","resource":"0xf010000000","size":"512.00 MiB (536.87 MB)",'
        '"interleave_ways":2,"interleave_granularity":4096,"decode_state":"commit"}'
    )
    got = parse_cxl_list(text, "u.json")
    (region,) = got.regions
    assert (region.start, region.size_bytes, region.size_exact) == (0xF010000000, 512 * MiB, False)
    assert got.approximate == ("$.size",)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            '[{"region":"region0","resource":"lots","size":1,"decode_state":"commit"}]',
            "[0].resource",
        ),
        ('[{"region":"region0","resource":0,"size":-5,"decode_state":"commit"}]', "[0].size"),
        ('[{"region":"region0","size":1,"type":"cache","decode_state":"commit"}]', "[0].type"),
        ('{"regions":[{"region":"r","decode_state":"commit","daxregion":[]}]}', "daxregion"),
        ("[1]", "[0]"),
        ('[{"bus":"root0"}]', "no CXL region, decoder or memdev"),
    ],
)
def test_a_bad_value_is_one_error_naming_the_file_and_the_key(text: str, where: str) -> None:
    with pytest.raises(InputError) as err:
        parse_cxl_list(text, "bad.json")
    assert err.value.option == "--from-cxl"
    assert err.value.message.startswith("bad.json: ")
    assert where in err.value.message
    assert "\n" not in err.value.message


def test_a_truncated_file_names_the_last_key_read() -> None:
    with pytest.raises(InputError) as err:
        listing("bad_truncated.json")
    assert err.value.message.startswith("bad_truncated.json: truncated after key 'devices': ")


def test_deep_nesting_is_walked_without_recursion() -> None:
    """A hostile document nested 900 arrays deep around a region: found, no RecursionError
    (json.loads accepts this depth; the walk is a loop)."""
    region = '{"region":"region0","resource":0,"size":268435456,"decode_state":"commit"}'
    text = "[" * 900 + region + "]" * 900
    assert [r.name for r in parse_cxl_list(text, "deep.json").regions] == ["region0"]


def test_a_kmem_region_on_6_12_is_trimmed_to_2g_blocks() -> None:
    """region0 is [0x1050000000, 0x2050000000) = [65.25 GiB, 129.25 GiB). On 6.12 bare
    metal with boot RAM ending at 64 GiB, blocks are 2 GiB (the CFMWS advice exists from
    6.16 only): kmem adds [66 GiB, 128 GiB), 31 blocks; the request carries no block size
    (system_ram.py's probe picks the same 2 GiB)."""
    found = from_cxl(listing("single_ram_region_vvv.json"), request(kernel=(6, 12)), Kmem())
    (dev,) = found.system_ram
    assert dev.label == "dax0.0"
    assert dev.request.ranges == ((0x1050000000, 0x2050000000),)
    assert dev.request.memory_block_size is None
    assert found.memory_block_size_source is None
    assert any("ignores the CFMWS" in line for line in found.found[0].rules)


def test_a_kmem_region_on_6_16_takes_the_cfmws_advice() -> None:
    """Window decoder0.0 = [0x1050000000, 0x2050000000): lowest set bit of
    0x1050000000|0x2050000000 = 0x3050000000 is 0x10000000 = 256 MiB; 64 GiB boot RAM end
    is a multiple of it: 256 MiB blocks, the whole 64 GiB added."""
    found = from_cxl(listing("single_ram_region_vvv.json"), request(kernel=(6, 16)), Kmem())
    (dev,) = found.system_ram
    assert dev.request.memory_block_size == 256 * MiB
    assert found.memory_block_size_source == "cfmws_advice"


def test_total_memblocks_of_the_dump_win_over_the_rule() -> None:
    """dax1.0 shows total_memblocks 512 for 128 GiB: 128 GiB / 512 = 256 MiB blocks, which
    the 2 GiB rule of 6.12 (63 blocks from 0x2070000000) would not give."""
    found = from_cxl(listing("interleaved_2way_RX.json"), request(kernel=(6, 12)), Kmem())
    assert found.system_ram[0].request.memory_block_size == 256 * MiB
    assert found.memory_block_size_source == "dump"


def test_a_region_without_daxregion_takes_the_default_driver_of_its_kernel() -> None:
    """cxl create-region prints no daxregion: from 6.3 kmem (e9ee9fe3a9d4); on 6.2 a RAM
    region has no dax device at all (09d09e04d2fc), so nothing is costed."""
    text = (
        '{"region":"region3","resource":68719476736,"size":17179869184,"type":"ram",'
        '"interleave_ways":1,"interleave_granularity":256,"decode_state":"commit"}'
    )
    got = parse_cxl_list(text, "create.json")
    v63 = from_cxl(got, request(kernel=(6, 3)), Kmem())
    assert [k.label for k in v63.system_ram] == ["dax3.0"]
    v62 = from_cxl(got, request(kernel=(6, 2)), Kmem())
    assert (v62.system_ram, v62.requests) == ([], [])
    assert v62.found[0].kind == "unclaimed"


def test_a_region_firmware_onlined_is_boot_ram() -> None:
    """Boot RAM covering part of region0: cxl_region_probe() makes no dax region."""
    base = request(system_ram=((0, 64 * GiB), (0x1050000000, 0x1050000000 + GiB)))
    found = from_cxl(listing("single_ram_region_vvv.json"), base, Kmem())
    assert (found.system_ram, found.requests) == ([], [])
    assert [(f.label, f.kind, f.estimated) for f in found.found] == [("region0", "boot-ram", False)]


def test_a_devdax_region_is_a_pgmap_with_pmd_align() -> None:
    """mode devdax: device_dax holds it; drivers/dax/cxl.c aligns the dax region to PMD_SIZE."""
    doc = json.loads((DATA / "interleaved_2way_RX.json").read_text())
    doc[0]["daxregion"]["devices"][0]["mode"] = "devdax"
    found = from_cxl(parse_cxl_list(json.dumps(doc), "d.json"), request(), Kmem())
    (req,) = found.requests
    assert (req.label, req.align, req.dax_ranges) == (
        "dax1.0",
        2 * MiB,
        ((0x2070000000, 0x2070000000 + 128 * GiB),),
    )


def test_decoders_with_no_region_cost_nothing_and_say_so() -> None:
    found = from_cxl(listing("decoders_no_region_D.json"), request(), Kmem())
    assert (found.requests, found.system_ram) == ([], [])
    assert found.inferred == [
        "decoders with no region in the dump cost nothing: decoder0.0, decoder2.0"
    ]


def test_a_region_listed_twice_is_counted_once() -> None:
    doc = json.loads((DATA / "interleaved_2way_RX.json").read_text())
    found = from_cxl(parse_cxl_list(json.dumps(doc + doc), "twice.json"), request(), Kmem())
    assert [k.label for k in found.system_ram] == ["dax1.0"]
    assert any("listed again: counted once" in line for line in found.inferred)


@pytest.mark.parametrize(
    ("span", "hit"),
    [((0, 1), True), ((10, 20), False), ((19, 31), True), ((40, 41), False), ((35, 36), False)],
)
def test_overlap_lookup_matches_the_plain_scan(span: tuple[int, int], hit: bool) -> None:
    """_Ranges answers in O(log n) what a scan of every range answers (0-10 contains
    2-3, so the running maximum of ends matters; 30-35 starts where 19-31 ends)."""
    from vmemplan.sources.cxl_machine import _Ranges  # noqa: PLC0415

    ranges = ((0, 10), (2, 3), (30, 35))
    assert _Ranges(ranges).overlaps(span) is hit
    assert any(span[0] < hi and lo < span[1] for lo, hi in ranges) is hit
