"""The console every human output goes through: no line ends in blanks, a figure is
never cut or split from its unit (a table that does not fit stacks its cells), and
the small formatters the renderers share. Rounding happens in ``render`` and nowhere else.
"""

from __future__ import annotations

import re
from typing import IO, Any, cast

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from vmemplan.output.report import Doc
from vmemplan.output.wrap import wrap_words
from vmemplan.units import format_iec, format_ns, format_ns_range

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


class FigureConsole(Console):
    """A rich Console that never cuts a figure or parts it from its unit, at any width.

    A table whose value columns do not fit whole (only its first column, the labels, may
    wrap) is printed as blocks of lines instead: the row's label, then ``header: value``
    (``label: value`` for a table without header). A line of text is wrapped at spaces,
    never between a figure and its unit, and a word wider than the terminal is left whole
    for the terminal to wrap. A width of 0 (COLUMNS=0) counts as no width given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._width is not None and self._width < 1:
            self._width = None  # rich would print nothing at all

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print as rich does, but tables and lines of text as the class says."""
        if len(objects) == 1 and not kwargs.get("soft_wrap"):
            obj = objects[0]
            if isinstance(obj, Table) and _stackable(obj) and not _fits_whole(self, obj):
                self._print_stacked(obj)
                return
            if isinstance(obj, str) and obj:
                kwargs["soft_wrap"] = True  # the lines are cut to the width already
                for line in obj.split("\n"):
                    for part in wrap_words(line, self.width):
                        super().print(part, **kwargs)
                return
        super().print(*objects, **kwargs)

    def _print_stacked(self, table: Table) -> None:
        def flat(cell: Any) -> str:
            return " ".join(_plain(self, cell).split())

        if table.title:
            self.print(flat(table.title), markup=False, highlight=False)
        label_column, *columns = table.columns
        if table.show_header:  # a column without header (a bar) only illustrates
            columns = [c for c in columns if flat(c.header)]
        values = [list(c.cells) for c in columns]
        for i, label_cell in enumerate(label_column.cells):
            label = flat(label_cell)
            fields = [(flat(c.header), flat(v[i])) for c, v in zip(columns, values, strict=True)]
            if not table.show_header:
                value = "; ".join(v for _, v in fields if v)
                self.print(f"{label}: {value}" if label else value, markup=False, highlight=False)
                continue
            if label:
                self.print(label, markup=False, highlight=False)
            for header, value in fields:
                if value:
                    self.print(f"  {header}: {value}", markup=False, highlight=False)


def _stackable(table: Table) -> bool:
    """Whether every cell is text (a table of other renderables is left to rich)."""
    return all(isinstance(cell, str | Text) for column in table.columns for cell in column.cells)


def _plain(console: Console, cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return console.render_str(str(cell)).plain if cell else ""


def _fits_whole(console: Console, table: Table) -> bool:
    """Whether the table fits with every value whole: only the first column may wrap.

    When it does, the value columns are made ``no_wrap`` so that rich closes up the
    first column only.
    """
    wide = console.options.update_width(1 << 16)
    natural = Measurement.get(console, wide, table).maximum
    if natural <= console.width:
        return True  # rich wraps nothing
    first = table.columns[0] if table.columns else None
    slack = 0
    if first is not None and not first.no_wrap:
        cells = [*([first.header] if table.show_header else []), *first.cells]
        sizes = [Measurement.get(console, wide, c) for c in cells]
        slack = max(m.maximum for m in sizes) - max(m.minimum for m in sizes)
    if natural - slack > console.width:
        return False
    for column in table.columns[1:]:
        column.no_wrap = True
    return True


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


def _time_cell(low: int, high: int, *, split: bool) -> str:
    """The init-time range, on two lines (``low -`` over ``high``) when the table is narrow."""
    if split and low != high:
        return f"{format_ns(low)} -\n{format_ns(high)}"
    return format_ns_range(low, high)


def _fits(console: Console, table: Table) -> bool:
    """Whether the table's natural width fits the terminal (else rich would cut cells)."""
    wide = console.options.update_width(1 << 16)
    return Measurement.get(console, wide, table).maximum <= console.width


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


def _print_kernel_notes(console: Console, inp: Doc) -> None:
    for note in inp.get("kernel_notes", ()):
        say(console, f"note: {note}")
