"""``inspect``: the host as ``host`` shows it, then the kernel's counters beside the
prediction, then what was read and assumed."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import _fits, format_count, say
from vmemplan.output.render.host import render_host
from vmemplan.output.report import Doc
from vmemplan.units import format_iec


def _verdict(c: Doc) -> str:
    if c["verdict"] == "differs":
        return f"differs by {c['difference']:+,} pages"
    return str(c["verdict"])


def render_inspect(console: Console, doc: Doc) -> None:
    """Who was read, the cost table, the counters, then the notes."""
    src = doc["source"]
    who = "unknown user" if src["euid"] is None else "root" if src["euid"] == 0 else "not root"
    say(
        console,
        f"inspected {src['root']} ({src['kind']}, read as {who}): Linux {src['release']}, "
        f"{src['machine']}, {src['memory_blocks']:,} memory blocks, boot RAM from "
        f"{src['boot_ram_source']}",
    )
    render_host(console, {**doc, "notes": []})
    counters = doc["counters"]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name, justify in (("counter", "left"), ("predicted", "right"), ("kernel", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("verdict", no_wrap=True)
    rows = [
        (c["name"], format_count(c["predicted"]), format_count(c["kernel"]), _verdict(c))
        for c in counters
    ]
    for row in rows:
        table.add_row(*row)
    if _fits(console, table):
        console.print(table)
    else:
        for name, predicted, kernel, verdict in rows:
            console.print(name, highlight=False)
            console.print(f"  predicted {predicted}", highlight=False)
            console.print(f"  kernel    {kernel}", highlight=False)
            console.print(f"  verdict   {verdict}", highlight=False)
    for c in counters:
        if c["why"]:
            say(console, f"{c['name']}: {c['why']}")
    if doc["budget"] is not None:
        _budget(console, doc["budget"])
    for note in doc["notes"]:
        say(console, f"note: {note}")


def _budget(console: Console, b: Doc) -> None:
    """The verdicts, then each reconfiguration with what it saves and its commands."""
    for v in b["verdicts"]:
        say(console, f"budget: {'holds' if v['ok'] else 'FAILS'}: {v['message']}")
    if not b["proposals"]:
        say(console, "no reconfiguration of this host saves DRAM")
        return
    for p in b["proposals"]:
        taken = " (take it)" if p["target"] in b["to_take"] else ""
        say(
            console,
            f"would save {format_iec(p['saved_bytes'])}: {p['target']}: {p['change']}{taken}",
        )
        for command in p["commands"]:
            console.print(f"    {command}", highlight=False, soft_wrap=True)
    if not b["holds_now"]:
        after = "; ".join(v["message"] for v in b["verdicts_after"])
        say(
            console,
            f"after the changes taken: {after}"
            + ("" if b["holds_after"] else " (still over: no change left)"),
        )
