"""Every published schema is valid JSON Schema 2020-12 with ECMA-262 patterns (issue 6 item 15).

Tools like check-jsonschema compile ``pattern`` as ECMA-262 regular expressions in unicode
mode, where an identity escape such as ``\\-`` outside a character class is a syntax error.
``regress`` is the ECMA-262 engine jsonschema's author publishes; with flag ``u`` it refuses
what a unicode-mode RegExp refuses.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regress
import yaml
from click.testing import CliRunner

from vmemplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
KINDS = ["config", "report", "estimate", "compare", "plan", "machine", "hugetlb"]
NDCTL = ROOT / "tests" / "data" / "ndctl"
GOOD_CONFIG = ROOT / "tests" / "data" / "config" / "good"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(kind: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    return doc


def _patterns(node: object) -> Iterator[str]:
    """Every ``pattern`` value and ``patternProperties`` key anywhere in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            if key == "patternProperties" and isinstance(value, dict):
                yield from value
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = _schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=cls.FORMAT_CHECKER)


def test_regress_is_unicode_strict() -> None:
    """The checker itself refuses what the old config schema had, and takes the fixed form."""
    with pytest.raises(regress.RegressError):
        regress.Regex(r"^x86_64\-la57$", "u")
    assert regress.Regex("^x86_64-la57$", "u").find("x86_64-la57") is not None


@pytest.mark.parametrize("kind", KINDS)
def test_schema_declares_dialect_and_id(kind: str) -> None:
    schema = _schema(kind)
    assert schema["$schema"] == DIALECT
    assert schema["$id"] == f"urn:vmemplan:schema:{kind}:{1 if kind == 'config' else 2}"
    _validator(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_every_pattern_compiles_as_ecma262_unicode(kind: str) -> None:
    patterns = sorted(set(_patterns(_schema(kind))))
    for pattern in patterns:
        try:
            regress.Regex(pattern, "u")
        except regress.RegressError as exc:  # pragma: no cover - the failure message
            pytest.fail(f"{kind}: pattern {pattern!r} is not ECMA-262 (unicode): {exc}")


def test_config_schema_has_patterns_to_check() -> None:
    """The config schema is where patterns live: make sure the walk finds them."""
    assert len(set(_patterns(_schema("config")))) >= 8


def test_arch_pattern_matches_like_the_parser() -> None:
    """The ECMA form of the case-insensitive arch words matches what the file may spell."""
    (arch,) = (p for p in _patterns(_schema("config")) if "86_64" in p)
    rx = regress.Regex(arch, "u")
    for word in ("x86_64", " X86_64-LA57 ", "arm64-16k", "ppc64-radix-4K", "riscv64"):
        assert rx.find(word) is not None, word
    for word in ("x86_64la57", "x86-64", "arm64-8k", "x86_64-la57x"):
        assert rx.find(word) is None, word


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), result.output  # 2: a report with error findings
    return json.loads(result.stdout)


DOCUMENTS: list[tuple[str, tuple[str, ...]]] = [
    ("estimate", ("estimate", "--size", "1T", "--json")),
    ("estimate", ("estimate", "--size", "256G", "--map", "dev", "--mode", "fsdax", "--json")),
    ("estimate", ("estimate", "--dax-range", "0x2000000000+64G", "--json")),
    ("machine", ("estimate", "--from-ndctl", str(NDCTL / "list_RN_regions.json"), "--json")),
    ("compare", ("compare", "--size", "1T", "--json")),
    ("compare", ("compare", "--size", "1T", "--kernel", "5.15", "--kernel", "6.12", "--json")),
    ("plan", ("plan", "--size", "1T", "--max-dram", "2G", "--json")),
    ("plan", ("plan", "--usable", "1T", "--json")),
    ("report", ("check", str(ROOT / "examples" / "two-socket-vm-host.toml"), "--format", "json")),
    ("report", ("check", str(GOOD_CONFIG / "host.toml"), "--format", "json")),
    ("hugetlb", ("hugetlb", "--hugetlb", "1G:64", "--hugetlb", "2M:1024", "--json")),
]


@pytest.mark.parametrize(("kind", "args"), DOCUMENTS, ids=[" ".join(a) for _, a in DOCUMENTS])
def test_real_documents_validate_with_format_checker(kind: str, args: tuple[str, ...]) -> None:
    _validator(kind).validate(_cli_json(*args))


@pytest.mark.parametrize("name", ["host.toml", "host.yaml", "host.json"])
def test_good_config_files_validate_with_format_checker(name: str) -> None:
    path = GOOD_CONFIG / name
    text = path.read_text()
    raw = (
        tomllib.loads(text)
        if path.suffix == ".toml"
        else yaml.safe_load(text)
        if path.suffix == ".yaml"
        else json.loads(text)
    )
    _validator("config").validate(raw)


def test_a_wrong_document_is_refused() -> None:
    """The validators are not vacuous: a figure spelled as text fails."""
    doc = _cli_json("estimate", "--size", "1T", "--json")
    doc["dram_bytes"] = "16 GiB"
    with pytest.raises(jsonschema.ValidationError):
        _validator("estimate").validate(doc)
