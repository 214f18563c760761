"""The commands that put a dynamic (CXL or hmem) dax device in each configuration
``compare`` weighs: device_dax, or System RAM (kmem) with its memmap in DRAM or on the
memory itself. What each kernel allows comes from the rules of kernel/cxl.py.

``memory_hotplug.memmap_on_memory`` is a 0444 parameter (mm/memory_hotplug.c): only the
kernel command line sets it. The dax device's ``memmap_on_memory`` attribute (v6.9) can be
written only while no driver is bound (-EBUSY under kmem), hence the unbind/write/rebind
sequence; ``--force`` lets daxctl offline the memory blocks first.
"""

from __future__ import annotations

from vmemplan.kernel import cxl
from vmemplan.kernel.versions import KernelProfile

BOOT_MOM_ON = "# kernel command line: memory_hotplug.memmap_on_memory=1"
BOOT_MOM_OFF = "# kernel command line without memory_hotplug.memmap_on_memory (default N)"


def dax_device_commands(name: str, kernel: KernelProfile) -> list[dict[str, object]]:
    """For dax device ``name`` on ``kernel``: each configuration (``devdax``,
    ``system-ram memmap_on_memory=off|on``), its commands, and why it cannot be had
    (``refused``; None when it can)."""
    knob = f"/sys/bus/dax/devices/{name}/memmap_on_memory"
    to_devdax = f"daxctl reconfigure-device --mode=devdax --force {name}"
    to_ram = f"daxctl reconfigure-device --mode=system-ram {name}"
    out: list[dict[str, object]] = [
        {"configuration": "devdax", "commands": [to_devdax], "refused": None}
    ]
    if cxl.has(kernel, cxl.DAX_MEMMAP_ON_MEMORY_ATTR):
        off = [to_devdax, f"echo 0 > {knob}", to_ram]
        on = [BOOT_MOM_ON, to_devdax, f"echo 1 > {knob}", to_ram]
        refused = None
    elif cxl.has(kernel, cxl.CXL_KMEM_MEMMAP_ON_MEMORY):
        # v6.8: a CXL region's dax device always asks; no per-device attribute yet
        off, on, refused = [BOOT_MOM_OFF, to_ram], [BOOT_MOM_ON, to_ram], None
    else:
        off, on = [to_ram], []
        refused = (
            f"Linux {kernel.label}: kmem adds memory without MHP_MEMMAP_ON_MEMORY before v6.8 "
            f"({cxl.CXL_KMEM_MEMMAP_ON_MEMORY.change})"
        )
    out.append(
        {"configuration": "system-ram memmap_on_memory=off", "commands": off, "refused": None}
    )
    out.append(
        {"configuration": "system-ram memmap_on_memory=on", "commands": on, "refused": refused}
    )
    return out
