"""The published JSON Schema of the host config describes what the file may spell."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from vmemplan.sources.config import ConfigError, ConfigFile, parse_config

GOOD = Path(__file__).resolve().parent.parent / "data" / "config" / "good"
SCHEMA = ConfigFile.model_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _raw(path: Path) -> Any:
    text = path.read_text()
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".yaml":
        return yaml.safe_load(text)
    return json.loads(text)


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    json.dumps(SCHEMA)  # plain JSON, nothing pydantic-specific left in it


def test_schema_top_level() -> None:
    assert SCHEMA["type"] == "object"
    assert SCHEMA["additionalProperties"] is False
    assert "required" not in SCHEMA  # a file of HugeTLB pools only is valid
    assert SCHEMA["anyOf"] == [
        {"required": ["namespaces"], "properties": {"namespaces": {"minItems": 1}}},
        {"required": ["hugetlb"], "properties": {"hugetlb": {"minItems": 1}}},
    ]
    assert set(SCHEMA["properties"]) == {
        "schema_version",
        "host",
        "budgets",
        "namespaces",
        "hugetlb",
    }


@pytest.mark.parametrize("name", ["host.toml", "host.yaml", "host.json"])
def test_good_files_validate_against_the_schema(name: str) -> None:
    VALIDATOR.validate(_raw(GOOD / name))


@pytest.mark.parametrize(
    "doc",
    [
        {},
        {"namespaces": []},
        {"namespaces": [], "hugetlb": []},
        {"hugetlb": []},
        {"namespaces": [{"size": "1G"}]},
        {"namespaces": [{"name": "a", "size": "1.5G"}]},
        {"namespaces": [{"name": "a", "size": "010G"}]},
        {"namespaces": [{"name": "a", "size": -1}]},
        {"namespaces": [{"name": "a", "size": "1G", "colour": "red"}]},
        {"namespaces": [{"name": "a b", "size": "1G"}]},
        {"namespaces": [{"name": "a", "dax_ranges": ["1G"]}]},
        {"namespaces": [{"name": "a", "size": "1G", "mode": "raw"}]},
        {"namespaces": [{"name": "a", "size": "1G", "budgets": {"dram": "1.00001%"}}]},
        {"namespaces": [{"name": "a", "size": "1G"}], "budgets": {"init": "500"}},
        {"namespaces": [{"name": "a", "size": "1G"}], "host": {"arch": "vax"}},
        {"namespaces": [{"name": "a", "size": "1G"}], "host": {"kernel": 6.12}},
        {"namespaces": [{"name": "a", "size": "1G"}], "host": {"struct_page_size": 60}},
        {"namespaces": [{"name": "a", "size": "1G"}], "host": {"early_init_fix": "yes"}},
        {"namespaces": [{"name": "a", "size": "1G"}], "schema_version": 2},
    ],
)
def test_schema_refuses_what_the_parser_refuses(doc: dict[str, Any]) -> None:
    assert not VALIDATOR.is_valid(doc)
    with pytest.raises(ConfigError):
        parse_config(json.dumps(doc), "doc.json")


@pytest.mark.parametrize(
    "doc",
    [
        {"namespaces": [{"name": "a", "size": "1g"}]},
        {"hugetlb": [{"page_size": "1G", "count": 512}]},
        {"namespaces": [{"name": "a", "size": " 0x40000000 "}]},
        {"namespaces": [{"name": "a", "size": "16GiB", "align": 1073741824}]},
        {"namespaces": [{"name": "a", "usable": "1T", "mode": "Memory", "map": "DEV"}]},
        {"namespaces": [{"name": "a", "dax_ranges": ["1G-0x7fffffff", "4G + 1G"]}]},
        {
            "namespaces": [{"name": "a", "size": "1G"}],
            "host": {"arch": "ARM64-4K", "kernel": "v6.12-rc3", "ns_per_page": 9.5},
            "budgets": {"dram": "0.0125 %", "device_loss": 4096, "init": "1.5 s"},
        },
    ],
)
def test_schema_accepts_what_the_parser_accepts(doc: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(doc)
    parse_config(json.dumps(doc), "doc.json")


# small numbers only: the schema cannot bound 99999E to 2^64 (the parser does)
_SIZE_SPELLINGS = st.from_regex(
    r"\A\s?(0[xX][0-9a-fA-F]{1,4}|[0-9]{1,5})([kKmMgGtT]([iI]?[bB])?|[xX])?\s?\Z"
)


@given(_SIZE_SPELLINGS)
def test_size_pattern_matches_the_size_parser(text: str) -> None:
    """Where the parser accepts a size string, the schema does, and the other way round."""
    doc = {"namespaces": [{"name": "a", "start": text, "size": "1G"}]}
    try:
        parse_config(json.dumps(doc), "doc.json")
        parsed = True
    except ConfigError:
        parsed = False
    assert VALIDATOR.is_valid(doc) == parsed


_PERCENT_OR_TIME = st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{0,6})?\s?(%|ns|us|ms|s|m)\Z")


@given(_PERCENT_OR_TIME)
def test_percent_and_time_patterns_match_the_parser(text: str) -> None:
    key = "dram" if text.endswith("%") else "init"
    doc = {"namespaces": [{"name": "a", "size": "1G"}], "budgets": {key: text}}
    try:
        parse_config(json.dumps(doc), "doc.json")
        parsed = True
    except ConfigError:
        parsed = False
    # the schema cannot bound a percentage to 100% or a time to whole nanoseconds
    if parsed:
        assert VALIDATOR.is_valid(doc)
