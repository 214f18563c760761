"""Human output: rich tables. Rounding happens here and nowhere else."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from vmemplan.output.report import Doc
from vmemplan.units import format_iec, format_ns, format_size_exact


def format_count(value: int | None) -> str:
    """``4194304`` -> ``4,194,304``; None -> ``n/a``."""
    return "n/a" if value is None else f"{value:,}"


def format_percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with enough digits to be non-zero when part is."""
    if whole == 0:
        return "n/a"
    for digits in (2, 3, 4, 5, 6):
        scaled = (part * 100 * 10**digits * 2 + whole) // (2 * whole)
        if scaled or part == 0:
            break
    return f"{scaled // 10**digits}.{scaled % 10**digits:0{digits}d}%"


def _pages(n: int, page_size: int) -> str:
    return f"{format_count(n)} ({format_iec(n * page_size)})"


def _fig_rows(fig: Doc, page_size: int) -> list[str]:
    pt = fig["page_tables"]
    init = fig["init"]
    return [
        _pages(fig["memmap"]["dram_pages"], page_size),
        _pages(fig["memmap"]["device_pages"], page_size),
        f"{format_count(pt['pte_pages'])} / {format_count(pt['pmd_pages'])} / "
        f"{format_count(pt['pud_pages'])} / {format_count(pt['p4d_pages'])}",
        format_iec(pt["bytes"]),
        format_iec(fig["dram_bytes"]),
        format_iec(fig["device_bytes"]),
        format_count(init["struct_pages_initialised"]),
        f"{format_ns(init['time_ns_low'])} - {format_ns(init['time_ns_high'])}",
        format_count(fig["counters"]["nr_memmap_pages"]),
    ]


_FIG_LABELS = [
    "memmap in DRAM (pages)",
    "memmap on device (altmap)",
    "page tables PTE/PMD/PUD/P4D",
    "page tables (bytes)",
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
    for r in pg["ranges"]:
        geo.add_row("pgmap range", f"{r['start_bytes']:#x}-{r['end_bytes'] - 1:#x}")
    if pg["altmap"] is not None:
        a = pg["altmap"]
        geo.add_row(
            "altmap (pfns)",
            f"reserve {a['reserve']}, free {a['free']:,}, used {a['alloc']:,} + {a['align']} align",
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
        f"{format_count(sec['touched'])} touched, {sec['early_reused']} early (boot memmap reused)",
    )
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
        console.print(text, highlight=False)


def _short_iec(value: int) -> str:
    """Three significant digits: ``24.0 GiB``, ``96.0 KiB``, ``1.49 TiB``, ``512 B``."""
    for unit, shift in (
        ("EiB", 60),
        ("PiB", 50),
        ("TiB", 40),
        ("GiB", 30),
        ("MiB", 20),
        ("KiB", 10),
    ):
        if value >= 1 << shift:
            return f"{_short_scaled(value, 1 << shift)} {unit}"
    return f"{value} B"


def _short_count(value: int) -> str:
    """``402,653,184`` -> ``403M``; small counts stay exact."""
    for suffix, scale in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if value >= 10 * scale:
            return f"{(value + scale // 2) // scale}{suffix}"
    return f"{value:,}"


def _ns_range(lo: int, hi: int) -> str:
    """``80.5-107 ms`` in the unit of the high end."""
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3), ("ns", 1)):
        if hi >= scale or unit == "ns":
            return f"{_short_scaled(lo, scale)}-{_short_scaled(hi, scale)} {unit}"
    return ""


def _short_scaled(value: int, scale: int) -> str:
    """``value / scale`` with two decimals below 10, one below 100, none above."""
    for decimals in (2, 1):
        q = (value * 10**decimals + scale // 2) // scale
        if q < 10 ** (decimals + 1):
            whole, frac = divmod(q, 10**decimals)
            return f"{whole}.{frac:0{decimals}d}"
    return str((value + scale // 2) // scale)


def _bar(value: int, top: int, width: int = 6) -> str:
    """A bar of ``width`` cells for ``value`` out of ``top`` (eighths of a cell)."""
    if top <= 0:
        return ""
    eighths = (value * width * 8 + top - 1) // top
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


def _config_table(doc: Doc, title: str, *, with_plan: bool, bar: bool = True) -> Table:
    rows = doc["rows"]
    many_kernels = len(doc["input"]["kernels"]) > 1
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    if with_plan:
        table.add_column("#", justify="right")
    if many_kernels:
        table.add_column("kernel")
    table.add_column("mode/map/align", no_wrap=True)
    table.add_column("DRAM", justify="right", no_wrap=True)
    if bar:
        table.add_column("", no_wrap=True)
    for name in ("lost", "usable", "inits", "init time", "saved"):
        table.add_column(name, justify="right", no_wrap=True)
    top = max((r["baseline_dram_bytes"] or 0 for r in rows), default=0)
    for r in rows:
        cells = []
        if with_plan:
            cells.append("" if r["rank"] is None else f"{r['rank']}{'*' if r['pareto'] else ''}")
        if many_kernels:
            cells.append(r["kernel"])
        cells.append(f"{r['mode']}/{r['map']}/{format_size_exact(r['align_bytes'])}")
        if r["refused"] is not None:
            cells += ["refused"] + [""] * (6 if bar else 5)
        else:
            cells += [_short_iec(r["dram_bytes"])]
            if bar:
                cells.append(_bar(r["dram_bytes"], top))
            cells += [
                _short_iec(r["device_bytes"]),
                _short_iec(r["usable_bytes"]),
                _short_count(r["struct_pages_initialised"]),
                _ns_range(r["time_ns_low"], r["time_ns_high"]),
                _short_iec(r["dram_saved_bytes"]),
            ]
        table.add_row(*cells)
    return table


def _fits(console: Console, table: Table) -> bool:
    """Whether the table's natural width fits the terminal (else rich would cut cells)."""
    wide = console.options.update_width(1 << 16)
    return Measurement.get(console, wide, table).maximum <= console.width


def _print_configs(console: Console, doc: Doc, title: str, *, with_plan: bool) -> None:
    """The configuration table, never cut: drop the bar column first, then print one
    block of lines per configuration when even that is wider than the terminal."""
    for bar in (True, False):
        table = _config_table(doc, title, with_plan=with_plan, bar=bar)
        if _fits(console, table):
            console.print(table)
            return
    console.print(title, highlight=False)
    for r in doc["rows"]:
        head = f"{r['mode']}/{r['map']}/{format_size_exact(r['align_bytes'])}"
        if with_plan and r["rank"] is not None:
            head = f"#{r['rank']}{'*' if r['pareto'] else ''} {head}"
        if len(doc["input"]["kernels"]) > 1:
            head = f"{head} (Linux {r['kernel']})"
        if r["refused"] is not None:
            console.print(f"{head}: refused", highlight=False)
            continue
        console.print(head, highlight=False)
        for name, value in (
            ("DRAM", _short_iec(r["dram_bytes"])),
            ("lost", _short_iec(r["device_bytes"])),
            ("usable", _short_iec(r["usable_bytes"])),
            ("inits", _short_count(r["struct_pages_initialised"])),
            ("init time", _ns_range(r["time_ns_low"], r["time_ns_high"])),
            ("saved", _short_iec(r["dram_saved_bytes"])),
        ):
            console.print(f"  {name:<10} {value}", highlight=False)


def render_compare(console: Console, doc: Doc) -> None:
    """Every configuration in one table, with a DRAM bar per row."""
    inp = doc["input"]
    title = (
        f"{format_iec(inp['size_bytes'])} namespace on {inp['arch']}, "
        f"Linux {' vs '.join(inp['kernels'])}"
    )
    _print_configs(console, doc, title, with_plan=False)
    for r in doc["rows"]:
        if r["refused"] is not None:
            console.print(
                f"refused: {r['mode']} map={r['map']} align {format_size_exact(r['align_bytes'])}:"
                f" {r['refused']}",
                highlight=False,
            )


def render_plan(console: Console, doc: Doc) -> None:
    """Ranked configurations (* = Pareto-optimal), why the others fail, the ndctl command."""
    inp = doc["input"]
    if doc["raw_size_bytes"] is not None:
        console.print(
            f"usable {format_size_exact(doc['requested_usable_bytes'])} requested: ask ndctl for "
            f"--size={format_size_exact(doc['raw_size_bytes'])} ({doc['raw_size_bytes']:,} bytes,"
            f" a multiple of {format_size_exact(doc['step_bytes'])}); usable size "
            f"{format_iec(doc['usable_bytes'])} ({doc['usable_bytes']:,} bytes)",
            highlight=False,
        )
    title = f"{format_iec(inp['size_bytes'])} namespace on {inp['arch']}, Linux {inp['kernels'][0]}"
    _print_configs(console, doc, title, with_plan=True)
    for r in doc["rows"]:
        if not r["fits"]:
            what = f"{r['mode']} map={r['map']} align {format_size_exact(r['align_bytes'])}"
            console.print(f"rejected {what}: {'; '.join(r['failures'])}", highlight=False)
    if doc["recommended"] is None:
        console.print("no configuration meets every budget", highlight=False)
    else:
        console.print(f"recommended: {doc['ndctl_command']}", highlight=False)


def render_machine(console: Console, doc: Doc) -> None:
    """One row per namespace and the machine's total."""
    table = Table(
        title="namespaces walked as one machine (shared page tables counted once)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name, right in (
        ("namespace", False),
        ("size", True),
        ("mode/map/align", False),
        ("DRAM", True),
        ("lost", True),
        ("usable", True),
        ("inits", True),
        ("init time", True),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for ns in doc["namespaces"]:
        inp = ns["input"]
        size = sum(r["end_bytes"] - r["start_bytes"] for r in ns["pgmap"]["ranges"])
        usable = ns["namespace"]["usable_bytes"] if ns["namespace"] else size
        config = f"{inp['mode']}/{inp['map'] or '-'}/{format_size_exact(inp['align_bytes'])}"
        table.add_row(
            ns["input"]["label"] or "-",
            _short_iec(size),
            config,
            _short_iec(ns["dram_bytes"]),
            _short_iec(ns["device_bytes"]),
            _short_iec(usable),
            _short_count(ns["init"]["struct_pages_initialised"]),
            _ns_range(ns["init"]["time_ns_low"], ns["init"]["time_ns_high"]),
        )
    t = doc["total"]
    table.add_section()
    table.add_row(
        f"total ({t['namespaces']})",
        "",
        "",
        _short_iec(t["dram_bytes"]),
        _short_iec(t["device_bytes"]),
        "",
        _short_count(t["struct_pages_initialised"]),
        _ns_range(t["time_ns_low"], t["time_ns_high"]),
    )
    if _fits(console, table):
        console.print(table)
    else:  # too narrow for the table: one block of lines per namespace, nothing cut
        console.print(table.title, highlight=False)
        headers = [str(c.header) for c in table.columns]
        for column_cells in zip(*(list(c.cells) for c in table.columns), strict=True):
            console.print(str(column_cells[0]), highlight=False)
            for name, value in zip(headers[1:], column_cells[1:], strict=True):
                if str(value):
                    console.print(f"  {name:<15} {value}", highlight=False)
    if doc["source"] is not None:
        for line in doc["source"]["inferred"]:
            console.print(f"inferred: {line}", highlight=False)


def render_hugetlb(console: Console, doc: Doc) -> None:
    """Per HugeTLB pool: vmemmap without and with HVO, and the PTE tables it splits.

    Figures are rows and pools are columns; when the pools do not fit the terminal,
    each pool is printed as its own block of lines, so no figure is ever cut."""
    inp = doc["input"]
    p = inp["page_size_bytes"]
    title = (
        f"HugeTLB vmemmap on {inp['arch']}, kernel {inp['kernel']} "
        f"(HVO {'on' if inp['hvo_requested'] else 'off'}, keeps "
        f"{doc['hvo']['reserve_pages_per_folio']} page(s) per folio)"
    )
    columns: list[tuple[str, Doc, bool]] = []
    for pool in doc["pools"]:
        node = "" if pool["node"] is None else f" node {pool['node']}"
        columns.append((f"{format_size_exact(pool['folio_bytes'])}{node}", pool, pool["optimized"]))
    if len(columns) > 1:
        columns.append(("total", doc["total"], True))

    def figures(fig: Doc, optimized: bool) -> list[tuple[str, str]]:
        return [
            ("folios", format_count(fig["nr_folios"])),
            ("without HVO", _pages(fig["vmemmap_pages_unoptimized"], p)),
            ("HVO kept", _pages(fig["vmemmap_pages_optimized"], p) if optimized else "refused"),
            ("PTE tables", _pages(fig["pagetable_pages"], p)),
            ("DRAM with HVO", format_iec(fig["dram_bytes"])),
            ("saved", _pages(fig["pages_saved"], p)),
        ]

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("figure", no_wrap=True)
    for name, _, _ in columns:
        table.add_column(name, justify="right", no_wrap=True)
    cells = [figures(fig, optimized) for _, fig, optimized in columns]
    for i, (label, _) in enumerate(cells[0]):
        table.add_row(label, *(c[i][1] for c in cells))
    if _fits(console, table):
        console.print(table)
    else:
        console.print(title, highlight=False)
        for (name, _, _), figs in zip(columns, cells, strict=True):
            console.print(name, highlight=False)
            for label, value in figs:
                console.print(f"  {label:<14} {value}", highlight=False)
    for note in doc["notes"]:
        console.print(f"note: {note}", highlight=False)
