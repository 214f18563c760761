"""Benchmark: the dump readers stay linear in the input (issue 21).

Run: ``python benchmarks/dumps.py``. Reads, in process, pasted /proc/iomem dumps of N
pmem ranges (each a ``Persistent Memory`` range with the kernel's namespace head beside
its ``daxX.Y``, a poster's note, and a cut PCI line: 4 lines per range), and lsmem tables
of N rows, at N and 2N, and prints the time per reader and the ratio (about 2 when
linear). Not a timed test: the figures depend on the machine.

Measured on 2026-12-07 on the shared 2-core development machine (load average ~3.5, so
the ratios are noisy): ``memory_devices()`` of 10,000 / 20,000 / 40,000 ranges took
0.45 s / 1.72 s / 8.51 s before ``_subtree()`` stopped slicing the rest of the dump for
every dax device (quadratic), and 0.17 s / 0.56 s / 1.19 s after it. Two runs of this
script after it:

    iomem  10,000   0.38 s   20,000   1.14 s  ratio 2.98
    lsmem 100,000   0.60 s  200,000   1.82 s  ratio 3.01
    iomem  10,000   0.39 s   20,000   0.82 s  ratio 2.07
    lsmem 100,000   0.87 s  200,000   1.56 s  ratio 1.80
"""

from __future__ import annotations

import time

from vmemplan.sources.iomem import memory_devices, read_iomem
from vmemplan.sources.lsmem import parse_lsmem

GiB = 1 << 30


def iomem_paste(n: int) -> str:
    """A pasted /proc/iomem of ``n`` pmem ranges with a devdax namespace each."""
    lines = ["    ..."]
    for i in range(n):
        s = 4 * GiB + i * GiB
        lines += [
            f"    {s:x}-{s + GiB - 1:x} : Persistent Memory  <- note",
            f"      {s:x}-{s + (2 << 20) - 1:x} : namespace{i}.0",
            f"      {s + (2 << 20):x}-{s + GiB - 1:x} : dax{i}.0",
            f"         {s:x}-{s + 4095:x} : 0000:17:00.0",
        ]
    return "\n".join(lines) + "\n"


def lsmem_table(n: int) -> str:
    """An lsmem -o RANGE,SIZE,STATE,BLOCK,NODE,ZONES table of ``n`` one-block rows."""
    lines = ["RANGE SIZE STATE BLOCK NODE ZONES"]
    for i in range(n):
        s = i << 27
        lines.append(f"0x{s:016x}-0x{s + (1 << 27) - 1:016x} 128M online {i} 0 Normal")
    return "\n".join([*lines, "", "Memory block size: 128M"]) + "\n"


def timed(read: object, text: str) -> float:
    start = time.perf_counter()
    read(text)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    """Time each reader at N and 2N and print the ratio."""

    def iomem(text: str) -> None:
        memory_devices(read_iomem(text, "bench").entries)

    def lsmem(text: str) -> None:
        parse_lsmem(text, "bench").ranges()

    for name, reader, make, n in (
        ("iomem", iomem, iomem_paste, 10_000),
        ("lsmem", lsmem, lsmem_table, 100_000),
    ):
        one, two = timed(reader, make(n)), timed(reader, make(2 * n))
        print(f"{name} {n:>7,} {one:6.2f} s  {2 * n:>7,} {two:6.2f} s  ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
