"""kmem_hotplug() (memory blocks in runs) run beside the per-block reference, compared.

``hotplug_both()`` hot-adds the same ranges on two copies of one machine and its direct
map, once with ``kmem_hotplug()`` and once with ``_kmem_hotplug_per_block()`` (one
``arch_add_memory()`` per memory block, as the kernel calls it), and asserts that every
figure, the error if one is raised, and the final state of both copies are the same.
"""

from __future__ import annotations

from vmemplan.errors import GeometryError
from vmemplan.kernel.linear_map import DirectMapState
from vmemplan.kernel.memory_hotplug import (
    HotplugCost,
    MemmapOnMemory,
    _kmem_hotplug_per_block,
    kmem_hotplug,
)
from vmemplan.kernel.memremap import Machine

Runs = list[tuple[int, int]]


def machine_state(m: Machine) -> tuple[object, ...]:
    """Everything a later addition on ``m`` reads: tables, leaves, PTEs, boot memmap."""
    st = m.state
    tables: dict[str, Runs] = {name: list(runs) for name, runs in st.tables.items()}
    return tables, list(st.pmd_leaves), list(st.ptes), st.shared_tail, list(m.early), m.boot


def direct_state(d: DirectMapState | None) -> dict[str, Runs] | None:
    """The direct map's table windows per level."""
    return None if d is None else {name: list(runs) for name, runs in d.tables.items()}


def hotplug_both(
    machine: Machine,
    ranges: tuple[tuple[int, int], ...],
    memory_block_size: int,
    mode: MemmapOnMemory,
    direct: DirectMapState | None = None,
) -> HotplugCost | GeometryError:
    """``kmem_hotplug()`` on ``machine`` and ``direct`` (in place), checked against the
    reference on copies; returns the cost, or the GeometryError both raised."""
    ref_machine = machine.copy()
    ref_direct = None if direct is None else direct.copy()
    ref: HotplugCost | GeometryError
    fast: HotplugCost | GeometryError
    try:
        ref = _kmem_hotplug_per_block(ref_machine, ranges, memory_block_size, mode, ref_direct)
    except GeometryError as err:
        ref = err
    try:
        fast = kmem_hotplug(machine, ranges, memory_block_size, mode, direct)
    except GeometryError as err:
        fast = err
    if isinstance(ref, GeometryError) or isinstance(fast, GeometryError):
        assert (type(fast), str(fast)) == (type(ref), str(ref))
    else:
        assert fast == ref
        # field by field too, so that a failure names the field
        assert fast.account == ref.account
        assert fast.direct_map == ref.direct_map
        assert fast.ranges == ref.ranges
        assert fast.managed_pages == ref.managed_pages
    assert machine_state(machine) == machine_state(ref_machine)
    assert direct_state(direct) == direct_state(ref_direct)
    return fast
