"""A hostile ``cxl list`` file (--from-cxl): capped, escaped, linear.

The reader walks the document with a loop (no recursion), the overlap checks of its
regions are binary searches, and a value is echoed as a short escaped excerpt.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.bounded import run

OSC_TITLE = "\x1b]0;TITLE\x07"


def test_an_escape_sequence_in_a_value_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "cxl.json"
    region = {"region": "region0", "resource": OSC_TITLE + "x" * 500, "decode_state": "commit"}
    path.write_text(json.dumps([region]))
    result = run("estimate", "--from-cxl", str(path))
    assert result.code == 2
    (line,) = result.err_lines
    assert "\x1b" not in line
    assert "'\\x1b]0;TITL'" in line
    assert "[0].resource" in line
    assert len(line) < 300


def test_many_regions_stay_within_the_bounds(tmp_path: Path) -> None:
    """2,000 1 GiB RAM regions, each checked against boot RAM by binary search: the run
    is linear in the regions (about 1 ms each, mostly the per-device estimate and its
    JSON: benchmarks/cxl_list.py)."""
    n = 2_000
    gib = 1 << 30
    regions = [
        {"region": f"region{i}", "resource": (1024 + 2 * i) * gib, "size": gib, "type": "ram",
         "decode_state": "commit"}
        for i in range(n)
    ]  # fmt: skip
    path = tmp_path / "cxl.json"
    path.write_text(json.dumps(regions))
    result = run("estimate", "--from-cxl", str(path), "--json")
    assert result.code == 0, result.stderr[:500]
    assert len(json.loads(result.stdout)["devices"]) == n
