"""``estimate``'s renders: one namespace or dax device, and a System RAM hot-add."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import _pages, format_count, format_percent, say
from vmemplan.output.report import Doc
from vmemplan.units import format_iec, format_ns, format_ns_range, format_size_exact


def _direct_map(pt: Doc) -> str:
    dm = pt["direct_map"]
    if dm is None:
        return "not modelled"
    return (
        f"{format_count(dm['pte_pages'])} / {format_count(dm['pmd_pages'])} / "
        f"{format_count(dm['pud_pages'])} / {format_count(dm['p4d_pages'])}"
    )


def _fig_rows(fig: Doc, page_size: int) -> list[str]:
    pt = fig["page_tables"]
    init = fig["init"]
    return [
        _pages(fig["memmap"]["dram_pages"], page_size),
        _pages(fig["memmap"]["device_pages"], page_size),
        f"{format_count(pt['pte_pages'])} / {format_count(pt['pmd_pages'])} / "
        f"{format_count(pt['pud_pages'])} / {format_count(pt['p4d_pages'])}",
        format_iec(pt["bytes"]),
        _direct_map(pt),
        format_iec(fig["dram_bytes"]),
        format_iec(fig["device_bytes"]),
        format_count(init["struct_pages_initialised"]),
        format_ns_range(init["time_ns_low"], init["time_ns_high"]),
        format_count(fig["counters"]["nr_memmap_pages"]),
    ]


_FIG_LABELS = [
    "memmap in DRAM (pages)",
    "memmap on device (altmap)",
    "page tables PTE/PMD/PUD/P4D",
    "page tables (bytes)",
    "direct map PTE/PMD/PUD/P4D",
    "DRAM used",
    "device capacity lost",
    "struct pages initialised",
    "init time (estimate)",
    "nr_memmap_pages delta",
]


def _geometry_table(doc: Doc) -> Table:
    inp, pg = doc["input"], doc["pgmap"]
    title = (
        f"{inp['arch']}, Linux {inp['kernel']['version']}, {inp['mode']}"
        + (f", map={inp['map']}" if inp["map"] else "")
        + f", align {format_size_exact(inp['align_bytes'])} (vmemmap_shift {inp['vmemmap_shift']})"
    )
    geo = Table(title=title, show_header=False, title_justify="left")
    geo.add_column("what")
    geo.add_column("value", justify="right")
    ns = doc["namespace"]
    if ns is not None:
        geo.add_row("namespace", f"{format_iec(ns['size_bytes'])} at {inp['start_bytes']:#x}")
        geo.add_row(
            "dataoff / end_trunc",
            f"{format_iec(ns['dataoff_bytes'])} / {format_iec(ns['end_trunc_bytes'])}",
        )
        geo.add_row("usable size", f"{format_iec(ns['usable_bytes'])} ({ns['usable_bytes']:,})")
        geo.add_row("npfns", format_count(ns["npfns"]))
    given = {(r["start_bytes"], r["end_bytes"]): r.get("as_given") for r in inp["dax_ranges"]}
    for r in pg["ranges"]:
        span = f"{r['start_bytes']:#x}-{r['end_bytes'] - 1:#x}"
        typed = given.get((r["start_bytes"], r["end_bytes"]))
        geo.add_row("pgmap range", f"{typed} ({span})" if typed and typed != span else span)
    if pg["altmap"] is not None:
        a = pg["altmap"]
        geo.add_row(
            "altmap (pfns)",
            f"reserve {a['reserve']:,}, free {a['free']:,}, used {a['alloc']:,} + "
            f"{a['align']:,} align",
        )
    geo.add_row("struct pages", format_count(doc["struct_pages"]))
    geo.add_row(
        "compound pages",
        f"{format_count(pg['compound_pages'])} x {format_count(pg['compound_nr_pages'])} pfns",
    )
    if pg["optimized"]:
        dedup = (
            f"keeps {pg['kept_pages_per_compound']} of {pg['vmemmap_pages_per_compound']} "
            "vmemmap pages per compound"
        )
    else:
        dedup = f"no ({pg['vmemmap_pages_per_compound']} vmemmap pages per compound)"
    geo.add_row("vmemmap dedup", dedup)
    sec = doc["sections"]
    geo.add_row(
        "sections",
        f"{format_count(sec['touched'])} touched, {format_count(sec['early_reused'])} early "
        "(boot memmap reused)",
    )
    if inp["linear_map"] is None:
        geo.add_row("linear map", "not modelled on this arch")
    else:
        gb = {True: ", 1G pages", False: ", no 1G pages", None: ""}[inp["gbpages"]]
        geo.add_row("linear map", f"{inp['linear_map']}{gb}")
    return geo


def render_estimate(console: Console, doc: Doc) -> None:
    """Print the geometry, then the figures of this kernel against the no-dedup baseline."""
    p = doc["input"]["page_size"]
    console.print(_geometry_table(doc))
    figs = Table(title="vmemmap cost", title_justify="left")
    figs.add_column("figure")
    figs.add_column("this kernel", justify="right")
    figs.add_column("without dedup", justify="right")
    base = doc["baseline"]
    for label, now, before in zip(_FIG_LABELS, _fig_rows(doc, p), _fig_rows(base, p), strict=True):
        figs.add_row(label, now, before)
    whole = sum(r["end_bytes"] - r["start_bytes"] for r in doc["pgmap"]["ranges"])
    figs.add_row(
        "DRAM / pgmap size",
        format_percent(doc["dram_bytes"], whole),
        format_percent(base["dram_bytes"], whole),
    )
    console.print(figs)
    saved = base["dram_bytes"] + base["device_bytes"] - doc["dram_bytes"] - doc["device_bytes"]
    line = (
        f"saved vs no dedup: {format_count(doc['memmap']['saved_pages'])} memmap pages, "
        f"{format_iec(max(saved, 0))} in all"
    )
    written = doc["init"]["struct_pages_initialised"]
    if doc["pgmap"]["optimized"] and written:
        ratio = base["init"]["struct_pages_initialised"] // written
        line += f"; {ratio:,}x fewer struct pages initialised"
    for text in [line, *(f"note: {n}" for n in doc["notes"])]:
        say(console, text)


def render_system_ram(console: Console, doc: Doc) -> None:
    """A dax device onlined as System RAM: where each block's memmap went, and the cost.

    One figure per line (label, value), so nothing is cut at any width."""
    inp, fig, pl = doc["input"], doc["figures"], doc["placement"]
    p = inp["page_size_bytes"]
    block = format_size_exact(inp["memory_block_size_bytes"])
    console.print(
        f"System RAM (dax kmem), {inp['arch']}, Linux {inp['kernel']}, memmap_on_memory "
        f"{inp['memmap_on_memory']}, {block} blocks",
        highlight=False,
    )
    for r in doc["ranges"]:
        given = r.get("as_given")
        # echo the range as typed; what kmem adds in the same style (hex for a hex range)
        size = format_size_exact
        if given is not None and given.lower().startswith("0x"):
            size = "{:#x}".format
        added = f"{size(r['added_start'])}+{size(r['added_bytes'])}" if r["blocks"] else "nothing"
        shown = given or f"{size(r['start'])}+{size(r['size_bytes'])}"
        say(
            console,
            f"  range {shown}: adds {added} ({format_count(r['blocks'])} blocks, "
            f"memmap {r['memmap']})",
        )
    tables = ", ".join(f"{n} {lvl.upper()}" for lvl, n in fig["page_tables"].items() if n)
    dm = fig["direct_map"]
    direct = "not modelled"
    if dm is not None:
        levels = ("pte", "pmd", "pud", "p4d")
        shown = ", ".join(
            f"{format_count(dm[f'{lvl}_pages'])} {lvl.upper()}"
            for lvl in levels
            if dm[f"{lvl}_pages"]
        )
        direct = f"{shown or 'none'} ({format_iec(dm['bytes'])})"
    rows = [
        ("blocks self-hosted", format_count(pl["blocks_self_hosted"])),
        ("blocks in DRAM", format_count(pl["blocks_dram"])),
        ("memmap in DRAM", _pages(fig["memmap_pages_dram"], p)),
        ("memmap on device", _pages(fig["memmap_pages_device"], p)),
        ("page tables", f"{tables or 'none'} ({format_iec(fig['page_table_bytes'])})"),
        ("direct map tables", direct),
        ("DRAM spent", format_iec(fig["dram_bytes"])),
        ("trimmed", format_iec(fig["trimmed_bytes"])),
        ("usable as RAM", _pages(fig["managed_pages"], p)),
        ("struct pages", f"{format_count(fig['struct_pages_initialised'])} (at online)"),
        ("init", f"{format_ns(fig['init_ns'][0])} - {format_ns(fig['init_ns'][1])}"),
        ("nr_memmap_pages", _delta(fig["nr_memmap_pages_delta"])),
        ("nr_memmap_boot_pages", _delta(fig["nr_memmap_boot_pages_delta"])),
    ]
    for label, value in rows:
        console.print(f"  {label:<20} {value}", highlight=False)
    if pl["reason"] is not None:
        console.print(f"  {'memmap in DRAM because':<20} {pl['reason']}", highlight=False)
    for note in doc["notes"]:
        say(console, f"note: {note}")


def _delta(value: int | None) -> str:
    return "n/a (no counter before v6.11)" if value is None else f"{value:+,}"
