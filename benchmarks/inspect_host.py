"""Benchmark: `vmemplan inspect` on a host with 100,000 memory blocks, and on a fleet of
1,000 snapshots in one process.

Run: python benchmarks/inspect_host.py [BLOCKS] [HOSTS]. Writes, in a temporary directory, a
snapshot tree of one host whose boot RAM is BLOCKS memory blocks of 128 MiB (default
100,000: 12.2 TiB, each block with its state/phys_index/valid_zones files and its node
links, as sysfs has them), and HOSTS snapshot trees (default 1,000: the fixtures of
tests/data/live/ in turn); then runs the console script once on the big host and once on
the fleet (`--root 'DIR/*'`: one JSON line per host), checks exit 0 and the output, and
prints the wall and CPU time of each. Issue 17 goals: the big host under 1 s, the fleet
under 30 s, on the 2-core machine. Not a timed test: figures depend on the machine's load.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named inspect.py: its directory must not shadow the standard library's
# inspect module (dataclasses imports it), so the repository root replaces it on the path.
ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from tests.live_trees import LIVE, Machine, MiB, Writer, write_machine  # noqa: E402

SCRIPT = shutil.which("vmemplan", path=str(Path(sys.executable).parent))
VMEMPLAN = [SCRIPT] if SCRIPT else [sys.executable, "-m", "vmemplan"]


def timed(args: list[str]) -> tuple[float, float, str]:
    """Wall and child CPU seconds of one run, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([*VMEMPLAN, *args], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"exit {done.returncode}: {done.stderr}")
    return wall, cpu, done.stdout


def write_blocks(root: Path, blocks: int) -> None:
    """The memory blocks of boot RAM as sysfs has them: ``memoryN/{state,phys_index,
    valid_zones}`` and the ``memoryN/node0`` / ``node0/memoryN`` links (plain os calls:
    half a million entries)."""
    memory = root / "sys/devices/system/memory"
    node = root / "sys/devices/system/node/node0"
    for b in range(blocks):
        d = f"{memory}/memory{b}"
        os.mkdir(d)
        for name, text in (
            ("state", "online\n"),
            ("phys_index", f"{b:08x}\n"),
            ("valid_zones", "Normal\n"),
        ):
            with open(f"{d}/{name}", "w") as f:
                f.write(text)
        os.symlink("../../node/node0", f"{d}/node0")
        os.symlink(f"../../memory/memory{b}", f"{node}/memory{b}")


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=shm) as tmp:
        big = Path(tmp) / "big"
        t0 = time.perf_counter()
        # the machine's files without its blocks, then the blocks
        write_machine(
            Writer(big),
            Machine(
                boot=[(0, 128 * MiB, 0)],
                vmstat={"nr_memmap_boot_pages": blocks * 512, "nr_memmap_pages": 0},
            ),
        )
        shutil.rmtree(big / "sys/devices/system/memory/memory0")
        (big / "sys/devices/system/node/node0/memory0").unlink()
        (big / "sys/firmware/memmap/0/end").write_text(f"0x{blocks * 128 * MiB - 1:x}\n")
        write_blocks(big, blocks)
        print(f"wrote a host of {blocks:,} blocks in {time.perf_counter() - t0:.1f} s")
        wall, cpu, out = timed(["inspect", "--root", str(big), "--json"])
        doc = json.loads(out)
        assert doc["source"]["memory_blocks"] == blocks
        verdicts = {c["name"]: c["verdict"] for c in doc["counters"]}
        assert verdicts["nr_memmap_boot_pages"] == "equal", verdicts
        print(f"inspect, {blocks:,} memory blocks: {wall:.2f} s wall, {cpu:.2f} s CPU (goal < 1 s)")

        fleet = Path(tmp) / "fleet"
        fixtures = sorted(p for p in LIVE.iterdir() if p.is_dir())
        t0 = time.perf_counter()
        for i in range(hosts):
            shutil.copytree(fixtures[i % len(fixtures)], fleet / f"host{i:05d}", symlinks=True)
        print(f"wrote {hosts:,} snapshots in {time.perf_counter() - t0:.1f} s")
        wall, cpu, out = timed(["inspect", "--root", str(fleet / "*")])
        lines = out.splitlines()
        assert len(lines) == hosts, len(lines)
        assert all(json.loads(line)["status"] == "ok" for line in lines)
        goal = "(goal < 30 s)"
        print(f"inspect, fleet of {hosts:,} snapshots: {wall:.2f} s wall, {cpu:.2f} s CPU {goal}")


if __name__ == "__main__":
    main()
