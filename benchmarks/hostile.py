"""Benchmark: the large-input cases of issue 19, measured with GNU time (``/usr/bin/time -v``).

Run: ``python benchmarks/hostile.py [CASE...]`` (default: every case). Writes the inputs to
a temporary folder and prints, per case, the wall time and the peak resident memory of one
whole ``vmemplan`` process, and the size of what it printed. Not a timed test: the figures
depend on the machine. Targets (issue 19, "Done means"):

- ``check`` of 100,000 namespaces: under 12 s and 700 MB, in text and in ``--json``;
- ``estimate --iomem`` of 2,000 ranges: under 2 s and 300 MB.

The cases:

- ``check-text`` / ``check-json``: one TOML host of 100,000 namespaces of 256 or 512 MiB
  (devdax 2M in DRAM, fsdax on the device), placed one after the other from 64 GiB, with
  per-namespace and total budgets that all hold;
- ``iomem-text`` / ``iomem-json``: a /proc/iomem of 2,000 ranges: 1,000 System RAM ranges
  of 1 GiB with 1 GiB holes between them, then 1,000 Persistent Memory ranges of 4 GiB, each
  holding one namespace (~120 KB).
- ``iomem-compare`` / ``iomem-plan``: ``compare`` and ``plan --max-dram 1%`` (``--json``) of
  the same dump with 1 GiB namespaces, whose 1G-aligned rows are refused with a
  "smallest valid" size.

Measured on 2026-12-07 on the shared 2-core development machine (load average ~2, so
wall times are pessimistic), after the merge of main at f78fbc9:

    check-text   wall  0:10.70  max RSS   571.9 MiB  stdout     0.00 MiB  exit 0
    check-json   wall  0:27.22  max RSS   623.2 MiB  stdout   584.58 MiB  exit 0
    iomem-text   wall  0:01.69  max RSS    34.8 MiB
    iomem-json   wall  0:00.66  max RSS    60.3 MiB  stdout     5.60 MiB  exit 0

iomem-compare / iomem-plan, on the same machine, main at 852b5c4 (before) and after the
smallest-valid-size fix in nd_pfn_init (one test per align-sized run, not per 2 MiB):

    iomem-compare wall  0:04.14 -> 0:02.06  max RSS 80.7 MiB  stdout  8.92 MiB  exit 0
    iomem-plan    wall  0:05.21 -> 0:01.99  max RSS 98.6 MiB  stdout 12.07 MiB  exit 0

Before (main at f2ea361): check-json died of MemoryError under a 3 GiB address-space cap
after 42 s (3.1 GB RSS); iomem-text 3.5 s / 226 MiB; iomem-json 7.1 s / 872 MiB / 106 MiB
of JSON.

check-json's encoding (wt-jsonspeed, 2026-12-07): containers of scalars go through the
standard library's C encoder, the kernel block is encoded once per file, the key heads
once per key set (output byte-identical: ``cmp`` of the 585 MB document). Interleaved
runs of main (852b5c4) and the branch, GNU time, load average ~3 on 2 cores, so the CPU
time (user + system) is the figure to compare:

    main    check --json  wall 35.66 / 32.57 s  cpu 26.83 / 22.61 s  max RSS 624 MiB
    branch  check --json  wall 23.60 / 30.76 s  cpu 21.05 / 19.81 s  max RSS 624 MiB
    both    check (text)  wall 12.6-16.1 s      cpu 10.2-12.3 s      max RSS 572 MiB

and ``python benchmarks/hostile.py check-text check-json`` on the branch:

    check-text   wall  0:15.76  cpu  10.61 s  max RSS   572.1 MiB  stdout     0.00 MiB  exit 0
    check-json   wall  0:31.28  cpu  20.93 s  max RSS   623.9 MiB  stdout   584.58 MiB  exit 0

Both are still over the 12 s target on this machine. Where check-json's CPU goes (one
process, 100,000 namespaces, ``time.process_time()`` per phase): imports 0.2 s, TOML
and the config model 2.3 s, ``check_config()`` (the walks and budgets, what the text
report needs too) 6.5 s, the baseline walks only JSON prints 2.1 s, building the
namespaces' documents 2.3 s, encoding them ~5 s (~9 s before; extrapolated from an
in-process A/B of 10,000 documents, best of 4: 0.93 s before, 0.51 s after, and 0.29 s
for the C encoder without indent, the floor of any re-indenting scheme). The rest of
the way is in the common path (parse + check_config, ~9 s of CPU before any JSON) and
in the documents, not in the encoder.

wt-checkspeed (2026-12-07; main 18eab77 and the branch run back to back, GNU time, CPU =
user + system; output byte-identical: ``cmp`` of the text, sha256 of the 585 MB JSON):

    main    check-text  cpu 10.01 s  max RSS 578 MiB     check-json  cpu 19.12 s  620 MiB
    branch  check-text  cpu  9.55 s  max RSS 563 MiB     check-json  cpu 18.11 s  593 MiB

Text is under the 12 s target; --json is not. Per phase for 100,000 namespaces (text,
in process): TOML + config model 3.0 s (tomli alone ~1.7 s), config_host() 2.9 s,
the walks 4.8 s. What --json adds on top (~8.5 s: the baseline walks, building the
namespaces' documents, encoding them) is in ``vmemplan/output/`` and in the no-dedup
baseline walks, left for the JSON work.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

GiB = 1 << 30
NAMESPACES = 100_000
IOMEM_RAM = 1_000
IOMEM_PMEM = 1_000


def host_toml(n: int = NAMESPACES) -> str:
    """The host of ``n`` namespaces (the issue's 100,000 by default)."""
    out = [
        "schema_version = 1",
        "",
        "[host]",
        'arch = "x86_64"',
        'kernel = "6.12"',
        'system_ram = ["0+64G"]',
        "",
        "[budgets]",
        'dram = "2%"',
        'init = "600s"',
    ]
    kinds = ('mode = "devdax"\nmap = "mem"', 'mode = "fsdax"\nmap = "dev"')
    for i in range(n):
        out += [
            "",
            "[[namespaces]]",
            f'name = "pmem{i}"',
            f'size = "{256 << (i % 2)}M"',
            kinds[i % 2],
            'align = "2M"',
            "[namespaces.budgets]",
            'dram = "2%"',
            'device_loss = "1G"',
            'init = "1s"',
        ]
    return "\n".join(out) + "\n"


def iomem(
    nr_ram: int = IOMEM_RAM, nr_pmem: int = IOMEM_PMEM, namespace_bytes: int = 4 * GiB
) -> str:
    """A /proc/iomem of ``nr_ram`` System RAM ranges and ``nr_pmem`` namespaces."""
    lines = []
    for i in range(nr_ram):
        start = 4 * GiB + i * 2 * GiB
        lines.append(f"{start:x}-{start + GiB - 1:x} : System RAM")
    base = 4 * GiB + nr_ram * 2 * GiB
    for i in range(nr_pmem):
        start = base + i * 4 * GiB
        end = start + namespace_bytes - 1
        lines += [f"{start:x}-{end:x} : Persistent Memory", f"  {start:x}-{end:x} : namespace{i}.0"]
    return "\n".join(lines) + "\n"


def measure(label: str, args: list[str]) -> None:
    """One process under ``/usr/bin/time -v``: wall time, peak RSS, output size, exit code."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "vmemplan", *args]
    done = subprocess.run(cmd, capture_output=True, check=False)
    report = done.stderr.decode(errors="replace")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    code = re.search(r"Exit status: (\d+)", report)
    user = re.search(r"User time \(seconds\): ([\d.]+)", report)
    system = re.search(r"System time \(seconds\): ([\d.]+)", report)
    if wall is None or rss is None or code is None or user is None or system is None:
        sys.exit(f"{label}: no GNU time report (apt-get install time): {report[-400:]}")
    cpu = float(user.group(1)) + float(system.group(1))
    print(
        f"{label:<13} wall {wall.group(1):>8}  cpu {cpu:6.2f} s  "
        f"max RSS {int(rss.group(1)) / 1024:7.1f} MiB  "
        f"stdout {len(done.stdout) / 2**20:8.2f} MiB  exit {code.group(1)}"
    )


def main() -> None:
    """Write the inputs and measure the cases named on the command line (default: all)."""
    with tempfile.TemporaryDirectory() as tmp:
        host = Path(tmp, "host.toml")
        host.write_text(host_toml())
        dump = Path(tmp, "ranges.iomem")
        dump.write_text(iomem())
        small = Path(tmp, "small.iomem")  # 1 GiB namespaces: the 1G-aligned rows are refused
        small.write_text(iomem(namespace_bytes=GiB))
        cases = {
            "check-text": ["check", str(host)],
            "check-json": ["check", "--json", str(host)],
            "iomem-text": ["estimate", "--iomem", str(dump)],
            "iomem-json": ["estimate", "--iomem", str(dump), "--json"],
            "iomem-compare": ["compare", "--iomem", str(small), "--json"],
            "iomem-plan": ["plan", "--iomem", str(small), "--max-dram", "1%", "--json"],
        }
        print(
            f"check: {NAMESPACES:,} namespaces ({host.stat().st_size / 2**20:.1f} MiB); "
            f"iomem: {IOMEM_RAM + IOMEM_PMEM:,} ranges ({dump.stat().st_size / 1024:.0f} KiB)"
        )
        for name in sys.argv[1:] or list(cases):
            measure(name, cases[name])


if __name__ == "__main__":
    main()
