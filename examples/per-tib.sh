#!/usr/bin/env bash
# Capacity planning: DRAM spent on struct pages per TiB of device-dax (map=mem), for each
# align the arch supports, using vmemplan's JSON (exact integers).
# Usage: examples/per-tib.sh [KERNEL] [ARCH]
set -euo pipefail
kernel=${1:-6.12}
arch=${2:-x86_64}
# compare's grid holds exactly the aligns the arch supports (4K 2M 1G on x86_64, 4K 2M on
# arm64-4k, ...): one row per align, as `vmemplan estimate --align A --json` gives it.
vmemplan compare --size 1T --mode devdax --map mem --kernel "$kernel" --arch "$arch" --json |
    python3 -c '
import json, sys

def short(n):
    for suffix, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, suffix)
    return str(n)

print("%-6s %16s %16s %18s" % ("align", "dram_bytes", "unoptimized_bytes", "struct_pages_init"))
for r in json.load(sys.stdin)["rows"]:
    row = (short(r["align_bytes"]), r["dram_bytes"], r["dram_bytes_unoptimized"],
           r["struct_pages_initialised"])
    print("%-6s %16d %16d %18d" % row)'
