"""The ``vmemplan explain --json`` document: the layouts of vmemplan/explain/ as data.

Its ``total`` and ``devices`` are those of the reference document for the same input
(``estimate --json``, ``estimate --mode system-ram --json``, ``hugetlb --json``), so
every figure a drawing shows can be checked against the cost contract.
"""

from __future__ import annotations

from typing import Any, Literal

from vmemplan import __version__
from vmemplan.cost import SCHEMA_VERSION
from vmemplan.explain.layout import (
    DeviceExplanation,
    HvoLayout,
    KmemExplanation,
    PageTablesLayout,
)
from vmemplan.kernel.arch import ArchProfile
from vmemplan.output.report import Doc, estimate_doc

ExplainKind = Literal["device", "system-ram", "hugetlb"]

# Every drawing `explain` can show, in the order it shows them.
DRAWINGS = ("dedup", "altmap", "kmem", "hvo", "page-tables")


def _data(value: Any) -> Any:
    """A layout (NamedTuples of integers and words) as JSON-ready dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: _data(v) for k, v in value._asdict().items()}
    if isinstance(value, tuple | list):
        return [_data(v) for v in value]
    return value


def _empty() -> dict[str, Any]:
    return {"dedup": None, "altmap": None, "kmem": None, "hvo": None, "page_tables": None}


def _page_tables(pt: PageTablesLayout) -> Doc:
    out: Doc = _data(pt)
    return out


def _doc(kind: ExplainKind, base: Doc, drawings: dict[str, Any], arch: ArchProfile) -> Doc:
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "kind": kind,
        "input": {
            "arch": _arch(base),
            "kernel": _kernel(base),
            "page_size_bytes": arch.page_size,
            "pmd_bytes": arch.pmd_size,
            "linear_map": base["input"].get("linear_map"),
            "gbpages": base["input"].get("gbpages"),
        },
        "drawings": drawings,
        "total": base["total"],
        "devices": base["devices"],
        "notes": base.get("notes", []),
    }


def _arch(base: Doc) -> str:
    arch: str = base["input"]["arch"]
    return arch


def _kernel(base: Doc) -> str:
    k = base["input"]["kernel"]
    label: str = k["release"] if isinstance(k, dict) else k
    return label


def device_explain_doc(x: DeviceExplanation) -> Doc:
    """``explain`` of a namespace or dax device (the estimate document's figures)."""
    base = estimate_doc(x.estimate)
    drawings = _empty()
    drawings["dedup"] = {"compound": _data(x.compound), "runs": _data(x.runs)}
    drawings["altmap"] = None if x.altmap is None else _data(x.altmap)
    drawings["page_tables"] = _page_tables(x.page_tables)
    return _doc("device", base, drawings, x.estimate.request.arch)


def system_ram_explain_doc(x: KmemExplanation, name: str | None = None) -> Doc:
    """``explain --mode system-ram``: the dax kmem hot-add, block by block (``name``: the
    device's, a host's device)."""
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    base = system_ram_doc(x.estimate, name)
    drawings = _empty()
    drawings["kmem"] = _data(x.kmem)
    drawings["page_tables"] = _page_tables(x.page_tables)
    return _doc("system-ram", base, drawings, x.estimate.request.arch)


def hugetlb_explain_doc(base: Doc, pools: list[HvoLayout], arch: ArchProfile) -> Doc:
    """``explain --hugetlb``: one folio of each pool before and after HVO."""
    drawings = _empty()
    drawings["hvo"] = _data(pools)
    return _doc("hugetlb", base, drawings, arch)
