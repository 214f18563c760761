"""Human output: rich tables. Rounding happens here and nowhere else."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any, cast

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from vmemplan.output.report import Doc
from vmemplan.output.source_notes import source_note_label
from vmemplan.units import format_iec, format_ns, format_ns_range, format_size_exact

_TRAILING_BLANKS = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+(?=\n)")
_SGR = re.compile(r"\x1b\[[0-9;]*m")


class TrailingBlankStripper:
    """A text stream that drops the blanks rich pads lines with, before each newline
    (keeping the colour escapes among them), so no output line ends in spaces."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._pending = ""

    def write(self, text: str) -> int:
        lines, newline, rest = (self._pending + text).rpartition("\n")
        if newline:
            self._file.write(_TRAILING_BLANKS.sub(_escapes_only, lines + newline))
        self._pending = rest
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._file.write(self._pending)
            self._pending = ""
        self._file.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)  # isatty, fileno, encoding: the real stream's


def strip_trailing_blanks(file: IO[str]) -> IO[str]:
    """``file`` behind a TrailingBlankStripper, typed as the stream rich expects."""
    return cast("IO[str]", TrailingBlankStripper(file))


def _escapes_only(match: re.Match[str]) -> str:
    return "".join(_SGR.findall(match.group()))


_UNIT = re.compile(r"(?:[KMGTPE]i)?B|ns|us|ms|s|min|h|x|%|pages?|bytes|[KMGTPE]")


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken only at spaces and never
    between a figure and its unit (``1.00 GiB``, ``8.59 s``); a word longer than the
    line stands alone on its line, uncut."""
    body = text.lstrip(" ")
    indent = " " * (len(text) - len(body))  # kept on the first line and continuation lines
    words: list[str] = []
    for word in body.split(" "):
        if words and _UNIT.fullmatch(word.rstrip(",;:.)")) and words[-1][-1:].isdigit():
            words[-1] += " " + word
        else:
            words.append(word)
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(indent) + len(line) + 1 + len(word) > width:
            lines.append(indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(indent + line)
    return lines


def say(console: Console, text: str) -> None:
    """A line of prose (a note, what was inferred): wrapped to the terminal, figures whole."""
    for line in wrap_words(text, console.width):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


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


def _signed_iec(value: int | None) -> str:
    """A delta: ``+1.02 GiB``, ``-40.00 MiB``, ``0 B``; ``n/a`` when unknown."""
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "-" if value < 0 else "") + format_iec(abs(value))


def _signed_ns(value: int | None) -> str:
    """A time delta: ``+1.20 s``, ``-80.50 ms``; ``n/a`` when unknown."""
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "-" if value < 0 else "") + format_ns(abs(value))


def _delta_cells(r: Doc) -> list[str]:
    d = r.get("delta")
    if d is None:
        return ["n/a", "n/a", "n/a"]
    return [
        _signed_iec(d["dram_bytes"]),
        _signed_iec(d["usable_bytes"]),
        _signed_ns(d["time_ns_high"]),
    ]


_DELTA_HEADERS = ("ΔDRAM", "Δusable", "Δinit")  # against "now:", the current configuration
_FIGURE_HEADERS = ("lost", "usable", "inits", "init time", "saved")


def _bar(value: int, top: int, width: int = 6) -> str:
    """A bar of ``width`` cells for ``value`` out of ``top`` (eighths of a cell)."""
    if top <= 0:
        return ""
    eighths = (value * width * 8 + top - 1) // top
    full, rest = divmod(eighths, 8)
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
        for name in _DELTA_HEADERS:
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
            cells += ["refused"] + [""] * (len(names) + bar + (3 if with_delta else 0))
        else:
            cells += [format_iec(r["dram_bytes"])]
            if bar:
                cells.append(_bar(r["dram_bytes"], top))
            figures = {
                "lost": format_iec(r["device_bytes"]),
                "usable": format_iec(r["usable_bytes"]),
                "inits": format_count(r["struct_pages_initialised"]),
                "init time": _time_cell(r["time_ns_low"], r["time_ns_high"], split=split_time),
                "saved": format_iec(r["dram_saved_bytes"]),
            }
            cells += [figures[name] for name in names]
            if with_delta:
                cells += _delta_cells(r)
        table.add_row(*cells)
    return table


def _time_cell(low: int, high: int, *, split: bool) -> str:
    """The init-time range, on two lines (``low -`` over ``high``) when the table is narrow."""
    if split and low != high:
        return f"{format_ns(low)} -\n{format_ns(high)}"
    return format_ns_range(low, high)


def _fits(console: Console, table: Table) -> bool:
    """Whether the table's natural width fits the terminal (else rich would cut cells)."""
    wide = console.options.update_width(1 << 16)
    return Measurement.get(console, wide, table).maximum <= console.width


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
            ("lost", format_iec(r["device_bytes"])),
            ("usable", format_iec(r["usable_bytes"])),
            ("inits", format_count(r["struct_pages_initialised"])),
            ("init time", format_ns_range(r["time_ns_low"], r["time_ns_high"])),
            ("saved", format_iec(r["dram_saved_bytes"])),
            *(
                zip(_DELTA_HEADERS, _delta_cells(r), strict=True)
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
            f"lost {format_iec(r['device_bytes'])}",
            f"usable {format_iec(r['usable_bytes'])}",
            f"init {format_ns_range(r['time_ns_low'], r['time_ns_high'])}",
        ]
        for line in _wrap_fields(fields, console.width):
            console.print(line, highlight=False, markup=False)


def _wrap_fields(fields: list[str], width: int) -> list[str]:
    """Join fields with ", " into lines of at most ``width`` columns, breaking only between
    fields (a figure and its unit stay on one line); continuation lines are indented."""
    lines: list[str] = []
    line = ""
    for i, f in enumerate(fields):
        sep = "," if i < len(fields) - 1 else ""
        piece = f + sep
        if line and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = "  " + piece
        else:
            line = f"{line} {piece}" if line else piece
    if line:
        lines.append(line)
    return lines


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
    _print_kernel_notes(console, inp)


def _print_system_ram_rows(console: Console, doc: Doc) -> None:
    """compare --mode system-ram: the range onlined by dax kmem, memmap_on_memory off/on;
    for a dax device of a host that is System RAM today, its ranges as they run."""
    inp = doc["input"]
    today = (doc.get("device") or {}).get("system_ram")  # a dax device that is System RAM now
    if inp["size_bytes"] is not None and today and not inp["dax_ranges"]:
        # a pmem namespace's dax device: the rows are its dax range as kmem onlines it
        sizes = [
            r["usable_bytes"] + r["device_bytes"]
            for r in doc["system_ram_rows"]
            if r["refused"] is None
        ]
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
            ("lost", format_iec(r["device_bytes"])),
            ("usable", format_iec(r["usable_bytes"])),
            ("self-hosted", f"{format_count(r['blocks_self_hosted'])} blk"),
            ("inits", format_count(r["struct_pages_initialised"])),
            ("init time", format_ns_range(r["time_ns_low"], r["time_ns_high"])),
        ]

    def head(r: Doc) -> str:
        return f"kmem memmap_on_memory={r['memmap_on_memory']} (Linux {r['kernel']})"

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
        table.add_row(f"{r['memmap_on_memory']} {r['kernel']}", *values)
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


def _print_kernel_notes(console: Console, inp: Doc) -> None:
    for note in inp.get("kernel_notes", ()):
        say(console, f"note: {note}")


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


def render_hugetlb(console: Console, doc: Doc) -> None:
    """Per HugeTLB pool: vmemmap without and with HVO, and the PTE tables it splits.

    Figures are rows and pools are columns; when the pools do not fit the terminal,
    each pool is printed as its own block of lines, so no figure is ever cut."""
    inp = doc["input"]
    p = inp["page_size_bytes"]
    hosted = any(pool.get("vmemmap_self_hosted") for pool in doc["pools"])
    title = (
        f"HugeTLB vmemmap on {inp['arch']}, Linux {inp['kernel']} "
        f"(HVO {'on' if inp['hvo_requested'] else 'off'}, keeps "
        f"{doc['hvo']['reserve_pages_per_folio']} page(s) per folio"
        f"{'; vmemmap self-hosted, not in DRAM' if hosted else ''})"
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


_BY = {"none": "-", "dedup": "dedup", "hvo": "HVO", "memmap_on_memory": "on-memory"}


def render_host(console: Console, doc: Doc) -> None:
    """One row per kind of memory: DRAM spent on struct pages, saved, device lost, and the
    share of boot RAM; the total is the host's real bill."""
    inp, tot = doc["input"], doc["total"]
    boot = tot["boot_ram_bytes"]
    title = (
        f"struct pages on this host: {inp['arch']}, Linux {inp['kernel']}, "
        f"{format_iec(boot)} boot RAM"
    )

    def figures(r: Doc) -> list[tuple[str, str]]:
        dram = r["dram_bytes"]
        shown = f"-{format_iec(-dram)}" if dram < 0 else format_iec(dram)
        pct = format_percent(abs(dram), boot)
        return [
            ("DRAM", shown),
            ("% boot", f"-{pct}" if dram < 0 else pct),
            ("saved", format_iec(r["saved_bytes"])),
            ("lost", format_iec(r["device_bytes"])),
            ("by", str(_BY.get(r["optimization"], r["optimization"]))),
        ]

    entries = [
        (r["label"] + ("" if r["node"] is None else f" node {r['node']}"), r) for r in doc["rows"]
    ]
    entries.append(("total", {**tot, "optimization": "", "node": None}))
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
        collapse_padding=True,
    )  # fmt: skip
    table.add_column("memory", no_wrap=True)
    for name in ("DRAM", "% boot", "saved", "lost"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("by", no_wrap=True)
    for label, r in entries:
        table.add_row(label, *(v for _, v in figures(r)))
    if _fits(console, table):
        console.print(table)
    else:
        console.print(title, highlight=False)
        for label, r in entries:
            console.print(label, highlight=False)
            for name, value in figures(r):
                console.print(f"  {name:<7} {value}", highlight=False)
    # one line per distinct note: per-node pools of one size share theirs
    row_notes = [f"{r['label']}: {r['note']}" for r in doc["rows"] if r["note"]]
    for line in dict.fromkeys(row_notes):
        say(console, line)
    for note in doc["notes"]:
        say(console, f"note: {note}")
