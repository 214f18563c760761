"""``estimate``'s renders: one namespace or dax device, and a System RAM hot-add."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import _pages, format_count, format_percent, say
from vmemplan.output.report import Doc
from vmemplan.units import format_iec, format_ns, format_ns_range, format_size_exact


def _levels(tables: Doc | None) -> str:
    if tables is None:
        return "not modelled"
    return " / ".join(format_count(tables[lvl]) for lvl in ("pte", "pmd", "pud", "p4d"))


def _fig_rows(fig: Doc, page_size: int) -> list[str]:
    """One walk's figures (a device entry with its detail, or its detail's baseline)."""
    return [
        _pages(fig["memmap_dram_pages"], page_size),
        _pages(fig["memmap_device_pages"], page_size),
        _levels(fig["page_tables"]),
        format_iec(fig["page_table_bytes"]),
        _levels(fig["direct_map_tables"]),
        format_iec(fig["dram_bytes"]),
        format_iec(fig["lost_bytes"]),
        format_count(fig["struct_pages_initialised"]),
        format_ns_range(fig["init_ns_low"], fig["init_ns_high"]),
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
    dev = doc["devices"][0]
    detail = dev["detail"]
    inp, pg = doc["input"], detail["pgmap"]
    title = (
        f"{inp['arch']}, Linux {inp['kernel']['version']}, {inp['mode']}"
        + (f", map={inp['map']}" if inp["map"] else "")
        + f", align {format_size_exact(inp['align_bytes'])} (vmemmap_shift {inp['vmemmap_shift']})"
    )
    geo = Table(title=title, show_header=False, title_justify="left")
    geo.add_column("what")
    geo.add_column("value", justify="right")
    ns = detail["namespace"]
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
    geo.add_row("struct pages", format_count(dev["struct_pages"]))
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
    sec = detail["sections"]
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
    dev = doc["devices"][0]
    detail = dev["detail"]
    now = {**dev, **detail}
    base = detail["baseline"]
    for label, this, before in zip(_FIG_LABELS, _fig_rows(now, p), _fig_rows(base, p), strict=True):
        figs.add_row(label, this, before)
    whole = sum(r["end_bytes"] - r["start_bytes"] for r in detail["pgmap"]["ranges"])
    figs.add_row(
        "DRAM / pgmap size",
        format_percent(dev["dram_bytes"], whole),
        format_percent(base["dram_bytes"], whole),
    )
    console.print(figs)
    saved = base["dram_bytes"] + base["lost_bytes"] - dev["dram_bytes"] - dev["lost_bytes"]
    line = (
        f"saved vs no dedup: {format_count(detail['memmap']['saved_pages'])} memmap pages, "
        f"{format_iec(max(saved, 0))} in all"
    )
    written = dev["struct_pages_initialised"]
    if detail["pgmap"]["optimized"] and written:
        ratio = base["struct_pages_initialised"] // written
        line += f"; {ratio:,}x fewer struct pages initialised"
    for text in [line, *(f"note: {n}" for n in doc["notes"])]:
        say(console, text)


def render_system_ram(console: Console, doc: Doc) -> None:
    """A dax device onlined as System RAM: where each block's memmap went, and the cost.

    One figure per line (label, value), so nothing is cut at any width."""
    dev = doc["devices"][0]
    inp, fig = doc["input"], dev["detail"]
    pl = fig["placement"]
    p = inp["page_size_bytes"]
    block = format_size_exact(inp["memory_block_size_bytes"])
    console.print(
        f"System RAM (dax kmem), {inp['arch']}, Linux {inp['kernel']}, memmap_on_memory "
        f"{inp['memmap_on_memory']}, {block} blocks",
        highlight=False,
    )
    for r in fig["ranges"]:
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
    dm = fig["direct_map_tables"]
    direct = "not modelled"
    if dm is not None:
        shown = ", ".join(f"{format_count(n)} {lvl.upper()}" for lvl, n in dm.items() if n)
        direct = f"{shown or 'none'} ({format_iec(dev['direct_map_bytes'])})"
    rows = [
        ("blocks self-hosted", format_count(pl["blocks_self_hosted"])),
        ("blocks in DRAM", format_count(pl["blocks_dram"])),
        ("memmap in DRAM", _pages(dev["memmap_dram_pages"], p)),
        ("memmap on device", _pages(dev["memmap_device_pages"], p)),
        ("page tables", f"{tables or 'none'} ({format_iec(dev['page_table_bytes'])})"),
        ("direct map tables", direct),
        ("DRAM spent", format_iec(dev["dram_bytes"])),
        ("trimmed", format_iec(fig["trimmed_bytes"])),
        ("usable as RAM", _pages(fig["managed_pages"], p)),
        ("struct pages", f"{format_count(dev['struct_pages_initialised'])} (at online)"),
        ("init", f"{format_ns(dev['init_ns_low'])} - {format_ns(dev['init_ns_high'])}"),
        ("nr_memmap_pages", _delta(fig["counters"]["nr_memmap_pages"])),
        ("nr_memmap_boot_pages", _delta(fig["counters"]["nr_memmap_boot_pages"])),
    ]
    for label, value in rows:
        console.print(f"  {label:<20} {value}", highlight=False)
    if pl["reason"] is not None:
        console.print(f"  {'memmap in DRAM because':<20} {pl['reason']}", highlight=False)
    for note in doc["notes"]:
        say(console, f"note: {note}")


def _delta(value: int | None) -> str:
    return "n/a (no counter before v6.11)" if value is None else f"{value:+,}"
