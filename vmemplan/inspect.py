"""``vmemplan inspect``: the running machine (or a snapshot of it), costed by the one
accounting, beside what the kernel counts itself.

A view of ``account(host)`` of the host ``sources.live.read_live()`` built: the same
``total`` / ``devices[]`` records as ``host --json``, plus the sources read, the notes of
what was assumed, and each counter the kernel keeps next to its prediction
(live-inspect.md §2.9 and §4):

- ``nr_memmap_boot_pages`` (v6.11+): every boot section's memmap,
  ``PFN_UP(PAGES_PER_SECTION x sizeof(struct page) / PAGE_SIZE)`` pages each
  (sparse_init()), less what HVO freed of the pools carved from boot RAM;
- ``nr_memmap_pages`` (v6.11+): the memmap populated after boot (every dev_pagemap and
  kmem hot-add, wherever it lives), moved by HVO: a pool on boot RAM adds its copied head
  pages, a pool on kmem memory frees its vmemmap from this counter
  (``kernel.vmstat.hugetlb_vmemmap_counter_deltas()``);
- ``present - managed`` of a node that holds only kmem memory (zoneinfo): the
  self-hosted memmap pages (memory_block_online() counts them present, not managed);
- ``MemTotal`` of such a node (nodeN/meminfo): its managed pages.

A difference is a finding to show, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan import __version__
from vmemplan.budget import Budgets
from vmemplan.cost import SCHEMA_VERSION
from vmemplan.host.accounting import HostAccount, account, device_name
from vmemplan.host.summary import host_doc
from vmemplan.kernel.vmstat import hugetlb_vmemmap_counter_deltas
from vmemplan.sources.live import LiveReading
from vmemplan.sources.live.tree import Tree
from vmemplan.units import div_round_up


@dataclass(frozen=True)
class Counter:
    """One counter: what the model predicts, what the kernel says, and the verdict."""

    name: str
    unit: str  # pages
    predicted: int | None
    kernel: int | None
    why: str | None  # why not comparable, or what the prediction leaves out

    @property
    def verdict(self) -> str:
        """``equal``, ``differs`` or ``not comparable``."""
        if self.predicted is None or self.kernel is None:
            return "not comparable"
        return "equal" if self.predicted == self.kernel else "differs"

    @property
    def difference(self) -> int | None:
        """Kernel's minus predicted (None when not comparable)."""
        if self.predicted is None or self.kernel is None:
            return None
        return self.kernel - self.predicted

    def doc(self) -> dict[str, object]:
        """The ``counters[]`` entry of ``inspect --json``."""
        return {
            "name": self.name,
            "unit": self.unit,
            "predicted": self.predicted,
            "kernel": self.kernel,
            "verdict": self.verdict,
            "difference": self.difference,
            "why": self.why,
        }


def predict_counters(reading: LiveReading, acc: HostAccount) -> list[Counter]:
    """Each counter the kernel keeps, with the prediction of ``acc`` (module doc)."""
    m = acc.host.machine
    arch, kernel = m.arch, m.kernel
    p = arch.page_size
    c = reading.counters
    vm = c.vmstat
    out: list[Counter] = []
    if kernel.counters == "none":
        why = f"the counter exists from v6.11 (15995a352474); this is {kernel.label}"
        out.append(
            Counter("nr_memmap_boot_pages", "pages", None, vm.get("nr_memmap_boot_pages"), why)
        )
        out.append(Counter("nr_memmap_pages", "pages", None, vm.get("nr_memmap_pages"), why))
    else:
        per_section = div_round_up(arch.pages_per_section * acc.struct_page_size, p)
        boot = acc.boot.sections * per_section
        after = 0
        for _, est in acc.pgmaps:
            after += est.figures.cost.nr_memmap_pages or 0
        for _, sr in acc.hot_added:
            after += sr.cost.nr_memmap_pages_delta or 0
        for pa in acc.pools:
            v = pa.result.vmemmap
            pages, boot_pages = hugetlb_vmemmap_counter_deltas(
                optimized=v.optimized,
                vmemmap_pages=v.vmemmap_pages,
                kept_pages=v.kept_pages,
                hot_added=pa.on is not None,
            )
            after += pages
            boot += boot_pages
        hvo = "; assumes the pools' pages were allocated with HVO as it is now" if acc.pools else ""
        out.append(
            Counter(
                "nr_memmap_boot_pages",
                "pages",
                boot,
                vm.get("nr_memmap_boot_pages"),
                "assumes no page_ext user (page_owner, page_table_check) and no boot "
                f"section hot-removed{hvo}",
            )
        )
        out.append(
            Counter(
                "nr_memmap_pages",
                "pages",
                after,
                vm.get("nr_memmap_pages"),
                "counts memmap wherever it lives (map=dev and memmap_on_memory pages too); "
                f"{'nominal' if kernel.counters == 'nominal' else 'deduplicated'} for "
                f"device-dax on {kernel.label}{hvo}",
            )
        )
    by_name = {device_name(d): sr for d, sr in acc.hot_added}
    for node, names in sorted(reading.kmem_nodes.items()):
        ests = [by_name[n] for n in names if n in by_name]
        if not ests:
            continue
        hosted = sum(sr.cost.blocks_self_hosted * sr.cost.altmap_pages_per_block for sr in ests)
        zone = c.zones.get(node)
        out.append(
            Counter(
                f"node {node} present - managed",
                "pages",
                hosted,
                None if zone is None else zone[0] - zone[1],
                f"node {node} holds only {', '.join(names)}: its self-hosted memmap pages "
                "are present but not managed (memory_block_online())",
            )
        )
        managed = sum(sr.cost.managed_pages for sr in ests)
        total = c.node_memtotal.get(node)
        out.append(
            Counter(
                f"node {node} MemTotal",
                "pages",
                managed,
                None if total is None else total // p,
                f"the managed pages of {', '.join(names)} (nodeN/meminfo MemTotal)",
            )
        )
    memtotal = c.meminfo.get("MemTotal")
    out.append(
        Counter(
            "MemTotal",
            "pages",
            None,
            None if memtotal is None else memtotal // p,
            "the managed pages of the whole machine: boot reservations (kernel image, "
            "memblock allocations, crash kernel, firmware) are not modelled",
        )
    )
    return out


def _sources(tree: Tree) -> list[dict[str, object]]:
    return [
        {"path": path, "read": n.read, "missing": n.missing, "denied": n.denied}
        for path, n in sorted(tree.sources.items())
    ]


def _read_notes(tree: Tree, reading: LiveReading) -> list[str]:
    """What could not be read (root only) and what was found absent."""
    notes = []
    denied = sorted(path for path, n in tree.sources.items() if n.denied)
    if denied:
        notes.append(
            "not readable without root (CAP_SYS_ADMIN for proc/iomem): " + ", ".join(denied)
        )
    if not reading.host.devices:
        notes.append(
            "no pmem namespace, dax device or CXL region found (sys/bus/nd/devices and "
            "sys/bus/dax/devices list none): boot RAM and HugeTLB only"
        )
    return notes


def inspect_doc(
    tree: Tree, reading: LiveReading, kind: str, budgets: Budgets | None = None
) -> dict[str, object]:
    """The ``vmemplan inspect --json`` document of one tree (schema: InspectDoc); with
    ``budgets``, its ``budget``: the verdicts and the reconfigurations that save DRAM."""
    problems: list[str] = []

    def pool_problem(index: int, key: str, message: str) -> None:
        problems.append(f"HugeTLB pool {index + 1} left out: {message}")

    acc = account(reading.host, pool_problem=pool_problem, boot_ram_key="boot RAM")
    s = reading.system
    notes = [*reading.notes, *problems, *_read_notes(tree, reading)]
    doc = host_doc(acc, hvo_requested=all(pl.hvo for pl in reading.host.pools), notes=notes)
    doc["source"] = {
        "root": tree.shown,
        "kind": kind,
        "euid": s.euid,
        "release": s.release,
        "machine": s.machine,
        "boot_ram_source": s.boot_ram_source,
        "memory_block_size_bytes": s.block_size_bytes,
        "memory_blocks": len(s.blocks),
        "nodes": s.nodes,
        "cpu_nodes": s.cpu_nodes,
        "memmap_on_memory": reading.mom_param,
        "hugetlb_optimize_vmemmap": reading.hvo_sysctl,
        "gbpages": s.gbpages,
        "cmdline": dict(sorted(reading.cmdline_switches.items())),
        "files": _sources(tree),
    }
    doc["counters"] = [c.doc() for c in predict_counters(reading, acc)]
    doc["budget"] = None
    if budgets is not None:
        from vmemplan.inspect_savings import budget_doc  # noqa: PLC0415

        total = doc["total"]
        assert isinstance(total, dict)
        doc["budget"] = budget_doc(reading.host, budgets, init_ns_high=total["init_ns_high"])
        if not doc["budget"]["holds_now"]:  # type: ignore[index]
            doc["status"] = "fail"
    return doc


__all__ = ["SCHEMA_VERSION", "Counter", "__version__", "inspect_doc", "predict_counters"]
