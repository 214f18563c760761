"""Small files cannot buy big CPU: every step of reading a config is linear in it.

Before: problem de-duplication compared each problem with every earlier one (8,000
unknown keys: 4.8 s; 50,000: killed after 120 s), and the line scanner stepped through an
erroring string one Python call per character (~0.7 s per MB, 2.4 s per MB in TOML).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.bounded import run

# The problems listed per file; the rest are counted.
LISTED = 50


def test_many_unknown_keys_are_reported_quickly_and_capped(tmp_path: Path) -> None:
    n = 30_000  # quadratic de-duplication: ~60 s; linear: ~2 s
    path = tmp_path / "keys.toml"
    path.write_text("".join(f"k{i} = 1\n" for i in range(n)))
    result = run("check", str(path), timeout_s=15)
    assert result.code == 2
    lines = result.stdout.splitlines()
    # the first LISTED problems by line, "and N more", the summary
    assert lines[0] == f"{path}:1: k0: unknown key 'k0'"
    assert len(lines) == LISTED + 2
    total = n + 1  # every key, and "nothing to estimate"
    assert lines[-2] == f"{path}: (file): and {total - LISTED:,} more problems (not listed)"
    assert lines[-1] == f"{path}: error ({total:,} problems)"


def test_the_json_report_lists_the_same_capped_problems(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text("".join(f"k{i} = 1\n" for i in range(200)))
    result = run("check", "--json", str(path))
    doc = json.loads(result.stdout)
    assert len(doc["findings"]) == LISTED + 1
    assert doc["findings"][-1]["message"] == "and 151 more problems (not listed)"


@pytest.mark.parametrize("fmt", ["toml", "json", "yaml"])
def test_an_erroring_long_string_is_located_quickly(tmp_path: Path, fmt: str) -> None:
    big = "x" * (16 << 20)  # 16 MiB: a Python step per character took 11-38 s; now ~1-2 s
    doc = {"namespaces": [{"name": "a", "size": big}]}
    text = {
        "toml": f'[[namespaces]]\nname = "a"\nsize = "{big}"\n',
        "json": json.dumps(doc, indent=1),
        "yaml": f'namespaces:\n- name: a\n  size: "{big}"\n',
    }[fmt]
    path = tmp_path / f"big.{fmt}"
    path.write_text(text)
    result = run("check", str(path), timeout_s=8)
    assert result.code == 2
    first = result.stdout.splitlines()[0]
    line = {"toml": 3, "json": 5, "yaml": 3}[fmt]
    assert first.startswith(f"{path}:{line}: namespaces[0].size: ")
    assert len(first) < 300  # and the value is not echoed back
