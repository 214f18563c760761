"""What a config file may spell for a value (``"64G"``, ``"4G-0x47fffffff"``, ``"1%"``...),
parsed to exact integers, with the JSON Schema of each spelling."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ARCHES, get_arch
from vmemplan.kernel.memory_hotplug import MemmapOnMemory
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import (
    BOOL_SWITCHES,
    COUNTER_CHOICES,
    SWITCH_NAMES,
    CounterSemantics,
    SwitchValue,
    parse_kernel_switch,
    parse_kernel_version,
)
from vmemplan.sources.cmdline import MAX_NODE, MAX_POOL_FOLIOS
from vmemplan.sources.config.problems import _bad, _brief, _shown
from vmemplan.units import (
    is_power_of_2,
    parse_duration_ns,
    parse_ns_per_page,
    parse_range,
    parse_size,
)

CONFIG_SCHEMA_VERSION: Literal[1] = 1

_MAX_U64 = (1 << 64) - 1
_MAX_TEXT = 200  # longer value strings are refused before any int() (int max str digits)
_NAME_RE = re.compile(r"[A-Za-z0-9_.:-]+")
_STRUCT_PAGE_MIN, _STRUCT_PAGE_MAX = 32, 1024
_VMEMMAP_SHIFT_LIMIT = 40  # request.py accepts 0 <= vmemmap_shift < 40


# ECMA-262 SyntaxCharacter: the only characters a unicode-mode pattern may escape with a
# backslash outside a class (re.escape also escapes "-", which such a pattern refuses).
_ECMA_SYNTAX = frozenset("^$\\.*+?()[]{}|/")


def _ci(word: str) -> str:
    """A case-insensitive JSON Schema (ECMA-262, unicode mode) spelling of ``word``."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else f"\\{c}" if c in _ECMA_SYNTAX else c
        for c in word
    )


def _ci_pattern(words: Iterable[str]) -> str:
    return r"^\s*(" + "|".join(_ci(w) for w in words) + r")\s*$"


_SIZE_RX = r"(0[xX][0-9a-fA-F]+|0|[1-9][0-9]*)([kKmMgGtTpPeE]([iI][bB])?)?"
SIZE_PATTERN = rf"^\s*{_SIZE_RX}\s*$"
RANGE_PATTERN = rf"^\s*{_SIZE_RX}\s*([-+]|\.\.)\s*{_SIZE_RX}\s*$"
PERCENT_PATTERN = r"^\s*[0-9]+(\.[0-9]{1,4})?\s*%\s*$"
TIME_PATTERN = r"^\s*[0-9]+(\.[0-9]{1,3})?\s*(ns|us|ms|s)\s*$"
NS_PER_PAGE_PATTERN = r"^\s*[0-9]+(\.[0-9]{1,3})?(\s*-\s*[0-9]+(\.[0-9]{1,3})?)?\s*$"
KERNEL_PATTERN = r"^\s*v?[0-9]+\.[0-9]+(\.[0-9]+)?(-rc[0-9]+)?([-+.][A-Za-z0-9_.+-]*)?\s*$"
_MODE_WORDS = {
    "devdax": "devdax",
    "dax": "devdax",
    "fsdax": "fsdax",
    "memory": "fsdax",
    "system-ram": "system-ram",
}
NamespaceMode = Literal["devdax", "fsdax", "system-ram"]
# memory_hotplug.memmap_on_memory as --memmap-on-memory spells it (kstrtobool words too)
_MOM_WORDS: dict[str, MemmapOnMemory] = {
    "off": "off",
    "n": "off",
    "no": "off",
    "on": "on",
    "y": "on",
    "yes": "on",
    "force": "force",
}
_MAX_POOL_FOLIOS = MAX_POOL_FOLIOS  # HugeTLB folios in one pool: the command line's cap
_MAX_NODE = MAX_NODE  # MAX_NUMNODES is at most 2^NODES_SHIFT, NODES_SHIFT <= 10

_SIZE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": _MAX_U64},
        {"type": "string", "pattern": SIZE_PATTERN},
    ],
    "description": "bytes: an integer or a binary size like 64G, 2MiB, 4096, 0x1000",
}


def _as_text(value: object, expected: str) -> str:
    if not isinstance(value, str):
        raise _bad(f"expected {expected}, got {_brief(value)}")
    if len(value) > _MAX_TEXT:
        raise _bad(f"{_brief(value)}: too long")
    return value


def _as_int(value: object, expected: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"expected {expected}, got {_brief(value)}")
    return value


def _checked(parse: Callable[[str, str], Any], text: str) -> Any:
    try:
        return parse(text, "config")
    except InputError as e:
        raise _bad(e.message) from None
    except ValueError as e:  # pragma: no cover - int() limits, kept out by _MAX_TEXT
        raise _bad(f"{_brief(text)}: {e}") from None


def _u64(value: int, unit: str = "") -> int:
    """An integer given as is in the file: 0 <= value <= 2^64 - 1."""
    if value < 0:
        raise _bad(f"{_brief(value)}: must not be negative")
    if value > _MAX_U64:
        raise _bad(f"{_brief(value)}: too large (above 2^64{unit})")
    return value


def _to_size(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _u64(value)
    return _size_of_text(_as_text(value, "a size like 2M or an integer"))


# A generated host file spells the same few sizes thousands of times: parse each once
# (a bad one raises, and exceptions are not cached).
@functools.lru_cache(maxsize=1024)
def _size_of_text(text: str) -> int:
    result: int = _checked(parse_size, text)
    return result


def _to_nonzero_size(value: object) -> int:
    size = _to_size(value)
    if size == 0:
        raise _bad("must not be zero")
    return size


def _to_align(value: object) -> int:
    align = _to_size(value)
    if not is_power_of_2(align):
        raise _bad(f"{_shown(value)} is not a power of two")
    return align


def _to_range(value: object) -> tuple[int, int]:
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1] <= _MAX_U64 + 1
    ):
        return (value[0], value[1])  # already parsed (a model built in Python)
    text = _as_text(value, "a range like 4G-0x47fffffff or 64G+1T")
    result: tuple[int, int] = _checked(parse_range, text)
    return result


def _to_time(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _u64(value, " ns")
    text = _as_text(value, "a time like 500ms or an integer of ns")
    if len(text) > _MAX_TEXT:
        raise _bad(f"{_brief(value)}: too long")
    return _time_of_text(text)


# As _size_of_text(): a generated host file spells the same init budget in every entry.
@functools.lru_cache(maxsize=1024)
def _time_of_text(text: str) -> int:
    return int(_checked(parse_duration_ns, text))


def _to_ns_per_page(value: object) -> tuple[int, int]:
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        and value[0] <= value[1]
    ):
        return (value[0], value[1])  # already parsed (a model built in Python)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = _as_text(value, "NS or LOW-HIGH in ns, e.g. 8.0-10.7")
    if len(text) > 40:
        raise _bad(f"{_brief(value)}: too long")
    low, high = _checked(parse_ns_per_page, text)
    return int(low), int(high)


def _to_arch(value: object) -> str:
    text = _as_text(value, f"an architecture name ({', '.join(ARCHES)})")
    try:
        return get_arch(text.strip(), "arch").name
    except InputError as e:
        raise _bad(e.message) from None


def _to_kernel(value: object) -> str:
    if isinstance(value, float):
        raise _bad(f'{value!r}: write the kernel version as a string, e.g. "6.12"')
    text = _as_text(value, 'a kernel version string like "6.12"')
    _checked(parse_kernel_version, text)
    return text


def _to_struct_page_size(value: object) -> int:
    size = _as_int(value, "an integer number of bytes (32 to 1024, a multiple of 8)")
    if not _STRUCT_PAGE_MIN <= size <= _STRUCT_PAGE_MAX or size % 8:
        raise _bad(f"{_brief(size)}: must be a multiple of 8 from 32 to 1024")
    return size


def _to_counters(value: object) -> str:
    text = _as_text(value, f"one of {', '.join(COUNTER_CHOICES)}")
    key = text.strip().lower()
    if key not in COUNTER_CHOICES:
        raise _bad(
            f"{_brief(text)}: expected {', '.join(COUNTER_CHOICES[:-1])} or {COUNTER_CHOICES[-1]}"
        )
    return key


def _to_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"expected true or false, got {_brief(value)}")
    return value


def _to_dedup_keep(value: object) -> int:
    keep = _as_int(value, "1 or 2")
    if keep not in (1, 2):
        raise _bad(f"{_brief(keep)}: expected 1 or 2")
    return keep


def _to_name(value: object) -> str:
    text = _as_text(value, "a name like pmem0")
    if _NAME_RE.fullmatch(text) is None:
        raise _bad(f"{_brief(text)}: not a valid name (use letters, digits and _ . : -)")
    return text


def _to_mode(value: object) -> str:
    text = _as_text(value, "devdax, fsdax or system-ram")
    key = text.strip().lower()
    if key in ("raw", "sector", "safe"):
        raise _bad(f"{text.strip()}: {key} namespaces have no struct pages (nothing to plan)")
    if key not in _MODE_WORDS:
        raise _bad(f"{_brief(text)}: expected devdax, fsdax or system-ram (legacy: dax, memory)")
    return _MODE_WORDS[key]


def _to_memmap_on_memory(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    text = _as_text(value, "off, on or force")
    key = text.strip().lower()
    if key not in _MOM_WORDS:
        raise _bad(f"{_brief(text)}: expected off, on or force")
    return _MOM_WORDS[key]


def _to_pool_count(value: object) -> int:
    count = _as_int(value, "an integer number of huge pages")
    if not 1 <= count <= _MAX_POOL_FOLIOS:
        raise _bad(f"{_brief(count)}: must be from 1 to 2^40 huge pages")
    return count


def _to_node(value: object) -> int:
    node = _as_int(value, "a NUMA node number")
    if not 0 <= node < _MAX_NODE:
        raise _bad(f"{_brief(node)}: not a NUMA node (0 to {_MAX_NODE - 1})")
    return node


def _to_map(value: object) -> str:
    text = _as_text(value, "mem or dev")
    key = text.strip().lower()
    if key not in ("mem", "dev"):
        raise _bad(f"{_brief(text)}: expected mem or dev")
    return key


def _to_vmemmap_shift(value: object) -> int:
    shift = _as_int(value, "an integer")
    if not 0 <= shift < _VMEMMAP_SHIFT_LIMIT:
        raise _bad(f"{_brief(shift)}: out of range (0 to {_VMEMMAP_SHIFT_LIMIT - 1})")
    return shift


def _to_interleave_ways(value: object) -> int:
    ways = _as_int(value, "an integer >= 1")
    if not 1 <= ways <= _MAX_U64:
        raise _bad(f"{_brief(ways)}: must be an integer >= 1")
    return ways


def _to_schema_version(value: object) -> int:
    version = _as_int(value, f"the integer {CONFIG_SCHEMA_VERSION}")
    if version != CONFIG_SCHEMA_VERSION:
        raise _bad(
            f"unsupported schema_version {_brief(version)} "
            f"(this vmemplan reads {CONFIG_SCHEMA_VERSION})"
        )
    return version


Size = Annotated[int, BeforeValidator(_to_size), WithJsonSchema(_SIZE_SCHEMA)]
NonZeroSize = Annotated[
    int,
    BeforeValidator(_to_nonzero_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": _MAX_U64},
                {"type": "string", "pattern": SIZE_PATTERN},
            ],
            "description": "bytes, not zero: an integer or a binary size like 1536G",
        }
    ),
]
Align = Annotated[
    int,
    BeforeValidator(_to_align),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 1 << 63},
                {"type": "string", "pattern": SIZE_PATTERN},
            ],
            "description": "bytes, a power of two: an integer or a binary size like 2M or 1G",
        }
    ),
]
ByteRange = Annotated[
    tuple[int, int],
    BeforeValidator(_to_range),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RANGE_PATTERN,
            "description": "START-END (END inclusive, as /proc/iomem prints it) or START+SIZE",
        }
    ),
]
TimeNs = Annotated[
    int,
    BeforeValidator(_to_time),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": _MAX_U64},
                {"type": "string", "pattern": TIME_PATTERN},
            ],
            "description": "ns: an integer, or a number with a unit ns, us, ms or s like 500ms "
            "or 1.5s (at most 3 decimals)",
        }
    ),
]
NsPerPage = Annotated[
    tuple[int, int],
    BeforeValidator(_to_ns_per_page),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": NS_PER_PAGE_PATTERN},
                {"type": "number", "exclusiveMinimum": 0},
            ],
            "description": "ns per struct page initialised: LOW-HIGH or one value, like "
            "8.0-10.7 (at most 3 decimals)",
        }
    ),
]
ArchName = Annotated[
    str,
    BeforeValidator(_to_arch),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(ARCHES),
            "description": f"architecture (case-insensitive): {', '.join(ARCHES)}",
        }
    ),
]
KernelVersion = Annotated[
    str,
    BeforeValidator(_to_kernel),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": KERNEL_PATTERN,
            "description": "kernel version like 6.12, 6.12.7 or v6.12-rc3 (a string)",
        }
    ),
]
StructPageSize = Annotated[
    int,
    BeforeValidator(_to_struct_page_size),
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": _STRUCT_PAGE_MIN,
            "maximum": _STRUCT_PAGE_MAX,
            "multipleOf": 8,
            "description": "sizeof(struct page) in bytes",
        }
    ),
]
Counters = Annotated[
    CounterSemantics,
    BeforeValidator(_to_counters),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(COUNTER_CHOICES),
            "description": "nr_memmap_pages semantics override: " + ", ".join(COUNTER_CHOICES),
        }
    ),
]
StrictBool = Annotated[bool, BeforeValidator(_to_bool), WithJsonSchema({"type": "boolean"})]
DedupKeep = Annotated[
    int,
    BeforeValidator(_to_dedup_keep),
    WithJsonSchema(
        {"type": "integer", "enum": [1, 2], "description": "vmemmap pages kept per compound"}
    ),
]
NamespaceName = Annotated[
    str,
    BeforeValidator(_to_name),
    WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9_.:-]+$"}),
]
ModeName = Annotated[
    NamespaceMode,
    BeforeValidator(_to_mode),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(_MODE_WORDS),
            "description": "devdax, fsdax (legacy names: dax, memory) or system-ram (a dax "
            "device onlined as System RAM by dax kmem), case-insensitive",
        }
    ),
]
MemmapOnMemoryName = Annotated[
    MemmapOnMemory,
    BeforeValidator(_to_memmap_on_memory),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _ci_pattern(_MOM_WORDS)},
                {"type": "boolean"},
            ],
            "description": "memory_hotplug.memmap_on_memory for a system-ram namespace, as "
            "--memmap-on-memory: off, on or force (true is on, false off); default off",
        }
    ),
]
PoolCount = Annotated[
    int,
    BeforeValidator(_to_pool_count),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": _MAX_POOL_FOLIOS}),
]
NodeId = Annotated[
    int,
    BeforeValidator(_to_node),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": _MAX_NODE - 1}),
]
MapName = Annotated[
    MapMode,
    BeforeValidator(_to_map),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(("mem", "dev")),
            "description": "where the memmap lives: mem (DRAM) or dev (altmap on the device)",
        }
    ),
]
VmemmapShift = Annotated[
    int,
    BeforeValidator(_to_vmemmap_shift),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": _VMEMMAP_SHIFT_LIMIT - 1}),
]
InterleaveWays = Annotated[
    int,
    BeforeValidator(_to_interleave_ways),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": _MAX_U64}),
]


def _to_linear_map(value: object) -> str:
    text = _as_text(value, "pages or blocks")
    key = text.strip().lower()
    if key not in ("pages", "blocks"):
        raise _bad(f"{_brief(text)}: expected pages or blocks")
    return key


def _to_kernel_switches(value: object) -> dict[str, SwitchValue]:
    """``[host.kernel_switches]``: the --kernel-switch NAME=VALUE overrides, as a table."""
    if not isinstance(value, dict):
        raise _bad(f"expected a table of switch = value, got {_brief(value)}")
    out: dict[str, SwitchValue] = {}
    for name, raw in value.items():
        if isinstance(raw, bool):
            text = "y" if raw else "n"
        elif isinstance(raw, int | str):
            text = str(raw)
        else:
            raise _bad(f"{name}: expected true/false, a name or 1/2, got {_brief(raw)}")
        switch, parsed = _checked(lambda t, _o: parse_kernel_switch(t, "config"), f"{name}={text}")
        out[switch] = parsed
    return out


LinearMapName = Annotated[
    str,
    BeforeValidator(_to_linear_map),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(("pages", "blocks")),
            "description": "direct map of added ranges: pages (arm64 rodata=full) or blocks",
        }
    ),
]
KernelSwitches = Annotated[
    dict[str, SwitchValue],
    BeforeValidator(_to_kernel_switches),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"enum": list(SWITCH_NAMES)},
            "additionalProperties": {"type": ["boolean", "integer", "string"]},
            "description": "behaviour switches a distribution kernel carries, as "
            "--kernel-switch NAME=VALUE: "
            + ", ".join(SWITCH_NAMES)
            + " (booleans: "
            + ", ".join(BOOL_SWITCHES)
            + ")",
        }
    ),
]
SchemaVersion = Annotated[
    Literal[1],
    BeforeValidator(_to_schema_version),
    WithJsonSchema({"type": "integer", "const": CONFIG_SCHEMA_VERSION}),
]
