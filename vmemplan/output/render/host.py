"""``hugetlb`` and ``host``: HugeTLB pools and a whole host's struct page memory."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import _fits, _pages, format_count, format_percent, say
from vmemplan.output.report import Doc
from vmemplan.units import format_iec, format_size_exact


def render_hugetlb(console: Console, doc: Doc) -> None:
    """Per HugeTLB pool: vmemmap without and with HVO, and the PTE tables it splits.

    Figures are rows and pools are columns; when the pools do not fit the terminal,
    each pool is printed as its own block of lines, so no figure is ever cut."""
    inp = doc["input"]
    p = inp["page_size_bytes"]
    pools = doc["devices"]
    hosted = any(pool["detail"]["vmemmap_self_hosted"] for pool in pools)
    title = (
        f"HugeTLB vmemmap on {inp['arch']}, Linux {inp['kernel']} "
        f"(HVO {'on' if inp['hvo_requested'] else 'off'}, keeps "
        f"{doc['hvo']['reserve_pages_per_folio']} page(s) per folio"
        f"{'; vmemmap self-hosted, not in DRAM' if hosted else ''})"
    )

    def flat(pool: Doc) -> dict[str, int]:
        d = pool["detail"]
        return {
            "nr_folios": d["nr_folios"],
            "unoptimized": d["vmemmap_pages_unoptimized"],
            "optimized": d["vmemmap_pages_optimized"],
            "pte": d["page_tables"]["pte"],
            "dram_bytes": pool["dram_bytes"],
            "saved_pages": pool["saved_bytes"] // p,
        }

    columns: list[tuple[str, dict[str, int], bool]] = []
    for pool in pools:
        d = pool["detail"]
        node = "" if d["node"] is None else f" node {d['node']}"
        columns.append((f"{format_size_exact(d['folio_bytes'])}{node}", flat(pool), d["optimized"]))
    if len(columns) > 1:
        sums = {k: sum(c[1][k] for c in columns) for k in columns[0][1]}
        columns.append(("total", sums, True))

    def figures(fig: dict[str, int], optimized: bool) -> list[tuple[str, str]]:
        return [
            ("folios", format_count(fig["nr_folios"])),
            ("without HVO", _pages(fig["unoptimized"], p)),
            ("HVO kept", _pages(fig["optimized"], p) if optimized else "refused"),
            ("PTE tables", _pages(fig["pte"], p)),
            ("DRAM with HVO", format_iec(fig["dram_bytes"])),
            ("saved", _pages(fig["saved_pages"], p)),
        ]

    # The title is prose above the table: as a table title rich would wrap it to the
    # table's own (narrow) width.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("figure", no_wrap=True)
    for name, _, _ in columns:
        table.add_column(name, justify="right", no_wrap=True)
    cells = [figures(fig, optimized) for _, fig, optimized in columns]
    for i, (label, _) in enumerate(cells[0]):
        table.add_row(label, *(c[i][1] for c in cells))
    say(console, title)
    if _fits(console, table):
        console.print(table)
    else:
        for (name, _, _), figs in zip(columns, cells, strict=True):
            console.print(name, highlight=False)
            for label, value in figs:
                console.print(f"  {label:<14} {value}", highlight=False)
    for note in doc["notes"]:
        say(console, f"note: {note}")


_BY = {"none": "-", "dedup": "dedup", "hvo": "HVO", "memmap_on_memory": "on-memory"}


def render_host(console: Console, doc: Doc) -> None:
    """One row per kind of memory: DRAM spent on struct pages, saved, device lost, and the
    share of boot RAM; the total is the host's real bill."""
    inp, tot = doc["input"], doc["total"]
    boot = inp["boot_ram_bytes"]
    title = (
        f"struct pages on this host: {inp['arch']}, Linux {inp['kernel']}, "
        f"{format_iec(boot)} boot RAM"
    )

    def figures(r: Doc) -> list[tuple[str, str]]:
        by = r["detail"].get("optimization", "")
        dram = r["dram_bytes"]
        shown = f"-{format_iec(-dram)}" if dram < 0 else format_iec(dram)
        pct = format_percent(abs(dram), boot)
        return [
            ("DRAM", shown),
            ("% boot", f"-{pct}" if dram < 0 else pct),
            ("saved", format_iec(r["saved_bytes"])),
            ("lost", format_iec(r["lost_bytes"])),
            ("by", str(_BY.get(by, by))),
        ]

    entries = [
        (d["label"] + ("" if d["node"] is None else f" node {d['node']}"), r)
        for r in doc["devices"]
        for d in [r["detail"]]
    ]
    entries.append(("total", tot))
    # The title is prose above the table (as in render_hugetlb): as a table title rich
    # would wrap it to the table's own width.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("memory", no_wrap=True)
    for name in ("DRAM", "% boot", "saved", "lost"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("by", no_wrap=True)
    for label, r in entries:
        table.add_row(label, *(v for _, v in figures(r)))
    say(console, title)
    if _fits(console, table):
        console.print(table)
    else:
        for label, r in entries:
            console.print(label, highlight=False)
            for name, value in figures(r):
                console.print(f"  {name:<7} {value}", highlight=False)
    # one line per distinct note: per-node pools of one size share theirs
    details = [r["detail"] for r in doc["devices"]]
    row_notes = [f"{d['label']}: {d['note']}" for d in details if d["note"]]
    for line in dict.fromkeys(row_notes):
        say(console, line)
    for note in doc["notes"]:
        say(console, f"note: {note}")
