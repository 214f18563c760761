"""Benchmark: 10,000 geometries through one `vmemplan estimate --batch` process.

Run: python benchmarks/batch.py [N]. Writes N distinct geometries (sizes, aligns, maps,
modes and kernels varied; half as JSON objects, half as flags) to a temporary file, runs
the console script once on it, checks that N JSON lines came back and exit status 0, and
prints the wall and CPU time (issue 8 goal: 10,000 in under 2 s on the 2-core machine).
Not a timed test: figures depend on the machine's load.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = shutil.which("vmemplan", path=str(Path(sys.executable).parent))
VMEMPLAN = [SCRIPT] if SCRIPT else [sys.executable, "-m", "vmemplan"]
ALIGNS = ("4K", "2M", "1G")
MAPS = ("mem", "dev")
MODES = ("devdax", "fsdax")
KERNELS = ("5.15", "6.1", "6.6", "6.12")


def geometry(i: int) -> str:
    """The i-th geometry line: a size of 4..4096 GiB plus some MiB, every combination cycled."""
    size = f"{(i % 4093 + 4) * 1024 + i % 1000 * 2}M"
    align, map_ = ALIGNS[i % 3], MAPS[i // 3 % 2]
    mode, kernel = MODES[i // 6 % 2], KERNELS[i // 12 % 4]
    if i % 2:
        return json.dumps(
            {"size": size, "align": align, "map": map_, "mode": mode, "kernel": kernel}
        )
    return f"--size {size} --align {align} --map {map_} --mode {mode} --kernel {kernel}"


def main(n: int = 10_000) -> None:
    """Run the batch once and print its wall and CPU time."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(geometry(i) + "\n" for i in range(n)))
        path = f.name
    try:
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*VMEMPLAN, "estimate", "--batch", path], capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        Path(path).unlink()
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != n:
        sys.exit(f"batch failed: exit {proc.returncode}, {len(lines)} lines\n{proc.stderr}")
    json.loads(lines[-1])
    cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    print(f"{n} geometries in one process: wall {wall:.2f} s, cpu {cpu:.2f} s")
    print(f"per geometry: wall {wall / n * 1e6:.0f} us, cpu {cpu / n * 1e6:.0f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
