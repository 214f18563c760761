"""Build the JSON documents vmemplan prints, as plain dicts in a fixed key order.

The shape is the contract written down in schema.py (pydantic models); the tests
validate every document against it. Every figure is an exact integer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vmemplan import __version__
from vmemplan.estimate import resolve_linear_map  # estimate is loaded by every command
from vmemplan.output.direct_map_report import direct_map_doc
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

SCHEMA_VERSION = 1

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


def figures_doc(est: Estimate, fig: Figures, saved_pages: int) -> Doc:
    """The figures of one walk: memmap, page tables, bytes, init work, counters."""
    acct, cost = fig.cost.account, fig.cost
    lo, hi = fig.time_ns
    dmap = direct_map_doc(fig.direct_map, fig.direct_map_bytes)
    return {
        "memmap": {
            "nominal_pages": est.nominal_memmap_pages,
            "dram_pages": acct.dram_pages,
            "device_pages": acct.device_pages,
            "saved_pages": saved_pages,
            "altmap_align_pfns": acct.altmap_align_pfns,
        },
        "page_tables": {
            "pte_pages": acct.tables["pte"],
            "pmd_pages": acct.tables["pmd"],
            "pud_pages": acct.tables["pud"],
            "p4d_pages": acct.tables["p4d"],
            "bytes": fig.page_table_bytes,
            "direct_map": dmap,
        },
        "dram_bytes": fig.dram_bytes,
        "device_bytes": fig.device_bytes,
        "init": {
            "struct_pages_initialised": cost.struct_pages_initialised,
            "altmap_area_struct_pages": cost.altmap_area_initialised,
            "time_ns_low": lo,
            "time_ns_high": hi,
        },
        "counters": {
            "nr_memmap_pages": cost.nr_memmap_pages,
            # device memory is hot-added after boot: it never moves the boot counter
            "nr_memmap_boot_pages": None if cost.nr_memmap_pages is None else 0,
        },
    }


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
    fig = figures_doc(est, est.figures, est.saved_pages)
    if est.baseline is est.figures:  # not deduplicated: its own baseline, nothing saved
        base = {**fig, "memmap": {**fig["memmap"], "saved_pages": 0}}
    else:
        base = figures_doc(est, est.baseline, 0)
    altmap = None
    if pgmap.altmap is not None:
        altmap = {
            "base_pfn": pgmap.altmap.base_pfn,
            "reserve": pgmap.altmap.reserve,
            "free": pgmap.altmap.free,
            "alloc": est.figures.cost.altmap_alloc,
            "align": est.figures.cost.altmap_align,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
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
        "struct_pages": est.struct_pages,
        **fig,
        "sections": {
            "touched": est.figures.cost.sections,
            "early_reused": est.figures.cost.early_chunks,
        },
        "baseline": base,
        "notes": list(est.notes),
    }


def to_json(doc: Doc) -> str:
    """One JSON document, two-space indent, keys in contract order, trailing newline."""
    return json.dumps(doc, indent=2) + "\n"


_LINE_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def to_json_line(doc: Doc) -> str:
    """The same document on one line (JSON Lines, for ``--batch``), trailing newline."""
    return _LINE_ENCODER.encode(doc) + "\n"


def machine_doc(
    estimates: list[Estimate],
    source: Doc | None,
    system_ram: list[tuple[str, SystemRamEstimate]] | None = None,
) -> Doc:
    """Several namespaces walked as one machine: each estimate, the dax devices kmem
    hot-added after them as System RAM (``system_ram``: name and estimate), and the total.

    Each entry's figures are what it adds given the ones before it, so page tables and
    early sections two entries share are counted once, and the totals are the sums (a
    kmem device's device bytes: those that do not become RAM).
    """
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "source": source,
        "namespaces": [
            estimate_doc(
                e,
                ram_once=ram_given_once(source, e.request.system_ram),
            )
            for e in estimates
        ],
        "system_ram": [{"name": name, **system_ram_doc(e)} for name, e in system_ram or []],
        "total": machine_total(estimates, [e for _, e in system_ram or []]),
    }


def machine_total(estimates: list[Estimate], srs: list[SystemRamEstimate]) -> dict[str, int]:
    """The machine document's ``total``: sums over the namespaces and the system-ram
    devices (``srs``), without building their documents."""
    total_figs = [e.figures for e in estimates]
    return {
        "namespaces": len(estimates),
        "struct_pages": sum(e.struct_pages for e in estimates)
        + sum(e.cost.added_bytes // e.cost.page_size for e in srs),
        "dram_bytes": sum(f.dram_bytes for f in total_figs) + sum(e.dram_bytes for e in srs),
        "device_bytes": sum(f.device_bytes for f in total_figs)
        + sum(e.device_bytes - e.usable_bytes for e in srs),
        "memmap_dram_pages": sum(f.cost.account.dram_pages for f in total_figs)
        + sum(e.cost.account.dram_pages for e in srs),
        "memmap_device_pages": sum(f.cost.account.device_pages for f in total_figs)
        + sum(e.cost.account.device_pages for e in srs),
        "page_table_bytes": sum(f.page_table_bytes for f in total_figs)
        + sum(e.page_table_bytes for e in srs),
        "direct_map_bytes": sum(f.direct_map_bytes for f in total_figs)
        + sum(e.direct_map_bytes for e in srs),
        "struct_pages_initialised": sum(f.cost.struct_pages_initialised for f in total_figs)
        + sum(e.cost.struct_pages_initialised for e in srs),
        "time_ns_low": sum(f.time_ns[0] for f in total_figs) + sum(e.time_ns[0] for e in srs),
        "time_ns_high": sum(f.time_ns[1] for f in total_figs) + sum(e.time_ns[1] for e in srs),
        # kmem's memmap has no deduplication: its baseline is what it costs
        "baseline_dram_bytes": sum(e.baseline.dram_bytes for e in estimates)
        + sum(e.dram_bytes for e in srs),
        "system_ram": len(srs),
    }


def row_doc(row: Row) -> Doc:
    """One configuration of ``compare`` / ``plan``."""
    e = row.estimate
    doc: Doc = {
        "kernel": row.kernel.label,
        "mode": row.choice.mode,
        "map": row.choice.map,
        "align_bytes": row.choice.align,
        "refused": row.refused,
        "optimized": None,
        "dram_bytes": None,
        "device_bytes": None,
        "usable_bytes": None,
        "struct_pages_initialised": None,
        "time_ns_low": None,
        "time_ns_high": None,
        "dram_saved_bytes": None,
        "baseline_dram_bytes": None,
    }
    if e is not None:
        f = e.figures
        doc.update(
            optimized=f.optimized,
            dram_bytes=f.dram_bytes,
            device_bytes=f.device_bytes,
            # a dax device has no info block or altmap: all of its ranges are usable
            usable_bytes=e.layout.usable
            if e.layout
            else sum(hi - lo for lo, hi in e.request.dax_ranges),
            struct_pages_initialised=f.cost.struct_pages_initialised,
            time_ns_low=f.time_ns[0],
            time_ns_high=f.time_ns[1],
            dram_saved_bytes=e.baseline.dram_bytes - f.dram_bytes,
            baseline_dram_bytes=e.baseline.dram_bytes,
        )
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


_DELTA_KEYS = ("dram_bytes", "device_bytes", "usable_bytes", "time_ns_low", "time_ns_high")


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
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "input": _input_doc(req, kernels, ram_once),
        **keys,
        "rows": [{**d, "delta": _delta(d, now.get(d["kernel"]))} for d in docs],
    }


def host_doc(docs: list[Doc], source: Doc) -> Doc:
    """``compare``/``plan`` of a whole host (--from-ndctl, --iomem, --config): one
    compare or plan document per namespace, and where the namespaces came from."""
    return {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "source": source,
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
    doc: Doc = {
        "schema_version": SCHEMA_VERSION,
        "vmemplan_version": __version__,
        "input": _input_doc(req, kernels, ram_once),
        **keys,
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
    """``check --format json``: the overall status, every finding, each file's estimates.

    ``lazy``: each file's ``namespaces`` is a ``Lazy`` list, its documents made as
    ``write_json()`` writes them (100,000 namespaces need not be in memory at once)."""
    order = {"pass": 0, "fail": 1, "error": 2}
    status = max((r.status for r in results), key=order.__getitem__, default="pass")
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
        "files": [_check_file_doc(r, lazy) for r in results],
    }


def _check_file_doc(r: CheckResult, lazy: bool = False) -> Doc:
    """One file of ``check --format json``: every entry's document and the total of all."""
    from vmemplan.check import sr_device_loss  # noqa: PLC0415
    from vmemplan.hugetlb import pool_doc  # noqa: PLC0415
    from vmemplan.output.system_ram_report import system_ram_doc  # noqa: PLC0415

    total: dict[str, int] = machine_total(r.estimates, [])
    srs = [e for _, e in r.system_ram]
    for e in srs:
        c, p = e.cost, e.cost.page_size
        total["struct_pages"] += c.added_bytes // p
        total["dram_bytes"] += e.dram_bytes
        total["device_bytes"] += sr_device_loss(e)
        total["memmap_dram_pages"] += c.account.dram_pages
        total["memmap_device_pages"] += c.account.device_pages
        total["page_table_bytes"] += e.page_table_bytes
        total["direct_map_bytes"] += e.direct_map_bytes
        total["struct_pages_initialised"] += c.struct_pages_initialised
        total["time_ns_low"] += e.time_ns[0]
        total["time_ns_high"] += e.time_ns[1]
        total["baseline_dram_bytes"] += e.dram_bytes  # kmem's memmap has no deduplication
    for pc in r.hugetlb:
        v = pc.result.vmemmap
        total["dram_bytes"] += pc.total_dram_bytes
        total["page_table_bytes"] += v.pte_tables * pc.page_size
        if pc.on is None:  # carved from boot RAM, whose memmap the file does not count
            total["struct_pages"] += pc.pool_bytes // pc.page_size
            total["memmap_dram_pages"] += v.kept_pages
            total["baseline_dram_bytes"] += v.vmemmap_pages * pc.page_size
        else:  # its struct pages are the system-ram device's; HVO changes its memmap
            total["memmap_dram_pages"] += (v.kept_pages if pc.hosted_dram_pages else 0) - (
                pc.hosted_dram_pages
            )
    total["system_ram"] = len(srs)
    total["hugetlb_pools"] = len(r.hugetlb)
    total["capacity_bytes"] = r.totals.capacity_bytes
    return {
        "file": r.file,
        "status": r.status,
        "namespaces": Lazy(map(estimate_doc, r.estimates))
        if lazy
        else [estimate_doc(e) for e in r.estimates],
        "system_ram": [{"name": name, **system_ram_doc(e)} for name, e in r.system_ram],
        "hugetlb": [
            {**pool_doc(pc.result, pc.kernel, pc.page_size), "on": pc.on} for pc in r.hugetlb
        ],
        "total": total,
    }
