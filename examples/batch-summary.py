"""One row per document of `vmemplan estimate --batch` (JSON Lines on stdin).

Usage:
  vmemplan estimate --size 1T --batch examples/geometries.txt | python3 examples/batch-summary.py
"""

import json
import sys


def short(n: int) -> str:
    """An exact power-of-two size as 4K / 2M / 1G."""
    for suffix, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)


print(f"{'kernel':<7} {'map':<4} {'align':>5} {'dram_bytes':>12} {'lost_bytes':>12}")
for line in sys.stdin:
    d = json.loads(line)
    i = d["input"]
    kernel, map_, align = i["kernel"]["version"], i["map"], short(i["align_bytes"])
    total = d["total"]  # the cost keys of the line's one device (schema_version 2)
    print(f"{kernel:<7} {map_:<4} {align:>5} {total['dram_bytes']:>12} {total['lost_bytes']:>12}")
