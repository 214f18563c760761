"""What a host as it is would save: one reconfiguration per device or pool, each costed by
the one accounting on the whole host, with the commands the kernel accepts for it, and
whether the host then meets a budget (``inspect --max-dram 1%``, ``--max-device-loss``,
``--max-init``: the budgets of ``plan``, on the host's totals; a percentage is of boot
RAM). The DRAM budget is on what the devices and pools add to boot RAM's own memmap
(``HostAccount.devices_dram_bytes``): boot RAM's memmap (1/64 of it on x86_64) is the
same under every reconfiguration.

The reconfigurations (issue 17 item 4):

- a pmem namespace not in devdax map=mem at the largest align the arch supports: its
  align is read-only once the dax device exists (the pfn info block holds it), so the
  namespace is re-created in place: ``ndctl create-namespace -f -e`` (destroys its data);
- a dynamic (hmem/CXL) dax device bound to device_dax below the largest align:
  ``daxctl reconfigure-device --align`` while disabled;
- a kmem device whose memmap is in DRAM: memmap_on_memory needs the parameter
  (``memory_hotplug.memmap_on_memory=1`` on the kernel command line; the file is 0444)
  and, from v6.9, the device's attribute, written while kmem does not hold it;
- a HugeTLB pool without HVO: the sysctl (or ``hugetlb_free_vmemmap=on``), then the pool
  rebuilt, since HVO only applies to pages allocated while it is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmemplan.budget import Budgets, Verdict, check_budgets
from vmemplan.host.accounting import account
from vmemplan.host.description import DaxDevice, Host, PmemNamespace
from vmemplan.host.description import Device as Device_
from vmemplan.kernel.hugetlb_vmemmap import hugetlb_vmemmap_refusal
from vmemplan.plan import Choice, Device, reconfigure_commands
from vmemplan.units import format_size_exact


@dataclass(frozen=True)
class Proposal:
    """One change to the host and what it saves (DRAM bytes; negative: it costs)."""

    target: str
    change: str
    commands: tuple[str, ...]
    dram_bytes: int  # the devices' and pools' DRAM after it
    saved_bytes: int
    lost_bytes: int  # the host's device loss after it

    def doc(self) -> dict[str, object]:
        """A ``proposals[]`` entry of ``inspect --json``."""
        return {
            "target": self.target,
            "change": self.change,
            "commands": list(self.commands),
            "dram_bytes": self.dram_bytes,
            "saved_bytes": self.saved_bytes,
            "lost_bytes": self.lost_bytes,
        }


def _total(host: Host) -> tuple[int, int]:
    acc = account(host, pool_problem=lambda *_: None)
    lost = sum(e.figures.device_bytes for _, e in acc.pgmaps) + sum(
        e.device_bytes - e.usable_bytes for _, e in acc.hot_added
    )
    return acc.devices_dram_bytes, lost


def _candidates(host: Host) -> list[tuple[str, str, tuple[str, ...], Host]]:
    """Each single change worth costing: (target, change, commands, host after it)."""
    m = host.machine
    arch = m.arch
    best = max(arch.dax_alignments)
    out: list[tuple[str, str, tuple[str, ...], Host]] = []
    devices = list(host.devices)
    for i, dev in enumerate(devices):
        if isinstance(dev, PmemNamespace) and dev.dax is None:
            want = Choice("devdax", "mem", best)
            current = Choice(dev.mode, dev.map, dev.align_bytes or arch.pmd_size)
            if current == want or dev.size_bytes < best:
                continue
            new: Device_ = dev._replace(
                mode="devdax", map="mem", align_bytes=best, vmemmap_shift=None
            )
            cmds: tuple[str, ...] = tuple(
                reconfigure_commands(Device(dev.name, "namespace"), current, want)
            )
            change = (
                f"{dev.mode} map={dev.map} align {format_size_exact(current.align)} -> devdax "
                f"map=mem align {format_size_exact(best)} (re-created: its data is lost)"
            )
            out.append((dev.name, change, tuple(cmds), _with(host, i, new)))
        elif isinstance(dev, DaxDevice) and dev.driver == "device_dax":
            align = dev.align_bytes or arch.pmd_size
            size = sum(hi - lo for lo, hi in dev.ranges)
            if align >= best or size % best or any(lo % best for lo, _ in dev.ranges):
                continue
            new = dev._replace(align_bytes=best, vmemmap_shift=None)
            cmds = tuple(
                reconfigure_commands(
                    Device(dev.name, "dax"),
                    Choice("devdax", "mem", align),
                    Choice("devdax", "mem", best),
                )
            )
            change = f"align {format_size_exact(align)} -> {format_size_exact(best)}"
            out.append((dev.name, change, tuple(cmds), _with(host, i, new)))
        else:
            dax = dev if isinstance(dev, DaxDevice) else dev.dax
            if dax is None or dax.driver != "kmem" or dax.memmap_on_memory != "off":
                continue
            new_dax = dax._replace(memmap_on_memory="on")
            new = new_dax if isinstance(dev, DaxDevice) else dev._replace(dax=new_dax)
            cmds = (
                "add memory_hotplug.memmap_on_memory=1 to the kernel command line and reboot",
                f"daxctl offline-memory {dax.name}",
                f"daxctl reconfigure-device --mode=devdax --force {dax.name}",
                f"echo 1 > /sys/bus/dax/devices/{dax.name}/memmap_on_memory",
                f"daxctl reconfigure-device --mode=system-ram {dax.name}",
            )
            out.append((dax.name, "memmap_on_memory off -> on", cmds, _with(host, i, new)))
    for j, pool in enumerate(host.pools):
        if pool.hvo:
            continue
        refusal = hugetlb_vmemmap_refusal(
            arch, m.kernel.version, folio_bytes=pool.page_size_bytes, hvo_enabled=True
        )
        if refusal is not None:
            continue
        pools = list(host.pools)
        pools[j] = pool._replace(hvo=True)
        kb = pool.page_size_bytes // 1024
        where = (
            "/sys/kernel/mm/hugepages"
            if pool.node is None
            else f"/sys/devices/system/node/node{pool.node}/hugepages"
        )
        cmds = (
            "sysctl -w vm.hugetlb_optimize_vmemmap=1 (or hugetlb_free_vmemmap=on at boot)",
            f"echo 0 > {where}/hugepages-{kb}kB/nr_hugepages",
            f"echo {pool.nr_huge_pages} > {where}/hugepages-{kb}kB/nr_hugepages",
        )
        node = "" if pool.node is None else f" on node {pool.node}"
        target = f"HugeTLB {format_size_exact(pool.page_size_bytes)} x {pool.nr_huge_pages}{node}"
        out.append((target, "HVO off -> on", cmds, host._replace(pools=tuple(pools))))
    return out


def _with(host: Host, i: int, device: Device_) -> Host:
    devices = list(host.devices)
    devices[i] = device
    return host._replace(devices=tuple(devices))


def proposals(host: Host) -> tuple[int, int, list[Proposal]]:
    """The host's DRAM and device loss now, and each change that saves DRAM, most first."""
    dram, lost = _total(host)
    out = []
    for target, change, cmds, after in _candidates(host):
        new_dram, new_lost = _total(after)
        if new_dram < dram:
            out.append(Proposal(target, change, cmds, new_dram, dram - new_dram, new_lost))
    out.sort(key=lambda p: (-p.saved_bytes, p.target))
    return dram, lost, out


def budget_doc(host: Host, budgets: Budgets, *, init_ns_high: int) -> dict[str, object]:
    """``inspect``'s ``budget``: the verdicts now (a percentage is of boot RAM, as the
    host's percentages are), the proposals, and the ones to take, most saving first,
    until the DRAM budget holds (each alone saves what it says; together they save
    their sum, as they touch different devices)."""
    boot = sum(hi - lo for lo, hi in host.machine.system_ram_ranges)
    dram, lost, found = proposals(host)

    def verdicts(dram_bytes: int, lost_bytes: int) -> list[Verdict]:
        return check_budgets(
            budgets,
            dram_bytes=dram_bytes,
            device_bytes=lost_bytes,
            init_ns_high=init_ns_high,
            whole_bytes=boot,
        )

    now = verdicts(dram, lost)
    taken: list[str] = []
    remaining, remaining_lost = dram, lost
    after = now
    if not all(v.ok for v in now):
        for p in found:
            taken.append(p.target)
            remaining -= p.saved_bytes
            remaining_lost += p.lost_bytes - lost
            after = verdicts(remaining, remaining_lost)
            if all(v.ok for v in after):
                break
    return {
        "holds_now": all(v.ok for v in now),
        "holds_after": all(v.ok for v in after),
        "verdicts": [_verdict_doc(v) for v in now],
        "verdicts_after": [_verdict_doc(v) for v in after],
        "proposals": [p.doc() for p in found],
        "to_take": taken,
    }


def _verdict_doc(v: Verdict) -> dict[str, object]:
    return {"budget": v.budget, "used": v.used, "limit": v.limit, "ok": v.ok, "message": v.message}
