"""Read a ``/proc/iomem`` dump: the physical address map as the kernel's resource tree.

Pure: the caller reads the file and passes its text. Each line is
``START-END : NAME`` with bare hex addresses (END inclusive), indented by two spaces per
nesting level::

    100000000-107fffffff : System RAM
      1b7000000-1b8002de6 : Kernel code
    1080000000-307fffffff : Persistent Memory
      1080000000-307fffffff : namespace0.0

Readers without ``CAP_SYS_ADMIN`` see every address as zero; such a dump is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vmemplan.errors import InputError

SYSTEM_RAM = "System RAM"
PERSISTENT_MEMORY = frozenset({"Persistent Memory", "Persistent Memory (legacy)"})

_LINE_RE = re.compile(
    r"(?P<indent> *)(?P<start>[0-9a-fA-F]+)-(?P<end>[0-9a-fA-F]+) :(?: (?P<name>.*))?",
    re.ASCII,
)
_MAX_HEX_DIGITS = 16  # 2**64 - 1
_SHOW_MAX = 80


@dataclass(frozen=True)
class IomemEntry:
    """One line of ``/proc/iomem``, as a half-open range ``[start, end)``."""

    start: int
    """First byte."""
    end: int
    """One past the last byte (the file prints the last byte)."""
    name: str
    """Text after ``" : "``, stripped."""
    depth: int
    """Nesting level: leading spaces / 2 (0 = top level)."""
    line: int
    """1-based line number in the file."""

    @property
    def span(self) -> str:
        """The range as the file prints it (END inclusive), without zero padding."""
        return f"{self.start:x}-{self.end - 1:x}"


def _show(line: str) -> str:
    text = repr(line)
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 3] + "..."


def _hex(digits: str, source: str, lineno: int, line: str) -> int:
    if len(digits.lstrip("0")) > _MAX_HEX_DIGITS:
        raise InputError(source, f"line {lineno}: {_show(line)}: address above 2^64")
    return int(digits, 16)


def parse_iomem(text: str, source: str) -> list[IomemEntry]:
    """The entries of a ``/proc/iomem`` dump, in file order (parents before children).

    ``source`` names where the text came from; it prefixes every error message.
    """
    entries: list[IomemEntry] = []
    ancestors: list[IomemEntry] = []  # ancestors[d] = the open entry at depth d
    for lineno, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        m = _LINE_RE.fullmatch(line)
        if m is None:
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: not a /proc/iomem line "
                "(expected 'START-END : NAME' with bare hex addresses)",
            )
        start = _hex(m.group("start"), source, lineno, line)
        last = _hex(m.group("end"), source, lineno, line)
        if start == 0 and last == 0:
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: all-zero addresses; the file was read "
                "without root (the kernel hides addresses from readers without "
                "CAP_SYS_ADMIN): run 'sudo cat /proc/iomem'",
            )
        if last < start:
            raise InputError(source, f"line {lineno}: {_show(line)}: end is below start")
        indent = len(m.group("indent"))
        if indent % 2:
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: odd indentation ({indent} spaces; "
                "/proc/iomem indents two spaces per level)",
            )
        depth = indent // 2
        if depth > len(ancestors):
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: indented to level {depth} but "
                + (
                    f"the entry above is at level {len(ancestors) - 1}"
                    if ancestors
                    else "there is no entry above it"
                ),
            )
        entry = IomemEntry(start, last + 1, (m.group("name") or "").strip(), depth, lineno)
        del ancestors[depth:]
        if ancestors:
            parent = ancestors[-1]
            if not (parent.start <= entry.start and entry.end <= parent.end):
                raise InputError(
                    source,
                    f"line {lineno}: {entry.span} {entry.name!r} is not inside its parent "
                    f"{parent.span} {parent.name!r} (line {parent.line})",
                )
        ancestors.append(entry)
        entries.append(entry)
    if not entries:
        raise InputError(source, "empty file: no /proc/iomem entries")
    return entries


def system_ram(entries: list[IomemEntry]) -> list[tuple[int, int]]:
    """Top-level ``System RAM`` as sorted half-open ranges, adjacent ones merged.

    Hot-plugged ``System RAM (kmem)`` (dax kmem, CXL) and nested entries are not included.
    """
    ranges = sorted((e.start, e.end) for e in entries if e.depth == 0 and e.name == SYSTEM_RAM)
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def persistent_memory(entries: list[IomemEntry]) -> list[IomemEntry]:
    """Entries named ``Persistent Memory`` or ``Persistent Memory (legacy)``, at any depth.

    One nested inside another such entry is left out, so no range is counted twice.
    Nesting is read from ``depth`` and the file order that :func:`parse_iomem` returns.
    """
    out: list[IomemEntry] = []
    inside: list[bool] = []  # inside[d]: the open entry at depth d is, or is under, pmem
    for e in entries:
        del inside[e.depth :]
        under_pmem = bool(inside) and inside[-1]
        is_pmem = e.name in PERSISTENT_MEMORY
        if is_pmem and not under_pmem:
            out.append(e)
        # A depth that skips levels (only possible in hand-made lists) inherits the last.
        inside.extend([under_pmem] * (e.depth - len(inside)))
        inside.append(under_pmem or is_pmem)
    return out
