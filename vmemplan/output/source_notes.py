"""The label a human render puts before each line of a host document's ``source.inferred``.

The sources (vmemplan/sources/discover.py, the config subjects of cli.py) report, in one list
of lines, what they inferred and also what they took from the command line, what they
assumed by default, what they read from the dump as it is, and plain notes. Printing every
line as ``inferred:`` called given and read values inferred. The JSON keeps the one list
(``source.inferred``); the human render labels each line for what it says it is:

- ``given:``          a value from the command line (``--map dev overrides ...``,
                       ``align from the command line``, ``assumed 2M (from --align)``);
- ``default:``        a value the dump does not give, assumed (``assumed dev (ndctl's
                       default)``, ``memmap_on_memory assumed off``, a placement where the
                       dump has no address);
- ``inferred:``       a value worked out from the dump (raw size from usable size, a layout
                       from a dataoff, a memory block size from a block count);
- ``from the dump:``  what the dump says, as it says it (a mode without struct pages, a
                       range no driver claimed, memory blocks online, a famfs device);
- ``rule:``           which kernel rule decided a figure (``--from-cxl``: ``dax0.0 (region0):
                       kernel rule: ...``), with the commit and release that brought it in;
- ``note:``           anything else (what a command leaves out, a size mismatch).

A line a source wrote as a :class:`~vmemplan.sources.notes.SourceNote` carries its label;
the rules below match the wording of the others; a test runs them over every fixture.
"""

from __future__ import annotations

# (label, phrases): the first label one of whose phrases is in the line; order matters
# (a line that says "from the command line" and "inferred" is given; one that infers a raw
# size and places it where the dump has no address is inferred).
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rule", ("kernel rule: ",)),
    ("given", (" overrides ", "from the command line", "(from --")),
    ("inferred", (" inferred", "(its dataoff")),
    ("default", ("assumed ", "(the dump has no address)")),
    (
        "from the dump",
        (
            "has no struct pages; skipped",
            "no driver has claimed it",
            "online_memblocks ",
            "famfs: ",
        ),
    ),
)


def source_note_label(line: str) -> str:
    """``rule``, ``given``, ``default``, ``inferred``, ``from the dump`` or ``note`` for
    ``line`` (a note that carries its label, a ``SourceNote``, says it itself)."""
    kind = getattr(line, "kind", None)
    if isinstance(kind, str):
        return kind
    for label, phrases in _RULES:
        if any(phrase in line for phrase in phrases):
            return label
    return "note"
