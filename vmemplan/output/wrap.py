"""Lines of text wrapped to a width, never between a figure and its unit (no rich needed)."""

from __future__ import annotations

import os
import re
import sys

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


def text_width() -> int | None:
    """The width to wrap plain text output to: COLUMNS when set, else the terminal's, else
    None (a pipe or a log: lines stay whole, as tables get 120 columns there)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        pass
    return None


def wrap_hanging(text: str, width: int | None, indent: str = "  ") -> list[str]:
    """``text`` wrapped as wrap_words does, continuation lines indented by ``indent``."""
    if width is None or len(text) <= width:
        return [text]
    first = wrap_words(text, width)[0]
    rest = text[len(first) :].strip()
    return [first, *(wrap_words(indent + rest, width) if rest else [])]
