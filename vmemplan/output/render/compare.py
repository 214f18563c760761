"""``compare`` and ``plan``: the configurations of a namespace side by side, ranked."""

from __future__ import annotations

from collections.abc import Callable

from rich import box
from rich.console import Console
from rich.table import Table

from vmemplan.output.render.console import (
    _fits,
    _print_kernel_notes,
    _signed_iec,
    _signed_ns,
    _time_cell,
    _wrap_fields,
    format_count,
    say,
)
from vmemplan.output.report import Doc
from vmemplan.output.source_notes import source_note_label
from vmemplan.units import format_iec, format_ns_range, format_size_exact


def _delta_cells(r: Doc) -> list[str]:
    d = r.get("delta")
    if d is None:
        return ["n/a", "n/a", "n/a"]
    return [
        _signed_iec(d["dram_bytes"]),
        _signed_iec(d["usable_bytes"]),
        _signed_ns(d["init_ns_high"]),
    ]


_DELTA_HEADERS = ("ΔDRAM", "Δusable", "Δinit")  # against "now:", the current configuration


# The same on a terminal that is not UTF-8 (PYTHONIOENCODING=ascii, a latin-1 locale),
# where rich draws its boxes in ASCII too.
_DELTA_HEADERS_ASCII = ("delta DRAM", "delta usable", "delta init")


def _delta_headers(console: Console) -> tuple[str, str, str]:
    return _DELTA_HEADERS_ASCII if console.options.ascii_only else _DELTA_HEADERS


_FIGURE_HEADERS = ("lost", "usable", "inits", "init time", "saved")


def _bar(value: int, top: int, width: int = 6, *, ascii_only: bool = False) -> str:
    """A bar of ``width`` cells for ``value`` out of ``top`` (eighths of a cell; in ASCII,
    ``#`` per cell and ``+`` for a half or more)."""
    if top <= 0:
        return ""
    eighths = (value * width * 8 + top - 1) // top
    full, rest = divmod(eighths, 8)
    if ascii_only:
        return "#" * full + ("+" if rest >= 4 else "")
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])


def _config_table(
    doc: Doc,
    title: str,
    *,
    with_plan: bool,
    bar: bool = True,
    tight: bool = False,
    split_time: bool = False,
    brief: bool = False,
    ascii_only: bool = False,
) -> Table:
    rows = doc["rows"]
    many_kernels = len(doc["input"]["kernels"]) > 1
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        padding=(0, 0) if tight else (0, 1),  # tight: one blank between columns
        show_edge=not tight,
    )
    if with_plan:
        table.add_column("#", justify="right")
    if many_kernels:
        table.add_column("kernel")
    table.add_column("mode/map/align", no_wrap=True)
    table.add_column("DRAM", justify="right", no_wrap=True)
    if bar:
        table.add_column("", no_wrap=True)
    # brief: DRAM, usable and the deltas against today only, so that they fit 80 columns
    names = ("usable",) if brief else _FIGURE_HEADERS
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    with_delta = doc.get("current") is not None
    if with_delta:
        for name in _DELTA_HEADERS_ASCII if ascii_only else _DELTA_HEADERS:
            table.add_column(name, justify="right", no_wrap=True)
    top = max((r["dram_bytes_unoptimized"] or 0 for r in rows), default=0)
    for r in rows:
        cells = []
        if with_plan:
            cells.append("" if r["rank"] is None else f"{r['rank']}{'*' if r['pareto'] else ''}")
        if many_kernels:
            cells.append(r["kernel"])
        cells.append(f"{r['mode']}/{r['map']}/{format_size_exact(r['align_bytes'])}")
        if r["refused"] is not None:
            cells += ["refused"] + [""] * (len(names) + bar + (3 if with_delta else 0))
        else:
            cells += [format_iec(r["dram_bytes"])]
            if bar:
                cells.append(_bar(r["dram_bytes"], top, ascii_only=ascii_only))
            figures = {
                "lost": format_iec(r["lost_bytes"]),
                "usable": format_iec(r["usable_bytes"]),
                "inits": format_count(r["struct_pages_initialised"]),
                "init time": _time_cell(r["init_ns_low"], r["init_ns_high"], split=split_time),
                "saved": format_iec(r["saved_bytes"]),
            }
            cells += [figures[name] for name in names]
            if with_delta:
                cells += _delta_cells(r)
        table.add_row(*cells)
    return table


def _print_configs(console: Console, doc: Doc, title: str, *, with_plan: bool) -> None:
    """The configuration table, never cut: drop the bar column first, then close up the
    columns, then put each time range on two lines, then (with a current configuration)
    keep only DRAM, usable and the deltas, then print one block of lines per configuration
    when even that is wider than the terminal."""
    tries = [
        (True, False, False, False),
        (False, False, False, False),
        (False, True, False, False),
        (False, True, True, False),
    ]
    if doc.get("current") is not None:
        tries.append((False, True, False, True))
    for bar, tight, split_time, brief in tries:
        table = _config_table(
            doc,
            title,
            with_plan=with_plan,
            bar=bar,
            tight=tight,
            split_time=split_time,
            brief=brief,
            ascii_only=console.options.ascii_only,
        )
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
            ("DRAM", format_iec(r["dram_bytes"])),
            ("lost", format_iec(r["lost_bytes"])),
            ("usable", format_iec(r["usable_bytes"])),
            ("inits", format_count(r["struct_pages_initialised"])),
            ("init time", format_ns_range(r["init_ns_low"], r["init_ns_high"])),
            ("saved", format_iec(r["saved_bytes"])),
            *(
                zip(_delta_headers(console), _delta_cells(r), strict=True)
                if doc.get("current") is not None
                else ()
            ),
        ):
            console.print(f"  {name:<10} {value}", highlight=False)


def _subject_title(doc: Doc) -> str:
    """``1.50 TiB namespace``, ``64.00 GiB dax device`` (two ranges), with its label."""
    inp = doc["input"]
    if inp["dax_ranges"]:
        size = sum(r["end_bytes"] - r["start_bytes"] for r in inp["dax_ranges"])
        n = len(inp["dax_ranges"])
        what = f"{format_iec(size)} dax device" + (f" ({n} ranges)" if n > 1 else "")
    else:
        what = f"{format_iec(inp['size_bytes'])} namespace"
    if doc.get("label"):
        what = f"{doc['label']}: {what}"
    return what


def _print_current(console: Console, doc: Doc) -> None:
    """What the namespace runs today, per kernel."""
    cur = doc.get("current")
    if cur is None:
        return
    config = f"{cur['mode']}/{cur['map']}/{format_size_exact(cur['align_bytes'])}"
    for r in cur["rows"]:
        kernel = f" (Linux {r['kernel']})" if len(cur["rows"]) > 1 else ""
        if r["refused"] is not None:
            say(console, f"now{kernel}: {config}: refused: {r['refused']}")
            continue
        fields = [
            f"now{kernel}: {config}: DRAM {format_iec(r['dram_bytes'])}",
            f"lost {format_iec(r['lost_bytes'])}",
            f"usable {format_iec(r['usable_bytes'])}",
            f"init {format_ns_range(r['init_ns_low'], r['init_ns_high'])}",
        ]
        for line in _wrap_fields(fields, console.width):
            console.print(line, highlight=False, markup=False)


def render_compare(console: Console, doc: Doc) -> None:
    """Every configuration in one table, with a DRAM bar per row."""
    inp = doc["input"]
    title = f"{_subject_title(doc)} on {inp['arch']}, Linux {' vs '.join(inp['kernels'])}"
    if doc["rows"]:
        _print_configs(console, doc, title, with_plan=False)
    _print_current(console, doc)
    for r in doc["rows"]:
        if r["refused"] is not None:
            say(
                console,
                f"refused: {r['mode']} map={r['map']} align {format_size_exact(r['align_bytes'])}:"
                f" {r['refused']}",
            )
    if doc.get("system_ram_rows"):
        _print_system_ram_rows(console, doc)
    if doc.get("dax_device_commands"):
        _print_dax_commands(console, doc)
    _print_kernel_notes(console, inp)


def _print_dax_commands(console: Console, doc: Doc) -> None:
    """compare --from-cxl: how to put the CXL dax device in each configuration, grouped by
    the kernels whose commands are the same."""
    name = (doc.get("device") or {}).get("name", "the dax device")
    groups: list[tuple[list[str], list[Doc]]] = []
    for entry in doc["dax_device_commands"]:
        for kernels, configs in groups:
            if configs == entry["configurations"]:
                kernels.append(entry["kernel"])
                break
        else:
            groups.append(([entry["kernel"]], entry["configurations"]))
    for kernels, configs in groups:
        say(console, f"commands for {name} (Linux {', '.join(kernels)}):")
        for c in configs:
            if c["refused"] is not None:
                say(console, f"  {c['configuration']}: not possible: {c['refused']}")
            else:
                say(console, f"  {c['configuration']}: {'; '.join(c['commands'])}")


def _print_system_ram_rows(console: Console, doc: Doc) -> None:
    """compare --mode system-ram: the range onlined by dax kmem, memmap_on_memory off/on;
    for a dax device of a host that is System RAM today, its ranges as they run."""
    inp = doc["input"]
    today = (doc.get("device") or {}).get("system_ram")  # a dax device that is System RAM now
    if inp["size_bytes"] is not None and today and not inp["dax_ranges"]:
        # a pmem namespace's dax device: the rows are its dax range as kmem onlines it
        sizes = [r["capacity_bytes"] for r in doc["system_ram_rows"] if r["refused"] is None]
        what = format_iec(max(sizes)) if sizes else "its dax range"
        title = f"{what} as System RAM (dax kmem), what it is today"
    elif inp["size_bytes"] is not None:
        title = (
            f"same {format_iec(inp['size_bytes'])} as System RAM (dax kmem, no namespace info "
            "block)"
        )
    else:
        size = sum(r["end_bytes"] - r["start_bytes"] for r in inp["dax_ranges"])
        title = f"{format_iec(size)} as System RAM (dax kmem), what it is today"
    rows = doc["system_ram_rows"]

    def cells(r: Doc) -> list[tuple[str, str]]:
        if r["refused"] is not None:
            return [("DRAM", "refused")]
        return [
            ("DRAM", format_iec(r["dram_bytes"])),
            ("lost", format_iec(r["lost_bytes"])),
            ("usable", format_iec(r["usable_bytes"])),
            ("self-hosted", f"{format_count(r['blocks_self_hosted'])} blk"),
            ("inits", format_count(r["struct_pages_initialised"])),
            ("init time", format_ns_range(r["init_ns_low"], r["init_ns_high"])),
        ]

    # a CXL dax device under the CFMWS rule: each kernel picks its own memory blocks
    block_sizes = {r["memory_block_size_bytes"] for r in rows if r["refused"] is None}
    by_block = len(block_sizes) > 1

    def blk(r: Doc) -> str:
        size = r["memory_block_size_bytes"]
        return f" {format_size_exact(size)}" if by_block and size is not None else ""

    def head(r: Doc) -> str:
        return (
            f"kmem memmap_on_memory={r['memmap_on_memory']} (Linux {r['kernel']}"
            f"{', blocks' + blk(r) if blk(r) else ''})"
        )

    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
        collapse_padding=True,
    )  # fmt: skip
    table.add_column("kmem", no_wrap=True)
    names = ["DRAM", "lost", "usable", "self-hosted", "inits", "init time"]
    for n in names:
        table.add_column(n, justify="right", no_wrap=True)
    for r in rows:
        values = [v for _, v in cells(r)]
        values += [""] * (len(names) - len(values))
        table.add_row(f"{r['memmap_on_memory']} {r['kernel']}{blk(r)}", *values)
    if _fits(console, table):
        console.print(table)
    else:
        console.print(title, highlight=False)
        for r in rows:
            console.print(head(r), highlight=False)
            for name, value in cells(r):
                console.print(f"  {name:<11} {value}", highlight=False)
    for r in rows:
        if r["reason"] is not None and r["memmap_on_memory"] != "off":
            say(
                console,
                f"system-ram {r['memmap_on_memory']} (Linux {r['kernel']}): memmap in DRAM: "
                f"{r['reason']}",
            )
        if r["refused"] is not None:
            say(console, f"refused: system-ram {head(r)}: {r['refused']}")
    stranded = next((r["stranded_bytes"] for r in rows if r["stranded_bytes"]), 0)
    if stranded:
        say(
            console,
            f"lost includes {format_iec(stranded)} of its namespace (info block, map=dev "
            "reservation) that is neither dax device nor RAM",
        )


def render_plan(console: Console, doc: Doc) -> None:
    """Ranked configurations (* = Pareto-optimal), why the others fail, the ndctl command."""
    inp = doc["input"]
    if doc["raw_size_bytes"] is not None:
        say(
            console,
            f"usable {format_size_exact(doc['requested_usable_bytes'])} requested: ask ndctl for "
            f"--size={format_size_exact(doc['raw_size_bytes'])} ({doc['raw_size_bytes']:,} bytes,"
            f" a multiple of {format_size_exact(doc['step_bytes'])}); usable size "
            f"{format_iec(doc['usable_bytes'])} ({doc['usable_bytes']:,} bytes)",
        )
    title = f"{_subject_title(doc)} on {inp['arch']}, Linux {' vs '.join(inp['kernels'])}"
    _print_configs(console, doc, title, with_plan=True)
    say(console, f"rank: {', '.join(doc['rank_by'])}")
    _print_current(console, doc)
    for r in doc["rows"]:
        if not r["fits"]:
            what = f"{r['mode']} map={r['map']} align {format_size_exact(r['align_bytes'])}"
            say(console, f"rejected {what}: {'; '.join(r['failures'])}")
    _print_recommendation(console, doc)
    _print_kernel_notes(console, inp)


def _print_recommendation(console: Console, doc: Doc) -> None:
    """The recommended configuration, its ndctl command, and how to reconfigure in place."""
    inp = doc["input"]
    rec = doc["recommended"]
    if rec is None:
        console.print("no configuration meets every budget", highlight=False)
        return
    config = f"{rec['mode']}/{rec['map']}/{format_size_exact(rec['align_bytes'])}"
    kernel = f" on Linux {rec['kernel']}" if len(inp["kernels"]) > 1 else ""
    if doc["ndctl_command"] is not None:
        console.print(f"recommended{kernel}: {doc['ndctl_command']}", highlight=False)
    else:
        console.print(f"recommended{kernel}: {config}", highlight=False)
    device = doc.get("device")
    if device is None:
        return
    if not doc["reconfigure_commands"]:
        console.print(f"{device['name']} already runs {config}", highlight=False, markup=False)
        return
    keeps = "the data is not kept" if device["kind"] == "namespace" else "its data is lost"
    console.print(
        f"reconfigure {device['name']} in place ({keeps}):", highlight=False, markup=False
    )
    for command in doc["reconfigure_commands"]:
        console.print(f"  {command}", highlight=False, markup=False)


def _render_host(console: Console, doc: Doc, render: Callable[[Console, Doc], None]) -> None:
    """Each namespace of a host, one after another, then what was inferred."""
    for i, ns in enumerate(doc["namespaces"]):
        if i:
            console.print()
        render(console, ns)
    for line in doc["source"]["inferred"]:
        say(console, f"{source_note_label(line)}: {line}")


def render_host_compare(console: Console, doc: Doc) -> None:
    """``compare`` of each namespace of a host."""
    _render_host(console, doc, render_compare)


def render_host_plan(console: Console, doc: Doc) -> None:
    """``plan`` of each namespace of a host."""
    _render_host(console, doc, render_plan)
