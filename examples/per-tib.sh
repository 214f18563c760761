#!/usr/bin/env bash
# Capacity planning: DRAM spent on struct pages per TiB of device-dax, by align, using
# vmemplan's JSON (exact integers). Usage: examples/per-tib.sh [KERNEL] [ARCH]
set -euo pipefail
kernel=${1:-6.12}
arch=${2:-x86_64}
printf '%-6s %16s %16s %18s\n' align dram_bytes baseline_bytes struct_pages_init
for align in 4K 2M 1G; do
    vmemplan estimate --size 1T --align "$align" --kernel "$kernel" --arch "$arch" --json |
        python3 -c '
import json, sys
d = json.load(sys.stdin)
row = (sys.argv[1], d["dram_bytes"], d["baseline"]["dram_bytes"],
       d["init"]["struct_pages_initialised"])
print("%-6s %16d %16d %18d" % row)' "$align"
done
