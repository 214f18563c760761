"""The cost record of JSON schema_version 2: one shape for what a device costs.

Every document that costs something (estimate, the machine document, system-ram,
hugetlb, host, check, every ``--batch`` line) has ``total`` and ``devices[]``, and each
entry of ``devices`` and the ``total`` carry the keys of ``COST_KEYS`` with the same
meaning everywhere (docs/json.md). This module builds those records from the figures the
accounting computed; it computes nothing the accounting did not.

Identities every record keeps (tests/test_cost_records.py asserts them):

- ``lost_bytes == capacity_bytes - usable_bytes``;
- ``dram_bytes == memmap_dram_pages * PAGE_SIZE + page_table_bytes + direct_map_bytes``;
- ``saved_bytes == dram_bytes_unoptimized - dram_bytes``;
- a ``total`` is the plain sum of its ``devices`` for every key of ``SUMMABLE_KEYS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

# The builders read the figures of an ``Estimate``, a ``SystemRamEstimate``, a HugeTLB
# ``PoolResult``, a ``BootAccount`` and a host ``Device`` (typed ``Any`` here: this module
# sits below all of them and imports none).
Doc = dict[str, object]

# The version of every JSON document vmemplan prints (their `schema_version`): 2 since the
# one cost contract. Bump it only when a key is renamed or removed.
SCHEMA_VERSION = 2

Kind = Literal["devdax", "fsdax", "dax", "famfs", "system-ram", "hugetlb", "boot-ram"]
KINDS: tuple[str, ...] = ("devdax", "fsdax", "dax", "famfs", "system-ram", "hugetlb", "boot-ram")

# The integer figures a total sums, in document order.
SUMMABLE_KEYS: tuple[str, ...] = (
    "capacity_bytes",
    "usable_bytes",
    "lost_bytes",
    "struct_pages",
    "memmap_dram_pages",
    "memmap_device_pages",
    "page_table_bytes",
    "direct_map_bytes",
    "dram_bytes",
    "dram_bytes_unoptimized",
    "saved_bytes",
    "struct_pages_initialised",
    "init_ns_low",
    "init_ns_high",
)

# Every key of a cost record (a device entry or a total), in document order.
COST_KEYS: tuple[str, ...] = ("kind", "name", *SUMMABLE_KEYS, "detail")


def tables_doc(tables: dict[str, int] | None) -> dict[str, int] | None:
    """Page-table tables per level, ``{pte, pmd, pud, p4d}`` (None: not modelled)."""
    if tables is None:
        return None
    return {"pte": tables["pte"], "pmd": tables["pmd"], "pud": tables["pud"], "p4d": tables["p4d"]}


def cost_record(
    kind: str,
    name: str | None,
    *,
    page_size: int,
    capacity_bytes: int,
    usable_bytes: int,
    struct_pages: int,
    memmap_dram_pages: int,
    memmap_device_pages: int,
    page_table_bytes: int,
    direct_map_bytes: int,
    dram_bytes_unoptimized: int,
    struct_pages_initialised: int,
    init_ns: tuple[int, int],
    detail: Mapping[str, object] | None = None,
) -> Doc:
    """One device's cost record; ``dram_bytes``, ``lost_bytes`` and ``saved_bytes`` are
    derived here, so the identities hold by construction."""
    dram = memmap_dram_pages * page_size + page_table_bytes + direct_map_bytes
    return {
        "kind": kind,
        "name": name,
        "capacity_bytes": capacity_bytes,
        "usable_bytes": usable_bytes,
        "lost_bytes": capacity_bytes - usable_bytes,
        "struct_pages": struct_pages,
        "memmap_dram_pages": memmap_dram_pages,
        "memmap_device_pages": memmap_device_pages,
        "page_table_bytes": page_table_bytes,
        "direct_map_bytes": direct_map_bytes,
        "dram_bytes": dram,
        "dram_bytes_unoptimized": dram_bytes_unoptimized,
        "saved_bytes": dram_bytes_unoptimized - dram,
        "struct_pages_initialised": struct_pages_initialised,
        "init_ns_low": init_ns[0],
        "init_ns_high": init_ns[1],
        "detail": dict(detail or {}),
    }


def total_record(devices: Iterable[Mapping[str, object]]) -> Doc:
    """The ``total`` of ``devices``: the plain sum of every summable key; its ``detail``
    counts the devices by kind (every kind present, 0 where none)."""
    sums = dict.fromkeys(SUMMABLE_KEYS, 0)
    counts = dict.fromkeys(KINDS, 0)
    for d in devices:
        counts[str(d["kind"])] += 1
        for key in SUMMABLE_KEYS:
            value = d[key]
            assert isinstance(value, int)
            sums[key] += value
    return {"kind": "total", "name": None, **sums, "detail": {"devices": counts}}


def pgmap_kind(est: Any, device: Any = None) -> str:
    """The kind of a dev_pagemap estimate: fsdax, devdax (a namespace), dax (ranges), or
    famfs (a dax device ``device`` that fsdev_dax holds)."""
    if device is not None:
        dax = getattr(device, "dax", device)  # a namespace's dax device, or the device
        if dax is not None and getattr(dax, "driver", None) == "fsdev_dax":
            return "famfs"
    if est.request.mode == "fsdax":
        return "fsdax"
    return "dax" if est.kind == "dax-ranges" else "devdax"


def estimate_cost(
    est: Any,
    name: str | None = None,
    detail: Mapping[str, object] | None = None,
    *,
    device: Any = None,
) -> Doc:
    """A pmem namespace or dax device a dev_pagemap maps (``estimate``): ``lost_bytes``
    is what the device loses (info block, altmap reservation, truncation)."""
    f, base = est.figures, est.baseline
    acct = f.cost.account
    capacity = est.namespace_bytes
    page_size = est.request.arch.page_size
    return cost_record(
        pgmap_kind(est, device),
        name,
        page_size=page_size,
        capacity_bytes=capacity,
        usable_bytes=capacity - f.device_bytes,
        struct_pages=est.struct_pages,
        memmap_dram_pages=acct.dram_pages,
        memmap_device_pages=acct.device_pages,
        page_table_bytes=f.page_table_bytes,
        direct_map_bytes=f.direct_map_bytes,
        dram_bytes_unoptimized=base.dram_bytes,
        struct_pages_initialised=f.cost.struct_pages_initialised,
        init_ns=f.time_ns,
        detail=detail,
    )


def system_ram_cost(
    sr: Any,
    name: str | None = None,
    *,
    dram_bytes_unoptimized: int | None = None,
    detail: Mapping[str, object] | None = None,
) -> Doc:
    """A dax device kmem onlines as System RAM. ``lost_bytes``: the device bytes that do
    not become RAM (trimmed edges, self-hosted memmap, the namespace head and tail).

    ``memmap_dram_pages`` leaves out the vmemmap of the HugeTLB pools carved from the
    device, and ``capacity_bytes``, ``usable_bytes`` and ``struct_pages`` their bytes
    (the pools' entries count them: a total counts each byte and struct page once).
    ``dram_bytes_unoptimized`` is the same hot-add with memmap_on_memory off
    (``HostAccount.hot_added_unoptimized()``); when the caller has none, the self-hosted
    memmap moved to DRAM (the tables are DRAM either way)."""
    c = sr.cost
    page_size = c.page_size
    dram_pages = c.account.dram_pages - sr.pool_vmemmap_pages
    if dram_bytes_unoptimized is None:
        dram_bytes_unoptimized = sr.dram_bytes + c.account.device_pages * page_size
    return cost_record(
        "system-ram",
        name,
        page_size=page_size,
        capacity_bytes=sr.device_bytes - sr.pool_bytes,
        usable_bytes=sr.usable_bytes - sr.pool_bytes,
        struct_pages=(c.added_bytes - sr.pool_bytes) // page_size,
        memmap_dram_pages=dram_pages,
        memmap_device_pages=c.account.device_pages,
        page_table_bytes=sr.page_table_bytes,
        direct_map_bytes=sr.direct_map_bytes,
        dram_bytes_unoptimized=dram_bytes_unoptimized,
        struct_pages_initialised=c.struct_pages_initialised,
        init_ns=sr.time_ns,
        detail=detail,
    )


def pool_cost(
    result: Any,
    page_size: int,
    name: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> Doc:
    """A HugeTLB pool: its vmemmap after HVO (kept pages and the PTE tables split PMD
    leaves need); nothing of its capacity is lost. Its struct pages were written with
    the memory it is carved from, so it initialises none itself. A pool whose vmemmap is
    on its own hot-added memory (memmap_on_memory) costs no DRAM, and its memmap pages
    on the device are the device's entry's (``memmap_device_pages`` 0 here)."""
    v = result.vmemmap
    pool_bytes = result.pool.folio_bytes * result.pool.nr_folios
    hosted = not v.self_hosted
    return cost_record(
        "hugetlb",
        name,
        page_size=page_size,
        capacity_bytes=pool_bytes,
        usable_bytes=pool_bytes,
        struct_pages=pool_bytes // page_size,
        memmap_dram_pages=v.kept_pages if hosted else 0,
        memmap_device_pages=0,
        page_table_bytes=v.pte_tables * page_size if hosted else 0,
        direct_map_bytes=0,
        dram_bytes_unoptimized=v.dram_pages_unoptimized * page_size,
        struct_pages_initialised=0,
        init_ns=(0, 0),
        detail=detail,
    )


def boot_cost(boot: Any, page_size: int, detail: Mapping[str, object] | None = None) -> Doc:
    """Boot System RAM: the full-section memmap sparse_init() allocates, less the
    vmemmap of the pools carved from it (theirs, as their bytes and struct pages are),
    and its vmemmap tables. Nothing is lost or optimised; its struct pages are written at
    boot, which no figure here times."""
    tables = boot.dram_bytes - boot.memmap_pages_dram * page_size
    capacity = boot.capacity_bytes - boot.pool_bytes
    return cost_record(
        "boot-ram",
        "boot RAM",
        page_size=page_size,
        capacity_bytes=capacity,
        usable_bytes=capacity,
        struct_pages=capacity // page_size,
        memmap_dram_pages=boot.memmap_pages_dram,
        memmap_device_pages=0,
        page_table_bytes=tables,
        direct_map_bytes=0,
        dram_bytes_unoptimized=boot.dram_bytes,
        struct_pages_initialised=0,
        init_ns=(0, 0),
        detail=detail,
    )
