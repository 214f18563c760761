"""The JSON contract of ``vmemplan inspect --json``: the ``host --json`` document (the same
``input``, ``total``, ``devices[]`` and ``notes``) plus what was read (``source``) and the
kernel's counters beside their prediction (``counters``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from vmemplan.output.cost_schema import CostTotalDoc
from vmemplan.output.host_schema import HostDeviceDoc, HostInputDoc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InspectFileDoc(_Model):
    """One file (or file pattern, ``memory*/state``) and what reading it gave."""

    path: str
    read: int
    missing: int
    denied: int
    """Files that need root (EACCES/EPERM)."""


class InspectSourceDoc(_Model):
    """The tree that was read and what it says beyond the devices."""

    root: str
    kind: Literal["live", "directory", "archive"]
    euid: int | None
    """Who read the tree (the running machine), or who captured it (a snapshot)."""
    release: str
    machine: str
    """``uname -m``."""
    boot_ram_source: str
    memory_block_size_bytes: int | None
    memory_blocks: int
    nodes: list[int]
    cpu_nodes: list[int]
    memmap_on_memory: str | None
    """memory_hotplug.memmap_on_memory as the parameter file prints it (None: absent)."""
    hugetlb_optimize_vmemmap: bool | None
    """The sysctl (None: absent: HVO not built or not possible)."""
    gbpages: bool | None
    """x86 1 GiB direct map (DirectMap1G in /proc/meminfo); None: not told."""
    cmdline: dict[str, str]
    """The kernel command-line parameters that change the model."""
    files: list[InspectFileDoc]


class InspectCounterDoc(_Model):
    """A counter the kernel keeps, the prediction, and the verdict."""

    name: str
    unit: Literal["pages"]
    predicted: int | None
    kernel: int | None
    verdict: Literal["equal", "differs", "not comparable"]
    difference: int | None
    """The kernel's minus the prediction."""
    why: str | None


class InspectVerdictDoc(_Model):
    """One budget checked against the host's totals."""

    budget: Literal["dram", "device_loss", "init"]
    used: int
    limit: int
    ok: bool
    message: str


class InspectProposalDoc(_Model):
    """One reconfiguration of the host as it is, costed on the whole host."""

    target: str
    change: str
    commands: list[str]
    dram_bytes: int
    """The DRAM the devices and pools add to boot RAM's memmap after this change alone."""
    saved_bytes: int
    lost_bytes: int
    """The host's device capacity lost after this change alone."""


class InspectBudgetDoc(_Model):
    """``--max-dram``/``--max-device-loss``/``--max-init``: the verdicts now, every
    reconfiguration that saves DRAM (most first), and those to take until the budgets
    hold. The DRAM budget is on what the devices and pools add to boot RAM's own memmap
    (which no reconfiguration changes); a percentage is of boot RAM."""

    holds_now: bool
    holds_after: bool
    verdicts: list[InspectVerdictDoc]
    verdicts_after: list[InspectVerdictDoc]
    proposals: list[InspectProposalDoc]
    to_take: list[str]


class InspectDoc(_Model):
    """``vmemplan inspect --json`` (one line per host with several roots)."""

    schema_version: int
    vmemplan_version: str
    status: Literal["ok", "fail"]
    """``fail``: a budget given does not hold now."""
    input: HostInputDoc
    total: CostTotalDoc
    devices: list[HostDeviceDoc]
    notes: list[str]
    source: InspectSourceDoc
    counters: list[InspectCounterDoc]
    budget: InspectBudgetDoc | None
    """None without a budget option."""
