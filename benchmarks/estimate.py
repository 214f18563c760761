"""Benchmark: estimate() time from 4 GiB to 4 PiB (run: python benchmarks/estimate.py).

The cost of an estimate must grow with the number of ranges, not with their size, so
the per-call time should be flat across sizes. Uses x86_64-la57 (52 physical address
bits) so that 4 PiB fits, with no boot RAM and the namespace at address 0.
"""

from __future__ import annotations

import subprocess
import sys
import time
from statistics import median

from vmemplan.estimate import EstimateRequest, estimate
from vmemplan.kernel.arch import ARCHES
from vmemplan.kernel.versions import kernel_profile

SIZES = [("4 GiB", 4 << 30), ("4 TiB", 4 << 40), ("256 TiB", 256 << 40), ("4 PiB", 4 << 50)]
ALIGNS = [("4K", 4 << 10), ("2M", 2 << 20), ("1G", 1 << 30)]


def time_estimate(size: int, align: int, map_: str, repeat: int = 50) -> float:
    """Median wall time of one estimate() call, in microseconds."""
    req = EstimateRequest(
        arch=ARCHES["x86_64-la57"],
        kernel=kernel_profile((6, 12)),
        size=size,
        start=0,
        align=align,
        map=map_,  # type: ignore[arg-type]
        system_ram=(),
    )
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        estimate(req)
        samples.append(time.perf_counter() - t0)
    return median(samples) * 1e6


def startup(cmd: list[str], repeat: int = 10) -> float:
    """Median wall time of a whole process, in milliseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - t0)
    return median(samples) * 1e3


def main() -> None:
    """Print a table of estimate() times and the CLI start-up cost."""
    print(f"{'size':>8} {'align':>5} {'map':>4} {'median us':>10}")
    for name, size in SIZES:
        for aname, align in ALIGNS:
            for map_ in ("mem", "dev"):
                us = time_estimate(size, align, map_)
                print(f"{name:>8} {aname:>5} {map_:>4} {us:10.1f}")
    bare = startup([sys.executable, "-c", "pass"])
    cli = startup(
        [sys.executable, "-m", "vmemplan", "estimate", "--size", "1T", "--align", "1G", "--json"]
    )
    print(f"python3 -c pass:                       {bare:7.1f} ms")
    print(f"vmemplan estimate --size 1T --json:    {cli:7.1f} ms")


if __name__ == "__main__":
    main()
