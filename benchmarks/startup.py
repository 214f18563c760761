"""Benchmark: whole-process start-up of `vmemplan estimate` (run: python benchmarks/startup.py).

Runs bare python, `python -c "import click"`, `vmemplan estimate --json` and the text form
interleaved, 20 times each, and prints the medians and the ratios to `import click`
(issue 8 goals: --json within 1.3x, text within 2x). Not a timed test: figures depend on
the machine's load.
"""

from __future__ import annotations

import subprocess
import sys
import time
from statistics import median

ARGS = ["-m", "vmemplan", "estimate", "--size", "1T"]
COMMANDS = {
    "bare python": [sys.executable, "-c", "pass"],
    "import click": [sys.executable, "-c", "import click"],
    "estimate --json": [sys.executable, *ARGS, "--json"],
    "estimate (text)": [sys.executable, *ARGS, "--color", "never"],
}


def main(repeat: int = 20) -> None:
    """Print median wall times (ms) and ratios to `import click`."""
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeat):
        for name, cmd in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            samples[name].append(time.perf_counter() - t0)
    click_ms = median(samples["import click"]) * 1e3
    print(f"{'command':<16} {'median ms':>9} {'x click':>8}")
    for name, times in samples.items():
        ms = median(times) * 1e3
        print(f"{name:<16} {ms:9.1f} {ms / click_ms:8.2f}")


if __name__ == "__main__":
    main()
