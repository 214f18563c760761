"""Parsers of the procfs and sysfs text formats ``inspect`` reads (pure: text in, values
out; malformed lines are skipped, never trusted, and nothing here grows faster than its
input).

Formats (live-inspect.md §2): ``/proc/meminfo`` and ``nodeN/meminfo`` are ``Name: value
kB`` lines; ``/proc/vmstat`` is ``name value``; ``/proc/zoneinfo`` has ``Node N, zone Z``
headers followed by indented ``present``/``managed`` lines; ``/proc/cmdline`` is words
(``name=value``), with everything after ``--`` for init; node lists are cpulist ranges
(``0-1,3``); ``block_size_bytes`` and ``phys_index`` are hex without ``0x``.
"""

from __future__ import annotations

# A node list longer than this many nodes is not a NUMA machine (MAX_NUMNODES is 1024).
MAX_NODES = 1 << 10


def parse_int(text: str | None, base: int = 10) -> int | None:
    """An integer of at most 40 digits (None: absent or not a number)."""
    if text is None:
        return None
    t = text.strip()
    if base == 16 and t[:2].lower() == "0x":
        t = t[2:]
    if not t or len(t) > 40:
        return None
    try:
        value = int(t, base)
    except ValueError:
        return None
    return value if value >= 0 else None


def parse_kb_lines(text: str) -> dict[str, int]:
    """``MemTotal:  16 kB`` lines (also ``Node 0 MemTotal: ...``) as {name: bytes};
    a line without ``kB`` (``HugePages_Total: 4``) keeps its bare count."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if not sep:
            continue
        words = rest.split()
        if not words:
            continue
        value = parse_int(words[0])
        if value is None:
            continue
        key = name.split()[-1] if name.split() else ""
        out[key] = value * 1024 if len(words) > 1 and words[1] == "kB" else value
    return out


def parse_vmstat(text: str) -> dict[str, int]:
    """``/proc/vmstat``: {name: value}."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2:
            value = parse_int(words[1])
            if value is not None:
                out[words[0]] = value
    return out


def parse_zoneinfo(text: str) -> dict[int, tuple[int, int]]:
    """``/proc/zoneinfo``: {node: (present pages, managed pages)} summed over its zones."""
    out: dict[int, tuple[int, int]] = {}
    node: int | None = None
    for line in text.splitlines():
        if line.startswith("Node "):
            head = line[5:].partition(",")[0]
            node = parse_int(head)
            if node is not None and node < MAX_NODES:
                out.setdefault(node, (0, 0))
            continue
        if node is None or node not in out:
            continue
        words = line.split()
        if len(words) == 2 and words[0] in ("present", "managed"):
            value = parse_int(words[1])
            if value is None:
                continue
            present, managed = out[node]
            if words[0] == "present":
                out[node] = (present + value, managed)
            else:
                out[node] = (present, managed + value)
    return out


def parse_cmdline(text: str) -> dict[str, str]:
    """``/proc/cmdline``: {parameter: value} (``""`` for a bare word), up to ``--``; the
    last occurrence wins, as for most early parameters."""
    out: dict[str, str] = {}
    for word in text.split():
        if word == "--":
            break
        name, _, value = word.partition("=")
        out[name] = value
    return out


def parse_node_list(text: str | None) -> list[int]:
    """A cpulist-style node list (``0-1,3``); [] if empty or malformed."""
    if not text:
        return []
    out: list[int] = []
    for part in text.strip().split(","):
        lo, sep, hi = part.partition("-")
        a = parse_int(lo)
        b = parse_int(hi) if sep else a
        if a is None or b is None or b < a or b >= MAX_NODES:
            return []
        out.extend(range(a, b + 1))
    return sorted(set(out))


def cmdline_bool(value: str | None) -> bool | None:
    """A kernel boolean parameter's value (kstrtobool: y/n/1/0/on/off), None if absent
    or unreadable. A bare word is true."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("", "y", "yes", "1", "on", "true"):
        return True
    if v in ("n", "no", "0", "off", "false"):
        return False
    return None


def first_block(text: str) -> dict[str, str]:
    """The first processor block of ``/proc/cpuinfo``: {key: value}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if out:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip().lower(), value.strip())
    return out
