"""Benchmark: whole-process start-up of `vmemplan estimate` (run: python benchmarks/startup.py).

Runs bare python, `python -c "import click"`, `vmemplan estimate --size 1T --align 1G --json`
and its text form interleaved, 20 times each, and prints the median wall time, the median
CPU time (user + system, steadier than wall time on a loaded machine) and the ratios to
`import click` (issue 8 goals: --json within 1.3x, text within 2x). `vmemplan` is the
console script next to this interpreter (what a user or a script runs); `python -m vmemplan`
is shown too (it pays for runpy). Not a timed test: figures depend on the machine's load.
Unset PYTHONDONTWRITEBYTECODE and precompile (`python -m compileall vmemplan`) first.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

SCRIPT = shutil.which("vmemplan", path=str(Path(sys.executable).parent))
VMEMPLAN = [SCRIPT] if SCRIPT else [sys.executable, "-m", "vmemplan"]
ARGS = ["estimate", "--size", "1T", "--align", "1G"]
COMMANDS = {
    "bare python": [sys.executable, "-c", "pass"],
    "import click": [sys.executable, "-c", "import click"],
    "estimate --json": [*VMEMPLAN, *ARGS, "--json"],
    "estimate (text)": [*VMEMPLAN, *ARGS, "--color", "never"],
    "python -m --json": [sys.executable, "-m", "vmemplan", *ARGS, "--json"],
}


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main(repeat: int = 20) -> None:
    """Print median wall and CPU times (ms) and their ratios to `import click`."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set; unset it and precompile", file=sys.stderr)
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpu: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, cmd in COMMANDS.items():
            c0, t0 = _children_cpu(), time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(_children_cpu() - c0)
    click_wall, click_cpu = median(wall["import click"]), median(cpu["import click"])
    print(f"{'command':<17} {'wall ms':>8} {'x click':>8} {'cpu ms':>8} {'x click':>8}")
    for name in COMMANDS:
        w, c = median(wall[name]), median(cpu[name])
        ratios = f"{w * 1e3:8.1f} {w / click_wall:8.2f} {c * 1e3:8.1f} {c / click_cpu:8.2f}"
        print(f"{name:<17} {ratios}")


if __name__ == "__main__":
    main()
