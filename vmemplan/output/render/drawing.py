"""The pieces ``explain``'s drawings are made of: lines wrapped to the console's width
(never between a figure and its unit), bars with addresses, bars to scale, and the glyphs
(box-drawing characters, or ASCII where the output's encoding has none)."""

from __future__ import annotations

from typing import NamedTuple

from rich.console import Console
from rich.text import Text

from vmemplan.output.render.console import format_count
from vmemplan.output.report import Doc
from vmemplan.output.wrap import wrap_words
from vmemplan.units import format_iec, format_size_exact

# Joins words that must stay on one line (``PMD 16``); a space once the line is wrapped.
NB = "\x00"


def size_text(n: int) -> str:
    """A size rounded as elsewhere, with its exact spelling when rounding hides some."""
    rounded = format_iec(n)
    exact = format_size_exact(n)
    number, _, unit = rounded.partition(" ")
    if unit == "B" or (number.endswith(".00") and exact == number[:-3] + unit[0]):
        return rounded
    return f"{rounded} ({exact})"


def tables_text(tables: Doc) -> str:
    """``PTE 0, PMD 16, PUD 0, P4D 0``, each level with its count on one line."""
    return ", ".join(f"{name.upper()}{NB}{tables[name]:,}" for name in ("pte", "pmd", "pud", "p4d"))


class Glyphs(NamedTuple):
    """The characters a drawing is made of."""

    top: str  # first segment of a bar
    mid: str  # a later segment
    end: str  # the bar's end
    side: str  # the bar beside a segment's text
    arrow: str  # a PTE to its page frame
    fan_top: str  # the first of several PTEs onto one frame
    fan_mid: str
    fan_end: str  # the last of them, pointing at the frame
    more: str  # rows left out
    full: str  # a scaled bar: the part named first
    rest: str  # the rest


UNICODE = Glyphs("┌", "├", "└", "│", "───→", "──┐", "──┤", "──┴→", "⋮", "█", "░")
ASCII = Glyphs("+", "+", "+", "|", "--->", "--+", "--|", "--+>", ":", "#", ".")


def glyphs(console: Console) -> Glyphs:
    """Box-drawing characters where the output's encoding has them, else ASCII."""
    encoding = (console.encoding or "").lower().replace("_", "-")
    return UNICODE if encoding.startswith("utf") else ASCII


def pages_text(n: int, page_size: int) -> str:
    return f"{format_count(n)} pages ({format_iec(n * page_size)})"


def pfns_text(n: int) -> str:
    return count_text(n, "pfn")


def count_text(n: int, word: str) -> str:
    """``1 PTE table``, ``2 PTE tables``."""
    return f"{format_count(n)} {word}" + ("" if n == 1 else "s")


class Lines:
    """Lines to the console, each wrapped to its width (continuations under ``hang``)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.width = max(console.width, 20)

    def line(self, text: str = "", *, hang: str = "  ", style: str | None = None) -> None:
        if not text:
            self.console.print("", soft_wrap=True)
            return
        first, *rest = wrap_words(text, self.width)
        lines = [first]
        if rest:
            tail = text[len(first) :].strip()
            lines += wrap_words(hang + tail, self.width)
        for piece in lines:
            self.console.print(
                Text(piece.replace(NB, " "), style=style or ""),
                soft_wrap=True,
                highlight=False,
                markup=False,
            )

    def prefixed(self, prefix: str, text: str, cont: str | None = None) -> None:
        """``text`` wrapped beside ``prefix`` (a bar); the next lines beside ``cont``
        (default: the same prefix), of the same width."""
        cont = prefix if cont is None else cont.ljust(len(prefix))
        room = max(self.width - len(prefix), 12)
        for i, piece in enumerate(wrap_words(text, room)):
            self.console.print(
                (cont if i else prefix) + piece.replace(NB, " "),
                soft_wrap=True,
                highlight=False,
                markup=False,
            )

    def title(self, text: str) -> None:
        self.line(text, style="bold")


def bar(out: Lines, g: Glyphs, segments: list[tuple[int, int, str, str]]) -> None:
    """Segments ``(start, end, label, text)`` as one vertical bar with addresses."""
    if not segments:
        return
    width = max(len(f"{x:#x}") for s in segments for x in (s[0], s[1]))
    for i, (start, end, label, text) in enumerate(segments):
        corner = g.top if i == 0 else g.mid
        out.prefixed(f"{start:<#{width}x} {corner} ", f"{label}: {size_text(end - start)}")
        if text:
            out.prefixed(f"{'':{width}} {g.side}   ", text)
    out.prefixed(f"{segments[-1][1]:<#{width}x} {g.end} ", "end")


def scaled(out: Lines, g: Glyphs, part: int, whole: int, label: str, rest: str) -> None:
    """A bar to scale: ``part`` of ``whole`` (at least one character when not zero)."""
    width = max(min(out.width - 2, 64), 8)
    n = (part * width + whole - 1) // whole if part else 0
    out.prefixed(" ", g.full * n + g.rest * (width - n))
    out.prefixed(" ", f"{g.full} {label}, {g.rest} {rest}" if part else f"{g.rest} {rest}")
