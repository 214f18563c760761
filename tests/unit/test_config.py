"""The host config parser: exact values, one Problem per mistake with its line, no crashes."""

from __future__ import annotations

import json
import math
import pickle
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import GiB, MiB
from vmemplan.errors import InputError
from vmemplan.sources.config import (
    BudgetSection,
    ConfigError,
    ConfigFile,
    HostSection,
    Limit,
    NamespaceEntry,
    Problem,
    detect_format,
    format_of_path,
    parse_config,
    parse_config_located,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "config"
GOOD = DATA / "good"
BAD = DATA / "bad"

EXPECTED = ConfigFile(
    schema_version=1,
    host=HostSection(
        arch="x86_64",
        kernel="6.12",
        struct_page_size=64,
        system_ram=((0, 2 * GiB), (4 * GiB, 0x480000000)),
        counters="exact",
        early_init_fix=True,
        dedup_keep=2,
        ns_per_page=(8000, 10700),
    ),
    budgets=BudgetSection(dram=Limit(ppm=10_000), device_loss=Limit(ppm=20_000), init=500_000_000),
    namespaces=(
        NamespaceEntry(
            name="pmem0",
            size=1536 * GiB,
            start=64 * GiB,
            mode="devdax",
            map="mem",
            align=GiB,
            budgets=BudgetSection(
                dram=Limit(ppm=125), device_loss=Limit(bytes=2 * GiB), init=1_500_000_000
            ),
        ),
        NamespaceEntry(
            name="pmem1",
            usable=1500 * GiB,
            mode="fsdax",
            map="dev",
            vmemmap_shift=9,
            interleave_ways=2,
        ),
        NamespaceEntry(
            name="cxl0.dax:1",
            dax_ranges=((128 * GiB, 192 * GiB), (256 * GiB, 320 * GiB)),
            mode="devdax",
            align=2 * MiB,
            budgets=BudgetSection(init=250_000),
        ),
    ),
)


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        parse_config(path.read_bytes(), f"bad/{path.name}")
    return info.value.problems


def _parse_text(text: str, fmt: Any = "toml") -> ConfigFile:
    return parse_config(text, f"test.{fmt}", fmt)


def _error(text: str | bytes, fmt: Any = "toml") -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, f"test.{fmt}", fmt)
    return info.value


# --------------------------------------------------------------------------------------
# Good files


@pytest.mark.parametrize("name", ["host.toml", "host.yaml", "host.json"])
def test_good_file_exact_values(name: str) -> None:
    path = GOOD / name
    assert parse_config(path.read_text(), str(path)) == EXPECTED
    assert parse_config(path.read_bytes(), str(path)) == EXPECTED


def test_three_formats_give_equal_configs() -> None:
    configs = [
        parse_config((GOOD / f"host.{ext}").read_bytes(), f"host.{ext}")
        for ext in ("toml", "yaml", "json")
    ]
    assert configs[0] == configs[1] == configs[2]
    assert hash(configs[0]) == hash(configs[1])


def test_good_values_spelled_out() -> None:
    config = parse_config((GOOD / "host.toml").read_bytes(), "host.toml")
    assert config.host.system_ram == ((0, 0x80000000), (0x100000000, 0x480000000))
    assert config.budgets.dram == Limit(bytes=None, ppm=10_000)
    assert config.namespaces[0].budgets.dram == Limit(ppm=125)
    assert config.namespaces[0].size == 1_649_267_441_664
    assert config.namespaces[1].size is None
    assert config.namespaces[1].budgets == BudgetSection()
    assert config.namespaces[2].map is None
    assert config.namespaces[2].start is None


def test_format_from_extension_and_override() -> None:
    yaml_text = (GOOD / "host.yaml").read_text()
    assert parse_config(yaml_text, "host.YML") == EXPECTED
    assert parse_config(yaml_text, "whatever", "yaml") == EXPECTED
    # no known extension: TOML
    assert parse_config((GOOD / "host.toml").read_text(), "-") == EXPECTED
    err = _error(yaml_text, "toml")
    assert err.problems[0].message.startswith("TOML syntax error")


def test_minimal_file_defaults() -> None:
    config = _parse_text('[[namespaces]]\nname = "a"\nsize = "2G"\n')
    assert config.schema_version == 1
    assert config.host == HostSection()
    assert config.host.arch is None
    assert config.host.system_ram is None
    assert config.budgets == BudgetSection()
    ns = config.namespaces[0]
    assert (ns.name, ns.size, ns.mode, ns.map, ns.align) == ("a", 2 * GiB, "devdax", None, None)


def test_empty_system_ram_means_no_boot_ram() -> None:
    config = _parse_text('[host]\nsystem_ram = []\n[[namespaces]]\nname = "a"\nsize = "2G"\n')
    assert config.host.system_ram == ()


def test_bom_and_crlf_are_accepted() -> None:
    text = '\ufeff[[namespaces]]\r\nname = "a"\r\nsize = "2G"\r\n'
    assert _parse_text(text).namespaces[0].size == 2 * GiB
    assert parse_config(text.encode(), "x.toml").namespaces[0].size == 2 * GiB


@pytest.mark.parametrize(
    ("text", "ppm"),
    [("1%", 10_000), ("0.0125%", 125), ("0.5%", 5000), ("100%", 1_000_000), ("0 %", 0)],
)
def test_percentages_in_ppm(text: str, ppm: int) -> None:
    config = _parse_text(f'[budgets]\ndram = "{text}"\n[[namespaces]]\nname = "a"\nsize = 1\n')
    assert config.budgets.dram == Limit(ppm=ppm)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("500ms", 500_000_000),
        ("1.5s", 1_500_000_000),
        ("250us", 250_000),
        ("7ns", 7),
        ("1.001us", 1001),
        ("0.001ms", 1000),
        ("2 s", 2_000_000_000),
    ],
)
def test_times_in_ns(text: str, ns: int) -> None:
    config = _parse_text(f'[budgets]\ninit = "{text}"\n[[namespaces]]\nname = "a"\nsize = 1\n')
    assert config.budgets.init == ns


@pytest.mark.parametrize(
    ("value", "ps"),
    [
        ('"8.0-10.7"', (8000, 10700)),
        ('"9"', (9000, 9000)),
        ("9", (9000, 9000)),
        ("9.25", (9250, 9250)),
        ('" 1 - 2.5 "', (1000, 2500)),
    ],
)
def test_ns_per_page(value: str, ps: tuple[int, int]) -> None:
    config = _parse_text(f'[host]\nns_per_page = {value}\n[[namespaces]]\nname = "a"\nsize = 1\n')
    assert config.host.ns_per_page == ps


@pytest.mark.parametrize(
    ("mode", "normalised"),
    [("devdax", "devdax"), ("DAX", "devdax"), ("fsdax", "fsdax"), ("Memory", "fsdax")],
)
def test_mode_names(mode: str, normalised: str) -> None:
    config = _parse_text(f'[[namespaces]]\nname = "a"\nsize = 1\nmode = "{mode}"\n')
    assert config.namespaces[0].mode == normalised


def test_limit_resolve() -> None:
    assert Limit(ppm=10_000).resolve(1 << 40) == (1 << 40) // 100
    assert Limit(ppm=125).resolve(999) == 0
    assert Limit(bytes=4096).resolve(1 << 40) == 4096


def test_models_are_frozen_and_refuse_extra_keys() -> None:
    with pytest.raises(ValueError, match="frozen"):
        EXPECTED.host.arch = "arm64-4k"  # type: ignore[misc]
    with pytest.raises(ValueError, match="extra"):
        HostSection(colour="blue")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="exactly one of bytes or ppm"):
        Limit()
    with pytest.raises(ValueError, match="exactly one of bytes or ppm"):
        Limit(bytes=1, ppm=1)


def test_models_enforce_the_key_conflicts_when_built_in_python() -> None:
    with pytest.raises(ValueError, match="size and usable both given"):
        NamespaceEntry(name="a", size=GiB, usable=GiB)
    with pytest.raises(ValueError, match="give align or vmemmap_shift"):
        NamespaceEntry(name="a", size=GiB, align=GiB, vmemmap_shift=18)
    with pytest.raises(ValueError, match="duplicate name 'a'"):
        ConfigFile(namespaces=(NamespaceEntry(name="a", size=GiB),) * 2)
    # parsed values are accepted again as they are
    assert ConfigFile.model_validate(EXPECTED.model_dump()) == EXPECTED


# --------------------------------------------------------------------------------------
# Bad files: location, line and a fragment of the message

BAD_FILES = [
    ("syntax.toml", "(file)", 6, "TOML syntax error: Expected newline or end of document"),
    ("unknown_key.toml", "host.kernal", 3, "unknown key 'kernal' (did you mean 'kernel'?)"),
    ("wrong_type.toml", "namespaces[1].size", 7, "expected a size like 2M or an integer, got [1]"),
    ("bad_size.toml", "namespaces[0].size", 3, "'1.5T': fractions are not accepted"),
    ("bad_percent.toml", "budgets.dram", 2, "'0.00001%': at most 4 decimals"),
    ("bad_time.toml", "budgets.init", 2, "'500': missing unit (ns, us, ms or s)"),
    (
        "duplicate_names.toml",
        "namespaces[2].name",
        10,
        "duplicate name 'pmem0' (first used by namespaces[0])",
    ),
    (
        "size_and_usable.toml",
        "namespaces[0].usable",
        4,
        "size and usable both given; give exactly one of size, usable or dax_ranges",
    ),
    ("align_not_power_of_two.toml", "namespaces[2].align", 15, "3M is not a power of two"),
    ("empty.toml", "(file)", None, "empty file"),
    ("binary.toml", "(file)", 1, "not UTF-8 text (byte 0x89 at offset 0)"),
    ("huge_number.toml", "namespaces[0].size", 3, "too large (above 2^64)"),
    ("no_namespaces.toml", "(file)", None, "nothing to estimate: give at least one"),
    ("kernel_float.toml", "host.kernel", 2, "write the kernel version as a string"),
    ("schema_version.toml", "schema_version", 1, "unsupported schema_version 2"),
    ("syntax.yaml", "(file)", 3, "YAML syntax error"),
    ("unknown_key.yaml", "namespaces[1].budgets.dramm", 8, "unknown key 'dramm'"),
    ("duplicate_key.yaml", "namespaces[0].size", 5, "duplicate key 'size' (first at line 3)"),
    ("octal.yaml", "(file)", 4, "ambiguous integer 011"),
    ("top_level_list.yaml", "(file)", None, "the top level must be a mapping, got [{"),
    ("unsafe_tag.yaml", "(file)", 1, "could not determine a constructor for the tag"),
    ("two_documents.yaml", "(file)", 4, "expected a single document"),
    ("syntax.json", "(file)", 4, "JSON syntax error: Expecting value (column 3)"),
    ("duplicate_key.json", "namespaces[0].name", 6, "duplicate key 'name' (first at line 4)"),
    ("top_level_list.json", "(file)", None, "the top level must be an object"),
    ("huge_number.json", "namespaces[0].size", 5, "18446744073709551616: too large (above 2^64)"),
    ("empty.json", "(file)", None, "empty file"),
    ("null_size.json", "namespaces[0]", 3, "give one of size, usable or dax_ranges"),
    (
        "system_ram_with_map.toml",
        "namespaces[0].map",
        7,
        "map cannot be combined with mode system-ram",
    ),
]


@pytest.mark.parametrize(("name", "location", "line", "fragment"), BAD_FILES)
def test_bad_file(name: str, location: str, line: int | None, fragment: str) -> None:
    problems = _problems(BAD / name)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.source, problem.location, problem.line) == (f"bad/{name}", location, line)
    assert fragment in problem.message


def test_every_bad_fixture_is_tested() -> None:
    tested = {name for name, *_ in BAD_FILES} | set(MULTI_PROBLEM_FILES)
    assert tested == {p.name for p in BAD.iterdir()}


MULTI_PROBLEM_FILES = {
    "hugetlb_bad_pool.toml": [
        "bad/hugetlb_bad_pool.toml:6: hugetlb[0].page_size: 3M is not a power of two",
        "bad/hugetlb_bad_pool.toml:7: hugetlb[0].count: -1: must be from 1 to 2^40 huge pages",
    ],
    "many_problems.toml": [
        "bad/many_problems.toml:2: host.arch: unknown architecture 'sparc64' (known: x86_64, "
        "x86_64-la57, arm64-4k, arm64-16k, arm64-64k, ppc64-radix-64k, ppc64-radix-4k, riscv64; "
        "or a uname -m name: x86_64, aarch64-4k/16k/64k, ppc64le-64k/4k, riscv64)",
        "bad/many_problems.toml:3: host.system_ram[1]: '4G-2G': end is below start",
        "bad/many_problems.toml:9: namespaces[0].vmemmap_shift: give align or vmemmap_shift, "
        "not both",
        "bad/many_problems.toml:12: namespaces[1].name: 'pmem 1': not a valid name (use letters, "
        "digits and _ . : -)",
        "bad/many_problems.toml:13: namespaces[1].usable: must not be zero",
        "bad/many_problems.toml:14: namespaces[1].budgets.dram: '101%': above 100%",
        "bad/many_problems.toml:14: namespaces[1].budgets.init: '1.5ns': not a whole number of "
        "nanoseconds",
        "bad/many_problems.toml:16: namespaces[2]: give one of size, usable or dax_ranges",
    ],
    "dax_ranges_with_start.toml": [
        "bad/dax_ranges_with_start.toml:4: namespaces[0].start: start cannot be combined with "
        "dax_ranges (each range has one)",
        "bad/dax_ranges_with_start.toml:5: namespaces[0].map: map cannot be combined with "
        "dax_ranges (they have no altmap)",
    ],
    "wrong_type.yaml": [
        "bad/wrong_type.yaml:2: host.early_init_fix: expected true or false, got 'yes please'",
        "bad/wrong_type.yaml:5: namespaces[0].dax_ranges: expected a list, got '128G+64G'",
    ],
    "bad_percent.json": [
        "bad/bad_percent.json:3: budgets.device_loss: '2.5': fractions are not accepted; use a "
        "smaller unit",
        "bad/bad_percent.json:5: namespaces[0].budgets.dram: '-1%': not a percentage (expected "
        "e.g. 1% or 0.0125%)",
    ],
}


@pytest.mark.parametrize("name", sorted(MULTI_PROBLEM_FILES))
def test_all_problems_of_a_file_are_reported(name: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:
        parse_config(path.read_bytes(), f"bad/{name}")
    assert str(info.value).splitlines() == MULTI_PROBLEM_FILES[name]
    assert [str(p) for p in info.value.problems] == MULTI_PROBLEM_FILES[name]


def test_config_error_is_an_input_error() -> None:
    err = _error('[[namespaces]]\nname = "a"\nsize = "3X"\n')
    assert isinstance(err, InputError)
    assert err.option == "test.toml"
    assert str(err) == err.message
    assert str(err) == (
        "test.toml:3: namespaces[0].size: '3X': unknown suffix 'X' (use K, M, G, T, P or E)"
    )
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy, ConfigError)
    assert copy.problems == err.problems


def test_problem_without_line() -> None:
    problem = Problem("a.toml", "(file)", None, "empty file")
    assert str(problem) == "a.toml: (file): empty file"
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError([])


# --------------------------------------------------------------------------------------
# Single values: messages are human, never pydantic's


def _ns_value(key: str, toml_value: str) -> ConfigError:
    other = "size = 1" if key == "name" else 'name = "a"'
    return _error(f"[[namespaces]]\n{other}\n{key} = {toml_value}\n")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("size", '"0"', "must not be zero"),
        ("size", "-5", "-5: must not be negative"),
        ("size", "1.5", "expected a size like 2M or an integer, got 1.5"),
        ("size", "true", "expected a size like 2M or an integer, got true"),
        ("size", '"16GB"', "decimal (SI) unit 'GB'"),
        ("size", '"010G"', "leading zero"),
        ("size", '"' + "9" * 300 + '"', "too long"),
        ("size", "{ a = 1 }", "expected a size like 2M or an integer, got {'a': 1}"),
        ("usable", '"0x0"', "must not be zero"),
        ("start", '"-1G"', "must not be negative"),
        ("mode", '"raw"', "raw namespaces have no struct pages"),
        ("mode", '"pmem"', "expected devdax, fsdax or system-ram (legacy: dax, memory)"),
        ("map", '"ram"', "'ram': expected mem or dev"),
        ("align", '"0"', "0 is not a power of two"),
        ("align", "3145728", "3145728 is not a power of two"),
        ("vmemmap_shift", "40", "out of range (0 to 39)"),
        ("vmemmap_shift", '"18"', "expected an integer, got '18'"),
        ("interleave_ways", "0", "must be an integer >= 1"),
        ("name", '""', "not a valid name"),
        ("dax_ranges", "[]", "must not be empty"),
        ("dax_ranges", '["128G"]', "START..END (END exclusive) or START+SIZE"),
        ("budgets", '"1%"', "expected a table, got '1%'"),
    ],
)
def test_namespace_value_messages(key: str, value: str, fragment: str) -> None:
    err = _ns_value(key, value)
    locations = [p.location for p in err.problems]
    assert any(loc.startswith(f"namespaces[0].{key}") for loc in locations), err
    problem = next(p for p in err.problems if p.location.startswith(f"namespaces[0].{key}"))
    assert fragment in problem.message
    assert problem.line == 3
    assert "pydantic" not in str(err)
    assert "Input should" not in str(err)


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("host", "arch", '"vax"', "unknown architecture 'vax'"),
        ("host", "kernel", '"6.99"', "'6.99': unknown kernel version"),
        ("host", "kernel", '"linux"', "not a kernel version"),
        ("host", "kernel", "6", "expected a kernel version string"),
        ("host", "struct_page_size", "60", "must be a multiple of 8 from 32 to 1024"),
        ("host", "struct_page_size", "2048", "must be a multiple of 8 from 32 to 1024"),
        ("host", "counters", '"sometimes"', "expected none, nominal or exact"),
        ("host", "early_init_fix", "1", "expected true or false, got 1"),
        ("host", "dedup_keep", "3", "expected 1 or 2"),
        ("host", "ns_per_page", '"10.7-8.0"', "LOW is above HIGH"),
        ("host", "ns_per_page", '"8.0001"', "at most 3 decimals"),
        ("host", "ns_per_page", '"0"', "must be positive"),
        ("host", "ns_per_page", '"1-2-3"', "expected NS or LOW-HIGH"),
        ("host", "ns_per_page", "nan", "not a number of nanoseconds"),
        ("host", "system_ram", '"0+2G"', "expected an array, got '0+2G'"),
        ("budgets", "dram", '"lots"', "not a size or a percentage"),
        ("budgets", "dram", '"1.%"', "not a percentage"),
        ("budgets", "device_loss", "[]", "expected a size like 64G, an integer or a percentage"),
        ("budgets", "init", '"5 min"', "unknown unit 'min'"),
        ("budgets", "init", '"1.0001s"', "at most 3 decimals"),
        ("budgets", "init", '"soon"', "not a time"),
        ("budgets", "init", "-1", "must not be negative"),
        ("budgets", "init", '"99999999999s"', "too large (above 2^64 ns)"),
    ],
)
def test_section_value_messages(section: str, key: str, value: str, fragment: str) -> None:
    err = _error(f'[{section}]\n{key} = {value}\n[[namespaces]]\nname = "a"\nsize = 1\n')
    assert len(err.problems) == 1, err
    problem = err.problems[0]
    assert (problem.location, problem.line) == (f"{section}.{key}", 2)
    assert fragment in problem.message


def test_non_string_yaml_keys() -> None:
    err = _error("host:\n  1: x\nnamespaces:\n  - {name: a, size: 1}\n", "yaml")
    assert [(p.location, p.line, p.message) for p in err.problems] == [
        ("host", 1, "keys must be strings, got 1")
    ]


def test_yaml_merge_keys_and_anchors() -> None:
    text = (
        "namespaces:\n"
        "  - &first {name: a, size: 1G, align: 2M}\n"
        "  - {<<: *first, name: b, size: 2G}\n"
    )
    config = _parse_text(text, "yaml")
    second = config.namespaces[1]
    assert (second.name, second.size, second.align) == ("b", 2 * GiB, 2 * MiB)


def test_yaml_recursive_alias_is_an_error() -> None:
    err = _error("namespaces: &a [*a]\n", "yaml")
    assert err.problems[0].location == "namespaces[0]"


def test_json_lines_of_nested_values() -> None:
    text = '{"namespaces": [\n {"name": "a",\n  "dax_ranges": ["1G+1G",\n   "x"]}]}'
    err = _error(text, "json")
    assert [(p.location, p.line) for p in err.problems] == [("namespaces[0].dax_ranges[1]", 4)]


def test_toml_lines_in_arrays_of_inline_tables() -> None:
    text = 'namespaces = [\n  { name = "a", size = "1G" },\n  { name = "b", size = "1Q" },\n]\n'
    err = _error(text)
    assert [(p.location, p.line) for p in err.problems] == [("namespaces[1].size", 3)]


def test_toml_dotted_keys_and_quoted_keys() -> None:
    text = (
        'host.arch = "x86_64"\n'
        '"budgets".dram = "2%"\n'
        "[[namespaces]]\n"
        'name = "a"\n'
        'size = "1G"\n'
        '"weird key" = 1\n'
        '[namespaces."budgets"]\n'
        'init = """\nsoon"""\n'
        "init2 = 3\n"
    )
    err = _error(text)
    assert [(p.location, p.line, p.message) for p in err.problems] == [
        ('namespaces[0]."weird key"', 6, "unknown key 'weird key'"),
        (
            "namespaces[0].budgets.init",
            8,
            "'soon': not a time (expected e.g. 500ms, 1.5s or 250us)",
        ),
        ("namespaces[0].budgets.init2", 10, "unknown key 'init2' (did you mean 'init'?)"),
    ]


def test_missing_name_points_at_the_entry() -> None:
    err = _error('[[namespaces]]\nname = "a"\nsize = 1\n\n[[namespaces]]\nsize = 1\n')
    assert [(p.location, p.line, p.message) for p in err.problems] == [
        ("namespaces[1]", 5, "missing key 'name'")
    ]


def test_empty_namespace_list() -> None:
    err = _error("namespaces = []\n")
    assert [(p.location, p.line, p.message) for p in err.problems] == [
        (
            "namespaces",
            1,
            "nothing to estimate: give at least one [[namespaces]] entry or [[hugetlb]] pool",
        )
    ]


def test_nul_byte_is_binary() -> None:
    err = _error('[host]\narch = "x86_64"\x00\n')
    assert (err.problems[0].line, err.problems[0].message) == (
        2,
        "binary data, not a config file (NUL byte)",
    )


@pytest.mark.parametrize("fmt", ["toml", "yaml", "json"])
@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000,
        "{" * 50_000,
        '{"a":' * 50_000,
        "a = " + "[" * 5000 + "]" * 5000,
        "a: " + "[" * 5000 + "]" * 5000,
        "- " * 5000 + "1",
        "9" * 10_000,
        "a = " + "9" * 10_000,
        "a: " + "9" * 10_000,
        '{"a": ' + "9" * 10_000 + "}",
        '{"namespaces": [{"name": "a", "size": ' + "9" * 5000 + "}]}",
        "\ud800",
        "1e999999",
    ],
)
def test_pathological_inputs_are_config_errors(text: str, fmt: Any) -> None:
    err = _error(text, fmt)
    assert err.problems
    assert len(str(err)) < 2000


# --------------------------------------------------------------------------------------
# Fuzzing: only ConfigError, and always with a problem


def _parse_or_error(data: str | bytes, fmt: Any) -> None:
    try:
        config = parse_config(data, f"fuzz.{fmt}", fmt)
    except ConfigError as e:
        error = e
    else:
        assert isinstance(config, ConfigFile)
        assert config.namespaces
        return
    assert error.problems
    assert all(isinstance(p, Problem) and p.message for p in error.problems)
    assert str(error).count("\n") == len(error.problems) - 1


@given(st.binary(max_size=300), st.sampled_from(["toml", "yaml", "json"]))
def test_fuzz_random_bytes(data: bytes, fmt: str) -> None:
    _parse_or_error(data, fmt)


@given(st.text(max_size=200), st.sampled_from(["toml", "yaml", "json"]))
def test_fuzz_random_text(data: str, fmt: str) -> None:
    _parse_or_error(data, fmt)


def _toml_string(text: str) -> str:
    return json.dumps(text).replace("\x7f", "\\u007f")


def _toml_value(value: object) -> str:
    """A tiny TOML writer: every value inline (tables as inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(value)


def _toml_document(doc: dict[str, Any]) -> str:
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in doc.items())


def test_toml_writer_round_trips() -> None:
    doc = {"a": [1, 2.5, "x\x7f\n"], "b": {"c": True, "d": {}}, "e": float("inf")}
    assert tomllib.loads(_toml_document(doc)) == doc


_LEAVES_NO_NULL = (
    st.booleans()
    | st.integers()
    | st.sampled_from([2**64 - 1, 2**64, -(2**63), 10**30])
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["64G", "1%", "0+2G", "500ms", "x86_64", "6.12", "pmem0", "2M", "dax"])
)
_LEAVES = st.none() | _LEAVES_NO_NULL


def _documents(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.text(max_size=8) | st.sampled_from(
        ["host", "budgets", "namespaces", "name", "size", "usable", "dax_ranges", "align"]
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=25,
    )


@given(_documents(_LEAVES))
def test_fuzz_structured_json(doc: Any) -> None:
    _parse_or_error(json.dumps(doc), "json")


@given(_documents(_LEAVES))
def test_fuzz_structured_yaml(doc: Any) -> None:
    _parse_or_error(yaml.safe_dump(doc), "yaml")


@given(st.dictionaries(st.text(max_size=8), _documents(_LEAVES_NO_NULL), max_size=5))
def test_fuzz_structured_toml(doc: dict[str, Any]) -> None:
    _parse_or_error(_toml_document(doc), "toml")


def _near_valid() -> st.SearchStrategy[dict[str, Any]]:
    """Documents shaped like the schema with random values: reaches every validator."""
    value = _documents(_LEAVES_NO_NULL)

    def section(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
        return st.dictionaries(st.sampled_from([*keys, "bogus"]), value, max_size=len(keys))

    host = section(
        [
            "arch",
            "kernel",
            "struct_page_size",
            "system_ram",
            "counters",
            "early_init_fix",
            "dedup_keep",
            "ns_per_page",
        ]
    )
    budgets = section(["dram", "device_loss", "init"])
    entry = st.fixed_dictionaries(
        {"name": st.sampled_from(["a", "b", "a b"]) | value},
        optional={
            "size": st.sampled_from(["1G", 4096, "2M"]) | value,
            "usable": value,
            "dax_ranges": st.lists(st.sampled_from(["1G+1G", "0-0xfff"]) | value, max_size=3),
            "start": value,
            "mode": st.sampled_from(["devdax", "fsdax", "raw"]) | value,
            "map": st.sampled_from(["mem", "dev"]) | value,
            "align": st.sampled_from(["2M", "1G", "3M"]) | value,
            "vmemmap_shift": value,
            "interleave_ways": value,
            "budgets": budgets,
        },
    )
    return st.fixed_dictionaries(
        {"namespaces": st.lists(entry, max_size=3)},
        optional={"schema_version": st.just(1) | value, "host": host, "budgets": budgets},
    )


@given(_near_valid(), st.sampled_from(["toml", "yaml", "json"]))
def test_fuzz_near_valid_documents(doc: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        text = json.dumps(doc)
    elif fmt == "yaml":
        text = yaml.safe_dump(doc)
    else:
        text = _toml_document(doc)
    _parse_or_error(text, fmt)


@given(_near_valid())
def test_fuzz_formats_agree(doc: dict[str, Any]) -> None:
    """JSON and YAML spellings of one document give the same config or the same problems."""
    outcomes = []
    for fmt, text in (("json", json.dumps(doc)), ("yaml", yaml.safe_dump(doc))):
        try:
            outcomes.append(parse_config(text, "doc", fmt))
        except ConfigError as e:
            outcomes.append(sorted((p.location, p.message) for p in e.problems))
    if isinstance(outcomes[0], ConfigFile) or isinstance(outcomes[1], ConfigFile):
        assert outcomes[0] == outcomes[1]


# --------------------------------------------------------------------------------------
# Locations back to lines, for findings about a valid config


@pytest.mark.parametrize(
    ("location", "lines"),
    [
        ("host.arch", (5, 5, 4)),
        ("budgets.init", (17, 17, 13)),
        ("namespaces[0]", (20, 20, 15)),
        ("namespaces[0].budgets", (28, 26, 22)),
        ("namespaces[0].budgets.device_loss", (30, 28, 22)),
        ("namespaces[1].interleave_ways", (40, 36, 30)),
        ("namespaces[2].dax_ranges[1]", (47, 41, 34)),
        ("namespaces[2].budgets.init", (51, 44, 37)),
        ("namespaces[1].budgets", (None, None, None)),
        ("namespaces[1].budgets.dram", (None, None, None)),
        ("(file)", (None, None, None)),
        ("namespaces[9]", (None, None, None)),
        ("not a [location", (None, None, None)),
    ],
)
def test_parse_config_located(location: str, lines: tuple[int | None, ...]) -> None:
    found = []
    for ext in ("toml", "yaml", "json"):
        config, line_of = parse_config_located((GOOD / f"host.{ext}").read_bytes(), f"h.{ext}")
        assert config == EXPECTED
        found.append(line_of(location))
    assert tuple(found) == lines


def test_json_duplicate_keys_at_any_depth_keep_their_lines() -> None:
    text = (
        '{"namespaces": [{"name": "a", "size": "1G",\n'  # line 1
        '  "budgets": {"dram": "1%",\n'  # line 2
        '              "dram": "2%"}}],\n'  # line 3
        ' "host": {},\n'  # line 4
        ' "host": {}}\n'  # line 5
    )
    err = _error(text, "json")
    assert [(p.location, p.line, p.message) for p in err.problems] == [
        ("namespaces[0].budgets.dram", 3, "duplicate key 'dram' (first at line 2)"),
        ("host", 5, "duplicate key 'host' (first at line 4)"),
    ]


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_valid_files_are_scanned_for_lines_only_when_asked(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vmemplan.sources.config import loaders  # noqa: PLC0415

    scans: list[str] = []
    for name in ("_toml_lines", "_json_lines"):
        real = getattr(loaders, name)

        def counted(text: str, real: Any = real, name: str = name) -> Any:
            scans.append(name)
            return real(text)

        monkeypatch.setattr(loaders, name, counted)
    text = (GOOD / f"host.{fmt}").read_bytes()
    config, line_of = parse_config_located(text, f"h.{fmt}")
    assert config == EXPECTED
    assert scans == []
    first = line_of("namespaces[1].usable")
    assert first is not None
    assert line_of("host.arch") is not None
    assert scans == [f"_{fmt}_lines"]  # once, however many questions


def test_parse_config_located_raises_like_parse_config() -> None:
    with pytest.raises(ConfigError, match="empty file"):
        parse_config_located(b"", "x.toml")


# --------------------------------------------------------------------------------------
# The format of a file without a known name: stdin and extensionless paths


@pytest.mark.parametrize("fmt", ["toml", "yaml", "json"])
def test_detect_format_of_the_good_files(fmt: str) -> None:
    text = (GOOD / f"host.{fmt}").read_bytes()
    assert detect_format(text) == fmt
    assert parse_config(text, "-", detect_format(text)) == EXPECTED


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("\ufeff# a comment\n\n  [host]\n", "toml"),
        ('"host".arch = "x86_64"\n', "toml"),
        ("host.arch='arm64'\n", "toml"),
        ("[[namespaces]]\n", "toml"),
        ("\n\n  {\n", "json"),
        ("---\nnamespaces: []\n", "yaml"),
        ("# c\nname: a=b\n", "yaml"),
        ("- name: x\n", "yaml"),
        ("{namespaces: [{name: a}]}\n", "json"),  # a flow mapping reads as JSON: documented
        ("", "toml"),
    ],
)
def test_detect_format_by_the_first_significant_line(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("host.toml", "toml"),
        ("a/b.c/HOST.YML", "yaml"),
        ("x.yaml", "yaml"),
        ("x.JSON", "json"),
        ("-", None),
        ("/dev/fd/63", None),
        ("conf.d/host", None),
        ("./.vmemplan", None),
    ],
)
def test_format_of_path(path: str, fmt: str | None) -> None:
    assert format_of_path(path) == fmt


def test_unknown_extension_is_refused_with_a_hint() -> None:
    with pytest.raises(InputError) as info:
        format_of_path("etc/host.conf")
    assert info.value.option == "etc/host.conf"
    assert "'.conf'" in info.value.message
    assert "--input-format toml|yaml|json" in info.value.message
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------
# YAML tags on empty values


def test_an_empty_int_tag_is_an_error_not_a_crash() -> None:
    err = _error("schema_version: 1\nnamespaces: !!int\n", "yaml")
    assert [(p.line, p.message) for p in err.problems] == [
        (2, "YAML error: empty integer (a !!int tag on no value) (column 13)")
    ]
