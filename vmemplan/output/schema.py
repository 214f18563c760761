"""The JSON contract of vmemplan's documents, as pydantic models.

These models are the schema: ``vmemplan`` itself builds its documents as plain dicts
(report.py) so that ``--json`` does not pay pydantic's model-building cost at start-up;
the test suite validates every document it produces against these models (extra keys
forbidden, every key required), and the published JSON Schema is generated from them.

Rules: ``schema_version`` changes only when a field is renamed, removed or changes
meaning; every key is always present (``null`` where it does not apply); every figure is
an exact integer in bytes, pages, pfns or ns, with the unit in its name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.direct_map_schema import DirectMapDoc
from vmemplan.output.hugetlb_schema import HugetlbPoolDoc
from vmemplan.output.system_ram_schema import SystemRamDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ByteRange(_Model):
    """A half-open physical range ``[start_bytes, end_bytes)``."""

    start_bytes: int
    end_bytes: int


class KernelSwitch(_Model):
    """One behaviour switch in effect, and whether the version table or an override set it."""

    value: bool | int | str
    source: Literal["version table", "override"]


class GivenRange(ByteRange):
    """A range the user gave, with its spelling (``START-END``, ``START..END`` or
    ``START+SIZE``) so output can print it the way it was typed."""

    as_given: str


class KernelInput(_Model):
    """The kernel behaviour switches the estimate used."""

    version: str
    compound_devmap: bool
    optimize_rule: str
    counters: str
    early_init_fix: bool
    dedup_keep: int
    arm64_subsection_basepages: bool
    release: str
    sublevel: int | None
    distribution_suffix: str | None
    switches: dict[str, KernelSwitch]


class InputDoc(_Model):
    """The normalised geometry, every default spelled out."""

    label: str | None
    arch: str
    page_size: int
    struct_page_size: int
    paging_levels: int
    max_physmem_bits: int
    kernel: KernelInput
    linear_map: Literal["pages", "blocks"] | None
    gbpages: bool | None
    mode: str
    map: Literal["mem", "dev"] | None
    align_bytes: int
    vmemmap_shift: int
    start_bytes: int | None
    size_bytes: int | None
    dax_ranges: list[GivenRange | ByteRange]
    system_ram: list[GivenRange | ByteRange] | None
    """The System RAM the estimate assumed; null in a machine document whose System RAM
    has more than 64 ranges: ``source.system_ram`` gives them once."""
    ps_per_struct_page_low: int
    ps_per_struct_page_high: int
    assumptions: list[str]


class AltmapDoc(_Model):
    """``struct vmem_altmap`` (pfns) and what the population used of it."""

    base_pfn: int
    reserve: int
    free: int
    alloc: int
    align: int


class NamespaceDoc(_Model):
    """The pfn layout (nd_pfn_init): ``ndctl read-infoblock`` vocabulary."""

    size_bytes: int
    dataoff_bytes: int
    end_trunc_bytes: int
    usable_bytes: int
    npfns: int


class PgmapDoc(_Model):
    """The dev_pagemap the kernel builds."""

    ranges: list[ByteRange]
    vmemmap_shift: int
    compound_nr_pages: int
    compound_pages: int
    vmemmap_pages_per_compound: int
    kept_pages_per_compound: int | None
    saved_pages_per_compound: int | None
    optimized: bool
    altmap: AltmapDoc | None


class MemmapDoc(_Model):
    """Pages that hold struct pages, by origin."""

    nominal_pages: int
    dram_pages: int
    device_pages: int
    saved_pages: int
    altmap_align_pfns: int


class PageTablesDoc(_Model):
    """Vmemmap page-table tables newly allocated, per level (always DRAM).

    ``bytes`` counts the vmemmap tables only; ``direct_map`` (null where the arch's direct
    map is not modelled) holds the linear-map tables, which ``dram_bytes`` also includes.
    """

    pte_pages: int
    pmd_pages: int
    pud_pages: int
    p4d_pages: int
    bytes: int
    direct_map: DirectMapDoc | None


class InitDoc(_Model):
    """Struct pages written when the range is enabled, and the time that takes."""

    struct_pages_initialised: int
    altmap_area_struct_pages: int
    time_ns_low: int
    time_ns_high: int


class CountersDoc(_Model):
    """Predicted ``/proc/vmstat`` deltas (null where the kernel has no such counter)."""

    nr_memmap_pages: int | None
    nr_memmap_boot_pages: int | None


class SectionsDoc(_Model):
    """Memory sections the ranges touch."""

    touched: int
    early_reused: int


class FiguresDoc(_Model):
    """The figures of one walk (with the kernel's deduplication, or without)."""

    memmap: MemmapDoc
    page_tables: PageTablesDoc
    dram_bytes: int
    device_bytes: int
    init: InitDoc
    counters: CountersDoc


class EstimateDoc(_Model):
    """``vmemplan estimate --json``."""

    schema_version: int
    vmemplan_version: str
    input: InputDoc
    namespace: NamespaceDoc | None
    pgmap: PgmapDoc
    struct_pages: int
    memmap: MemmapDoc
    page_tables: PageTablesDoc
    dram_bytes: int
    device_bytes: int
    init: InitDoc
    counters: CountersDoc
    sections: SectionsDoc
    baseline: FiguresDoc
    notes: list[str]


class TotalDoc(_Model):
    """Sums over the namespaces of one machine (shared page tables counted once).

    ``namespaces`` counts the pmem and device-dax namespaces, ``system_ram`` the dax
    devices kmem hot-added after them; every other figure covers both (for System RAM:
    ``struct_pages`` of the added blocks, ``device_bytes`` the device bytes that do not
    become RAM, ``baseline_dram_bytes`` its DRAM, as kmem's memmap is never deduplicated).
    """

    namespaces: int
    struct_pages: int
    dram_bytes: int
    device_bytes: int
    memmap_dram_pages: int
    memmap_device_pages: int
    page_table_bytes: int
    direct_map_bytes: int
    struct_pages_initialised: int
    time_ns_low: int
    time_ns_high: int
    baseline_dram_bytes: int
    system_ram: int


class FoundDoc(_Model):
    """One device a dump lists, as read: its kind, where it is, and what was inferred."""

    label: str
    kind: Literal["fsdax", "devdax", "system-ram", "famfs", "sector", "raw", "pmem", "unclaimed"]
    """From ndctl/daxctl: the dump's mode; a devdax namespace whose dax device (``-X``)
    kmem or fsdev_dax holds takes the device's (``system-ram``, ``famfs``). From
    /proc/iomem: ``pmem`` (a namespace whose mode it does not show), ``devdax`` (a daxX.Y
    range), ``system-ram`` (kmem System RAM) or ``unclaimed`` (a Soft Reserved range or
    CXL window no driver claimed)."""
    location: str
    """The JSON path in the dump, or the /proc/iomem line(s)."""
    ranges: list[ByteRange]
    """Read from /proc/iomem, or where a namespace of an ndctl dump was placed."""
    estimated: bool
    dump_size_bytes: int | None
    """The dump's ``size``: the usable size."""
    dump_size_exact: bool | None
    inferred_raw_bytes: int | None
    inferred_usable_bytes: int | None
    """The usable size the inferred raw size gives."""
    usable_matches: bool | None
    """False: no raw size ndctl accepts gives the dump's usable size (a note says why)."""
    overridden: list[Literal["align", "map", "mode"]]
    """Dump values the command line replaced."""


class SourceDoc(_Model):
    """Where the namespaces came from (an ndctl/daxctl dump, /proc/iomem, a config)."""

    kind: Literal["ndctl", "iomem", "config"]
    path: str
    inferred: list[str]
    found: list[FoundDoc] = []
    system_ram: list[GivenRange | ByteRange] | None
    """The System RAM (boot RAM) every namespace of a dump was estimated on, given once
    (null for a config: each namespace's ``input.system_ram`` gives it)."""


class MachineSystemRamDoc(SystemRamDoc):
    """A dax device of the dump in system-ram mode: its name and its ``estimate --mode
    system-ram`` document, hot-added after the namespaces on the same machine."""

    name: str


class MachineDoc(_Model):
    """``estimate --json`` for several namespaces walked as one machine."""

    schema_version: int
    vmemplan_version: str
    source: SourceDoc | None
    namespaces: list[EstimateDoc]
    system_ram: list[MachineSystemRamDoc]
    total: TotalDoc


class CurrentRowDoc(_Model):
    """One configuration of ``compare``; figures are null when the kernel refuses it."""

    kernel: str
    mode: str
    map: Literal["mem", "dev"]
    align_bytes: int
    refused: str | None
    optimized: bool | None
    dram_bytes: int | None
    device_bytes: int | None
    usable_bytes: int | None
    struct_pages_initialised: int | None
    time_ns_low: int | None
    time_ns_high: int | None
    dram_saved_bytes: int | None
    baseline_dram_bytes: int | None


class DeltaDoc(_Model):
    """A configuration minus what the host runs today (same kernel); null where unknown."""

    dram_bytes: int | None
    device_bytes: int | None
    usable_bytes: int | None
    time_ns_low: int | None
    time_ns_high: int | None


class RowDoc(CurrentRowDoc):
    """A row of ``compare``, with its delta against the current configuration (if given)."""

    delta: DeltaDoc | None


class DeviceDoc(_Model):
    """The existing namespace or dax device a plan would reconfigure."""

    name: str
    kind: Literal["namespace", "dax"]
    system_ram: bool


class CurrentDoc(_Model):
    """What the host runs today (--from-ndctl, --config or --current), one row per kernel."""

    mode: str
    map: Literal["mem", "dev"]
    align_bytes: int
    rows: list[CurrentRowDoc]


class PlanRowDoc(RowDoc):
    """A row of ``plan``: whether it fits, its rank, Pareto-optimality, why it fails."""

    fits: bool
    rank: int | None
    pareto: bool
    failures: list[str]


class CompareInputDoc(_Model):
    """The geometry ``compare`` and ``plan`` were asked about."""

    arch: str
    kernels: list[str]
    size_bytes: int | None
    start_bytes: int
    system_ram: list[GivenRange | ByteRange] | None
    """null in a host document whose System RAM has more than 64 ranges:
    ``source.system_ram`` gives them once."""
    struct_page_size: int
    kernel_details: list[KernelInput]
    kernel_notes: list[str]
    dax_ranges: list[GivenRange | ByteRange]


class SystemRamRowDoc(_Model):
    """A ``compare`` row for the same range onlined as System RAM by dax kmem (present
    only with ``--mode system-ram``); ``device_bytes`` is the capacity that does not
    become RAM (trimmed edges, self-hosted memmap and ``stranded_bytes``)."""

    kernel: str
    memmap_on_memory: Literal["off", "on", "force"]
    refused: str | None
    memory_block_size_bytes: int | None
    blocks_self_hosted: int | None
    blocks_dram: int | None
    reason: str | None
    memmap_pages_dram: int | None
    memmap_pages_device: int | None
    direct_map_bytes: int | None  # in dram_bytes; null where the direct map is not modelled
    dram_bytes: int | None
    device_bytes: int | None
    # a pmem namespace's dax device: the namespace head (info block, map=dev reservation)
    # and end truncation that are neither dax device nor RAM; 0 for a dynamic range
    stranded_bytes: int | None
    usable_bytes: int | None
    struct_pages_initialised: int | None
    time_ns_low: int | None
    time_ns_high: int | None


class CompareDoc(_Model):
    """``vmemplan compare --json``."""

    schema_version: int
    vmemplan_version: str
    input: CompareInputDoc
    label: str | None
    device: DeviceDoc | None
    current: CurrentDoc | None
    rows: list[RowDoc]
    system_ram_rows: list[SystemRamRowDoc] | None = None


class LimitDoc(_Model):
    """A budget: bytes, or parts per million of the namespace size."""

    bytes: int | None
    ppm: int | None


class BudgetsDoc(_Model):
    """The budgets a plan or a check applied (null where not set)."""

    dram: LimitDoc | None
    device_loss: LimitDoc | None
    init_ns: int | None


class PlanDoc(_Model):
    """``vmemplan plan --json``; the last four keys are set by inverse sizing (--usable)."""

    schema_version: int
    vmemplan_version: str
    input: CompareInputDoc
    label: str | None
    device: DeviceDoc | None
    current: CurrentDoc | None
    budgets: BudgetsDoc
    recommended: RowDoc | None
    ndctl_command: str | None
    reconfigure_commands: list[str]
    rows: list[PlanRowDoc]
    rank_by: list[str]  # what the rank sorts by, in order (plan.RANK_BY)
    requested_usable_bytes: int | None
    raw_size_bytes: int | None
    usable_bytes: int | None
    step_bytes: int | None


class HostCompareDoc(_Model):
    """``vmemplan compare --json`` of a host (--from-ndctl, --iomem, --config)."""

    schema_version: int
    vmemplan_version: str
    source: SourceDoc
    namespaces: list[CompareDoc]


class HostPlanDoc(_Model):
    """``vmemplan plan --json`` of a host (--from-ndctl, --iomem, --config)."""

    schema_version: int
    vmemplan_version: str
    source: SourceDoc
    namespaces: list[PlanDoc]


class FindingDoc(_Model):
    """One finding of ``check``: a file that cannot be estimated, or a budget exceeded."""

    file: str
    location: str
    line: int | None
    severity: Literal["error", "fail"]
    message: str


class CheckTotalDoc(TotalDoc):
    """Sums over every entry of one checked file. ``namespaces`` counts the device-dax and
    fsdax namespaces; ``dram_bytes``, ``device_bytes``, ``memmap_*``, ``page_table_bytes``,
    ``struct_pages_initialised``, ``time_ns_*`` and ``baseline_dram_bytes`` also cover the
    system-ram namespaces (device bytes: what does not become RAM) and the HugeTLB pools
    (their vmemmap after HVO, its split PTE tables in ``page_table_bytes``;
    ``baseline_dram_bytes`` without HVO); ``capacity_bytes`` is what the ``[budgets]``
    percentages are of."""

    system_ram: int
    hugetlb_pools: int
    capacity_bytes: int


class CheckSystemRamDoc(SystemRamDoc):
    """A ``mode = "system-ram"`` namespace: its name and its ``estimate --mode system-ram``
    document, hot-added after the device-dax namespaces of the file."""

    name: str


class CheckFileDoc(_Model):
    """One checked file: its status, every entry's estimate and their total."""

    file: str
    status: Literal["pass", "fail", "error"]
    namespaces: list[EstimateDoc]
    system_ram: list[CheckSystemRamDoc]
    hugetlb: list[HugetlbPoolDoc]
    total: CheckTotalDoc


class CheckDoc(_Model):
    """``vmemplan check --format json``: the report whose schema ``vmemplan schema report``
    prints."""

    schema_version: int
    vmemplan_version: str
    status: Literal["pass", "fail", "error"]
    findings: list[FindingDoc]
    files: list[CheckFileDoc]


def json_schema(which: str) -> str:
    """The JSON Schema of the config file (``config``) or of a document vmemplan prints."""
    import json  # noqa: PLC0415

    from vmemplan.output.host_schema import HostDoc  # noqa: PLC0415
    from vmemplan.output.hugetlb_schema import HugetlbDoc  # noqa: PLC0415
    from vmemplan.output.system_ram_schema import SystemRamDoc  # noqa: PLC0415
    from vmemplan.sources.config import ConfigFile  # noqa: PLC0415

    models: dict[str, type[BaseModel]] = {
        "config": ConfigFile,
        "report": CheckDoc,
        "estimate": EstimateDoc,
        "compare": CompareDoc,
        "plan": PlanDoc,
        "machine": MachineDoc,
        "hugetlb": HugetlbDoc,
        "host-compare": HostCompareDoc,
        "host-plan": HostPlanDoc,
        "system-ram": SystemRamDoc,
        "host": HostDoc,
    }
    schema = models[which].model_json_schema()
    # pydantic writes draft 2020-12 without saying so; the $id names the document kind and
    # its schema_version, so a validator never has to guess either.
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = schema_id(which)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(which: str) -> str:
    """The ``$id`` of a published schema: a URN, as vmemplan has no canonical web address."""
    return f"urn:vmemplan:schema:{which}:1"
