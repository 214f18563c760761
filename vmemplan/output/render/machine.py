"""The devices of a dump (ndctl/daxctl, /proc/iomem) costed as one machine."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import _fits, format_count, say
from vmemplan.output.report import Doc
from vmemplan.output.source_notes import source_note_label
from vmemplan.units import format_iec, format_ns_range, format_size_exact


def render_machine(console: Console, doc: Doc) -> None:
    """One row per namespace and the machine's total; columns closed up, then one block
    of lines per namespace, when the terminal is too narrow for the table."""
    for tight in (False, True):
        table = _machine_table(doc, tight=tight)
        if _fits(console, table):
            break
    _print_machine(console, doc, table)


def _machine_table(doc: Doc, *, tight: bool) -> Table:
    system_ram = doc["system_ram"]
    title = (
        "namespaces and kmem System RAM as one machine (shared page tables counted once)"
        if system_ram
        else "namespaces walked as one machine (shared page tables counted once)"
    )
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=tight,
        padding=(0, 0) if tight else (0, 1),
        show_edge=not tight,
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
        # a dax device (no map in its input) has no altmap: its memmap is in memory, as compare says
        config = f"{inp['mode']}/{inp['map'] or 'mem'}/{format_size_exact(inp['align_bytes'])}"
        table.add_row(
            ns["input"]["label"] or "-",
            format_iec(size),
            config,
            format_iec(ns["dram_bytes"]),
            format_iec(ns["device_bytes"]),
            format_iec(usable),
            format_count(ns["init"]["struct_pages_initialised"]),
            format_ns_range(ns["init"]["time_ns_low"], ns["init"]["time_ns_high"]),
        )
    # kmem System RAM, hot-added after the namespaces: the memory block size in the align
    # slot; lost is what does not become RAM (trimmed edges, a self-hosted memmap)
    for sr in system_ram:
        fig = sr["figures"]
        block = format_size_exact(sr["input"]["memory_block_size_bytes"])
        table.add_row(
            sr["name"],
            format_iec(fig["device_bytes"]),
            f"system-ram/{block} blocks",
            format_iec(fig["dram_bytes"]),
            format_iec(fig["device_bytes"] - fig["usable_bytes"]),
            format_iec(fig["usable_bytes"]),
            format_count(fig["struct_pages_initialised"]),
            format_ns_range(*fig["init_ns"]),
        )
    t = doc["total"]
    table.add_section()
    table.add_row(
        f"total ({t['namespaces'] + t['system_ram']})",
        "",
        "",
        format_iec(t["dram_bytes"]),
        format_iec(t["device_bytes"]),
        "",
        format_count(t["struct_pages_initialised"]),
        format_ns_range(t["time_ns_low"], t["time_ns_high"]),
    )
    return table


def _print_machine(console: Console, doc: Doc, table: Table) -> None:
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
            say(console, f"{source_note_label(line)}: {line}")
