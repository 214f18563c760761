"""Human output: rich tables. Rounding happens here and nowhere else."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vmemplan.report import Doc
from vmemplan.units import format_size_exact

_IEC = (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))


def format_iec(value: int) -> str:
    """``4328587264`` -> ``4.03 GiB``: two decimals, rounded half up, like ``ndctl -u``."""
    for unit, shift in _IEC:
        if value >= 1 << shift:
            hundredths = (value * 100 + (1 << shift) // 2) >> shift
            return f"{hundredths // 100}.{hundredths % 100:02d} {unit}"
    return f"{value} B"


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


def format_ns(value: int) -> str:
    """Nanoseconds in the largest unit that keeps the figure readable."""
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if value >= scale:
            tenths = (value * 100 + scale // 2) // scale
            return f"{tenths // 100}.{tenths % 100:02d} {unit}"
    return f"{value} ns"


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
