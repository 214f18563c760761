"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_per_tib_script_reproduces_the_seed_figures() -> None:
    """The seed's per-TiB figures: 16 GiB (4K), ~4 GiB (2M), ~40 MiB (1G) of DRAM."""
    env = dict(os.environ)
    # the script calls `vmemplan`: make sure the one of this interpreter is found first
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    assert shutil.which("vmemplan", path=env["PATH"]) is not None
    out = subprocess.run(
        ["bash", str(EXAMPLES / "per-tib.sh")], capture_output=True, text=True, check=True, env=env
    ).stdout.splitlines()
    rows = {line.split()[0]: [int(x) for x in line.split()[1:]] for line in out[1:]}
    # + 2 direct-map PUD tables: 1T at 64G crosses into [512G, 1T) and [1T, 1.5T)
    assert rows["4K"][0] == (4_194_304 + 16 + 2) * 4096
    assert rows["2M"][0] == (1_056_784 + 2) * 4096
    assert rows["1G"][0] == (10_256 + 2) * 4096
    assert rows["1G"][2] == 131_072
