"""parse_iomem / system_ram / persistent_memory on /proc/iomem dumps."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB
from vmemplan.errors import InputError
from vmemplan.sources.iomem import (
    IomemEntry,
    memory_devices,
    parse_iomem,
    persistent_memory,
    system_ram,
    unclaimed,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "iomem"


def load(name: str) -> list[IomemEntry]:
    return parse_iomem((DATA / name).read_text(encoding="utf-8"), name)


def error(text: str, source: str = "--iomem") -> str:
    with pytest.raises(InputError) as exc:
        parse_iomem(text, source)
    assert exc.value.option == source
    message = str(exc.value)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
    return message


def file_error(name: str) -> str:
    return error((DATA / name).read_text(encoding="utf-8"), name)


def test_big_dump_entries() -> None:
    entries = load("x86_pmem_cxl.iomem")
    assert len(entries) == 38
    assert entries[0] == IomemEntry(0, 0x1000, "Reserved", 0, 1)
    assert entries[7] == IomemEntry(0x3A000000, 0x3B003000, "Kernel code", 1, 8)
    assert entries[17] == IomemEntry(0x80000000, 0x90000000, "Reserved", 2, 18)
    assert entries[20] == IomemEntry(0xFB000000, 0xFB004000, "nvme", 3, 21)
    assert entries[-1] == IomemEntry(0x4480000000, 0x5480000000, "System RAM (kmem)", 4, 38)
    assert [e.line for e in entries] == list(range(1, 39))
    assert max(e.depth for e in entries) == 4


def test_big_dump_system_ram_top_level_merged() -> None:
    assert system_ram(load("x86_pmem_cxl.iomem")) == [
        (0x1000, 0xA0000),
        (0x100000, 0x60000000),
        (0x6F800000, 0x70000000),
        # 100000000-107fffffff and 1080000000-207fffffff are adjacent
        (0x100000000, 0x2080000000),
    ]


def test_big_dump_persistent_memory() -> None:
    assert persistent_memory(load("x86_pmem_cxl.iomem")) == [
        IomemEntry(0x2080000000, 0x4080000000, "Persistent Memory", 0, 27),
        IomemEntry(0x4080000000, 0x4480000000, "Persistent Memory (legacy)", 0, 32),
    ]


def test_kmem_and_nested_system_ram_are_not_boot_ram() -> None:
    entries = load("x86_pmem_cxl.iomem")
    kmem = [e for e in entries if e.name == "System RAM (kmem)"]
    assert [(e.start, e.end, e.depth) for e in kmem] == [
        (0x30C8000000, 0x4080000000, 3),
        (0x4480000000, 0x5480000000, 4),
    ]
    assert sum(e - s for s, e in system_ram(entries)) == 0x9F000 + 0x5FF00000 + 0x800000 + 126 * GiB


def test_system_ram_sorts_and_merges_overlaps() -> None:
    text = (
        "200000000-2ffffffff : System RAM\n"
        "100000000-1ffffffff : System RAM\n"
        "00001000-0009ffff : System RAM\n"
        "00050000-000fffff : System RAM\n"
        "300000000-3ffffffff : Reserved\n"
        "400000000-4ffffffff : System RAM\n"
    )
    assert system_ram(parse_iomem(text, "x")) == [
        (0x1000, 0x100000),
        (0x100000000, 0x300000000),
        (0x400000000, 0x500000000),
    ]
    assert system_ram([]) == []


def test_persistent_memory_at_any_depth_but_not_nested_in_another() -> None:
    text = (
        "100000000-1ffffffff : Reserved\n"
        "  100000000-17fffffff : Persistent Memory\n"
        "    100000000-17fffffff : namespace0.0\n"
        "200000000-3ffffffff : Persistent Memory (legacy)\n"
        "  200000000-2ffffffff : Persistent Memory\n"
        "    200000000-2ffffffff : namespace1.0\n"
        "      200000000-2ffffffff : Persistent Memory\n"
        "  300000000-3ffffffff : namespace1.1\n"
        "400000000-4ffffffff : Persistent Memory\n"
    )
    assert [(e.line, e.name) for e in persistent_memory(parse_iomem(text, "x"))] == [
        (2, "Persistent Memory"),
        (4, "Persistent Memory (legacy)"),
        (9, "Persistent Memory"),
    ]


def test_line_format_details() -> None:
    text = (
        "\n"
        "00000000-00000fff : Reserved   \r\n"
        "  \n"
        "00001000-0009FFFF : System RAM\r\n"
        "000a0000-000bffff : PCI Bus 0000:00 : odd name\n"
        "ffffffff00000000-ffffffffffffffff : \n"
        "c0000000-c0000fff :\n"
    )
    assert parse_iomem(text, "x") == [
        IomemEntry(0, 0x1000, "Reserved", 0, 2),
        IomemEntry(0x1000, 0xA0000, "System RAM", 0, 4),
        IomemEntry(0xA0000, 0xC0000, "PCI Bus 0000:00 : odd name", 0, 5),
        IomemEntry(0xFFFFFFFF00000000, 1 << 64, "", 0, 6),
        IomemEntry(0xC0000000, 0xC0001000, "", 0, 7),
    ]


def test_single_byte_entry() -> None:
    assert parse_iomem("1000-1000 : x\n", "x") == [IomemEntry(0x1000, 0x1001, "x", 0, 1)]


# -- errors -------------------------------------------------------------------------------


def test_nonroot_dump_is_explained() -> None:
    msg = file_error("nonroot_zeros.iomem")
    assert msg.startswith("nonroot_zeros.iomem: line 1: '00000000-00000000 : Reserved': ")
    assert "all-zero addresses" in msg
    assert "without root" in msg


def test_bad_line() -> None:
    msg = file_error("bad_shell_prompt.iomem")
    assert msg.startswith("bad_shell_prompt.iomem: line 1: '$ sudo cat /proc/iomem': not a ")
    assert "START-END : NAME" in msg


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0x1000-0x1fff : System RAM\n", "line 1: '0x1000-0x1fff : System RAM': not a /proc"),
        ("1000-1fff System RAM\n", "line 1: '1000-1fff System RAM': not a"),
        ("1000-1fff :System RAM\n", "line 1: '1000-1fff :System RAM': not a"),
        ("\t1000-1fff : System RAM\n", "line 1: '\\t1000-1fff : System RAM': not a"),
        ("1000 - 1fff : System RAM\n", "not a /proc/iomem line"),
        ("1000-1ggg : System RAM\n", "line 1: '1000-1ggg : System RAM': not a"),
        ("-1000-1fff : x\n", "not a /proc/iomem line"),
        ("1000-1fff : a\n\x00\n", "line 2: '\\x00': not a"),
    ],
)
def test_malformed_lines(text: str, fragment: str) -> None:
    assert fragment in error(text)


def test_end_below_start() -> None:
    msg = file_error("bad_end_below_start.iomem")
    assert "line 3: '  3b002fff-3a000000 : Kernel code': end is below start" in msg


def test_child_outside_parent() -> None:
    msg = file_error("bad_child_outside.iomem")
    assert (
        "line 4: 2080000000-407fffffff 'namespace0.0' is not inside its parent "
        "2080000000-307fffffff 'Persistent Memory' (line 3)"
    ) in msg


def test_child_starting_before_parent() -> None:
    msg = error("2000-2fff : a\n  1000-2fff : dax0.0\n")
    assert "line 2: 1000-2fff 'dax0.0' is not inside its parent 2000-2fff 'a' (line 1)" in msg


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "1000-1fff : System RAM\n  1000-1fff : dax0.0\n 1000-1fff : dax1.0\n",
            "line 3: ' 1000-1fff : dax1.0': odd indentation (1 spaces",
        ),
        (
            "1000-1fff : x\n    1000-1fff : dax0.0\n",
            "line 2: '    1000-1fff : dax0.0': indented to level 2 but the entry above is at "
            "level 0",
        ),
        (
            "1000-1fff : x\n 1000-1fff : namespace0.0\n",
            "line 2: ' 1000-1fff : namespace0.0': odd indentation (1 spaces",
        ),
    ],
)
def test_bad_indentation(text: str, fragment: str) -> None:
    assert fragment in error(text)


def test_all_zero_line_after_good_ones() -> None:
    msg = error("00001000-0009ffff : System RAM\n00000000-00000000 : System RAM\n")
    assert "line 2: '00000000-00000000 : System RAM': all-zero addresses" in msg


def test_address_above_2_64() -> None:
    msg = error("1000-10000000000000000 : x\n")
    assert "line 1: '1000-10000000000000000 : x': address above 2^64" in msg
    assert "address above 2^64" in error("0" * 5000 + "1-" + "f" * 5000 + " : x\n")


@pytest.mark.parametrize("name", ["bad_empty.iomem"])
def test_empty_file(name: str) -> None:
    assert "empty file" in file_error(name)


@pytest.mark.parametrize("text", ["", "\n", "   \n\r\n", "\ufeff"])
def test_empty_inline(text: str) -> None:
    assert error(text) == "--iomem: empty file: no /proc/iomem entries"


def test_long_bad_line_is_clipped() -> None:
    msg = error("x" * 10_000)
    assert len(msg) < 200


# -- fuzz: nothing but InputError escapes ------------------------------------------------


@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        entries = parse_iomem(text, "fuzz")
    except InputError as e:
        message = str(e)
    else:
        system_ram(entries)
        persistent_memory(entries)
        memory_devices(entries)
        unclaimed(entries)
        return
    assert "\n" not in message


_NAMES = st.sampled_from(
    [
        "System RAM", "Persistent Memory", "Persistent Memory (legacy)", "Reserved",
        "namespace0.0", "Kernel code", "CXL Window 0", "Soft Reserved", "", "a : b",
        "dax0.0", "System RAM (kmem)",
    ]
)  # fmt: skip
_ADDR = st.integers(0, 1 << 66) | st.sampled_from([0, 0xFFF, 0x1000, (1 << 64) - 1])
Node = tuple[str, list[Any]]
# an entry, whether it is nested under pmem, and whether every ancestor is a CXL window
Expected = tuple[IomemEntry, bool, bool]
PMEM = {"Persistent Memory", "Persistent Memory (legacy)"}
_SHAPE: st.SearchStrategy[Node] = st.recursive(
    _NAMES.map(lambda name: (name, [])),
    lambda children: st.tuples(_NAMES, st.lists(children, max_size=3)),
    max_leaves=25,
)


def _layout(
    node: Node,
    start: int,
    end: int,
    depth: int,
    under_pmem: bool,
    in_windows: bool,
    out: list[Expected],
) -> None:
    """Give each child an equal slice of its parent's range (the whole range if too small)."""
    name, children = node
    entry = IomemEntry(start, end, name.strip(), depth, len(out) + 1)
    out.append((entry, under_pmem, in_windows))
    step = (end - start) // max(len(children), 1)
    for i, child in enumerate(children):
        lo, hi = (start + i * step, start + (i + 1) * step) if step else (start, end)
        windows = in_windows and name == "CXL Window 0"
        _layout(child, lo, hi, depth + 1, under_pmem or name in PMEM, windows, out)


@given(st.lists(_SHAPE, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n"]))
def test_fuzz_valid_trees_round_trip(trees: list[Node], nl: str) -> None:
    expected: list[Expected] = []
    for i, tree in enumerate(trees):
        _layout(tree, i << 40, (i + 1) << 40, 0, False, True, expected)
    text = nl.join(
        f"{'  ' * e.depth}{e.start:08x}-{e.end - 1:08x} : {e.name}" for e, _, _ in expected
    )
    entries = parse_iomem(text + nl, "fuzz")
    assert entries == [e for e, _, _ in expected]
    ram: list[tuple[int, int]] = []
    # boot RAM: System RAM at the top level or inside CXL windows only (file order is
    # address order here; a too-small parent gives its children its whole range)
    for e, _, in_windows in expected:
        if in_windows and e.name == "System RAM":
            if ram and e.start <= ram[-1][1]:
                ram[-1] = (ram[-1][0], max(ram[-1][1], e.end))
            else:
                ram.append((e.start, e.end))
    assert system_ram(entries) == ram
    assert persistent_memory(entries) == [
        e for e, under, _ in expected if e.name in PMEM and not under
    ]
    # every kmem range is reported once: as a dax device's RAM or on its own
    devices = memory_devices(entries)
    kmem = {(e.start, e.end) for e, _, _ in expected if e.name == "System RAM (kmem)"}
    assert {r for d in devices if d.kind == "system-ram" for r in d.ranges} == kmem


def _render(node: tuple[tuple[int, int, str], list[Any]], depth: int, out: list[str]) -> None:
    (start, last, name), children = node
    out.append(f"{'  ' * depth}{start:08x}-{last:08x} : {name}")
    for child in children:
        _render(child, depth + 1, out)


_TREE: st.SearchStrategy[tuple[tuple[int, int, str], list[Any]]] = st.recursive(
    st.tuples(_ADDR, _ADDR, _NAMES).map(lambda t: (t, [])),
    lambda children: st.tuples(st.tuples(_ADDR, _ADDR, _NAMES), st.lists(children, max_size=3)),
    max_leaves=25,
)


@given(st.lists(_TREE, min_size=1, max_size=4))
def test_fuzz_random_address_trees(trees: list[tuple[tuple[int, int, str], list[Any]]]) -> None:
    lines: list[str] = []
    for tree in trees:
        _render(tree, 0, lines)
    try:
        entries = parse_iomem("\n".join(lines), "fuzz")
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "\n" not in message
        return
    assert len(entries) <= len(lines)  # lines that do not concern memory may be skipped
    for entry in entries:
        assert 0 <= entry.start < entry.end <= 1 << 64
    ram = system_ram(entries)
    assert all(a < b for a, b in ram)
    assert all(b1 < a2 for (_, b1), (a2, _) in itertools.pairwise(ram))
    lines_pmem = {entry.line for entry in entries if entry.name in PMEM}
    assert {entry.line for entry in persistent_memory(entries)} <= lines_pmem


@given(st.text(alphabet="0123456789abcdefABCDEF- :\n\r\tSystem RAM", max_size=300))
def test_fuzz_iomem_alphabet(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_iomem(text, "fuzz")


# -- what the entries are: memory_devices / unclaimed -------------------------------------


def test_memory_devices_of_the_big_dump() -> None:
    devices = memory_devices(load("x86_pmem_cxl.iomem"))
    assert [(d.name, d.kind, d.lines) for d in devices] == [
        ("namespace0.0", "pmem", (28,)),
        ("dax0.0", "system-ram", (30,)),
        ("namespace1.0", "pmem", (33,)),
        ("dax3.0", "system-ram", (37,)),
    ]
    dax0 = devices[1]
    assert dax0.ranges == ((0x30C8000000, 0x4080000000),)  # the kmem child, not dax0.0
    assert dax0.dax_ranges == ((0x30C0200000, 0x4080000000),)  # dax0.0's own range
    assert dax0.namespace is not None
    assert dax0.namespace.name == "namespace0.1"
    assert devices[3].within == "CXL Window 0 > Soft Reserved > region3"
    assert devices[3].namespace is None


def test_dax_device_on_several_lines_is_one_device() -> None:
    text = (
        "100000000-4ffffffff : Soft Reserved\n"
        "  100000000-1ffffffff : dax0.0\n"
        "  300000000-3ffffffff : dax0.0\n"
        "  400000000-4ffffffff : dax1.0\n"
        "    400000000-4ffffffff : System RAM (kmem)\n"
        "500000000-5ffffffff : System RAM (kmem)\n"
    )
    devices = memory_devices(parse_iomem(text, "x"))
    assert [(d.name, d.kind, d.ranges, d.lines) for d in devices] == [
        ("dax0.0", "devdax", ((4 * GiB, 8 * GiB), (12 * GiB, 16 * GiB)), (2, 3)),
        ("dax1.0", "system-ram", ((16 * GiB, 20 * GiB),), (4,)),
        ("System RAM (kmem)@0x500000000", "system-ram", ((20 * GiB, 24 * GiB),), (6,)),
    ]
    # a device-dax device has no kmem ranges to tell apart; kmem RAM alone is its own range
    assert [d.dax_ranges for d in devices] == [(), ((16 * GiB, 20 * GiB),), ((20 * GiB, 24 * GiB),)]


def test_unclaimed_soft_reserved_and_windows() -> None:
    entries = load("hmem_soft_reserved.iomem")
    assert [(e.name, e.line) for e in unclaimed(entries)] == [("Soft Reserved", 19)]
    assert [(e.name, e.line) for e in unclaimed(load("cxl_kmem_window.iomem"))] == [
        ("CXL Window 1", 25)
    ]


def test_boot_ram_includes_system_ram_in_a_cxl_window_only() -> None:
    text = (
        "100000000-1ffffffff : System RAM\n"
        "200000000-3ffffffff : CXL Window 0\n"
        "  200000000-2ffffffff : System RAM\n"
        "  300000000-3ffffffff : region0\n"
        "    300000000-3ffffffff : System RAM\n"
    )
    assert system_ram(parse_iomem(text, "x")) == [(4 * GiB, 12 * GiB)]


def test_dax_device_under_kmem_ram_is_system_ram_too() -> None:
    """The kernel puts System RAM (kmem) inside daxX.Y; the other nesting means the same."""
    text = "100000000-1ffffffff : System RAM (kmem)\n  100000000-1ffffffff : dax0.0\n"
    (dev,) = memory_devices(parse_iomem(text, "x"))
    assert (dev.name, dev.kind, dev.ranges) == ("dax0.0", "system-ram", ((4 * GiB, 8 * GiB),))
