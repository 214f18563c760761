"""Echoing untrusted text safely: every value vmemplan prints back goes through here.

A config file, a dump or an option value may come from an untrusted pull request, and what
vmemplan prints lands in a CI log or a terminal. So a value is echoed only as a short,
escaped excerpt: control characters (C0, DEL, C1), Unicode line and paragraph separators
and the bidirectional-text controls become ``\\xNN`` / ``\\uNNNN`` escapes (no terminal
escape sequence, no line break, no reordering of the rest of the line), and a long value
is cut to its first characters with its length. Every step costs at most the excerpt's
length, never the value's.
"""

from __future__ import annotations

from vmemplan.units import quote_value

# Characters that could move the cursor, end the line, ring the bell or reorder the text.
_UNSAFE = [
    *range(0x20),  # C0: line breaks, ESC (terminal escape sequences), BEL, backspace
    0x7F,
    *range(0x80, 0xA0),  # C1: CSI, OSC
    *(0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF),  # marks, line/paragraph separators
    *range(0x202A, 0x202F),  # bidirectional embeddings and overrides
    *range(0x2066, 0x206A),  # bidirectional isolates
]
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
ESCAPES: dict[int, str] = {
    c: _NAMED.get(c, f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE
}

# The longest excerpt of a file or option value a message shows (characters).
VALUE_EXCERPT = 24
# The longest line an error message may print (characters, after escaping).
LINE_LIMIT = 1000
# A key of a file is shown in full (escaped) up to KEY_FULL characters; a longer one
# (``root:$6$...`` of a shadow file, a token) shows only its first KEY_EXCERPT characters.
KEY_FULL = 24
KEY_EXCERPT = 8


def escape(text: str) -> str:
    """``text`` with every unsafe character as a visible escape (linear in ``text``)."""
    return text.translate(ESCAPES)


def excerpt(text: str, limit: int = VALUE_EXCERPT) -> str:
    """At most ``limit`` characters of ``text``, escaped; a longer text ends in ``...``
    and its length, so a value (a secret) is never printed in full."""
    if len(text) <= limit:
        return escape(text)
    return f"{escape(text[:limit])}... ({len(text):,} characters)"


def quoted(text: str, limit: int = VALUE_EXCERPT) -> str:
    """``excerpt()`` in quotes, for messages such as ``unknown key 'x'``: the one quoting
    rule of every message (``units.quote_value()``, which the kernel wing can import)."""
    return quote_value(text, limit)


def key_excerpt(key: str) -> str:
    """A key of a file as a message may show it: up to ``KEY_FULL`` characters in full
    (escaped), a longer key as its first ``KEY_EXCERPT``."""
    if len(key) <= KEY_FULL:
        return quoted(key, KEY_FULL)
    return quoted(key, KEY_EXCERPT)


def safe_line(text: str, limit: int = LINE_LIMIT) -> str:
    """One line to print: escaped (a newline in it becomes ``\\n``) and at most ``limit``
    characters of ``text``."""
    return excerpt(text, limit)


def safe_lines(text: str, limit: int = LINE_LIMIT) -> str:
    """Several lines (a message that is one line per problem): each made safe with
    ``safe_line()``; the line breaks between them are kept."""
    return "\n".join(safe_line(line, limit) for line in text.split("\n"))
