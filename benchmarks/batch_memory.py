"""Benchmark: peak memory of `vmemplan estimate --batch` as the number of lines grows.

Run: python benchmarks/batch_memory.py [N ...] (default 20,000, 200,000 and 1,000,000).
Writes N geometry lines (those of benchmarks/batch.py) to a temporary file, runs the console
script on it under GNU time (`/usr/bin/time -v`; `apt-get install time` if missing) with
stdout to /dev/null, checks exit status 0, and prints the peak RSS and the CPU time. Issue 19
goal: flat memory, under 40 MB at 1,000,000 lines (the batch streams its input and output).
Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from batch import VMEMPLAN, geometry

TIME = "/usr/bin/time"


def run(n: int) -> tuple[int, float]:
    """Peak RSS (KiB) and CPU seconds of one batch of n lines."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for start in range(0, n, 10_000):
            f.write("".join(geometry(i) + "\n" for i in range(start, min(n, start + 10_000))))
        path = f.name
    try:
        proc = subprocess.run(
            [TIME, "-v", *VMEMPLAN, "estimate", "--batch", path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        Path(path).unlink()
    if proc.returncode != 0:
        sys.exit(f"batch of {n} failed: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    user = re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr)
    if not (rss and user and system):
        sys.exit(f"no figures from {TIME} -v:\n{proc.stderr[-2000:]}")
    return int(rss.group(1)), float(user.group(1)) + float(system.group(1))


def main(sizes: list[int]) -> None:
    """Print the peak RSS and CPU time of each batch size."""
    for n in sizes:
        rss_kib, cpu = run(n)
        print(f"{n:>9,} lines: peak RSS {rss_kib / 1024:6.1f} MiB, cpu {cpu:7.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20_000, 200_000, 1_000_000])
