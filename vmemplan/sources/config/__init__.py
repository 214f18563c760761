"""The host config file that ``vmemplan check host.toml`` reads: schema, parser, error report.

One file describes one host: defaults (``[host]``), budgets over all namespaces
(``[budgets]``) and the namespaces (``[[namespaces]]``), each with optional budgets of its
own. TOML is the primary format; YAML and JSON with the same schema are accepted.

The pydantic models hold already-parsed exact values: sizes and addresses in bytes, ranges
as half-open ``(start, end)`` byte tuples, budgets as ``Limit`` (bytes or parts per
million), times in ns, ``ns_per_page`` in picoseconds. A field that is ``None`` was not
given: the consumer applies vmemplan's default (the CLI's). The annotated types accept what
the file may spell (``"64G"`` or ``68719476736``) and carry a JSON Schema describing exactly
that, so ``ConfigFile.model_json_schema()`` is the published schema of the file.

``parse_config()`` never lets another exception out: every problem of a file (syntax,
unknown keys, bad values, conflicting keys) becomes one ``Problem`` with the dotted
location of the value and, where it can be found, its line; they are raised together as one
``ConfigError``.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from vmemplan.errors import InputError
from vmemplan.kernel.arch import ARCHES, get_arch
from vmemplan.kernel.dax_device import Mode
from vmemplan.kernel.pfn_devs import MapMode
from vmemplan.kernel.versions import COUNTER_CHOICES, CounterSemantics, parse_kernel_version
from vmemplan.units import (
    is_power_of_2,
    parse_duration_ns,
    parse_ns_per_page,
    parse_percent_ppm,
    parse_range,
    parse_size,
)

__all__ = [
    "CONFIG_SCHEMA_VERSION",
    "BudgetSection",
    "ConfigError",
    "ConfigFile",
    "ConfigFormat",
    "HostSection",
    "Limit",
    "NamespaceEntry",
    "Problem",
    "parse_config",
    "parse_config_located",
]

CONFIG_SCHEMA_VERSION: Literal[1] = 1
ConfigFormat = Literal["toml", "yaml", "json"]

_MAX_U64 = (1 << 64) - 1
_PPM_PER_PERCENT = 10_000
_MAX_TEXT = 200  # longer value strings are refused before any int() (int max str digits)
_FILE = "(file)"
_FILE_CONTEXT = "vmemplan_config_file"  # validation context: the values come from a file
_NAME_RE = re.compile(r"[A-Za-z0-9_.:-]+")
_STRUCT_PAGE_MIN, _STRUCT_PAGE_MAX = 32, 1024
_VMEMMAP_SHIFT_LIMIT = 40  # estimate.py accepts 0 <= vmemmap_shift < 40

_KeyPath = tuple[str | int, ...]


# --------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class Problem:
    """One problem of a config file: where (file, line, dotted location) and what."""

    source: str
    location: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.location}: {self.message}"


class ConfigError(InputError):
    """Every problem of one config file; ``str()`` prints them one per line.

    ``option`` is the first problem's source (the file name), ``message`` all problems.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems: list[Problem] = list(problems)
        super().__init__(self.problems[0].source, "\n".join(map(str, self.problems)))
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[Problem]]]:
        return (ConfigError, (self.problems,))


def _bad(message: str) -> PydanticCustomError:
    """A validation error whose message reaches the user as it is."""
    return PydanticCustomError("vmemplan_value", "{message}", {"message": message})


def _conflict(message: str) -> PydanticCustomError:
    return PydanticCustomError("vmemplan_conflict", "{message}", {"message": message})


def _brief(value: object, depth: int = 0) -> str:
    """A short, safe rendering of a file value for messages (bounded depth and length)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 128 else f"a {value.bit_length()}-bit integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
    if isinstance(value, list | tuple | set | frozenset | dict):
        if depth >= 2:
            return "[...]" if not isinstance(value, dict) else "{...}"
        if isinstance(value, dict):
            first = itertools.islice(value.items(), 3)
            items = [f"{_brief(k, depth + 1)}: {_brief(v, depth + 1)}" for k, v in first]
            more = ", ..." if len(value) > 3 else ""
            return "{" + ", ".join(items) + more + "}"
        parts = [_brief(v, depth + 1) for v in itertools.islice(value, 3)]
        more = ", ..." if len(value) > 3 else ""
        return "[" + ", ".join(parts) + more + "]"
    return f"a {type(value).__name__} value"


def _shown(value: object) -> str:
    """The value as the user wrote it: strings without quotes."""
    return value.strip() if isinstance(value, str) else _brief(value)


# --------------------------------------------------------------------------------------
# Value types: what the file may spell, parsed to exact values


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
_MODE_WORDS = {"devdax": "devdax", "dax": "devdax", "fsdax": "fsdax", "memory": "fsdax"}

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
    text = _as_text(value, "a size like 2M or an integer")
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


def _to_limit(value: object, info: ValidationInfo) -> Limit:
    if isinstance(value, Limit):
        return value
    if isinstance(value, dict) and not (info.context or {}).get(_FILE_CONTEXT):
        return Limit.model_validate(value)  # model_dump() output, outside parse_config()
    if isinstance(value, str) and value.strip().endswith("%"):
        if len(value) > _MAX_TEXT:
            raise _bad(f"{_brief(value)}: too long")
        return Limit(ppm=_checked(parse_percent_ppm, value))
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _bad(
            f"expected a size like 64G, an integer or a percentage like 1%, got {_brief(value)}"
        )
    if isinstance(value, str) and not re.match(r"\s*[0-9]", value):
        raise _bad(f"{_brief(value)}: not a size or a percentage (expected e.g. 64G, 4096 or 1%)")
    return Limit(bytes=_to_size(value))


def _to_time(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _u64(value, " ns")
    text = _as_text(value, "a time like 500ms or an integer of ns")
    if len(text) > _MAX_TEXT:
        raise _bad(f"{_brief(value)}: too long")
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
        raise _bad(f"{text!r}: expected {', '.join(COUNTER_CHOICES[:-1])} or {COUNTER_CHOICES[-1]}")
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
        raise _bad(f"{text!r}: not a valid name (use letters, digits and _ . : -)")
    return text


def _to_mode(value: object) -> str:
    text = _as_text(value, "devdax or fsdax")
    key = text.strip().lower()
    if key in ("raw", "sector", "safe"):
        raise _bad(f"{text.strip()}: {key} namespaces have no struct pages (nothing to plan)")
    if key not in _MODE_WORDS:
        raise _bad(f"{text!r}: expected devdax or fsdax (legacy: dax, memory)")
    return _MODE_WORDS[key]


def _to_map(value: object) -> str:
    text = _as_text(value, "mem or dev")
    key = text.strip().lower()
    if key not in ("mem", "dev"):
        raise _bad(f"{text!r}: expected mem or dev")
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
    Mode,
    BeforeValidator(_to_mode),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _ci_pattern(_MODE_WORDS),
            "description": "devdax or fsdax (legacy names: dax, memory), case-insensitive",
        }
    ),
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
SchemaVersion = Annotated[
    Literal[1],
    BeforeValidator(_to_schema_version),
    WithJsonSchema({"type": "integer", "const": CONFIG_SCHEMA_VERSION}),
]


# --------------------------------------------------------------------------------------
# Models


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limit(_Model):
    """A budget: exactly one of ``bytes`` or ``ppm`` (percent x 10,000 of a total size)."""

    bytes: int | None = Field(default=None, ge=0)
    ppm: int | None = Field(default=None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _exactly_one(self) -> Limit:
        if (self.bytes is None) == (self.ppm is None):
            raise _conflict("a limit has exactly one of bytes or ppm")
        return self

    def resolve(self, total_bytes: int) -> int:
        """The limit in bytes; a percentage of ``total_bytes`` is rounded down."""
        if self.bytes is not None:
            return self.bytes
        return total_bytes * (self.ppm or 0) // 1_000_000


LimitValue = Annotated[
    Limit,
    BeforeValidator(_to_limit),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": _MAX_U64},
                {"type": "string", "pattern": SIZE_PATTERN},
                {"type": "string", "pattern": PERCENT_PATTERN},
            ],
            "description": "bytes (an integer or a size like 64G) or a percentage of the "
            "namespace size like 1% or 0.0125% (at most 4 decimals)",
        }
    ),
]


class HostSection(_Model):
    """``[host]``: defaults for every namespace; ``None`` means vmemplan's default."""

    arch: ArchName | None = Field(default=None, description="default x86_64")
    kernel: KernelVersion | None = Field(default=None, description="default 6.12")
    struct_page_size: StructPageSize | None = Field(default=None, description="default 64")
    system_ram: tuple[ByteRange, ...] | None = Field(
        default=None,
        description="boot RAM ranges; [] means none; absent means the default 0+64G",
    )
    counters: Counters | None = None
    early_init_fix: StrictBool | None = None
    dedup_keep: DedupKeep | None = None
    ns_per_page: NsPerPage | None = Field(
        default=None, description="default 8.0-10.7 (memmap in DRAM), 10.6-57.6 (map=dev)"
    )


class BudgetSection(_Model):
    """``[budgets]`` (totals) or ``[namespaces.budgets]``; ``None`` means no budget."""

    dram: LimitValue | None = Field(default=None, description="DRAM used (memmap + tables)")
    device_loss: LimitValue | None = Field(default=None, description="device capacity lost")
    init: TimeNs | None = Field(default=None, description="struct page init time (high end)")


class NamespaceEntry(_Model):
    """One ``[[namespaces]]`` entry: exactly one of ``size``, ``usable`` or ``dax_ranges``."""

    name: NamespaceName
    size: NonZeroSize | None = Field(default=None, description="raw size, like ndctl --size")
    usable: NonZeroSize | None = Field(default=None, description="usable size wanted")
    dax_ranges: tuple[ByteRange, ...] | None = Field(
        default=None, min_length=1, description="dynamic (hmem/CXL) dax ranges"
    )
    start: Size | None = Field(default=None, description="physical start (default 64G)")
    mode: ModeName = "devdax"
    map: MapName | None = Field(default=None, description="default mem")
    align: Align | None = Field(default=None, description="default: the arch's PMD size")
    vmemmap_shift: VmemmapShift | None = None
    interleave_ways: InterleaveWays | None = None
    budgets: BudgetSection = Field(default_factory=BudgetSection)

    @model_validator(mode="after")
    def _exclusive_keys(self) -> NamespaceEntry:
        given = {k for k in _EXCLUSIVE_KEYS if getattr(self, k) is not None}
        conflicts = _namespace_conflicts(given)
        if conflicts:
            raise _conflict("; ".join(message for _, message in conflicts))
        return self


class ConfigFile(_Model):
    """A host config file (schema_version 1)."""

    model_config = ConfigDict(title="vmemplan host config")

    schema_version: SchemaVersion = CONFIG_SCHEMA_VERSION
    host: HostSection = Field(default_factory=HostSection)
    budgets: BudgetSection = Field(default_factory=BudgetSection)
    namespaces: tuple[NamespaceEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ConfigFile:
        conflicts = _duplicate_names([ns.name for ns in self.namespaces])
        if conflicts:
            raise _conflict("; ".join(message for _, message in conflicts))
        return self


_EXCLUSIVE_KEYS = ("size", "usable", "dax_ranges", "start", "map", "align", "vmemmap_shift")
_SIZE_KEYS = ("size", "usable", "dax_ranges")


def _namespace_conflicts(given: set[str]) -> list[tuple[str | None, str]]:
    """Key conflicts of one namespace: (offending key or None for the entry, message)."""
    out: list[tuple[str | None, str]] = []
    sizes = [k for k in _SIZE_KEYS if k in given]
    if not sizes:
        out.append((None, "give one of size, usable or dax_ranges"))
    for key in sizes[1:]:
        message = f"{sizes[0]} and {key} both given; give exactly one of size, usable or dax_ranges"
        out.append((key, message))
    if "dax_ranges" in given:
        if "start" in given:
            out.append(("start", "start cannot be combined with dax_ranges (each range has one)"))
        if "map" in given:
            out.append(("map", "map cannot be combined with dax_ranges (they have no altmap)"))
    if "align" in given and "vmemmap_shift" in given:
        out.append(("vmemmap_shift", "give align or vmemmap_shift, not both"))
    return out


def _duplicate_names(names: Sequence[object]) -> list[tuple[int, str]]:
    """(index, message) for every name already used by an earlier namespace."""
    first: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in first:
            out.append((i, f"duplicate name {name!r} (first used by namespaces[{first[name]}])"))
        else:
            first[name] = i
    return out


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): ConfigFile,
    ("host",): HostSection,
    ("budgets",): BudgetSection,
    ("namespaces", "[]"): NamespaceEntry,
    ("namespaces", "[]", "budgets"): BudgetSection,
}


# --------------------------------------------------------------------------------------
# Line numbers


class _Lines:
    """Where each path of a document is: key (or item) lines and value line spans."""

    def __init__(self) -> None:
        self.at: dict[_KeyPath, int] = {}
        self.span: dict[_KeyPath, tuple[int, int]] = {}

    def line(self, path: _KeyPath) -> int | None:
        """The line of ``path``; None rather than a guess when it is not known exactly."""
        if path in self.at:
            return self.at[path]
        for k in range(len(path) - 1, 0, -1):
            prefix = path[:k]
            span = self.span.get(prefix)
            if span is not None:
                return span[0] if span[0] == span[1] else None
            if prefix in self.at:
                return None
        return None


class _ScanError(Exception):
    """The position scanner lost its way (the document was already parsed: give up)."""


class _Cursor:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.s[self.i : self.i + n]
        self.line += chunk.count("\n")
        self.i += n

    def expect(self, text: str) -> None:
        if self.peek(len(text)) != text:
            raise _ScanError(f"expected {text!r} at line {self.line}")
        self.advance(len(text))

    def skip_blank(self, newlines: bool, comments: bool) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif comments and c == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                return


def _json_lines(text: str) -> tuple[_Lines, list[tuple[_KeyPath, int, str]]]:
    """Lines of every key and item of a JSON document, and its duplicate keys."""
    lines = _Lines()
    dups: list[tuple[_KeyPath, int, str]] = []
    cur = _Cursor(text)

    def string() -> str:
        start = cur.i
        cur.expect('"')
        while cur.i < len(cur.s) and cur.s[cur.i] != '"':
            cur.advance(2 if cur.s[cur.i] == "\\" else 1)
        cur.expect('"')
        try:
            decoded: str = json.loads(cur.s[start : cur.i])
        except ValueError as e:
            raise _ScanError(str(e)) from None
        return decoded

    def value(path: _KeyPath) -> None:
        cur.skip_blank(newlines=True, comments=False)
        first = cur.line
        c = cur.peek()
        if c == "{":
            cur.advance()
            seen: dict[str, int] = {}
            cur.skip_blank(newlines=True, comments=False)
            while cur.peek() != "}":
                cur.skip_blank(newlines=True, comments=False)
                line = cur.line
                key = string()
                if key in seen:
                    message = f"duplicate key {key!r} (first at line {seen[key]})"
                    dups.append(((*path, key), line, message))
                seen[key] = line
                lines.at[(*path, key)] = line
                cur.skip_blank(newlines=True, comments=False)
                cur.expect(":")
                value((*path, key))
                cur.skip_blank(newlines=True, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    cur.skip_blank(newlines=True, comments=False)
                elif cur.peek() != "}":
                    raise _ScanError(f"unexpected {cur.peek()!r}")
            cur.advance()
        elif c == "[":
            cur.advance()
            index = 0
            cur.skip_blank(newlines=True, comments=False)
            while cur.peek() != "]":
                cur.skip_blank(newlines=True, comments=False)
                lines.at[(*path, index)] = cur.line
                value((*path, index))
                cur.skip_blank(newlines=True, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    index += 1
                elif cur.peek() != "]":
                    raise _ScanError(f"unexpected {cur.peek()!r}")
            cur.advance()
        elif c == '"':
            string()
        elif c:
            while cur.i < len(cur.s) and cur.s[cur.i] not in ",]} \t\r\n":
                cur.advance()
        else:
            raise _ScanError("unexpected end")
        lines.span[path] = (first, cur.line)

    with contextlib.suppress(_ScanError, RecursionError):
        value(())
    return lines, dups


_TOML_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_lines(text: str) -> _Lines:
    """Lines of every key, table header and array item of a (valid) TOML document."""
    lines = _Lines()
    cur = _Cursor(text)
    aot_count: dict[_KeyPath, int] = {}

    def key_path() -> list[str]:
        keys = []
        while True:
            cur.skip_blank(newlines=False, comments=False)
            c = cur.peek()
            if c in ('"', "'"):
                start = cur.i
                string()
                raw = cur.s[start : cur.i]
                keys.append(raw[1:-1] if c == "'" else _toml_basic(raw))
            else:
                m = _TOML_BARE_KEY.match(cur.s, cur.i)
                if m is None:
                    raise _ScanError(f"no key at line {cur.line}")
                keys.append(m.group())
                cur.advance(m.end() - m.start())
            cur.skip_blank(newlines=False, comments=False)
            if cur.peek() != ".":
                return keys
            cur.advance()

    def resolve(keys: Sequence[str]) -> _KeyPath:
        path: _KeyPath = ()
        for k in keys:
            path = (*path, k)
            if path in aot_count:
                path = (*path, aot_count[path] - 1)
        return path

    def string() -> None:
        quote = cur.peek()
        if cur.peek(3) == quote * 3:
            cur.advance(3)
            while cur.i < len(cur.s):
                if quote == '"' and cur.peek() == "\\":
                    cur.advance(2)
                elif cur.peek(3) == quote * 3:
                    run = 3
                    while run < 5 and cur.s[cur.i + run : cur.i + run + 1] == quote:
                        run += 1
                    cur.advance(run)
                    return
                else:
                    cur.advance()
            raise _ScanError("unterminated string")
        cur.advance()
        while cur.i < len(cur.s) and cur.peek() != quote:
            if cur.peek() == "\n":
                raise _ScanError("newline in string")
            cur.advance(2 if quote == '"' and cur.peek() == "\\" else 1)
        cur.expect(quote)

    def value(path: _KeyPath) -> None:
        first = cur.line
        c = cur.peek()
        if c in ('"', "'"):
            string()
        elif c == "[":
            cur.advance()
            index = 0
            cur.skip_blank(newlines=True, comments=True)
            while cur.peek() != "]":
                lines.at[(*path, index)] = cur.line
                value((*path, index))
                cur.skip_blank(newlines=True, comments=True)
                if cur.peek() == ",":
                    cur.advance()
                    index += 1
                    cur.skip_blank(newlines=True, comments=True)
                elif cur.peek() != "]":
                    raise _ScanError(f"unexpected {cur.peek()!r} at line {cur.line}")
            cur.advance()
        elif c == "{":
            cur.advance()
            cur.skip_blank(newlines=False, comments=False)
            while cur.peek() != "}":
                line = cur.line
                keys = key_path()
                _record_dotted(lines, path, keys, line)
                cur.expect("=")
                cur.skip_blank(newlines=False, comments=False)
                value(path + tuple(keys))
                cur.skip_blank(newlines=False, comments=False)
                if cur.peek() == ",":
                    cur.advance()
                    cur.skip_blank(newlines=False, comments=False)
                elif cur.peek() != "}":
                    raise _ScanError(f"unexpected {cur.peek()!r} at line {cur.line}")
            cur.advance()
        elif c:
            while cur.i < len(cur.s) and cur.s[cur.i] not in ",]}\n#":
                cur.advance()
        else:
            raise _ScanError("unexpected end")
        lines.span[path] = (first, cur.line)

    table: _KeyPath = ()
    try:
        while True:
            cur.skip_blank(newlines=True, comments=True)
            if cur.i >= len(cur.s):
                break
            line = cur.line
            if cur.peek(2) == "[[":
                cur.advance(2)
                keys = key_path()
                cur.expect("]]")
                parent = (*resolve(keys[:-1]), keys[-1])
                aot_count[parent] = aot_count.get(parent, 0) + 1
                table = (*parent, aot_count[parent] - 1)
                lines.at.setdefault(parent, line)
                lines.at[table] = line
            elif cur.peek() == "[":
                cur.advance()
                keys = key_path()
                cur.expect("]")
                table = resolve(keys)
                for k in range(1, len(keys) + 1):
                    lines.at.setdefault(resolve(keys[:k]), line)
            else:
                keys = key_path()
                _record_dotted(lines, table, keys, line)
                cur.expect("=")
                cur.skip_blank(newlines=False, comments=False)
                value(table + tuple(keys))
    except (_ScanError, RecursionError):
        pass
    return lines


def _toml_basic(raw: str) -> str:
    try:
        key: str = json.loads(raw)
    except ValueError:
        return raw[1:-1]
    return key


def _record_dotted(lines: _Lines, table: _KeyPath, keys: Sequence[str], line: int) -> None:
    for k in range(1, len(keys)):
        lines.at.setdefault(table + tuple(keys[:k]), line)
    lines.at[table + tuple(keys)] = line


# --------------------------------------------------------------------------------------
# Loading


class _LoadError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _decode(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            raise _LoadError(
                f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})", line
            ) from None
    else:
        text = raw
    text = text.removeprefix("\ufeff")
    nul = text.find("\x00")
    if nul >= 0:
        raise _LoadError("binary data, not a config file (NUL byte)", text.count("\n", 0, nul) + 1)
    if not text.strip():
        raise _LoadError("empty file")
    return text


_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _load_toml(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_POS.search(message)
        if m is None:
            raise _LoadError(f"TOML syntax error: {message}") from None
        raise _LoadError(
            f"TOML syntax error: {message[: m.start()]} (column {m.group(2)})", int(m.group(1))
        ) from None
    except RecursionError:
        raise _LoadError("TOML syntax error: nested too deeply") from None
    except ValueError as e:  # int() limits on huge literals
        raise _LoadError(f"TOML syntax error: {e}") from None
    return data, _toml_lines(text), []


def _load_json(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _LoadError(f"JSON syntax error: {e.msg} (column {e.colno})", e.lineno) from None
    except RecursionError:
        raise _LoadError("JSON syntax error: nested too deeply") from None
    except ValueError as e:  # int() limits on huge literals
        raise _LoadError(f"JSON syntax error: {e}") from None
    lines, dups = _json_lines(text)
    return data, lines, dups


_YAML_OCTAL_OR_BASE60 = re.compile(r"[-+]?(0[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+)")


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing YAML 1.1 octal (010) and base-60 (1:20) integers."""


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text) > _MAX_TEXT:
        raise yaml.constructor.ConstructorError(
            None, None, "integer literal too long", node.start_mark
        )
    if _YAML_OCTAL_OR_BASE60.fullmatch(text):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"ambiguous integer {text} (YAML 1.1 reads it as octal or base 60); quote it",
            node.start_mark,
        )
    value: int = loader.construct_yaml_int(node)
    return value


def _yaml_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node))
    if ":" in text:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"ambiguous number {text} (YAML 1.1 reads it as base 60); quote it",
            node.start_mark,
        )
    value: float = loader.construct_yaml_float(node)
    return value


_YamlLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
_YamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)

_YAML_STR = "tag:yaml.org,2002:str"


def _yaml_lines(root: yaml.Node) -> tuple[_Lines, list[tuple[_KeyPath, int, str]]]:
    """Lines from the composed YAML nodes, and duplicate keys (before merge keys apply)."""
    lines = _Lines()
    dups: list[tuple[_KeyPath, int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, _KeyPath]] = [(root, ())]
    while stack and len(seen_nodes) < 100_000:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        lines.span[path] = (node.start_mark.line + 1, node.end_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _YAML_STR:
                    continue
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in keys:
                    dups.append(
                        ((*path, key), line, f"duplicate key {key!r} (first at line {keys[key]})")
                    )
                keys[key] = line
                lines.at[(*path, key)] = line
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.at[(*path, index)] = item.start_mark.line + 1
                stack.append((item, (*path, index)))
    return lines, dups


def _load_yaml(text: str) -> tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]:
    try:
        loader = _YamlLoader(text)  # checks that every character is printable
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise _LoadError(f"YAML error: character {e.character:#x}: {e.reason}", line) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise _LoadError("empty file")
        lines, dups = _yaml_lines(root)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        kind = (
            "YAML error"
            if isinstance(e, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        if mark is None:
            raise _LoadError(f"{kind}: {what}") from None
        raise _LoadError(f"{kind}: {what} (column {mark.column + 1})", mark.line + 1) from None
    except yaml.YAMLError as e:
        raise _LoadError(f"YAML error: {e}") from None
    except RecursionError:
        raise _LoadError("YAML syntax error: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as e:
        raise _LoadError(f"YAML error: {e}") from None
    finally:
        loader.dispose()
    return data, lines, dups


_LOADERS: dict[str, Callable[[str], tuple[object, _Lines, list[tuple[_KeyPath, int, str]]]]] = {
    "toml": _load_toml,
    "yaml": _load_yaml,
    "json": _load_json,
}


def _format_of(source: str) -> ConfigFormat:
    lower = source.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    return "toml"


# --------------------------------------------------------------------------------------
# Problems


def _one_line(message: str) -> str:
    """Messages are one line each: ``str(ConfigError)`` is one line per problem."""
    return " ".join(message.split()) if "\n" in message or "\r" in message else message


def _location(path: _KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _TOML_BARE_KEY.fullmatch(part) else json.dumps(part)
            out += f".{key}" if out else key
    return out or _FILE


def _model_at(path: _KeyPath) -> type[BaseModel] | None:
    shape = tuple("[]" if isinstance(p, int) else p for p in path)
    return _MODELS.get(shape)


_WORDS = {
    "toml": ("a table", "an array"),
    "yaml": ("a mapping", "a list"),
    "json": ("an object", "an array"),
}


def _translate(err: ErrorDetails, fmt: ConfigFormat) -> tuple[_KeyPath, str]:
    """A pydantic error as (path, human message)."""
    loc: _KeyPath = tuple(err["loc"])
    kind: str = err["type"]
    value = err.get("input")
    table, array = _WORDS[fmt]
    if kind in ("vmemplan_value", "vmemplan_conflict"):
        return loc, str(err["msg"])
    if kind == "extra_forbidden" and loc:
        key = loc[-1]
        message = f"unknown key {key!r}"
        model = _model_at(loc[:-1])
        if model is not None and isinstance(key, str):
            close = difflib.get_close_matches(key, list(model.model_fields), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        return loc, message
    if kind == "missing" and loc:
        if loc == ("namespaces",):
            return (), "missing key 'namespaces' (at least one namespace is required)"
        return loc[:-1], f"missing key {loc[-1]!r}"
    if kind == "invalid_key" and loc:
        return loc[:-1], f"keys must be strings, got {_brief(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected {table}, got {_brief(value)}"
    if kind in ("tuple_type", "list_type", "iterable_type"):
        return loc, f"expected {array}, got {_brief(value)}"
    if kind == "too_short":
        if loc == ("namespaces",):
            return loc, "at least one namespace is required"
        return loc, "must not be empty"
    return loc, f"{err['msg']}, got {_brief(value)}"


def _has_item_errors(loc: Sequence[object], errors: Sequence[ErrorDetails]) -> bool:
    n = len(loc)
    return any(len(e["loc"]) > n and tuple(e["loc"][:n]) == tuple(loc) for e in errors)


def _raw_conflicts(data: dict[Any, Any]) -> list[tuple[_KeyPath, str]]:
    """The key conflicts, found on the raw document so that all of them are reported."""
    out: list[tuple[_KeyPath, str]] = []
    namespaces = data.get("namespaces")
    if not isinstance(namespaces, list):
        return out
    for i, entry in enumerate(namespaces):
        if isinstance(entry, dict):
            given = {k for k in _EXCLUSIVE_KEYS if entry.get(k) is not None}
            for key, message in _namespace_conflicts(given):
                out.append((("namespaces", i) if key is None else ("namespaces", i, key), message))
    names = [e.get("name") if isinstance(e, dict) else None for e in namespaces]
    for i, message in _duplicate_names(names):
        out.append((("namespaces", i, "name"), message))
    return out


def parse_config(text: str | bytes, source: str, fmt: ConfigFormat | None = None) -> ConfigFile:
    """Parse a host config file; raise ConfigError with every problem it has.

    ``source`` names the file in the messages; ``fmt`` None picks the format from its
    extension (``.toml``, ``.yaml``/``.yml``, ``.json``), TOML otherwise.
    """
    return _parse(text, source, fmt)[0]


def parse_config_located(
    text: str | bytes, source: str, fmt: ConfigFormat | None = None
) -> tuple[ConfigFile, Callable[[str], int | None]]:
    """``parse_config()``, plus ``line_of(location)``: the line of a location such as
    ``namespaces[1].budgets.dram`` in the file, or None when it cannot be found exactly
    (``(file)``, a key the file leaves out). For findings about a valid config."""
    config, lines = _parse(text, source, fmt)

    def line_of(location: str) -> int | None:
        path = _parse_location(location)
        return None if path is None else lines.line(path)

    return config, line_of


_LOCATION_PART = re.compile(r'\.?(?:([A-Za-z0-9_-]+)|("(?:[^"\\]|\\.)*"))|\[(\d+)\]')


def _parse_location(location: str) -> _KeyPath | None:
    """The inverse of ``_location()``; None for ``(file)`` or a malformed location."""
    path: list[str | int] = []
    pos = 0
    while pos < len(location):
        m = _LOCATION_PART.match(location, pos)
        if m is None or m.end() == pos:
            return None
        bare, quoted, index = m.groups()
        if index is not None:
            path.append(int(index))
        elif bare is not None:
            path.append(bare)
        else:
            try:
                path.append(str(json.loads(quoted)))
            except ValueError:
                return None
        pos = m.end()
    return tuple(path) if path else None


def _parse(text: str | bytes, source: str, fmt: ConfigFormat | None) -> tuple[ConfigFile, _Lines]:
    fmt = fmt or _format_of(source)
    try:
        data, lines, dups = _LOADERS[fmt](_decode(text))
    except _LoadError as e:
        raise ConfigError([Problem(source, _FILE, e.line, _one_line(e.message))]) from None
    if not isinstance(data, dict):
        table = _WORDS[fmt][0]
        raise ConfigError(
            [Problem(source, _FILE, None, f"the top level must be {table}, got {_brief(data)}")]
        )

    found: list[tuple[_KeyPath, int | None, str]] = [(p, line, m) for p, line, m in dups]
    conflicts = _raw_conflicts(data)
    found += [(p, lines.line(p), m) for p, m in conflicts]
    config: ConfigFile | None = None
    try:
        config = ConfigFile.model_validate(data, context={_FILE_CONTEXT: True})
    except ValidationError as e:
        errors = e.errors(include_url=False)
        for err in errors:
            if err["type"] == "vmemplan_conflict" and conflicts:
                continue  # already reported, with the offending key, by _raw_conflicts
            if err["type"] == "too_short" and _has_item_errors(err["loc"], errors):
                continue  # pydantic counts only the items that validated
            path, message = _translate(err, fmt)
            found.append((path, lines.line(path), message))
    except RecursionError:
        found.append(((), None, "nested too deeply"))
    if config is not None and not found:
        return config, lines
    if not found:  # pragma: no cover - a model error that translated to nothing
        found.append(((), None, "invalid configuration"))

    problems: list[Problem] = []
    for path, line, message in found:
        problem = Problem(source, _location(path), line, _one_line(message))
        if problem not in problems:
            problems.append(problem)
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    raise ConfigError(problems)
