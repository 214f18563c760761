"""The pydantic schema of a host config file: ``ConfigFile`` and its sections.

``ConfigFile.model_json_schema()`` is the published schema of the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from vmemplan.sources.config.problems import _bad, _brief, _conflict
from vmemplan.sources.config.values import (
    _MAX_TEXT,
    _MAX_U64,
    CONFIG_SCHEMA_VERSION,
    PERCENT_PATTERN,
    SIZE_PATTERN,
    Align,
    ArchName,
    ByteRange,
    Counters,
    DedupKeep,
    InterleaveWays,
    KernelSwitches,
    KernelVersion,
    LinearMapName,
    MapName,
    MemmapOnMemoryName,
    ModeName,
    NamespaceName,
    NodeId,
    NonZeroSize,
    NsPerPage,
    PoolCount,
    SchemaVersion,
    Size,
    StrictBool,
    StructPageSize,
    TimeNs,
    VmemmapShift,
    _checked,
    _to_size,
)
from vmemplan.units import parse_percent_ppm

_FILE_CONTEXT = "vmemplan_config_file"  # validation context: the values come from a file


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


def _to_limit(value: object, info: ValidationInfo) -> Limit:
    if isinstance(value, Limit):
        return value
    if isinstance(value, dict) and not (info.context or {}).get(_FILE_CONTEXT):
        return Limit.model_validate(value)  # model_dump() output, outside parse_config()
    if isinstance(value, str):
        return _limit_of_text(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(
            f"expected a size like 64G, an integer or a percentage like 1%, got {_brief(value)}"
        )
    return Limit(bytes=_to_size(value))


# Limit is frozen: a budget spelled the same way in many entries is parsed once (a bad
# one raises, and exceptions are not cached).
@functools.lru_cache(maxsize=1024)
def _limit_of_text(value: str) -> Limit:
    if value.strip().endswith("%"):
        if len(value) > _MAX_TEXT:
            raise _bad(f"{_brief(value)}: too long")
        return Limit(ppm=_checked(parse_percent_ppm, value))
    if not re.match(r"\s*[0-9]", value):
        raise _bad(f"{_brief(value)}: not a size or a percentage (expected e.g. 64G, 4096 or 1%)")
    return Limit(bytes=_to_size(value))


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
    kernel_switches: KernelSwitches | None = Field(
        default=None, description="as --kernel-switch NAME=VALUE; they win over the table"
    )
    linear_map: LinearMapName | None = Field(
        default=None, description="as --linear-map; default: arm64 pages, x86/riscv blocks"
    )
    gbpages: StrictBool | None = Field(
        default=None, description="x86: false is --no-gbpages; default true"
    )
    memory_block_size: Align | None = Field(
        default=None,
        description="as --memory-block-size, for system-ram namespaces; default: as the "
        "kernel picks it (x86 probe_memory_block_size(), else one section)",
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
    memmap_on_memory: MemmapOnMemoryName | None = Field(
        default=None, description="mode system-ram only; default off"
    )
    map: MapName | None = Field(default=None, description="default mem")
    align: Align | None = Field(default=None, description="default: the arch's PMD size")
    vmemmap_shift: VmemmapShift | None = None
    interleave_ways: InterleaveWays | None = None
    budgets: BudgetSection = Field(default_factory=BudgetSection)

    @model_validator(mode="after")
    def _exclusive_keys(self) -> NamespaceEntry:
        given = {k for k in _EXCLUSIVE_KEYS if getattr(self, k) is not None}
        conflicts = _namespace_conflicts(given, system_ram=self.mode == "system-ram")
        if conflicts:
            raise _conflict("; ".join(message for _, message in conflicts))
        return self


class HugetlbEntry(_Model):
    """One ``[[hugetlb]]`` pool: ``count`` huge pages of ``page_size``, as ``--pages``."""

    page_size: Align = Field(description="huge page size, like 1G or 2M (hugepagesz=)")
    count: PoolCount = Field(description="huge pages in the pool (hugepages=)")
    node: NodeId | None = Field(default=None, description="NUMA node; default: any")
    hvo: StrictBool | None = Field(
        default=None, description="hugetlb_free_vmemmap (HVO), as --hvo/--no-hvo; default true"
    )
    on: NamespaceName | None = Field(
        default=None,
        description="the system-ram namespace whose hot-added memory the pool is carved "
        "from; default: boot RAM",
    )
    budgets: BudgetSection = Field(default_factory=BudgetSection)

    @model_validator(mode="after")
    def _dram_only(self) -> HugetlbEntry:
        given = {k for k in _POOL_UNBUDGETED if getattr(self.budgets, k) is not None}
        conflicts = _hugetlb_conflicts(given)
        if conflicts:
            raise _conflict("; ".join(message for _, message in conflicts))
        return self


class ConfigFile(_Model):
    """A host config file (schema_version 1)."""

    model_config = ConfigDict(
        title="vmemplan host config",
        # at least one namespace or one HugeTLB pool (the parser's "nothing to estimate")
        json_schema_extra={
            "anyOf": [
                {"required": ["namespaces"], "properties": {"namespaces": {"minItems": 1}}},
                {"required": ["hugetlb"], "properties": {"hugetlb": {"minItems": 1}}},
            ]
        },
    )

    schema_version: SchemaVersion = CONFIG_SCHEMA_VERSION
    host: HostSection = Field(default_factory=HostSection)
    budgets: BudgetSection = Field(default_factory=BudgetSection)
    namespaces: tuple[NamespaceEntry, ...] = Field(
        default=(),
        description="the namespaces ([[namespaces]]); a file needs at least one namespace or "
        "HugeTLB pool",
    )
    hugetlb: tuple[HugetlbEntry, ...] = Field(
        default=(), description="HugeTLB pools carved from boot RAM ([[hugetlb]])"
    )

    @model_validator(mode="after")
    def _unique_names(self) -> ConfigFile:
        if not self.namespaces and not self.hugetlb:
            raise _conflict("nothing to estimate: give at least one namespace or HugeTLB pool")
        conflicts = _duplicate_names([ns.name for ns in self.namespaces])
        conflicts += _duplicate_pools([(p.page_size, p.node, p.on) for p in self.hugetlb])
        if conflicts:
            raise _conflict("; ".join(message for _, message in conflicts))
        return self


_EXCLUSIVE_KEYS = (
    "size",
    "usable",
    "dax_ranges",
    "start",
    "map",
    "align",
    "vmemmap_shift",
    "interleave_ways",
    "memmap_on_memory",
)
_SIZE_KEYS = ("size", "usable", "dax_ranges")
# keys a system-ram namespace refuses: kmem trims the device to memory blocks, so there is
# no pfn layout (map, align), no compound page (vmemmap_shift) and no inverse sizing
_NOT_SYSTEM_RAM = ("usable", "interleave_ways", "map", "align", "vmemmap_shift")
# budgets a HugeTLB pool cannot have: it is carved from boot RAM (no device), and the
# init time of its struct pages is boot RAM's (not modelled per pool)
_POOL_UNBUDGETED = ("device_loss", "init")


def _hugetlb_conflicts(given: set[str]) -> list[tuple[str, str]]:
    """Budgets of one pool it cannot have: (budget key, message)."""
    return [
        (
            key,
            f"a HugeTLB pool has no {key} budget (it is carved from boot RAM; "
            "only dram is checked)",
        )
        for key in _POOL_UNBUDGETED
        if key in given
    ]


def _duplicate_pools(keys: Sequence[tuple[object, object, object]]) -> list[tuple[int, str]]:
    """(index, message) for every pool whose (page_size, node, on) an earlier pool has."""
    first: dict[tuple[object, object, object], int] = {}
    out = []
    for i, key in enumerate(keys):
        if key in first:
            out.append(
                (
                    i,
                    f"the same page_size, node and memory as hugetlb[{first[key]}] "
                    "(merge the pools)",
                )
            )
        else:
            first[key] = i
    return out


def _namespace_conflicts(given: set[str], *, system_ram: bool) -> list[tuple[str | None, str]]:
    """Key conflicts of one namespace: (offending key or None for the entry, message)."""
    return list(_key_conflicts(frozenset(given), system_ram))


# A pure function of a handful of key names: the entries of a large file share a few
# key sets, each checked once (twice per entry otherwise: raw, then in the model).
@functools.lru_cache(maxsize=256)
def _key_conflicts(given: frozenset[str], system_ram: bool) -> tuple[tuple[str | None, str], ...]:
    out: list[tuple[str | None, str]] = []
    if system_ram:
        for key in _NOT_SYSTEM_RAM:
            if key in given:
                out.append(
                    (
                        key,
                        f"{key} cannot be combined with mode system-ram (kmem trims "
                        "the device to memory blocks; give size+start or dax_ranges)",
                    )
                )
        given = given - set(_NOT_SYSTEM_RAM)
    elif "memmap_on_memory" in given:
        out.append(("memmap_on_memory", 'memmap_on_memory needs mode = "system-ram"'))
    sizes = [k for k in _SIZE_KEYS if k in given]
    if not sizes:
        out.append(
            (
                None,
                "give size or dax_ranges"
                if system_ram
                else "give one of size, usable or dax_ranges",
            )
        )
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
    return tuple(out)


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
    ("hugetlb", "[]"): HugetlbEntry,
    ("hugetlb", "[]", "budgets"): BudgetSection,
}
