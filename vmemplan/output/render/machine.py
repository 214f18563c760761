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
    devices = doc["devices"]
    system_ram = [d for d in devices if d["kind"] == "system-ram"]
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
    for dev in devices:
        inp = dev["detail"]["input"]
        if dev["kind"] == "system-ram":
            # kmem System RAM, hot-added after the namespaces: the memory block size in
            # the align slot; lost is what does not become RAM (trimmed edges, a
            # self-hosted memmap)
            block = format_size_exact(inp["memory_block_size_bytes"])
            size, config = dev["capacity_bytes"], f"system-ram/{block} blocks"
        else:
            size = sum(r["end_bytes"] - r["start_bytes"] for r in dev["detail"]["pgmap"]["ranges"])
            # a dax device (no map in its input) has no altmap: its memmap is in memory, as
            # compare says
            config = f"{inp['mode']}/{inp['map'] or 'mem'}/{format_size_exact(inp['align_bytes'])}"
        table.add_row(
            dev["name"] or "-",
            format_iec(size),
            config,
            format_iec(dev["dram_bytes"]),
            format_iec(dev["lost_bytes"]),
            format_iec(dev["usable_bytes"]),
            format_count(dev["struct_pages_initialised"]),
            format_ns_range(dev["init_ns_low"], dev["init_ns_high"]),
        )
    t = doc["total"]
    table.add_section()
    table.add_row(
        f"total ({len(devices)})",
        "",
        "",
        format_iec(t["dram_bytes"]),
        format_iec(t["lost_bytes"]),
        "",
        format_count(t["struct_pages_initialised"]),
        format_ns_range(t["init_ns_low"], t["init_ns_high"]),
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
