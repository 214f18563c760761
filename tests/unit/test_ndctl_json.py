"""parse_ndctl_json: ndctl list / create-namespace / daxctl list JSON, exact values."""

from __future__ import annotations

import contextlib
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB, MiB, TiB
from vmemplan.errors import InputError
from vmemplan.sources.ndctl import FoundDevice, parse_ndctl_json

DATA = Path(__file__).resolve().parent.parent / "data" / "ndctl"


def load(name: str) -> list[FoundDevice]:
    return parse_ndctl_json((DATA / name).read_text(encoding="utf-8"), name)


def error(text: str, source: str = "--ndctl-json") -> str:
    with pytest.raises(InputError) as exc:
        parse_ndctl_json(text, source)
    assert exc.value.option == source
    message = str(exc.value)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message
    return message


def assert_one_line(e: InputError) -> None:
    assert "\n" not in str(e)


def file_error(name: str) -> str:
    return error((DATA / name).read_text(encoding="utf-8"), name)


# -- the ecosystem.md examples ------------------------------------------------------------


def test_example_a_devdax_with_daxregion_is_one_device() -> None:
    assert load("example_a_list_X_devdax.json") == [
        FoundDevice(
            name="namespace0.0",
            source="ndctl",
            mode="devdax",
            map=None,
            usable_bytes=4225761280,
            usable_exact=True,
            align=2 * MiB,  # from daxregion.align: the namespace has none
            location="$",
            # its own dax device: read (no mode: older ndctl, devdax), not a device of its own
            dax_devices=(
                FoundDevice(
                    *("dax0.0", "daxctl", "devdax", None, 4225761280, True, 2 * MiB),
                    "$.daxregion.devices[0]",
                ),
            ),
        )
    ]


def test_example_b_human_size_is_rounded_from_the_iec_part() -> None:
    (dev,) = load("example_b_create_namespace_human.json")
    # 1476.56 GiB = 147656/100 * 2^30 = 1585444227645.44 bytes
    assert dev == FoundDevice(
        "namespace0.0", "ndctl", "fsdax", "dev", 1585444227645, False, 2 * MiB, "$"
    )
    # the true usable size (1500 GiB, map=dev, 2M) is within ndctl's rounding of it
    assert abs(dev.usable_bytes - 1585444814848) <= Fraction(GiB, 200)


def test_example_c_ndctl_and_daxctl_views_of_one_device() -> None:
    assert load("example_c_list_devdax_map_mem.json") == [
        FoundDevice("namespace0.0", "ndctl", "devdax", "mem", 4292870144, True, 2 * MiB, "[0]")
    ]
    assert load("example_c_daxctl_list.json") == [
        FoundDevice("dax0.0", "daxctl", "devdax", None, 4292870144, True, None, "[0]")
    ]


# -- other real shapes --------------------------------------------------------------------


def test_region_dump_lists_each_namespace_once() -> None:
    assert load("list_RN_regions.json") == [
        FoundDevice(
            "namespace0.0", "ndctl", "fsdax", "dev", 541163782144, True, 2 * MiB,
            "[0].namespaces[0]",
        ),
        FoundDevice(
            "namespace0.1", "ndctl", "devdax", "mem", 255 * GiB, True, GiB, "[0].namespaces[1]"
        ),
        FoundDevice(
            "namespace1.0", "ndctl", "sector", None, 17163091968, True, None, "[1].namespaces[0]"
        ),
        FoundDevice(
            "namespace1.1", "ndctl", "raw", None, 64 * GiB, True, None, "[1].namespaces[1]"
        ),
    ]  # fmt: skip


def test_human_listing_mib_gib_tib_and_small_integers() -> None:
    devs = load("list_Nu_human.json")
    assert [(d.name, d.usable_bytes, d.usable_exact) for d in devs] == [
        ("namespace0.0", 756 * GiB, False),
        # 2.95 TiB = 3243559301939.2 bytes
        ("namespace1.0", 3243559301939, False),
        ("namespace2.0", 1006 * MiB, False),
        # below 5000 KiB ndctl --human prints a plain integer: exact
        ("namespace3.0", 4 * MiB, True),
    ]
    assert [d.location for d in devs] == ["[0]", "[1]", "[2]", "[3]"]
    assert devs[1].usable_bytes == round(Fraction("2.95") * TiB)


def test_daxctl_cxl_system_ram_device() -> None:
    """pmem/ndctl#256: 504 of the 512 memory blocks online."""
    assert load("daxctl_list_cxl_system_ram.json") == [
        FoundDevice(
            "dax0.0", "daxctl", "system-ram", None, 64 * GiB, True, 2 * MiB, "[0]", 504, 512
        )
    ]


def test_daxctl_regions_with_devices_and_inherited_align() -> None:
    assert load("daxctl_list_RD_cxl_regions.json") == [
        FoundDevice(
            *("dax0.0", "daxctl", "system-ram", None, 64 * GiB, True, 2 * MiB, "[0].devices[0]"),
            online_memblocks=512,
            total_memblocks=512,
        ),
        # no device align (older daxctl): the region's
        FoundDevice("dax1.0", "daxctl", "devdax", None, 32 * GiB, True, GiB, "[1].devices[0]"),
    ]


def test_bus_listing() -> None:
    assert load("list_BN_buses.json") == [
        FoundDevice(
            "namespace0.0", "ndctl", "fsdax", "dev", 135289372672, True, 2 * MiB,
            "[0].namespaces[0]",
        ),
        FoundDevice(
            "namespace1.0", "ndctl", "devdax", "dev", 67643637760, True, 2 * MiB,
            "[0].namespaces[1]",
        ),
        # e820 (memmap=) pmem: no pfn device, ndctl reports map=mem and the namespace size
        FoundDevice(
            "namespace2.0", "ndctl", "fsdax", "mem", 16 * GiB, True, None, "[1].namespaces[0]",
            static=True,
        ),
    ]  # fmt: skip


def test_platform_object_with_dimms_and_regions() -> None:
    assert load("list_DRN_platform.json") == [
        FoundDevice(
            "namespace0.0", "ndctl", "devdax", "dev", 266352984064, True, 2 * MiB,
            "$.regions[0].namespaces[0]",
            dax_devices=(
                FoundDevice(
                    "dax0.0", "daxctl", "devdax", None, 266352984064, True, 2 * MiB,
                    "$.regions[0].namespaces[0].daxregion.devices[0]",
                ),
            ),
        )
    ]  # fmt: skip


def test_legacy_mode_names_from_old_ndctl() -> None:
    devs = load("legacy_v57_memory_dax.json")
    assert [(d.name, d.mode, d.map, d.align) for d in devs] == [
        ("namespace0.0", "fsdax", None, None),
        ("namespace1.0", "devdax", None, 2 * MiB),
    ]


@pytest.mark.parametrize(
    ("given_mode", "mode"),
    [
        ("memory", "fsdax"),
        ("MEMORY", "fsdax"),
        ("dax", "devdax"),
        ("Safe", "sector"),
        ("FSDAX", "fsdax"),
        ("DevDax", "devdax"),
        ("raw", "raw"),
    ],
)
def test_namespace_modes_case_insensitive_with_legacy_names(given_mode: str, mode: str) -> None:
    text = json.dumps({"dev": "namespace0.0", "mode": given_mode, "size": 4096})
    assert parse_ndctl_json(text, "x")[0].mode == mode


@pytest.mark.parametrize(
    ("size", "value", "exact"),
    [
        (4096, 4096, True),
        ("0x1000", 4096, True),
        ("0X40000000", GiB, True),
        ("4096", 4096, True),
        (0, 0, True),
        ("64.00 MiB (67.11 MB)", 64 * MiB, False),
        ("3.94 GiB (4.23 GB)", round(Fraction("3.94") * GiB), False),
        ("1.50 TiB (1.65 TB)", 3 * TiB // 2, False),
        ("4883.00 KiB (5.00 MB)", 4883 * 1024, False),
        ("12.00 GiB", 12 * GiB, False),
        (" 2.00 GiB (2.15 GB) ", 2 * GiB, False),
        ((1 << 64) - 1, (1 << 64) - 1, True),
        ("0xffffffffffffffff", (1 << 64) - 1, True),
    ],
)
def test_size_spellings(size: object, value: int, exact: bool) -> None:
    text = json.dumps([{"chardev": "dax0.0", "size": size}])
    (dev,) = parse_ndctl_json(text, "x")
    assert (dev.usable_bytes, dev.usable_exact) == (value, exact)


def test_human_rounding_is_to_nearest_byte() -> None:
    # 0.01 MiB = 10485.76 bytes: 1.01 MiB rounds up, 1.03 MiB (= 1080033.28) rounds down
    text = json.dumps(
        [
            {"chardev": "dax0.0", "size": "1.01 MiB (1.06 MB)"},
            {"chardev": "dax0.1", "size": "1.03 MiB (1.08 MB)"},
        ]
    )
    assert [d.usable_bytes for d in parse_ndctl_json(text, "x")] == [1059062, 1080033]


def test_map_none_and_null_align_mean_absent() -> None:
    text = json.dumps(
        {"dev": "namespace0.0", "mode": "devdax", "map": "none", "size": 8192, "align": None}
    )
    (dev,) = parse_ndctl_json(text, "x")
    assert (dev.map, dev.align) == (None, None)


def test_namespace_align_wins_over_daxregion_align() -> None:
    text = json.dumps(
        {
            "dev": "namespace0.0",
            "mode": "devdax",
            "size": 8192,
            "align": GiB,
            "daxregion": {"align": 2 * MiB, "devices": [{"chardev": "dax0.0", "size": 8192}]},
        }
    )
    assert parse_ndctl_json(text, "x")[0].align == GiB


def test_list_nx_reads_the_namespace_dax_device() -> None:
    """ndctl list -N -X nests util_daxctl_region_to_json() (ndctl/json.c): the namespace's
    dax device in system-ram mode keeps daxctl's fields; it is not a device of its own."""
    devs = load("list_NX_devdax_kmem.json")
    assert [d.name for d in devs] == ["namespace0.0", "namespace1.0"]
    (kmem,) = devs[0].dax_devices
    assert kmem == FoundDevice(
        *("dax0.0", "daxctl", "system-ram", None, 67643637760, True, 2 * MiB),
        "[0].daxregion.devices[0]",
        online_memblocks=31,
        total_memblocks=31,
    )
    assert [d.mode for d in devs[1].dax_devices] == ["devdax"]


@pytest.mark.parametrize(
    ("region", "fragment"),
    [
        ('{"devices": {}}', "$.daxregion.devices: an empty object: expected an array"),
        ('{"devices": [{"size": 1}]}', "$.daxregion.devices[0]: an object with keys ['size']: "),
        (
            '{"devices": [{"chardev": "dax0.0", "size": 1, "mode": "kmem"}]}',
            "$.daxregion.devices[0].mode: 'kmem': unknown mode",
        ),
        ('{"devices": [{"chardev": "dax0.0"}]}', "$.daxregion.devices[0]: dax device 'dax0.0'"),
    ],
)
def test_bad_namespace_dax_device_is_named_by_its_path(region: str, fragment: str) -> None:
    text = f'{{"dev": "namespace0.0", "mode": "devdax", "size": 4096, "daxregion": {region}}}'
    assert fragment in error(text)


def test_bare_daxctl_device_and_unknown_keys() -> None:
    text = json.dumps(
        {
            "chardev": "dax1.0",
            "size": 4096,
            "align": "0x200000",
            "mode": "devdax",
            "some_future_key": {"nested": [1, 2, 3]},
        }
    )
    assert parse_ndctl_json(text, "x") == [
        FoundDevice("dax1.0", "daxctl", "devdax", None, 4096, True, 2 * MiB, "$")
    ]


def test_utf8_bom_is_ignored() -> None:
    assert len(parse_ndctl_json("\ufeff" + json.dumps([{"chardev": "d", "size": 1}]), "x")) == 1


# -- errors -------------------------------------------------------------------------------


def test_truncated_file_gives_line_and_column() -> None:
    msg = file_error("bad_truncated.json")
    assert msg.startswith("bad_truncated.json: not JSON: line 9 column 3: ")


def test_two_documents_hint() -> None:
    msg = file_error("bad_two_documents.json")
    assert "not JSON: line 12 column 1: Extra data" in msg
    assert "more than one JSON document" in msg


@pytest.mark.parametrize("name", ["bad_empty.json", "bad_empty_array.json"])
def test_empty_input(name: str) -> None:
    assert "no namespaces or dax devices found" in file_error(name)


@pytest.mark.parametrize("text", ["", "  \n\t", "[]", "[ ]\n"])
def test_empty_inline(text: str) -> None:
    assert "no namespaces or dax devices found" in error(text)


def test_regions_only_says_what_was_seen() -> None:
    msg = file_error("list_R_regions_only.json")
    assert "no namespaces or dax devices found" in msg
    assert "2 region, bus or DIMM object(s)" in msg
    assert "ndctl list -N" in msg


def test_top_level_scalar() -> None:
    msg = file_error("bad_top_level_string.json")
    assert "top level: 'namespace0.0': expected a JSON array or object" in msg
    assert "top level: 42: expected" in error("42")
    assert "top level: null: expected" in error("null")


def test_unknown_object_names_path_and_keys() -> None:
    msg = file_error("bad_cxl_list_regions.json")
    assert msg.startswith("bad_cxl_list_regions.json: [0]: an object with keys ['region', ")
    assert "'cxl list' output (its 'region' key)" in msg
    msg = error('[{"chardev": "d", "size": 1}, {"name": "x"}]')
    assert "[1]: an object with keys ['name']: neither" in msg
    assert "no 'dev', 'chardev', 'namespaces' or 'devices' key" in msg
    assert "[1]: an empty object: neither" in error('[{"chardev": "d", "size": 1}, {}]')


def test_array_item_not_an_object() -> None:
    msg = error('[{"chardev": "dax0.0", "size": 1}, "dax0.1"]')
    assert "[1]: 'dax0.1': expected an object" in msg


def test_unknown_mode() -> None:
    msg = file_error("bad_mode.json")
    assert "[1].mode: 'fs-dax': unknown mode (expected fsdax, devdax, sector or raw" in msg


def test_dax_device_mode_must_be_devdax_system_ram_or_famfs() -> None:
    (dev,) = parse_ndctl_json('[{"chardev": "dax0.0", "size": 4096, "mode": "FAMFS"}]', "x")
    assert dev.mode == "famfs"  # daxctl_dev_is_famfs_capable(): bound to fsdev_dax
    # the "unknown" some daxctl famfs patches print for a device neither driver holds
    msg = error('[{"chardev": "dax0.0", "size": 4096, "mode": "unknown"}]')
    assert "[0].mode: 'unknown': unknown mode (expected devdax, system-ram or famfs)" in msg
    msg = error('{"dev": "namespace0.0", "mode": "system-ram", "size": 4096}')
    assert "$.mode: 'system-ram': unknown mode" in msg
    assert "$.mode: 3: expected a string" in error('{"dev": "n", "mode": 3, "size": 1}')


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('"512"', "[0].total_memblocks: '512': expected a whole number"),
        ("true", "[0].total_memblocks: true: expected a whole number"),
        ("-1", "[0].total_memblocks: -1: out of range"),
        ("5.0", "[0].total_memblocks: 5.0: expected a whole number"),
        ("1" * 30, "[0].total_memblocks: 111111111111111111111111111111: out of range"),
    ],
)
def test_memblock_counts_must_be_whole_numbers(value: str, fragment: str) -> None:
    dev = '{"chardev": "dax0.0", "size": 4096, "mode": "system-ram", "total_memblocks": '
    assert fragment in error(f"[{dev}{value}}}]")


def test_more_memblocks_online_than_the_device_has() -> None:
    text = (
        '[{"chardev": "dax0.0", "size": 4096, "mode": "system-ram", '
        '"online_memblocks": 3, "total_memblocks": 2}]'
    )
    assert "[0].online_memblocks: 3: more than total_memblocks 2" in error(text)


def test_missing_mode() -> None:
    msg = error('[{"dev": "namespace0.0", "map": "none"}]')
    assert "[0]: namespace 'namespace0.0' has no 'mode'" in msg


def test_unknown_map() -> None:
    msg = file_error("bad_map_sysfs_word.json")
    assert "$.map: 'pmem': unknown map (expected mem, dev or none)" in msg
    assert "[0].map: 1: unknown map" in error(
        '[{"dev": "n", "mode": "fsdax", "map": 1, "size": 1}]'
    )


def test_negative_size_in_a_region() -> None:
    msg = file_error("bad_size_negative.json")
    assert "[0].namespaces[1].size: -2097152: must not be negative" in msg


def test_missing_size() -> None:
    msg = file_error("bad_size_missing.json")
    assert "[0]: dax device 'dax0.0' has no 'size'" in msg
    msg = error('{"dev": "namespace0.0", "mode": "raw"}')
    assert "$: namespace 'namespace0.0' has no 'size'" in msg


def test_huge_size() -> None:
    msg = file_error("bad_size_huge.json")
    assert "[0].size: 18446744073709551616: too large (2^64 or more)" in msg
    assert "too large" in error('[{"chardev": "d", "size": "0x10000000000000000"}]')
    assert "too large" in error('[{"chardev": "d", "size": "16.00 EiB (18.45 EB)"}]')
    big = "9" * 5000
    msg = error(f'[{{"chardev": "d", "size": {big}}}]')
    assert "[0].size: 999" in msg
    assert "too large" in msg
    assert len(msg) < 200
    msg = error(f'[{{"chardev": "d", "size": -{big}}}]')
    assert "must not be negative" in msg


def test_non_numeric_size() -> None:
    msg = file_error("bad_size_text.json")
    assert "$.size: 'about 126 GiB': not a size" in msg
    for size, fragment in [
        ("true", "$.size: true: expected a number of bytes"),
        ("null", "$.size: null: expected a number of bytes"),
        ("[1]", "$.size: an array of 1 item: expected a number of bytes"),
        ("{}", "$.size: an empty object: expected a number of bytes"),
        ("1.5", "$.size: 1.5: not a whole number of bytes"),
        ("1e400", "$.size: inf: not a whole number of bytes"),
        ("NaN", "$.size: nan: not a whole number of bytes"),
        ('"1.5G"', "$.size: '1.5G': fractions are not accepted"),
        ('"-4096"', "$.size: '-4096': must not be negative"),
        ('"16 GB"', "$.size: '16 GB': not a size"),
        ('"010G"', "$.size: '010G': leading zero"),
        ('"' + "1" * 5000 + '"', "too long to be a size"),
    ]:
        assert fragment in error(f'{{"chardev": "dax0.0", "size": {size}}}')


def test_bad_align() -> None:
    msg = error('[{"chardev": "dax0.0", "size": 4096, "align": -1}]')
    assert "[0].align: -1: must not be negative" in msg
    msg = error('{"dev": "n", "mode": "devdax", "size": 1, "daxregion": {"align": "2M?"}}')
    assert "$.daxregion.align: '2M?'" in msg


def test_bad_names_and_containers() -> None:
    assert "[0].dev: 7: expected a device name string" in error('[{"dev": 7}]')
    assert "[0].chardev: '': expected a device name" in error('[{"chardev": "", "size": 1}]')
    assert "[0].namespaces: 'x': expected an array" in error(
        '[{"dev": "region0", "namespaces": "x"}]'
    )
    msg = error('[{"dev": "region0", "namespaces": [{"chardev": "dax0.0", "size": 1}]}]')
    assert "[0].namespaces[0]: an object with keys ['chardev', 'size']: expected a namespace" in msg
    msg = error('{"devices": [{"dev": "namespace0.0"}], "id": 0}')
    assert "$.devices[0]: an object with keys ['dev']: expected a dax device object" in msg
    msg = error('{"dimms": [], "regions": [3]}')
    assert "$.regions[0]: 3: expected a region object" in msg
    msg = error('{"dev": "namespace0.0", "mode": "devdax", "size": 1, "daxregion": []}')
    assert "$.daxregion: an array of 0 items: expected an object" in msg


def test_deep_nesting_is_an_input_error() -> None:
    assert "nested too deeply" in error("[" * 100_000 + "]" * 100_000)
    # deep but parseable: the walker never recurses into unknown values
    deep = "[" * 500 + "]" * 500
    assert "[0]: an array of 1 item: expected an object" in error(f"[{deep}]")
    nested_regions = '{"regions": [' * 300 + "]}" * 300
    assert "expected a region object" in error(nested_regions)


# -- fuzz: nothing but InputError escapes ------------------------------------------------


@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    with contextlib.suppress(InputError):
        parse_ndctl_json(text, "fuzz")


_KEYS = st.sampled_from(
    [
        "dev", "chardev", "mode", "map", "size", "align", "namespaces", "devices",
        "regions", "dimms", "daxregion", "path", "id", "uuid",
    ]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(1 << 70), max_value=1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            "namespace0.0", "region0", "ndbus0", "nmem0", "dax0.0", "fsdax", "devdax",
            "system-ram", "memory", "mem", "dev", "none", "0x1000", "1.50 GiB (1.61 GB)",
            "12.34 TiB", "-1", "", "0x", "99999999999999999999999 GiB",
        ]
    )
    | st.text(max_size=20)
)  # fmt: skip
_JSONISH = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=5), children, max_size=6)
    ),
    max_leaves=40,
)


@given(_JSONISH)
def test_fuzz_json_like_structures(value: object) -> None:
    text = json.dumps(value)
    try:
        devs = parse_ndctl_json(text, "fuzz")
    except InputError as e:
        assert_one_line(e)
        return
    for d in devs:
        assert 0 <= d.usable_bytes < 1 << 64
        assert d.mode in {"fsdax", "devdax", "sector", "raw", "system-ram"}
        assert d.map in {"mem", "dev", None}


@given(st.text(alphabet='[]{}",:0123456789.-+eE \ntrufalsn\\x', max_size=200))
def test_fuzz_json_punctuation(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_ndctl_json(text, "fuzz")
