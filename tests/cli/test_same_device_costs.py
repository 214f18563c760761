"""One device costs the same in every command that shows it.

A dax device that dax kmem onlined as System RAM is hot-added by ``kmem_hotplug()``; the
figures ``estimate --from-ndctl`` gives it (its ``devices[]`` entry) are the ones
``compare --from-ndctl`` shows in its memmap_on_memory=off row, what it runs today.
"""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import flat_kmems, run_cli

NDCTL_KMEM = "tests/data/ndctl/list_NX_devdax_kmem.json"


def _json(*args: str) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_compare_counts_the_stranded_namespace_head_of_a_kmem_dax_device_as_estimate_does() -> None:
    """namespace0.0 is 64 GiB, devdax map=dev align 2M; its dax0.0 starts at dataoff
    0x40200000 (1 GiB + 2 MiB: the info block and the map=dev reservation) and kmem onlines
    it in 2 GiB memory blocks: 31 blocks (62 GiB). The namespace loses 64 - 62 = 2 GiB, the
    1 GiB + 2 MiB head included; compare once said 1022 MiB, the dax device's own loss."""
    est = _json("estimate", "--from-ndctl", NDCTL_KMEM)
    (fig,) = [d for d in flat_kmems(est) if d["name"] == "dax0.0"]
    cmp = _json("compare", "--from-ndctl", NDCTL_KMEM)
    (dax,) = [d for d in cmp["namespaces"] if d["label"] == "dax0.0"]
    (off,) = [r for r in dax["system_ram_rows"] if r["memmap_on_memory"] == "off"]
    assert fig["stranded_bytes"] == 0x40200000
    assert off["stranded_bytes"] == fig["stranded_bytes"]
    assert off["lost_bytes"] == fig["capacity_bytes"] - fig["usable_bytes"] == 2 << 30
    assert fig["lost_bytes"] == 2 << 30
    assert off["usable_bytes"] == fig["usable_bytes"] == 31 * (2 << 30)
    assert off["dram_bytes"] == fig["dram_bytes"]
    assert off["memmap_dram_pages"] == fig["memmap_dram_pages"]
    assert off["struct_pages_initialised"] == fig["struct_pages_initialised"]
