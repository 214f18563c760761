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

from vmemplan.output.cost_schema import (
    CostDoc,
    CostFileDoc,
    CostTotalDoc,
    DeviceKind,
    TotalDetailDoc,
)
from vmemplan.output.dax_commands_schema import DaxCommandsDoc
from vmemplan.output.hugetlb_schema import HugetlbPoolDoc
from vmemplan.output.system_ram_schema import SystemRamDetailDoc, SystemRamInputDoc


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
    """Memmap pages beyond the cost keys' DRAM/device split."""

    nominal_pages: int
    saved_pages: int
    altmap_align_pfns: int


class TablesDoc(_Model):
    """Page-table tables newly allocated, per level (always DRAM)."""

    pte: int
    pmd: int
    pud: int
    p4d: int


class CountersDoc(_Model):
    """Predicted ``/proc/vmstat`` deltas (null where the kernel has no such counter)."""

    nr_memmap_pages: int | None
    nr_memmap_boot_pages: int | None


class SectionsDoc(_Model):
    """Memory sections the ranges touch."""

    touched: int
    early_reused: int


class WalkDoc(_Model):
    """The figures of one walk of the pgmap (``detail.baseline``: without deduplication);
    the cost keys mean what they mean in a device entry."""

    memmap_dram_pages: int
    memmap_device_pages: int
    page_table_bytes: int
    direct_map_bytes: int
    dram_bytes: int
    lost_bytes: int
    struct_pages_initialised: int
    init_ns_low: int
    init_ns_high: int
    page_tables: TablesDoc
    direct_map_tables: TablesDoc | None
    """null where the arch's direct map is not modelled."""
    altmap_area_struct_pages: int
    counters: CountersDoc


class EstimateDetailDoc(_Model):
    """What only a dev_pagemap has: its layout, pgmap, tables, counters, the baseline."""

    namespace: NamespaceDoc | None
    pgmap: PgmapDoc
    memmap: MemmapDoc
    page_tables: TablesDoc
    direct_map_tables: TablesDoc | None
    altmap_area_struct_pages: int
    counters: CountersDoc
    sections: SectionsDoc
    baseline: WalkDoc


class EstimateDeviceDoc(CostDoc):
    """A pmem namespace or dax device a dev_pagemap maps."""

    detail: EstimateDetailDoc  # type: ignore[assignment]


class EstimateDoc(_Model):
    """``vmemplan estimate --json`` (and each line of ``--batch``)."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: InputDoc
    total: CostTotalDoc
    devices: list[EstimateDeviceDoc]
    notes: list[str]


class FoundDoc(_Model):
    """One device a dump lists, as read: its kind, where it is, and what was inferred."""

    label: str
    kind: Literal[
        "fsdax", "devdax", "system-ram", "famfs", "sector", "raw", "pmem", "unclaimed", "boot-ram"
    ]
    """From ndctl/daxctl: the dump's mode; a devdax namespace whose dax device (``-X``)
    kmem or fsdev_dax holds takes the device's (``system-ram``, ``famfs``). From
    /proc/iomem: ``pmem`` (a namespace whose mode it does not show), ``devdax`` (a daxX.Y
    range), ``system-ram`` (kmem System RAM) or ``unclaimed`` (a Soft Reserved range or
    CXL window no driver claimed). From cxl list: a region's dax device (``system-ram``,
    ``devdax``), ``pmem`` (a pmem region, costed through its namespaces), ``boot-ram`` (a
    RAM region firmware already onlined) or ``unclaimed`` (no dax device)."""
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
    rules: list[str]
    """``--from-cxl``: the kernel rules that decided the device's figures (whether it is a
    dax device, its driver, its memory block size, its memmap_on_memory), each with the
    commit and release that brought it in; empty for the other dumps."""


class SourceDoc(_Model):
    """Where the namespaces came from (an ndctl/daxctl dump, /proc/iomem, a config)."""

    kind: Literal["ndctl", "iomem", "config", "cxl"]
    path: str
    inferred: list[str]
    found: list[FoundDoc] = []
    system_ram: list[GivenRange | ByteRange] | None
    """The System RAM (boot RAM) every namespace of a dump was estimated on, given once
    (null for a config: each namespace's ``input.system_ram`` gives it)."""


class MachineEstimateDetailDoc(EstimateDetailDoc):
    """A pgmap's detail in a machine or check document: its estimate document's detail,
    with that document's ``input`` and ``notes``."""

    input: InputDoc
    notes: list[str]


class MachineEstimateDeviceDoc(CostDoc):
    """A pmem namespace or dax device a dev_pagemap maps: the ``devices[0]`` of its own
    ``estimate --json`` document, walked on the machine after the entries before it."""

    detail: MachineEstimateDetailDoc  # type: ignore[assignment]


class MachineSystemRamDetailDoc(SystemRamDetailDoc):
    """A kmem device's detail in a machine or check document, with its ``input`` and
    ``notes``."""

    input: SystemRamInputDoc
    notes: list[str]


class MachineSystemRamDeviceDoc(CostDoc):
    """A dax device kmem onlines as System RAM, hot-added after the pgmaps."""

    detail: MachineSystemRamDetailDoc  # type: ignore[assignment]


class MachineDoc(_Model):
    """``estimate --json`` for several namespaces walked as one machine."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    source: SourceDoc | None
    total: CostTotalDoc
    devices: list[MachineEstimateDeviceDoc | MachineSystemRamDeviceDoc]


class _RowCostKeys(_Model):
    """The cost keys of a configuration row: what ``devices[0]`` of the estimate of the
    device in that configuration says (cost_schema.py); null when the kernel refuses it."""

    capacity_bytes: int | None
    usable_bytes: int | None
    lost_bytes: int | None
    struct_pages: int | None
    memmap_dram_pages: int | None
    memmap_device_pages: int | None
    page_table_bytes: int | None
    direct_map_bytes: int | None
    dram_bytes: int | None
    dram_bytes_unoptimized: int | None
    saved_bytes: int | None
    struct_pages_initialised: int | None
    init_ns_low: int | None
    init_ns_high: int | None


class CurrentRowDoc(_RowCostKeys):
    """One configuration of ``compare``; figures are null when the kernel refuses it."""

    kernel: str
    mode: str
    map: Literal["mem", "dev"]
    align_bytes: int
    refused: str | None
    optimized: bool | None


class DeltaDoc(_Model):
    """A configuration minus what the host runs today (same kernel); null where unknown."""

    dram_bytes: int | None
    lost_bytes: int | None
    usable_bytes: int | None
    init_ns_low: int | None
    init_ns_high: int | None


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


class SubjectDetailDoc(_Model):
    """The subject's label and the existing device it is (null: a geometry)."""

    label: str | None
    device: DeviceDoc | None


class SubjectDoc(_RowCostKeys):
    """A subject of ``compare``/``plan`` as a device entry: the cost keys of what it runs
    today on the first kernel (null where no current configuration is known or the
    kernel refuses it); its configurations are the document's ``rows``."""

    kind: DeviceKind
    name: str | None
    detail: SubjectDetailDoc


class SubjectsTotalDoc(_RowCostKeys):
    """The sum over the subjects of what they cost today (null where one is unknown)."""

    kind: Literal["total"]
    name: None
    detail: TotalDetailDoc


class SystemRamRowDoc(_RowCostKeys):
    """A ``compare`` row for the same range onlined as System RAM by dax kmem (present
    only with ``--mode system-ram``): the cost keys of its ``estimate --mode
    system-ram`` document; ``lost_bytes`` includes ``stranded_bytes``, the namespace head
    (info block, map=dev reservation) and end truncation of a pmem namespace's dax
    device, 0 for a dynamic range."""

    kernel: str
    memmap_on_memory: Literal["off", "on", "force"]
    refused: str | None
    memory_block_size_bytes: int | None
    blocks_self_hosted: int | None
    blocks_dram: int | None
    reason: str | None
    stranded_bytes: int | None


class CompareDoc(_Model):
    """``vmemplan compare --json``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    input: CompareInputDoc
    label: str | None
    device: DeviceDoc | None
    current: CurrentDoc | None
    total: SubjectsTotalDoc
    devices: list[SubjectDoc]
    rows: list[RowDoc]
    system_ram_rows: list[SystemRamRowDoc] | None = None
    dax_device_commands: list[DaxCommandsDoc] | None = None
    """A CXL region's dax device (``--from-cxl``): how to reach each configuration."""


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
    status: Literal["ok"]
    input: CompareInputDoc
    label: str | None
    device: DeviceDoc | None
    current: CurrentDoc | None
    total: SubjectsTotalDoc
    devices: list[SubjectDoc]
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
    status: Literal["ok"]
    source: SourceDoc
    total: SubjectsTotalDoc
    devices: list[SubjectDoc]
    """Every namespace's ``devices[0]``."""
    namespaces: list[CompareDoc]


class HostPlanDoc(_Model):
    """``vmemplan plan --json`` of a host (--from-ndctl, --iomem, --config)."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok"]
    source: SourceDoc
    total: SubjectsTotalDoc
    devices: list[SubjectDoc]
    """Every namespace's ``devices[0]``."""
    namespaces: list[PlanDoc]


class FindingDoc(_Model):
    """One finding of ``check``: a file that cannot be estimated, or a budget exceeded."""

    file: str
    location: str
    line: int | None
    severity: Literal["error", "fail"]
    message: str


class CheckFileDoc(_Model):
    """One checked file: its status, the total of its entries and each entry."""

    file: str
    status: Literal["pass", "fail", "error"]
    budget_capacity_bytes: int
    """What the ``[budgets]`` percentages are of: the pgmaps' and kmem devices'
    capacity, and the pools carved from boot RAM (a pool on a kmem device is its)."""
    total: CostTotalDoc
    devices: list[MachineEstimateDeviceDoc | MachineSystemRamDeviceDoc | HugetlbPoolDoc]


class CheckDoc(_Model):
    """``vmemplan check --format json``: the report whose schema ``vmemplan schema report``
    prints. ``total`` is the whole run and ``devices`` its files (kind ``file``, each the
    file's total); ``files[i]`` has each file's own ``total`` and ``devices``."""

    schema_version: int
    vmemplan_version: str
    status: Literal["pass", "fail", "error"]
    findings: list[FindingDoc]
    total: CostTotalDoc
    devices: list[CostFileDoc]
    """One entry per file: its total, named after the file (each file's devices are in
    ``files[i].devices``, listed once)."""
    files: list[CheckFileDoc]


def json_schema(which: str) -> str:
    """The JSON Schema of the config file (``config``) or of a document vmemplan prints."""
    import json  # noqa: PLC0415

    from vmemplan.output.explain_schema import ExplainDoc  # noqa: PLC0415
    from vmemplan.output.host_schema import HostDoc  # noqa: PLC0415
    from vmemplan.output.hugetlb_schema import HugetlbDoc  # noqa: PLC0415
    from vmemplan.output.inspect_schema import InspectDoc  # noqa: PLC0415
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
        "explain": ExplainDoc,
        "inspect": InspectDoc,
    }
    schema = models[which].model_json_schema()
    # pydantic writes draft 2020-12 without saying so; the $id names the document kind and
    # its schema_version, so a validator never has to guess either.
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = schema_id(which)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(which: str) -> str:
    """The ``$id`` of a published schema: a URN, as vmemplan has no canonical web address.
    Its last field is the document's ``schema_version`` (the config file's format: 1)."""
    return f"urn:vmemplan:schema:{which}:{1 if which == 'config' else 2}"
