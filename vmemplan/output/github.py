"""GitHub Actions workflow commands (``::error file=...,line=...::message``), escaped.

GitHub reads a workflow command from every line of a step's output, so any text vmemplan
puts in one (a file name, a config key, a value in a message) must not end the line or the
property list. Its rules (``escapeData`` / ``escapeProperty`` in actions/toolkit's
``command.ts``): in the message, ``%``, CR and LF are written ``%25``, ``%0D`` and
``%0A``; in a property value also ``:`` and ``,`` (``%3A``, ``%2C``). Other control
characters are escaped as in every message (``vmemplan.excerpt``) first, so no terminal
escape sequence reaches the log either.
"""

from __future__ import annotations

from vmemplan.excerpt import ESCAPES

# one pass each: a character's escape is never escaped again
_DATA = str.maketrans({**ESCAPES, ord("%"): "%25", ord("\r"): "%0D", ord("\n"): "%0A"})
_PROPERTY = str.maketrans(
    {
        **ESCAPES,
        ord("%"): "%25",
        ord("\r"): "%0D",
        ord("\n"): "%0A",
        ord(":"): "%3A",
        ord(","): "%2C",
    }
)


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return text.translate(_DATA)


def escape_property(text: str) -> str:
    """A workflow command's property value: ``%``, CR, LF, ``:`` and ``,`` percent-encoded."""
    return text.translate(_PROPERTY)


def annotation(
    level: str, message: str, *, file: str, line: int | None = None, title: str | None = None
) -> str:
    """One workflow command line: ``::LEVEL file=F[,line=N][,title=T]::MESSAGE``."""
    props = [f"file={escape_property(file)}"]
    if line is not None:
        props.append(f"line={line}")
    if title is not None:
        props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"
