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
from typing import Literal

from vmemplan.errors import InputError
from vmemplan.units import quote_value

SYSTEM_RAM = "System RAM"
PERSISTENT_MEMORY = frozenset({"Persistent Memory", "Persistent Memory (legacy)"})

_LINE_RE = re.compile(
    r"(?P<indent> *)(?P<start>[0-9a-fA-F]+)-(?P<end>[0-9a-fA-F]+) :(?: (?P<name>.*))?",
    re.ASCII,
)
_MAX_HEX_DIGITS = 16  # 2**64 - 1


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


# The longest part of a line a message quotes: a dump's lines are shorter
# ("  1080000000-307fffffff : namespace0.0"), a line of a file that is not a dump (a shadow
# file, an env file of tokens) is not echoed back whole.
_SHOW_MAX = 40


def _show(line: str) -> str:
    """A line of the dump as a message quotes it: escaped, at most its start and length."""
    return quote_value(line, _SHOW_MAX)


def _hex(digits: str, source: str, lineno: int, line: str) -> int:
    if len(digits.lstrip("0")) > _MAX_HEX_DIGITS:
        raise InputError(source, f"line {lineno}: {_show(line)}: address above 2^64")
    return int(digits, 16)


@dataclass(frozen=True)
class IomemPaste:
    """A ``/proc/iomem`` dump as read: its entries, and what of the paste was skipped."""

    entries: list[IomemEntry]
    skipped: list[str]
    """One line per kind of thing left out (elisions, lines that do not concern memory and
    whose place in the tree the paste lost, annotations after a name), with line numbers."""


# The names of the resources vmemplan reads: the rest of a dump (PCI, ACPI, Kernel code)
# does not concern memory, and a paste may cut or mangle it without harm.
_MEMORY_NAME_RE = re.compile(
    r"System RAM \(kmem\)|System RAM|Persistent Memory \(legacy\)|Persistent Memory"
    r"|Soft Reserved|CXL Window [0-9]+|region[0-9]+|namespace[0-9]+\.[0-9]+|dax[0-9]+\.[0-9]+",
    re.ASCII,
)
# What a poster writes after a name: "namespace0.0   <- fsdax", "dax0.0  # the VM's",
# "region0 (the CXL one)". Parentheses only after a device name: "System RAM (virtio_mem)"
# is a driver's resource name, not a remark.
_ANNOTATION_RE = re.compile(r"\s+(?:<-|<--|←|#|//|--|\*|\[)", re.ASCII)
_DEVICE_ANNOTATION_RE = re.compile(r"\s+\S", re.ASCII)
_DEVICE_NAME_RE = re.compile(r"(?:region|namespace|dax)[0-9]", re.ASCII)
# A poster's elision: "...", "[...]", "[..]", "<snip>", "…"
_ELISION_RE = re.compile(r"\s*[\[(<]?\s*(?:\.{2,}|…+|snip(?:ped)?)\s*[\])>]?\s*", re.IGNORECASE)
_SKIPPED_SHOWN = 3  # lines quoted per kind of skip; the rest are counted


def _memory_name(name: str) -> tuple[str, str]:
    """The resource name and a poster's annotation after it (``""`` if none).

    Only the names vmemplan reads are split; any other name is kept whole.
    """
    m = _MEMORY_NAME_RE.match(name)
    if m is None or m.end() == len(name):
        return name, ""
    rest = name[m.end() :]
    device = _DEVICE_NAME_RE.match(name) is not None
    if _ANNOTATION_RE.match(rest) or (device and _DEVICE_ANNOTATION_RE.match(rest)):
        return m.group(0), rest.strip()
    return name, ""


def parse_iomem(text: str, source: str) -> list[IomemEntry]:
    """The entries of a ``/proc/iomem`` dump, in file order (parents before children).

    ``source`` names where the text came from; it prefixes every error message.
    """
    return read_iomem(text, source).entries


def read_iomem(text: str, source: str) -> IomemPaste:
    """A ``/proc/iomem`` dump as users paste it: its entries, and what was skipped.

    A paste may be indented as a whole (the common indentation is removed), elide lines
    (``...``, ``[..]``), annotate a name (``namespace0.0  <- fsdax``) or lose lines that
    do not concern memory (a PCI device whose parent was cut, a line indented by one
    space): those are skipped and said. What makes the memory layout ambiguous (a memory
    resource with odd indentation, whose parent was cut, or outside its parent) is
    refused: one located line.
    """
    matched: list[tuple[int, str, re.Match[str]]] = []
    skipped: dict[str, list[int]] = {}
    shown: dict[str, str] = {}

    def skip(kind: str, lineno: int, line: str) -> None:
        skipped.setdefault(kind, []).append(lineno)
        shown.setdefault(kind, _show(line.strip()))

    for lineno, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.removesuffix("\r").rstrip()
        if not line.strip():
            continue
        m = _LINE_RE.fullmatch(line)
        if m is None:
            if _ELISION_RE.fullmatch(line):
                skip("elided", lineno, line)
                continue
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: not a /proc/iomem line "
                "(expected 'START-END : NAME' with bare hex addresses)",
            )
        matched.append((lineno, line, m))
    base = min((len(m.group("indent")) for _, _, m in matched), default=0)
    entries: list[IomemEntry] = []
    ancestors: list[IomemEntry] = []  # ancestors[d] = the open entry at depth d
    for lineno, line, m in matched:
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
        name, annotation = _memory_name((m.group("name") or "").strip())
        memory = _MEMORY_NAME_RE.fullmatch(name) is not None
        if annotation:
            skip("annotation", lineno, annotation)
        indent = len(m.group("indent")) - base
        depth = indent // 2
        if indent % 2:
            if not memory:
                skip("odd indentation", lineno, line)
                del ancestors[depth + 1 :]
                continue
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: odd indentation ({indent} spaces; "
                "/proc/iomem indents two spaces per level)",
            )
        if depth > len(ancestors):
            if not memory:
                skip("parent not in the paste", lineno, line)
                continue
            raise InputError(
                source,
                f"line {lineno}: {_show(line)}: indented to level {depth} but "
                + (
                    f"the entry above is at level {len(ancestors) - 1}"
                    if ancestors
                    else "there is no entry above it"
                ),
            )
        entry = IomemEntry(start, last + 1, name, depth, lineno)
        del ancestors[depth:]
        if ancestors:
            parent = ancestors[-1]
            if not (parent.start <= entry.start and entry.end <= parent.end):
                if not memory:
                    skip("not inside its parent", lineno, line)
                    continue
                raise InputError(
                    source,
                    f"line {lineno}: {entry.span} {entry.name!r} is not inside its parent "
                    f"{parent.span} {parent.name!r} (line {parent.line})",
                )
        ancestors.append(entry)
        entries.append(entry)
    if not entries:
        raise InputError(source, "empty file: no /proc/iomem entries")
    notes = []
    if base:
        notes.append(f"the paste is indented by {base} spaces as a whole: read without them")
    for kind, lines in skipped.items():
        where = ", ".join(map(str, lines[:_SKIPPED_SHOWN])) + (
            f" and {len(lines) - _SKIPPED_SHOWN} more" if len(lines) > _SKIPPED_SHOWN else ""
        )
        what = {
            "elided": "elided by the poster (e.g. {ex}): what they left out is not estimated",
            "annotation": "a note after a resource name (e.g. {ex}) ignored",
            "odd indentation": "indented by an odd number of spaces (e.g. {ex}), not memory: "
            "skipped",
            "parent not in the paste": "its parent is not in the paste (e.g. {ex}), not "
            "memory: skipped",
            "not inside its parent": "outside its parent's range (e.g. {ex}), not memory: skipped",
        }[kind].format(ex=shown[kind])
        notes.append(f"line{'s' if len(lines) > 1 else ''} {where}: {what}")
    return IomemPaste(entries, notes)


def system_ram(entries: list[IomemEntry]) -> list[tuple[int, int]]:
    """Boot ``System RAM`` as sorted half-open ranges, adjacent ones merged.

    That is top-level ``System RAM``, and ``System RAM`` whose only ancestors are ``CXL
    Window`` s: firmware-onlined CXL memory is boot RAM that cxl_acpi's add_cxl_resources()
    (drivers/cxl/acpi.c) later wraps in the window it inserts with
    insert_resource_expand_to_fit(). Hot-plugged ``System RAM (kmem)`` (dax kmem) and RAM
    nested in anything else are not included.
    """
    ranges = sorted(
        (e.start, e.end)
        for e, chain in zip(entries, _ancestors(entries), strict=True)
        if e.name == SYSTEM_RAM and all(_CXL_WINDOW_RE.fullmatch(a.name) for a in chain)
    )
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


KMEM_RAM = "System RAM (kmem)"
SOFT_RESERVED = "Soft Reserved"
_DAX_NAME_RE = re.compile(r"dax[0-9]+\.[0-9]+", re.ASCII)
_CXL_WINDOW_RE = re.compile(r"CXL Window [0-9]+", re.ASCII)

IomemKind = Literal["pmem", "devdax", "system-ram"]


@dataclass(frozen=True)
class IomemDevice:
    """Memory that needs struct pages, as /proc/iomem shows it.

    * ``pmem``: a pmem namespace (a ``namespaceX.Y`` child of a ``Persistent Memory``
      range, or the whole range) that no dax device claims: fsdax, raw or sector, or an
      unbound devdax; /proc/iomem does not say which.
    * ``devdax``: a ``daxX.Y`` entry without a ``System RAM (kmem)`` child: a device-dax
      instance bound to device_dax (dev_dax_probe() in drivers/dax/device.c reserves each
      range of the device under its name).
    * ``system-ram``: a ``daxX.Y`` entry whose range kmem hot-added (dev_dax_kmem_probe()
      in drivers/dax/kmem.c reserves the memory-block-aligned range under the device's name
      and adds ``System RAM (kmem)`` inside it), or a ``System RAM (kmem)`` entry alone.
    """

    name: str
    """``namespace0.0``, ``dax3.0``, or ``NAME@START`` for an unnamed range."""
    kind: IomemKind
    ranges: tuple[tuple[int, int], ...]
    """Half-open byte ranges: the namespace's raw range, the dax device's ranges, or the
    hot-added System RAM."""
    lines: tuple[int, ...]
    """The dump lines the ranges come from."""
    namespace: IomemEntry | None = None
    """For ``pmem`` and for a dax device inside a pmem namespace: the namespace entry."""
    within: str = ""
    """Its ancestors' names, outermost first (``CXL Window 0 > region3``)."""
    dax_ranges: tuple[tuple[int, int], ...] = ()
    """For ``system-ram``: the dax device's own ranges (its ``daxX.Y`` lines), which kmem
    trimmed to memory blocks to get ``ranges``; a ``System RAM (kmem)`` entry with no
    dax device around it is its own range."""
    head_only: bool = False
    """The kernel lists ``namespace`` beside the dax device, covering only the namespace's
    head (info block and map=dev memmap); ``namespace`` is that head stretched to the dax
    device's end, whose end_trunc, if any, /proc/iomem does not show."""


def _subtree(entries: list[IomemEntry], index: int) -> list[IomemEntry]:
    """The descendants of ``entries[index]``, in file order."""
    parent = entries[index]
    out = []
    # by index, not over a slice: a slice copies the rest of the dump for every call
    for j in range(index + 1, len(entries)):
        e = entries[j]
        if e.depth <= parent.depth:
            break
        out.append(e)
    return out


def _ancestors(entries: list[IomemEntry]) -> list[tuple[IomemEntry, ...]]:
    """For each entry, its ancestors from the top level down."""
    out: list[tuple[IomemEntry, ...]] = []
    stack: list[IomemEntry] = []
    for e in entries:
        del stack[e.depth :]
        out.append(tuple(stack))
        stack.append(e)
    return out


def _within(chain: tuple[IomemEntry, ...]) -> str:
    """The names of the ancestors, outermost first: ``CXL Window 0 > Soft Reserved``."""
    return " > ".join(a.name for a in chain)


def pmem_namespaces_by_range(entries: list[IomemEntry]) -> dict[int, list[IomemEntry]]:
    """For each ``Persistent Memory`` range (by line), its ``namespaceX.Y`` entries.

    A namespace may sit right below the range (NFIT and e820 pmem) or below a ``regionN``
    in it: cxl_pmem_region_probe() (drivers/cxl/pmem.c) inserts ``Persistent Memory`` over
    the CXL region with insert_resource(), so ``regionN`` becomes its child and the
    namespaces nest in ``regionN``. A namespace inside another namespace is not one more.
    """
    out: dict[int, list[IomemEntry]] = {r.line: [] for r in persistent_memory(entries)}
    for e, chain in zip(entries, _ancestors(entries), strict=True):
        if not e.name.startswith("namespace"):
            continue
        if any(a.name.startswith("namespace") for a in chain):
            continue
        region = next((a for a in chain if a.line in out), None)
        if region is not None:
            out[region.line].append(e)
    return out


def pmem_namespaces(entries: list[IomemEntry]) -> list[IomemEntry]:
    """The namespaces of each ``Persistent Memory`` range (:func:`pmem_namespaces_by_range`),
    or the whole range when /proc/iomem lists none in it."""
    out: list[IomemEntry] = []
    by_range = pmem_namespaces_by_range(entries)
    for region in persistent_memory(entries):
        out.extend(by_range[region.line] or [region])
    return out


def _namespace_head(
    name: str, chain: tuple[IomemEntry, ...], heads: dict[str, IomemEntry]
) -> IomemEntry | None:
    """The ``namespaceR.I`` entry beside the dax device ``daxR.I`` in the same pmem range.

    Follows __dax_pmem_probe() in drivers/dax/pmem.c (Linux 5.1 and later): the dax
    device of namespaceR.I is daxR.I; the probe reserves only the namespace's first
    ``dataoff`` bytes (its info block, and with map=dev the memmap reservation) under the
    namespace's name, and device_dax (or kmem) reserves the data under the dax device's
    name, so the two are siblings under ``Persistent Memory`` (or its ``regionN``).
    """
    pmem = next((a for a in chain if a.name in PERSISTENT_MEMORY), None)
    head = heads.get("namespace" + name.removeprefix("dax"))
    if pmem is None or head is None:
        return None
    if not (pmem.start <= head.start and head.end <= pmem.end):
        return None
    return head


def memory_devices(entries: list[IomemEntry]) -> list[IomemDevice]:
    """Every pmem namespace, device-dax instance and kmem System RAM range of the dump.

    A dax device listed on several lines (one per range) is one device. A pmem namespace
    that holds a dax device is reported as that dax device (with ``namespace`` set): the
    namespace it nests in, or the ``namespaceR.I`` beside ``daxR.I`` that the kernel
    prints covering only the namespace's head (:func:`_namespace_head`), stretched to the
    end of the dax device (``head_only``).
    """
    chains = _ancestors(entries)
    by_range = pmem_namespaces_by_range(entries)
    heads = {ns.name: ns for group in by_range.values() for ns in group}
    dax: dict[str, list[int]] = {}  # dax device name -> indexes of its entries
    for i, e in enumerate(entries):
        if _DAX_NAME_RE.fullmatch(e.name):
            dax.setdefault(e.name, []).append(i)
    claimed: set[int] = set()  # lines of kmem entries that belong to a dax device
    by_index: dict[int, IomemDevice] = {}
    for name, indexes in dax.items():
        kmem = [c for i in indexes for c in _subtree(entries, i) if c.name == KMEM_RAM]
        # The kernel nests System RAM (kmem) inside the dax resource; a hand-made or
        # reordered dump may put it outside: the dax device is system-ram either way.
        outer = {a.line: a for i in indexes for a in chains[i] if a.name == KMEM_RAM}
        kmem += [a for line, a in outer.items() if line not in {c.line for c in kmem}]
        claimed.update(c.line for c in kmem)
        chain = chains[indexes[0]]
        ns = next((a for a in reversed(chain) if a.name.startswith("namespace")), None)
        own = tuple((entries[i].start, entries[i].end) for i in indexes)
        head_only = False
        if ns is None:
            head = _namespace_head(name, chain, heads)
            if head is not None and head.end <= own[0][0]:
                head_only = True
                # the namespace: its head and the data after it, up to the dax device's
                # end (its end_trunc, if any, is not shown)
                ns = IomemEntry(
                    head.start, max(head.end, own[-1][1]), head.name, head.depth, head.line
                )
                if kmem:  # kmem's daxR.I is trimmed to memory blocks: the data starts at dataoff
                    own = ((head.end, own[-1][1]), *own[1:])
        if kmem:
            kind: IomemKind = "system-ram"
            ranges = tuple((c.start, c.end) for c in kmem)
        else:
            kind, ranges = "devdax", own
        by_index[indexes[0]] = IomemDevice(
            name,
            kind,
            ranges,
            tuple(entries[i].line for i in indexes),
            ns,
            _within(chain),
            own if kmem else (),
            head_only,
        )
    with_dax = {d.namespace.line for d in by_index.values() if d.namespace is not None}
    # positions by identity: list.index() compares the entries field by field, from the
    # start, for every region and namespace (quadratic in the dump)
    position = {id(e): i for i, e in enumerate(entries)}
    for region in persistent_memory(entries):
        for ns in by_range[region.line] or [region]:
            i_ns = position[id(ns)]
            if ns.line in with_dax:
                continue
            name = ns.name if ns.name.startswith("namespace") else f"{ns.name}@{ns.start:#x}"
            by_index[i_ns] = IomemDevice(
                name, "pmem", ((ns.start, ns.end),), (ns.line,), ns, _within(chains[i_ns])
            )
    for i, e in enumerate(entries):
        if e.name == KMEM_RAM and e.line not in claimed:
            by_index[i] = IomemDevice(
                f"{e.name}@{e.start:#x}",
                "system-ram",
                ((e.start, e.end),),
                (e.line,),
                None,
                _within(chains[i]),
                ((e.start, e.end),),
            )
    return [by_index[i] for i in sorted(by_index)]


def unclaimed(entries: list[IomemEntry]) -> list[IomemEntry]:
    """``Soft Reserved`` ranges and ``CXL Window`` s that hold no dax device, kmem RAM or
    System RAM: memory (or address space) no driver has turned into a device yet."""
    out = []
    for i, e in enumerate(entries):
        if e.name == SOFT_RESERVED or _CXL_WINDOW_RE.fullmatch(e.name):
            inside = _subtree(entries, i)
            if not any(
                _DAX_NAME_RE.fullmatch(c.name) or c.name.startswith(SYSTEM_RAM) for c in inside
            ):
                out.append(e)
    return out
