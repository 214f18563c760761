"""Build the JSON documents vmemplan prints, as plain dicts in a fixed key order.

The shape is the contract written down in schema.py (pydantic models); the tests
validate every document against it. Every figure is an exact integer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from vmemplan import __version__
from vmemplan.cost import (
    KINDS,
    SCHEMA_VERSION,
    SUMMABLE_KEYS,
    estimate_cost,
    system_ram_cost,
    tables_doc,
    total_record,
)
from vmemplan.estimate import resolve_linear_map  # estimate is loaded by every command
from vmemplan.output.stream import Lazy, Shared
from vmemplan.units import SpelledRange

if TYPE_CHECKING:  # only the types: `estimate --json` start-up imports no more than it uses
    from vmemplan.budget import Budgets, Limit
    from vmemplan.check import CheckResult  # the config parser (pydantic, PyYAML)
    from vmemplan.estimate import Estimate, EstimateRequest, Figures
    from vmemplan.kernel.arch import ArchProfile
    from vmemplan.kernel.versions import KernelProfile
    from vmemplan.plan import PlanResult, Row, Subject
    from vmemplan.sizing import Sizing
    from vmemplan.system_ram import SystemRamEstimate


Doc = dict[str, Any]

ASSUMPTIONS = [
    "vmemmap_base is aligned to the top page-table level (no KASLR of the vmemmap)",
    "boot RAM sections have a full, non-deduplicated memmap populated at boot",
    "every allocation succeeds (no fallback from PMD blocks to base pages under pressure)",
    "one NUMA node",
    "the direct (linear) map starts at a top-level table boundary; boot RAM is mapped in "
    "the same linear-map mode as the added ranges",
]


def ranges_doc(pairs: Any) -> list[Doc]:
    """Half-open ranges; one the user typed also carries its spelling (``as_given``)."""
    out: list[Doc] = []
    for r in pairs:
        a, b = r
        doc: Doc = {"start_bytes": a, "end_bytes": b}
        if isinstance(r, SpelledRange):
            doc["as_given"] = r.text
        out.append(doc)
    return out


def walk_doc(fig: Figures) -> Doc:
    """The figures of one walk (``detail.baseline``): the cost keys a walk gives, its
    tables per level and its counters."""
    acct, cost = fig.cost.account, fig.cost
    lo, hi = fig.time_ns
    return {
        "memmap_dram_pages": acct.dram_pages,
        "memmap_device_pages": acct.device_pages,
        "page_table_bytes": fig.page_table_bytes,
        "direct_map_bytes": fig.direct_map_bytes,
        "dram_bytes": fig.dram_bytes,
        "lost_bytes": fig.device_bytes,
        "struct_pages_initialised": cost.struct_pages_initialised,
        "init_ns_low": lo,
        "init_ns_high": hi,
        "page_tables": tables_doc(acct.tables),
        "direct_map_tables": tables_doc(fig.direct_map),
        "altmap_area_struct_pages": cost.altmap_area_initialised,
        "counters": counters_doc(fig),
    }


def counters_doc(fig: Figures) -> Doc:
    """Predicted ``/proc/vmstat`` deltas of one walk."""
    n = fig.cost.nr_memmap_pages
    # device memory is hot-added after boot: it never moves the boot counter
    return {"nr_memmap_pages": n, "nr_memmap_boot_pages": None if n is None else 0}


# A batch asks for the same few kernels thousands of times: the document is built once
# per (kernel, arch). Callers embed it and never change it: it is ``Shared``, so that a
# document of 100,000 namespaces encodes it once, not once per namespace.
@functools.lru_cache(maxsize=256)
def kernel_doc(k: KernelProfile, arch: ArchProfile) -> Doc:
    """The kernel switches in effect on ``arch``, and where each came from."""
    rel = k.release
    return Shared(
        {
            "version": k.label,
            "compound_devmap": k.compound_devmap,
            "optimize_rule": k.optimize_rule,
            "counters": k.counters,
            "early_init_fix": k.early_init_fix,
            "dedup_keep": k.dedup_keep,
            "arm64_subsection_basepages": k.arm64_subsection_basepages,
            "release": (rel.text or rel.label) if rel is not None else k.label,
            "sublevel": rel.sublevel if rel is not None else None,
            "distribution_suffix": (rel.extra or None) if rel is not None else None,
            "switches": {
                name: {"value": value, "source": source} for name, value, source in k.switches(arch)
            },
        }
    )


# A machine document repeats its System RAM in each namespace's ``input.system_ram`` up
# to this many ranges; beyond it (a hostile /proc/iomem of 2,000 ranges) each namespace
# has null there and the ranges are given once, in ``source.system_ram``, so the document
# grows with namespaces + ranges, not with their product.
MAX_REPEATED_RAM_RANGES = 64


def ram_given_once(source: Doc | None, system_ram: Sequence[tuple[int, int]]) -> bool:
    """Whether a namespace of a document with this ``source`` leaves its
    ``input.system_ram`` null: the source gives it once, and it has too many ranges to
    repeat per namespace."""
    return (
        source is not None
        and source.get("system_ram") is not None
        and len(system_ram) > MAX_REPEATED_RAM_RANGES
    )


def estimate_doc(est: Estimate, *, ram_once: bool = False) -> Doc:
    """The ``estimate --json`` document of one estimate (``ram_once``: its
    ``input.system_ram`` is null, given once by the machine document's source)."""
    req, arch, k = est.request, est.request.arch, est.request.kernel
    p = arch.page_size
    layout, pgmap = est.layout, est.pgmap
    cv = est.nr_vmemmap_pages_per_compound
    optimized = est.figures.optimized
    kept = k.dedup_keep if optimized else None
    nr = pgmap.pgmap_vmemmap_nr()
    linear = resolve_linear_map(req)
    fig = est.figures
    acct = fig.cost.account
    altmap = None
    if pgmap.altmap is not None:
        altmap = {
            "base_pfn": pgmap.altmap.base_pfn,
            "reserve": pgmap.altmap.reserve,
            "free": pgmap.altmap.free,
            "alloc": fig.cost.altmap_alloc,
            "align": fig.cost.altmap_align,
        }
    detail = {
        "namespace": None
        if layout is None
        else {
            "size_bytes": layout.size,
            "dataoff_bytes": layout.dataoff,
            "end_trunc_bytes": layout.end_trunc,
            "usable_bytes": layout.usable,
            "npfns": layout.npfns,
        },
        "pgmap": {
            "ranges": ranges_doc((a * p, b * p) for a, b in pgmap.ranges),
            "vmemmap_shift": pgmap.vmemmap_shift,
            "compound_nr_pages": nr,
            "compound_pages": sum(-(-(b - a) // nr) for a, b in pgmap.ranges),
            "vmemmap_pages_per_compound": cv,
            "kept_pages_per_compound": kept,
            "saved_pages_per_compound": None if kept is None else cv - kept,
            "optimized": optimized,
            "altmap": altmap,
        },
        "memmap": {
            "nominal_pages": est.nominal_memmap_pages,
            "saved_pages": est.saved_pages,
            "altmap_align_pfns": acct.altmap_align_pfns,
        },
        "page_tables": tables_doc(acct.tables),
        "direct_map_tables": tables_doc(fig.direct_map),
        "altmap_area_struct_pages": fig.cost.altmap_area_initialised,
        "counters": counters_doc(fig),
        "sections": {
            "touched": fig.cost.sections,
            "early_reused": fig.cost.early_chunks,
        },
        # the same pgmap walked without deduplication (its own, if not deduplicated)
        "baseline": walk_doc(est.baseline),
    }
    device = estimate_cost(est, req.label, detail)
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": {
            "label": req.label,
            "arch": arch.name,
            "page_size": p,
            "struct_page_size": est.struct_page_size,
            "paging_levels": len(arch.levels) + 1,
            "max_physmem_bits": arch.max_physmem_bits,
            "kernel": kernel_doc(k, arch),
            "linear_map": None if linear is None else linear[0],
            "gbpages": None if linear is None or arch.populate != "x86" else linear[1],
            "mode": pgmap.mode,
            "map": None if est.kind == "dax-ranges" else req.map,
            "align_bytes": est.align,
            "vmemmap_shift": pgmap.vmemmap_shift,
            "start_bytes": layout.start if layout else None,
            "size_bytes": layout.size if layout else None,
            "dax_ranges": ranges_doc(req.dax_ranges),
            "system_ram": None if ram_once else ranges_doc(req.system_ram),
            "ps_per_struct_page_low": req.init_cost_ps[0],
            "ps_per_struct_page_high": req.init_cost_ps[1],
            "assumptions": list(ASSUMPTIONS),
        },
        "total": total_record((device,)),
        "devices": [device],
        "notes": list(est.notes),
    }


def to_json(doc: Doc) -> str:
    """One JSON document, two-space indent, keys in contract order, trailing newline."""
    return json.dumps(doc, indent=2) + "\n"


_LINE_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def to_json_line(doc: Doc) -> str:
    """The same document on one line (JSON Lines, for ``--batch``), trailing newline."""
    return _LINE_ENCODER.encode(doc) + "\n"


def device_entry(doc: Doc) -> Doc:
    """A device of a machine or check document: the ``devices[0]`` of its own estimate
    document, with that document's ``input`` and ``notes`` in its ``detail``."""
    (dev,) = doc["devices"]
    return {**dev, "detail": {"input": doc["input"], **dev["detail"], "notes": doc["notes"]}}


def machine_devices(
    estimates: Sequence[Estimate],
    system_ram: Sequence[tuple[str, SystemRamEstimate]],
    source: Doc | None = None,
) -> list[Doc]:
    """The device entries of a machine: the pgmaps, then the devices kmem hot-added."""
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    out = [
        device_entry(estimate_doc(e, ram_once=ram_given_once(source, e.request.system_ram)))
        for e in estimates
    ]
    out += [device_entry(system_ram_doc(e, name)) for name, e in system_ram]
    return out


def machine_doc(
    estimates: list[Estimate],
    source: Doc | None,
    system_ram: list[tuple[str, SystemRamEstimate]] | None = None,
) -> Doc:
    """Several namespaces walked as one machine: each estimate, the dax devices kmem
    hot-added after them as System RAM (``system_ram``: name and estimate), and the total.

    Each entry's figures are what it adds given the ones before it, so page tables and
    early sections two entries share are counted once, and the total is the sum.
    """
    devices = machine_devices(estimates, system_ram or [], source)
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "source": source,
        "total": total_record(devices),
        "devices": devices,
    }


# The cost keys a configuration row carries (cost.py), null where the kernel refuses it.
ROW_COST_KEYS = SUMMABLE_KEYS


def row_doc(row: Row) -> Doc:
    """One configuration of ``compare`` / ``plan``: the choice, then the cost keys of
    the device in that configuration (what ``devices[i]`` of its estimate would say)."""
    e = row.estimate
    doc: Doc = {
        "kernel": row.kernel.label,
        "mode": row.choice.mode,
        "map": row.choice.map,
        "align_bytes": row.choice.align,
        "refused": row.refused,
        "optimized": None if e is None else e.figures.optimized,
    }
    if e is None:
        doc.update(dict.fromkeys(ROW_COST_KEYS))
    else:
        cost = estimate_cost(e)
        doc.update((k, cost[k]) for k in ROW_COST_KEYS)
    return doc


def _input_doc(req: EstimateRequest, kernels: list[KernelProfile], ram_once: bool) -> Doc:
    return {
        "arch": req.arch.name,
        "kernels": [k.label for k in kernels],
        "size_bytes": req.size,
        "start_bytes": req.start,
        "system_ram": None if ram_once else ranges_doc(req.system_ram),
        "struct_page_size": req.struct_page_size or req.arch.struct_page_size,
        "kernel_details": [kernel_doc(k, req.arch) for k in kernels],
        # what resolving each --kernel assumed (distribution suffix, stable backports)
        "kernel_notes": list(dict.fromkeys(n for k in kernels for n in k.notes_for(req.arch))),
        "dax_ranges": ranges_doc(req.dax_ranges),
    }


_DELTA_KEYS = ("dram_bytes", "lost_bytes", "usable_bytes", "init_ns_low", "init_ns_high")


def _delta(row: Doc, now: Doc | None) -> Doc | None:
    """This row minus what the host runs today (same kernel); null when either is refused."""
    if now is None or row["refused"] is not None or now["refused"] is not None:
        return None
    return {k: None if row[k] is None or now[k] is None else row[k] - now[k] for k in _DELTA_KEYS}


def _subject_docs(subject: Subject | None, current: list[Row]) -> tuple[Doc, dict[str, Doc]]:
    """The label/device/current keys, and the current row of each kernel."""
    now = {r.kernel.label: row_doc(r) for r in current}
    dev = None if subject is None else subject.device
    cur = None if subject is None else subject.current
    return {
        "label": None if subject is None else subject.request.label,
        "device": None
        if dev is None
        else {"name": dev.name, "kind": dev.kind, "system_ram": dev.system_ram},
        "current": None
        if cur is None
        else {
            "mode": cur.mode,
            "map": cur.map,
            "align_bytes": cur.align,
            "rows": list(now.values()),
        },
    }, now


def subject_entry(req: EstimateRequest, keys: Doc, now: dict[str, Doc]) -> Doc:
    """A subject of ``compare``/``plan`` as a device entry: the cost keys of what it runs
    today on the first kernel (null where no current configuration is known), and its
    label and existing device in ``detail``; its configurations are the document's rows."""
    cur = keys["current"]
    row = next(iter(now.values()), None)
    known = row is not None and row["refused"] is None
    device = keys["device"]
    if device is not None and device["system_ram"]:
        kind = "system-ram"
    elif req.dax_ranges:
        kind = "dax"
    else:
        kind = "fsdax" if cur is not None and cur["mode"] == "fsdax" else "devdax"
    return {
        "kind": kind,
        "name": device["name"] if device is not None else keys["label"],
        **{k: row[k] if known and row is not None else None for k in SUMMABLE_KEYS},
        "detail": {"label": keys["label"], "device": device},
    }


def subjects_total(devices: Sequence[Doc]) -> Doc:
    """The total of subject entries: each cost key summed where every subject has it,
    null where one does not."""
    counts = dict.fromkeys(KINDS, 0)
    for d in devices:
        counts[d["kind"]] += 1
    sums: Doc = {}
    for key in SUMMABLE_KEYS:
        values = [d[key] for d in devices]
        sums[key] = None if any(v is None for v in values) else sum(values)
    return {"kind": "total", "name": None, **sums, "detail": {"devices": counts}}


def compare_doc(
    req: EstimateRequest,
    kernels: list[KernelProfile],
    rows: list[Row],
    *,
    subject: Subject | None = None,
    current: list[Row] | None = None,
    ram_once: bool = False,
) -> Doc:
    """``compare --json``; with a current configuration each row has its ``delta``
    (``ram_once``: ``input.system_ram`` is null, the host document's source gives it)."""
    keys, now = _subject_docs(subject, current or [])
    docs = [row_doc(r) for r in rows]
    entry = subject_entry(req, keys, now)
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": _input_doc(req, kernels, ram_once),
        **keys,
        "total": subjects_total([entry]),
        "devices": [entry],
        "rows": [{**d, "delta": _delta(d, now.get(d["kernel"]))} for d in docs],
    }


def host_doc(docs: list[Doc], source: Doc) -> Doc:
    """``compare``/``plan`` of a whole host (--from-ndctl, --iomem, --config): one
    compare or plan document per namespace, and where the namespaces came from."""
    devices = [d for doc in docs for d in doc["devices"]]
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "source": source,
        "total": subjects_total(devices),
        "devices": devices,
        "namespaces": docs,
    }


def _budgets_doc(b: Budgets) -> Doc:
    def limit(x: Limit | None) -> Doc | None:
        return None if x is None else {"bytes": x.bytes, "ppm": x.ppm}

    return {"dram": limit(b.dram), "device_loss": limit(b.device_loss), "init_ns": b.init_ns}


def plan_doc(
    req: EstimateRequest,
    kernels: list[KernelProfile],
    budgets: Budgets,
    result: PlanResult,
    *,
    sizing: Sizing | None = None,
    subject: Subject | None = None,
    current: list[Row] | None = None,
    ram_once: bool = False,
) -> Doc:
    """``plan --json``: ranked rows, the recommendation, its ndctl create command and,
    for an existing namespace or dax device, the commands that reconfigure it
    (``ram_once``: as in ``compare_doc()``)."""
    from vmemplan.plan import RANK_BY, ndctl_command, reconfigure_commands  # noqa: PLC0415

    rec = result.recommended
    size = sizing.raw_size if sizing is not None else req.size or 0
    keys, now = _subject_docs(subject, current or [])
    device = None if subject is None else subject.device
    reconfigure: list[str] = []
    if rec is not None and device is not None:
        reconfigure = reconfigure_commands(device, subject.current if subject else None, rec.choice)
    rec_doc = None if rec is None else row_doc(rec)
    creates = rec is not None and not req.dax_ranges  # ndctl creates namespaces, not dax ranges
    entry = subject_entry(req, keys, now)
    doc: Doc = {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": "ok",
        "input": _input_doc(req, kernels, ram_once),
        **keys,
        "total": subjects_total([entry]),
        "devices": [entry],
        "budgets": _budgets_doc(budgets),
        "recommended": None
        if rec_doc is None
        else {**rec_doc, "delta": _delta(rec_doc, now.get(rec_doc["kernel"]))},
        "ndctl_command": ndctl_command(rec.choice, size) if rec is not None and creates else None,
        "reconfigure_commands": reconfigure,
        "rows": [
            {
                **d,
                "delta": _delta(d, now.get(d["kernel"])),
                "fits": r.fits,
                "rank": r.rank,
                "pareto": r.pareto,
                "failures": r.failures,
            }
            for r in result.rows
            for d in [row_doc(r)]
        ],
    }
    doc["rank_by"] = list(RANK_BY)
    doc["requested_usable_bytes"] = sizing.requested if sizing else None
    doc["raw_size_bytes"] = sizing.raw_size if sizing else None
    doc["usable_bytes"] = sizing.usable if sizing else None
    doc["step_bytes"] = sizing.step if sizing else None
    return doc


def check_doc(results: list[CheckResult], *, lazy: bool = False) -> Doc:
    """``check --format json``: the overall status, every finding, the total and devices
    of the whole run (every file's, in file order), and each file's.

    ``lazy``: the ``devices`` lists are ``Lazy``, their documents made as ``write_json()``
    writes them (100,000 namespaces need not be in memory at once)."""
    order = {"pass": 0, "fail": 1, "error": 2}
    status = max((r.status for r in results), key=order.__getitem__, default="pass")
    totals = [total_record(_check_costs(r)) for r in results]
    # the run's entries are its files (their devices are listed once, under files[i])
    devices = [{**t, "kind": "file", "name": r.file} for r, t in zip(results, totals, strict=True)]
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "status": status,
        "findings": [
            {
                "file": f.file,
                "location": f.location,
                "line": f.line,
                "severity": f.severity,
                "message": f.message,
            }
            for r in results
            for f in r.findings
        ],
        "total": _sum_totals(totals),
        "devices": devices,
        "files": [
            {
                "file": r.file,
                "status": r.status,
                "budget_capacity_bytes": r.totals.capacity_bytes,
                "total": total,
                "devices": Lazy(_check_devices(r)) if lazy else list(_check_devices(r)),
            }
            for r, total in zip(results, totals, strict=True)
        ],
    }


def _sum_totals(totals: list[Doc]) -> Doc:
    """The total of several totals (every key summed, the counts by kind too)."""
    if not totals:
        return total_record(())
    out = {**totals[0], "detail": {"devices": dict(totals[0]["detail"]["devices"])}}
    for t in totals[1:]:
        for key, value in t.items():
            if isinstance(value, int):
                out[key] += value
        for kind, n in t["detail"]["devices"].items():
            out["detail"]["devices"][kind] += n
    return out


def _check_costs(r: CheckResult) -> Iterator[Doc]:
    """The cost records of a file's entries, without their detail (for its total)."""
    from vmemplan.hugetlb import pool_entry  # noqa: PLC0415
    from vmemplan.output.system_ram_report import unoptimized_bytes  # noqa: PLC0415

    for e in r.estimates:
        yield estimate_cost(e)
    for name, sr in r.system_ram:
        yield system_ram_cost(sr, name, dram_bytes_unoptimized=unoptimized_bytes(sr))
    for pc in r.hugetlb:
        yield pool_entry(pc.result, pc.kernel, pc.page_size, pc.on)


def _check_devices(r: CheckResult) -> Iterator[Doc]:
    """A file's entries in file order: the pgmaps, the kmem devices, the pools."""
    from vmemplan.hugetlb import pool_entry  # noqa: PLC0415
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    for e in r.estimates:
        yield device_entry(estimate_doc(e))
    for name, sr in r.system_ram:
        yield device_entry(system_ram_doc(sr, name))
    for pc in r.hugetlb:
        yield pool_entry(pc.result, pc.kernel, pc.page_size, pc.on)
