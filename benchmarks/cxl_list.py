"""Benchmark: `vmemplan estimate --from-cxl` on cxl list dumps of N RAM regions.

Run: python benchmarks/cxl_list.py [N ...] (default 1000 2000 4000 8000). Writes a flat
`cxl list -R` array of N committed 1 GiB RAM regions (no daxregion: each becomes a kmem
dax device by the v6.3 default), runs the console script once per N on the default boot
RAM, checks exit 0 and N devices, and prints the wall time and the time per region:
linear in N means a flat time per region. Not a timed test: figures depend on the
machine's load.

With --iomem of many boot RAM ranges each kmem device costs O(boot RAM ranges) in
system_ram_estimate() (a Machine per device), so N devices on N ranges grow as N^2: a
cost of the shared hot-add path, not of the cxl list reader.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = shutil.which("vmemplan", path=str(Path(sys.executable).parent))
VMEMPLAN = [SCRIPT] if SCRIPT else [sys.executable, "-m", "vmemplan"]
GIB = 1 << 30


def main(sizes: list[int]) -> None:
    """Time one run per size."""
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            cxl = Path(tmp) / f"cxl{n}.json"
            cxl.write_text(
                json.dumps(
                    [
                        {
                            "region": f"region{i}",
                            "resource": (1024 + 2 * i) * GIB,
                            "size": GIB,
                            "type": "ram",
                            "decode_state": "commit",
                        }
                        for i in range(n)
                    ]
                )
            )
            args = [*VMEMPLAN, "estimate", "--from-cxl", str(cxl), "--json"]
            start = time.perf_counter()
            out = subprocess.run(args, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - start
            assert len(json.loads(out.stdout)["devices"]) == n
            print(f"{n:>6} regions: {wall:6.2f} s, {wall / n * 1e3:.3f} ms per region")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 4000, 8000])
