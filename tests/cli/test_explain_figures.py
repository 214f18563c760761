"""Every figure an ``explain`` drawing shows is the one ``estimate --json`` (``--mode
system-ram``, ``hugetlb --json``) gives for the same input: one test per drawing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.cli.explain_golden import CASES
from tests.helpers import run_cli
from vmemplan.output.explain_schema import ExplainDoc

# A count and what it counts, as the drawings print them ("131,072 pages", "7 PTE tables").
COUNT = re.compile(
    r"(?<![\w.,-])(\d{1,3}(?:,\d{3})*|\d+) "
    r"(pages?|pfns?|PTE tables?|compound pages|compound heads?|memory blocks|folios|"
    r"full sections|windows?|new tables?)\b"
)


def _args(name: str) -> list[str]:
    args = CASES[name]
    i = args.index("--drawing")
    return args[:i] + args[i + 2 :]


def _reference(name: str) -> dict[str, Any]:
    """The document the explain case must agree with."""
    args = _args(name)
    if name == "hvo":
        out = run_cli("hugetlb", *args, "--json")
    else:
        out = run_cli("estimate", *args, "--json")
    assert out.exit_code == 0, out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def _explain(name: str, *extra: str) -> Any:
    out = run_cli("explain", *CASES[name], *extra)
    assert out.exit_code == 0, out.stderr
    return out


def _ints(value: Any) -> set[int]:
    """Every integer of a JSON value."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_ints(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_ints(v) for v in value)) if value else set()
    return set()


def _counts(text: str) -> list[tuple[int, str]]:
    joined = " ".join(text.split())  # a count and its word may sit on two lines
    return [(int(m.group(1).replace(",", "")), m.group(2)) for m in COUNT.finditer(joined)]


@pytest.mark.parametrize("name", list(CASES))
def test_json_has_the_reference_cost_records(name: str) -> None:
    """`explain --json` carries the same total and devices as the reference document."""
    ref = _reference(name)
    doc = json.loads(_explain(name, "--json").stdout)
    ExplainDoc.model_validate(doc)
    assert doc["total"] == ref["total"]
    assert doc["devices"] == ref["devices"]
    assert doc["schema_version"] == ref["schema_version"] == 2


@pytest.mark.parametrize("name", list(CASES))
def test_every_count_drawn_is_a_figure_of_the_documents(name: str) -> None:
    """Each "N pages" (pfns, PTE tables, compound pages, ...) drawn is an integer of the
    reference document or of the drawing's own data in `explain --json`."""
    ref = _reference(name)
    doc = json.loads(_explain(name, "--json").stdout)
    known = _ints(ref) | _ints(doc["drawings"])
    counts = _counts(_explain(name).stdout)
    assert counts  # the drawing shows figures at all
    assert [(n, w) for n, w in counts if n not in known] == []


def _shown(text: str, n: int, word: str) -> bool:
    return (n, word) in _counts(text) or (n, word + "s") in _counts(text)


def test_dedup_figures() -> None:
    ref = _reference("dedup")["devices"][0]
    text = _explain("dedup").stdout
    pgmap, memmap = ref["detail"]["pgmap"], ref["detail"]["memmap"]
    assert _shown(text, ref["memmap_dram_pages"], "page")
    assert _shown(text, ref["detail"]["baseline"]["memmap_dram_pages"], "page")
    assert _shown(text, memmap["nominal_pages"], "page")
    assert f"{memmap['saved_pages']:,} saved" in " ".join(text.split())
    assert f"x {pgmap['compound_pages']:,} compound pages" in text
    assert f"{pgmap['kept_pages_per_compound']} vmemmap pages kept per compound page" in text
    assert f"{pgmap['vmemmap_pages_per_compound']} vmemmap pages per compound" in text
    # the runs add up to the device: data pages and PTE tables
    runs = json.loads(_explain("dedup", "--json").stdout)["drawings"]["dedup"]["runs"]
    assert sum(r["memmap_dram_pages"] for r in runs) == ref["memmap_dram_pages"]
    assert sum(r["new_tables"]["pte"] for r in runs) == ref["detail"]["page_tables"]["pte"]
    assert ref["detail"]["sections"]["early_reused"] == 1
    assert [r["path"] for r in runs] == ["early", "compound", "compound"]


def test_altmap_figures() -> None:
    ref = _reference("altmap")["devices"][0]
    text = " ".join(_explain("altmap").stdout.split())
    assert _shown(text, ref["memmap_device_pages"], "page")
    assert _shown(text, ref["memmap_dram_pages"], "page")
    assert f"free {ref['detail']['pgmap']['altmap']['free']:,} pfns" in text
    assert f"{ref['detail']['memmap']['altmap_align_pfns']:,} pfns skipped" in text
    tables = ref["detail"]["page_tables"]
    assert f"PTE {tables['pte']:,}, PMD {tables['pmd']:,}, PUD {tables['pud']:,}" in text
    # the data segment is the usable namespace
    assert f"{ref['detail']['namespace']['npfns']:,} pfns: the dax device" in text


def test_kmem_figures() -> None:
    ref = _reference("kmem")["devices"][0]
    text = " ".join(_explain("kmem").stdout.split())
    detail = ref["detail"]
    assert _shown(text, ref["memmap_device_pages"], "page")
    assert _shown(text, ref["memmap_dram_pages"], "page")
    assert _shown(text, detail["managed_pages"], "page")
    assert f"{detail['placement']['blocks_self_hosted']} memory blocks" in text
    assert f"first {detail['placement']['altmap_pages_per_block']:,} pages" in text


def test_hvo_figures() -> None:
    ref = _reference("hvo")
    text = " ".join(_explain("hvo").stdout.split())
    for dev in ref["devices"]:
        d = dev["detail"]
        assert f"x {d['nr_folios']:,} folios: {d['vmemmap_pages_unoptimized']:,} pages" in text
        assert f"{dev['memmap_dram_pages']:,} pages" in text
        assert f"{d['page_tables']['pte']:,} PTE tables from split PMDs" in text
        assert f"{d['kept_pages_per_folio']} kept, {d['freed_pages_per_folio']:,} freed" in text


def test_page_table_figures() -> None:
    ref = _reference("page-tables")["devices"][0]
    text = " ".join(_explain("page-tables").stdout.split())
    tables, dm = ref["detail"]["page_tables"], ref["detail"]["direct_map_tables"]
    for level in ("pte", "pmd", "pud"):
        assert re.search(
            rf"{level.upper()}: a table maps .*? spanned, {tables[level]:,} new table", text
        )
    assert f"PTE {dm['pte']:,}, PMD {dm['pmd']:,}, PUD {dm['pud']:,}, P4D {dm['p4d']:,}" in text
