"""Read what ``lsmem`` prints: the memory blocks of a machine, their state, node and zones.

Pure: the caller reads the file and passes its text. util-linux ``lsmem`` (sys-utils/lsmem.c)
prints one row per run of memory blocks that agree on the columns shown, then a summary::

    RANGE                                  SIZE  STATE REMOVABLE  BLOCK
    0x0000000000000000-0x000000007fffffff    2G online       yes   0-15
    0x0000000100000000-0x000000087fffffff   30G online       yes 16-271

    Memory block size:       128M
    Total online memory:      32G
    Total offline memory:      0B

``-o RANGE,SIZE,STATE,BLOCK,NODE,ZONES`` picks the columns (RANGE is needed here); ``-b``
prints sizes in bytes. RANGE is ``START-END`` in hex, END inclusive.

What it tells about struct pages: every block it lists is present memory, and has its
memmap whether online or offline (sparse_add_section() populates it when the block is
added; onlining only initialises the pages); the memory block size. What it cannot tell:
boot RAM from hot-added RAM (dax kmem, virtio-mem; a ``Movable`` zone hints at it), holes
inside a block, and anything that is not in a memory block: pmem and device-dax (ZONE_DEVICE)
have no memory blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vmemplan.errors import InputError
from vmemplan.units import parse_size, quote_value

_RANGE_RE = re.compile(r"0x(?P<start>[0-9a-fA-F]{1,16})-0x(?P<end>[0-9a-fA-F]{1,16})", re.ASCII)
_BLOCK_RE = re.compile(r"(?P<first>[0-9]{1,12})(?:-(?P<last>[0-9]{1,12}))?", re.ASCII)
_SUMMARY_RE = re.compile(
    r"(?P<key>Memory block size|Total online memory|Total offline memory):\s*(?P<value>\S+)",
    re.ASCII,
)
_SHOW_MAX = 40


@dataclass(frozen=True)
class LsmemRow:
    """One row of the table: a run of memory blocks, ``[start, end)`` in bytes."""

    start: int
    end: int
    state: str | None
    """``online``, ``offline`` (or a transition such as ``on->off``); None if not shown."""
    blocks: tuple[int, int] | None
    """First and last block number, if the BLOCK column is shown."""
    node: str | None
    zones: str | None
    line: int


@dataclass(frozen=True)
class LsmemDump:
    """The rows of an ``lsmem`` dump and what its summary says."""

    rows: list[LsmemRow]
    block_size: int | None
    """``Memory block size:`` of the summary, else worked out from RANGE and BLOCK; None
    if neither is shown."""
    block_size_shown: bool
    """Whether the summary prints the block size (else it was worked out, or is None)."""

    def ranges(self) -> list[tuple[int, int]]:
        """The blocks' bytes as sorted half-open ranges, adjacent ones merged."""
        merged: list[tuple[int, int]] = []
        for start, end in sorted((r.start, r.end) for r in self.rows):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def _show(line: str) -> str:
    return quote_value(line.strip(), _SHOW_MAX)


def parse_lsmem(text: str, source: str) -> LsmemDump:
    """The rows and block size of an ``lsmem`` table ``text`` (header line first).

    ``source`` names where the text came from; it prefixes every error message.
    """
    header: list[str] | None = None
    rows: list[LsmemRow] = []
    block_size: int | None = None
    for lineno, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        summary = _SUMMARY_RE.fullmatch(line.strip())
        if summary is not None:
            if summary.group("key").lower() == "memory block size":
                block_size = _size(summary.group("value"), source, lineno, line)
            continue  # the totals: the rows say the same
        fields = line.split()
        if header is None:
            if "RANGE" not in fields:
                raise InputError(
                    source,
                    f"line {lineno}: {_show(line)}: not an lsmem header (expected the "
                    "column names, RANGE among them: lsmem -o RANGE,SIZE,STATE,BLOCK,NODE,ZONES)",
                )
            header = fields
            continue
        if len(fields) != len(header):
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: {len(fields)} columns, the header has "
                f"{len(header)}",
            )
        rows.append(_row(dict(zip(header, fields, strict=True)), source, lineno, line))
    if not rows:
        raise InputError(source, "no memory blocks: not lsmem output (or an empty table)")
    shown = block_size is not None
    if block_size is None:
        block_size = _block_size_from_rows(rows)
    _check_rows(rows, block_size, source)
    return LsmemDump(rows, block_size, shown)


def _size(text: str, source: str, lineno: int, line: str) -> int:
    try:
        return parse_size(text, source)
    except InputError:
        raise InputError(source, f"line {lineno}: {_show(line)}: not a size") from None


def _row(cols: dict[str, str], source: str, lineno: int, line: str) -> LsmemRow:
    m = _RANGE_RE.fullmatch(cols["RANGE"])
    if m is None:
        raise InputError(source, f"line {lineno}: {_show(line)}: RANGE is not 0xSTART-0xEND")
    start, last = int(m.group("start"), 16), int(m.group("end"), 16)
    if last < start:
        raise InputError(source, f"line {lineno}: {_show(line)}: RANGE ends below its start")
    blocks = None
    if "BLOCK" in cols:
        b = _BLOCK_RE.fullmatch(cols["BLOCK"])
        if b is None:
            raise InputError(source, f"line {lineno}: {_show(line)}: BLOCK is not N or N-M")
        first = int(b.group("first"))
        blocks = (first, int(b.group("last") or first))
        if blocks[1] < blocks[0]:
            raise InputError(source, f"line {lineno}: {_show(line)}: BLOCK ends below its start")
    return LsmemRow(
        start, last + 1, cols.get("STATE"), blocks, cols.get("NODE"), cols.get("ZONES"), lineno
    )


def _block_size_from_rows(rows: list[LsmemRow]) -> int | None:
    """The block size RANGE and BLOCK give: a row's bytes over its number of blocks."""
    for r in rows:
        if r.blocks is not None:
            n = r.blocks[1] - r.blocks[0] + 1
            if (r.end - r.start) % n == 0:
                return (r.end - r.start) // n
    return None


def _check_rows(rows: list[LsmemRow], block_size: int | None, source: str) -> None:
    """Each row is whole blocks, at the block numbers BLOCK says (block N starts at N *
    block size, memory_block_id() in drivers/base/memory.c)."""
    if block_size is None:
        return
    if block_size <= 0 or block_size & (block_size - 1):
        raise InputError(source, f"memory block size {block_size:,} is not a power of two")
    for r in rows:
        if r.start % block_size or r.end % block_size:
            raise InputError(
                source,
                f"line {r.line}: {r.start:#x}-{r.end - 1:#x} is not whole memory blocks of "
                f"{block_size:,} bytes",
            )
        if r.blocks is not None and (
            r.blocks[0] != r.start // block_size or r.blocks[1] != r.end // block_size - 1
        ):
            raise InputError(
                source,
                f"line {r.line}: blocks {r.blocks[0]}-{r.blocks[1]} are not "
                f"{r.start:#x}-{r.end - 1:#x} with blocks of {block_size:,} bytes",
            )


def lsmem_notes(dump: LsmemDump) -> list[str]:
    """What an lsmem dump can and cannot tell, for the notes of what is costed from it."""
    notes = [
        "every block lsmem lists is costed as boot System RAM: lsmem does not tell boot "
        "RAM from hot-added (dax kmem, virtio-mem) blocks, nor shows holes inside a block, "
        "nor pmem and device-dax (ZONE_DEVICE has no memory blocks)"
    ]
    offline = [r for r in dump.rows if r.state is not None and r.state != "online"]
    if offline:
        n = sum((r.end - r.start) for r in offline)
        notes.append(
            f"{n:,} bytes of blocks not online (line {offline[0].line}"
            + (f" and {len(offline) - 1} more" if len(offline) > 1 else "")
            + "): counted, a block keeps its memmap until it is removed"
        )
    movable = [r for r in dump.rows if r.zones is not None and "Movable" in r.zones]
    if movable:
        notes.append(
            f"blocks in ZONE_MOVABLE (line {movable[0].line}"
            + (f" and {len(movable) - 1} more" if len(movable) > 1 else "")
            + "): often hot-added RAM (dax kmem onlines movable by default); if so, give the "
            "dump of its devices (--from-ndctl) and the boot RAM apart"
        )
    if dump.block_size is not None:
        how = "from its summary" if dump.block_size_shown else "from RANGE and BLOCK"
        notes.append(f"memory block size {dump.block_size:,} bytes {how}")
    return notes
