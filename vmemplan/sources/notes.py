"""What a source says about a dump, with the kind of each note given where it is written.

The sources report their notes as one list of lines (``source.inferred`` in JSON). A
:class:`SourceNote` is such a line (a ``str``, so the JSON and every existing reader see
text) that also carries its :data:`NoteKind`, which the human render prints as its label;
lines without one are labelled by their wording (vmemplan/output/source_notes.py).
"""

from __future__ import annotations

from typing import Literal

NoteKind = Literal["given", "default", "inferred", "from the dump", "note"]
"""``given``: a value from the command line; ``default``: a value the dump does not give,
assumed; ``inferred``: worked out from the dump; ``from the dump``: what the dump says (or
what of it was skipped), as it says it; ``note``: anything else."""


class SourceNote(str):
    """One note line and its kind."""

    __slots__ = ("kind",)
    kind: NoteKind

    def __new__(cls, kind: NoteKind, text: str) -> SourceNote:
        note = super().__new__(cls, text)
        note.kind = kind
        return note


def prefixed(where: str, note: str) -> str:
    """``where: note``, keeping the kind of a :class:`SourceNote`."""
    text = f"{where}: {note}"
    return SourceNote(note.kind, text) if isinstance(note, SourceNote) else text
